"""What the demo cases say: a description for each leaf category, with the attributes it
implies, and plausible values for the others.

Each leaf category of the built-in taxonomy (civicgrid/cases/taxonomy.py) has its own
stories. A story's text is a `str.format` template; its `attributes` are the answers that
the text implies (a leaking bathroom is a 邻里纠纷 whose 纠纷起因 is `leak`), so that the
case's fields and its description tell the same story. The other attributes are drawn:
numbers from a range that fits what the attribute measures in that category (a 宅基地
dispute is about a strip of a fraction of a 亩; the wages owed are per worker), names from
pools that fit the category (a food-safety check visits a 小吃店, not a 化工厂).

Placeholders: {a} {b} the parties, {place} {road} {community} {village_group} {building}
where it happens, the generic names of POOLS (estate, business, employer, school, ...)
and every attribute code of the category (its value; for a list, its label is not used).

A category without stories (one an administrator added) falls back to its group's
stories (by code prefix) and then to a neutral sentence naming the category.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from civicgrid.cases.models import Category, CategoryAttribute


@dataclass(frozen=True)
class Story:
    text: str
    attributes: dict[str, Any] = field(default_factory=dict)


def S(text: str, **attributes: Any) -> Story:  # noqa: N802  (a table constructor)
    return Story(text, attributes)


STORIES: dict[str, tuple[Story, ...]] = {
    # 婚姻家庭 --------------------------------------------------------------------------
    "010101": (
        S("{a}与丈夫{b}结婚八年,近来感情不和,{a}要求离婚,双方对子女抚养和夫妻共同财产分割"
          "分歧较大,请求调解。", minor_involved="yes"),
        S("{a}与{b}登记结婚不足一年即分居,女方提出离婚,男方家庭要求返还部分彩礼,两家多次"
          "争吵。", minor_involved="no"),
    ),
    "010102": (
        S("{a}今年七十八岁,反映儿子{b}长期不支付赡养费,也不探望照顾,老人生活困难,多次"
          "协商无果。", supported_party="elderly"),
        S("{a}与前夫{b}离婚后孩子随{a}生活,{b}已连续半年未支付抚养费,请求调解。",
          supported_party="minor"),
    ),
    "010103": (
        S("{a}与{b}兄妹因父亲去世后留下的一套房屋如何继承发生争执,父亲生前未立遗嘱,双方"
          "各执一词。", estate=["house"]),
        S("{a}反映母亲遗留的存款被弟弟{b}独自取走,要求按法定继承平均分配遗产。",
          estate=["money"]),
    ),
    "010104": (
        S("{a}反映丈夫{b}酒后多次对其殴打,身上有明显伤痕,担心人身安全,请求帮助申请人身"
          "安全保护令。", immediate_danger="yes", police_called="yes"),
        S("网格员走访时发现{a}家中常传出打骂声,{a}承认长期遭受家庭暴力,但顾虑孩子不愿"
          "报警。", immediate_danger="no", police_called="no", minor_involved="yes"),
    ),
    # 邻里 -----------------------------------------------------------------------------
    "0102": (
        S("{a}反映楼上邻居{b}家装修噪音扰民,晚上九点后仍在施工,多次协商无果。",
          cause="noise"),
        S("楼上邻居{b}家卫生间漏水,导致楼下{a}家天花板受损,双方就维修和赔偿协商不成。",
          cause="leak"),
        S("{a}与邻居{b}因楼道堆物和公共通道使用发生矛盾,双方互不相让。", cause="passage"),
        S("{a}反映邻居{b}在自家院内加盖二层,遮挡其房屋采光,要求拆除。", cause="daylight"),
        S("{a}反映邻居{b}家的狗夜间吠叫,还在楼道便溺,双方多次争吵。", cause="pet"),
    ),
    # 劳资 -----------------------------------------------------------------------------
    "010301": (
        S("{employer}拖欠{worker_count}名农民工工资共计{amount}元,工人多次讨要未果,情绪"
          "较大。", migrant_workers="yes", construction_project="yes"),
        S("{a}在{employer}工作,被拖欠三个月工资共{amount}元,单位以资金紧张为由拒付。",
          worker_count=1, migrant_workers="no"),
    ),
    "010302": (
        S("{a}在{employer}车间作业时右手被机器压伤,经鉴定为十级伤残,就工伤赔偿{amount}元"
          "与单位意见分歧。", injury_recognised="recognised"),
        S("{a}在{employer}工地高处坠落受伤,单位未为其缴纳工伤保险,双方对赔偿金额争议"
          "较大。", injury_recognised="applying"),
    ),
    "010303": (
        S("{a}被{employer}以业绩不达标为由辞退,单位未支付经济补偿,{a}要求补偿{amount}元。",
          issue="termination"),
        S("{a}在{employer}工作一年多未签订书面劳动合同,要求单位支付二倍工资差额。",
          issue="no_contract"),
        S("{a}反映{employer}自其入职以来一直未缴纳社保,要求补缴。",
          issue="social_insurance"),
        S("{a}等人反映{employer}长期安排加班却不支付加班费。", issue="overtime"),
    ),
    # 医患、征地、权属 -------------------------------------------------------------------
    "0104": (
        S("{a}的父亲在{institution}手术后出现并发症,家属认为诊疗存在过错,要求赔偿"
          "{claim_amount}元,多次到医院交涉。", patient_outcome="treating"),
        S("{a}在{institution}拔牙后感染住院,认为医疗机构操作不规范,双方就医疗费用赔偿"
          "协商未果。", institution="某口腔诊所", patient_outcome="discharged"),
    ),
    "0105": (
        S("{project}涉及的{household_count}户居民对房屋征收补偿标准有异议,要求重新评估。",
          issue="valuation"),
        S("{a}家房屋被列入{project}征收范围,对安置房面积和位置不满,拒绝签约。",
          issue="resettlement"),
    ),
    "010601": (
        S("{village_group}村民{a}与{b}因承包地边界不清发生争执,涉及面积约{area_mu}亩,双方"
          "均称有确权依据。", disputed_object="land"),
        S("{village_group}村民{a}将承包地流转给{b}种植,对方连续两年未付流转费,{a}要求收回"
          "土地。", disputed_object="land"),
    ),
    "010602": (
        S("{village_group}村民{a}翻建房屋时与邻居{b}因宅基地界址发生争议,争议面积约"
          "{area_mu}亩,双方各执一词。", disputed_object="homestead"),
        S("{village_group}村民{a}反映邻居{b}建房时占用了自家宅基地,双方多次争吵。",
          disputed_object="homestead"),
    ),
    "010603": (
        S("{village_group}村民{a}与{b}因狼山脚下一片林地的林木归属发生争议,面积约"
          "{area_mu}亩。", disputed_object="forest"),
        S("{village_group}两户村民因一片林地权属不清发生争执,{b}砍伐林木后引发冲突。",
          disputed_object="forest"),
    ),
    "010604": (
        S("{village_group}两个村民小组因灌溉水渠使用和放水顺序发生纠纷,影响春耕。",
          disputed_object="water"),
        S("{village_group}村民{a}与{b}因一处水塘的承包使用权发生争议,水面约{area_mu}亩。",
          disputed_object="water"),
    ),
    # 物业、交通、消费、环保、教育、村务、作风、涉外 ----------------------------------------
    "0107": (
        S("{estate_name}小区业主反映{property_company}收费不透明、电梯长期维修不到位,业主与"
          "物业矛盾突出。", issue=["fees", "repair"]),
        S("{estate_name}小区停车位分配方案引发业主与物业争执。", issue=["parking"]),
        S("{estate_name}小区业主{a}拒交物业费,物业公司停止为其提供门禁服务,双方发生争执。",
          issue=["fees"]),
    ),
    "0108": (
        S("{a}驾驶电动自行车与{b}的轿车在{road}发生碰撞,{a}受轻伤,双方就赔偿{claim_amount}元"
          "协商不成。", casualties="yes"),
        S("{a}的轿车在{road}路边停放时被{b}驾驶的货车刮擦,无人员受伤,双方对维修费用分歧"
          "较大。", casualties="no"),
    ),
    "0109": (
        S("{a}在{business}办理预付卡后商家关门,要求退款{amount}元。",
          consumption_type="prepaid"),
        S("{a}在{business}购买的商品出现质量问题,商家拒绝退货。", consumption_type="goods"),
        S("{a}网购的家电到货即损坏,与{business}协商退款未果。", consumption_type="online"),
    ),
    "0110": (
        S("居民反映{source}排放刺鼻异味,夜间尤其明显,影响周边生活。",
          pollution_type=["air"]),
        S("{place}附近{source}油烟直排,居民窗户常年沾满油污。", source="某烧烤店",
          pollution_type=["air"]),
        S("居民反映{source}向河道排放污水,河水发黑发臭。", pollution_type=["water"]),
    ),
    "0111": (
        S("家长反映{school}课后服务收费不透明,与学校沟通未果。", issue="fees"),
        S("{a}的孩子在{school}课间活动时摔伤,家长与学校就责任和医疗费用发生争议。",
          issue="student_injury"),
        S("家长{a}反映孩子在{school}多次遭受同学欺凌,要求学校严肃处理。", issue="bullying"),
        S("{a}报名的{school}突然停课,要求退还剩余课时费。", school="某教育培训机构",
          issue="training"),
    ),
    "0112": (
        S("{village_group}村民对村集体收益分配方案有异议,要求公开账目。",
          issue="income_distribution"),
        S("村民{a}反映村务公开栏长期不更新,集体资产出租情况不清楚。", issue="openness"),
    ),
    "0113": (
        S("{a}反映到{unit}办理低保手续时,工作人员态度生硬、多次推诿。", issue="attitude"),
        S("{a}反映多次向{unit}反映的问题一直不作为,长期得不到答复。", issue="inaction"),
    ),
    "0114": (
        S("一名{nationality}籍员工在本区一家企业工作,因工资结算与公司发生纠纷,需要翻译"
          "协助。", issue="labour", interpreter_needed="yes"),
        S("{nationality}籍租户与房东{b}因退还押金发生争执,双方语言沟通困难。",
          issue="housing", interpreter_needed="yes"),
    ),
    "0199": (
        S("{a}与{b}因合伙经营小店的利润分配发生纠纷,请求调解。"),
        S("{a}借给{b}三万元,到期多次催要未还,双方关系紧张,请求调解。"),
    ),
    # 民生服务 -----------------------------------------------------------------------------
    "020101": (
        S("{place}人行道上一处井盖缺失,已用锥桶临时围挡,存在行人坠落隐患。",
          condition="missing"),
        S("{place}路口井盖破损下陷,车辆经过时声响很大。", condition="broken"),
        S("{place}一处井盖移位,高出路面约五厘米。", condition="displaced"),
    ),
    "020102": (
        S("{place}路面出现多处坑洼,雨天积水,行人车辆通行困难。", condition="pothole"),
        S("{place}人行道地砖松动破损,老人出行不便。", condition="pavement"),
        S("{place}路面局部塌陷,面积约一平方米。", condition="subsidence"),
    ),
    "020103": (
        S("{place}下水道堵塞,污水漫到路面,气味较大。", condition="overflow"),
        S("每逢下雨{place}积水严重,低洼处水深没过脚踝。", condition="waterlogging"),
    ),
    "0202": (
        S("{place}垃圾堆放多日无人清运,气味较大。", issue="exposed_garbage"),
        S("{estate}小区门口垃圾桶满溢,周边污水横流。", issue="overflowing_bins"),
        S("有人在{place}绿化带偷倒装修垃圾。", issue="construction_waste"),
        S("{place}公厕长期无人保洁,异味严重。", issue="public_toilet"),
    ),
    "0203": (
        S("{estate}小区停水已超过一天,居民用水困难,事先未见停水通知。", utility="water",
          issue="outage"),
        S("{estate}小区自来水发黄浑浊,居民不敢饮用。", utility="water", issue="quality"),
        S("{place}一带频繁停电,影响居民生活和商户经营。", utility="power", issue="outage"),
        S("{estate}小区天然气压力不足,做饭时火苗很小。", utility="gas", issue="pressure"),
    ),
    "0204": (
        S("{place}附近广场舞音响声音过大,晚上影响居民休息。", source="social",
          period="night"),
        S("{place}工地夜间施工噪声扰民,居民无法入睡。", source="construction",
          period="night"),
        S("{place}沿街商铺用大喇叭循环播放促销广告,噪音扰民。", source="business",
          period="day"),
    ),
    "0205": (
        S("{place}有住户在屋顶违规搭建阳光房。", structure="rooftop", under_construction="no"),
        S("{estate}小区一楼住户私自圈占绿地搭建院墙。", structure="yard"),
        S("{place}沿街商铺私自向外搭建雨棚,占用人行道。", structure="shopfront"),
        S("{estate}小区有住户正在顶楼违规加层施工。", structure="extra_storey",
          under_construction="yes"),
    ),
    "0206": (
        S("{place}路灯多盏不亮,夜间出行不安全。", issue="off"),
        S("{place}路灯白天也亮着,浪费电。", issue="always_on"),
        S("{place}一根路灯杆被车辆撞歪,灯罩破损。", issue="damaged"),
    ),
    "0207": (
        S("{place}路口红绿灯故障,早高峰车辆拥堵。", facility="signal"),
        S("{place}交通标志牌被树枝遮挡,驾驶员难以看清。", facility="sign"),
        S("{place}道路标线磨损严重,夜间几乎看不见。", facility="marking"),
        S("{place}道路隔离护栏被撞倒,尚未修复。", facility="guardrail"),
    ),
    "0208": (
        S("{a}为独居困难老人,因病住院花费较大,申请临时救助。",
          assistance_type="temporary", urgent="yes"),
        S("{a}家中丈夫重病、孩子上学,生活困难,咨询申请低保。",
          assistance_type="minimum_living", urgent="no"),
        S("{a}为重度残疾人,无劳动能力、无固定收入,申请特困供养救助。",
          assistance_type="extreme_poverty", urgent="no"),
    ),
    "0209": (
        S("{a}老人年迈独居,子女在外地,需要上门助餐服务。", needs=["meals"],
          living_alone="yes"),
        S("{a}老人行动不便,家属申请居家适老化改造,加装扶手。", needs=["home_adaptation"]),
        S("{a}的家属希望社区定期上门探访独居老人。", needs=["visits"], living_alone="yes"),
    ),
    "0210": (
        S("{place}一棵行道树被大风刮倒,压住人行道。", issue="fallen_tree"),
        S("{place}绿化带树枝过长,遮挡交通标志,需要修剪。", issue="obstruction"),
        S("{place}行道树出现大量虫害,树叶枯黄。", issue="pests"),
    ),
    "0211": (
        S("{place}早晚有流动摊贩占道经营,影响通行。", issue="street_vending"),
        S("{estate}小区楼道和电线杆上小广告泛滥。", issue="flyposting"),
        S("{place}人行道上机动车乱停乱放,行人只能走机动车道。", issue="parking"),
    ),
    "0299": (
        S("{a}建议在{place}公交站台增设候车座椅和遮阳棚。"),
        S("{a}反映{place}周边缺少公共厕所,建议增设。"),
    ),
    # 安全隐患 -----------------------------------------------------------------------------
    "030101": (
        S("巡查发现{estate}小区消防通道被私家车长期占用,消防车无法通行。"),
        S("巡查发现{place}一家商场的安全出口被货物堵塞。"),
    ),
    "030102": (
        S("巡查发现{estate}小区多个单元楼道堆放纸箱、旧家具等杂物,堵塞疏散通道。"),
        S("{estate}小区{building}幢楼道内堆满杂物,居民反映存在火灾隐患。"),
    ),
    "030103": (
        S("巡查发现{estate}小区多处消火栓无水,灭火器已过期。"),
        S("巡查发现{place}一处群租房应急照明和疏散指示标志损坏。"),
    ),
    "0302": (
        S("巡查发现{place}一家餐馆燃气软管老化开裂,未安装燃气报警器。",
          premises="restaurant", findings=["old_hose", "no_alarm"]),
        S("入户检查发现{a}家燃气灶无熄火保护装置,燃气软管穿墙敷设。", premises="home",
          findings=["no_flame_failure", "illegal_alteration"]),
        S("巡查发现{place}一家小吃店在操作间存放多个液化气钢瓶。", premises="restaurant",
          findings=["cylinder_storage"]),
    ),
    "030301": (
        S("巡查发现{place}一处无证食品加工黑作坊,卫生条件差。", business="无名食品加工点",
          premises="workshop"),
        S("{place}路边有流动摊贩无证销售熟食。", business="流动摊贩", premises="stall"),
    ),
    "030302": (
        S("巡查发现{business}货架上在售过期的{product},已拍照取证。", premises="shop"),
        S("居民反映在{business}买到发霉变质的{product}。", premises="shop"),
    ),
    "030303": (
        S("巡查发现{business}后厨卫生条件差,有苍蝇,从业人员未持健康证。",
          premises="restaurant"),
        S("居民反映{business}食品加工区与垃圾桶混放,卫生状况堪忧。",
          premises="restaurant"),
    ),
    "0304": (
        S("巡查发现{place}一处老旧自建房墙体开裂,仍有人居住。", occupied="yes",
          signs=["wall_cracks"]),
        S("{place}一栋空置老房屋面塌落、墙体倾斜。", occupied="no", signs=["roof", "tilt"]),
    ),
    "0305": (
        S("{place}路面塌陷形成深坑,夜间无警示标志。", findings="collapse"),
        S("{place}急弯处缺少护栏,近期已发生多起事故。", findings="no_guardrail"),
        S("{place}路口视线被广告牌遮挡,事故多发。", findings="sight_line"),
    ),
    "0306": (
        S("巡查发现{estate}小区{building}幢楼道内多辆电动车违规充电。", findings="hallway"),
        S("{estate}小区有住户从楼上飞线给电动车充电。", findings="flying_lead"),
        S("巡查发现{a}将电动车电瓶带回家中室内充电。", findings="indoor"),
    ),
    "0307": (
        S("巡查发现{business}违规动火作业,现场未配备灭火器材。"),
        S("巡查发现{business}高处作业人员未系安全带,现场无安全防护。",
          business="某在建住宅项目工地", sector="construction"),
    ),
    "0308": (
        S("{estate}小区电梯频繁故障,上周有居民被困。", equipment="elevator"),
        S("巡查发现{business}锅炉未按期检验仍在使用。", business="某洗浴中心",
          equipment="boiler"),
    ),
    "0309": (
        S("巡查发现{business}违规储存油漆、稀释剂等易燃化学品。"),
        S("居民反映{place}附近一处仓库存放大量不明化学品桶。"),
    ),
    "0310": (
        S("汛期临近,{place}一段河道护坡出现裂缝,需要加固。", hazard_type="embankment"),
        S("{place}一栋楼外墙广告牌松动,大风天有坠落危险。", hazard_type="wind"),
        S("{place}地势低洼,强降雨时积水倒灌居民家中。", hazard_type="flooding"),
    ),
    "0399": (
        S("巡查发现{place}一处废弃水井没有盖板,存在坠落隐患。"),
        S("{place}一处在建工地围挡倾斜,存在倒塌隐患。"),
    ),
    # 突发事件 -----------------------------------------------------------------------------
    "0401": (
        S("受强降雨影响,{place}多处道路积水严重,部分居民家中进水。",
          disaster_type="flood"),
        S("台风过境,{place}多棵大树倒伏,压坏路边车辆。", disaster_type="typhoon"),
    ),
    "0402": (
        S("{place}一居民楼发生火灾,明火已扑灭,需安置受灾住户。", accident_type="fire"),
        S("{place}一处施工围墙坍塌,砸坏路边车辆。", accident_type="building_collapse"),
        S("{place}燃气管道被施工挖断发生泄漏,周边居民已疏散。",
          accident_type="gas_explosion"),
    ),
    "0403": (
        S("{place}一家饭店聚餐后十余人出现腹泻呕吐,疑似食物中毒。",
          health_event_type="food_poisoning"),
        S("{school}多名学生出现发热、呕吐症状,疑似诺如病毒感染。",
          health_event_type="epidemic"),
    ),
    "0404": (
        S("{place}一处工地数十名工人聚集讨要工资,情绪激动。",
          security_event_type="mass_incident"),
        S("{place}发生一起持刀伤人案件,嫌疑人已被控制。",
          security_event_type="major_crime"),
    ),
    # 信访 -------------------------------------------------------------------------------
    "0501": (
        S("{a}反映征收补偿款未足额发放,要求有关部门依法处理并答复。"),
        S("{a}反映其养老保险待遇认定有误,要求重新核定。"),
        S("{a}反映单位拖欠工资问题多次投诉仍未解决,要求尽快处理。"),
    ),
    "0502": (
        S("{a}来信建议在老旧小区改造中同步加装电梯。"),
        S("{a}对停车收费调整方案提出意见,建议分时段收费。"),
    ),
    "0503": (
        S("{a}实名举报{reported_unit}负责人在工程发包中违规操作。"),
        S("{a}举报{reported_unit}虚报冒领惠农补贴。"),
    ),
}

FALLBACK = (S("{place}发现“{category}”方面的问题,请相关部门核实处理。"),)


# Names by kind, with category-specific pools (longest code prefix first; "" for any).
POOLS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "estate"): ("濠河苑", "桃园新村", "江海名都", "翠竹花园", "虹桥新村", "学田小区",
                     "文峰城市花园", "钟秀新村"),
    ("", "employer"): ("南通某建筑劳务公司", "某服装加工厂", "某餐饮管理公司",
                       "某装饰工程公司", "某电子厂"),
    ("", "business"): ("某超市", "某便利店", "某小吃店"),
    ("0109", "business"): ("某健身房", "某美容店", "某教育培训机构", "某家具店",
                           "某电器商行"),
    ("0303", "business"): ("某小吃店", "某快餐店", "某熟食店", "某面馆", "某超市",
                           "某单位食堂"),
    ("030302", "business"): ("某超市", "某便利店", "某副食品店", "某农贸市场摊位"),
    ("0307", "business"): ("某机械加工厂", "某仓储物流公司", "某家具厂", "某汽修厂"),
    ("0309", "business"): ("某油漆经营部", "某化工原料商行", "某五金店"),
    ("", "school"): ("某实验小学", "某中学", "某幼儿园"),
    ("", "institution"): ("某人民医院", "某中医院", "某社区卫生服务中心"),
    ("", "project"): ("唐闸片区城市更新项目", "某道路拓宽工程", "某棚户区改造项目"),
    ("", "property_company"): ("某物业服务公司", "某物业管理有限公司"),
    ("", "source"): ("某化工厂", "某印染厂", "某汽修店"),
    ("", "unit"): ("某街道办事处", "某社区居委会", "某区直部门办事窗口"),
    ("", "nationality"): ("韩国", "日本", "越南", "美国", "德国"),
    ("", "product"): ("牛奶", "面包", "调味品", "熟食", "饮料"),
    ("", "reported_unit"): ("某村委会", "某街道办事处", "某村股份经济合作社"),
}
ALIASES = {"estate_name": "estate"}  # attribute code -> generic name it shares

# Numbers: (category code prefix, attribute) -> (low, high, step). What each measures:
# wages owed are per worker (010301 is worker_count × 3,000–15,000 yuan); 宅基地 strips
# are a fraction of a 亩 (1 亩 ≈ 667 m²), contracted land a few 亩, woodland tens.
NUMBER_RANGES: dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]] = {
    ("010301", "worker_count"): (Decimal(2), Decimal(45), Decimal(1)),
    ("010301", "amount"): (Decimal(3000), Decimal(15000), Decimal(100)),  # per worker
    ("010302", "amount"): (Decimal(20000), Decimal(300000), Decimal(1000)),
    ("010303", "amount"): (Decimal(2000), Decimal(60000), Decimal(100)),
    ("0104", "claim_amount"): (Decimal(20000), Decimal(600000), Decimal(1000)),
    ("0105", "household_count"): (Decimal(3), Decimal(80), Decimal(1)),
    ("010601", "area_mu"): (Decimal("0.5"), Decimal(20), Decimal("0.1")),
    ("010602", "area_mu"): (Decimal("0.02"), Decimal("0.5"), Decimal("0.01")),
    ("010603", "area_mu"): (Decimal(2), Decimal(60), Decimal("0.5")),
    ("010604", "area_mu"): (Decimal("0.5"), Decimal(15), Decimal("0.1")),
    ("0108", "claim_amount"): (Decimal(2000), Decimal(150000), Decimal(100)),
    ("0109", "amount"): (Decimal(200), Decimal(30000), Decimal(100)),
    ("04", "casualties"): (Decimal(0), Decimal(3), Decimal(1)),
    ("", ""): (Decimal(1), Decimal(10), Decimal(1)),  # a number the table does not know
}
PER_WORKER = ("010301", "amount")

# List answers that are not equally likely (others are drawn evenly).
VALUE_WEIGHTS: dict[str, dict[str, int]] = {
    "hazard_grade": {"general": 85, "relatively_major": 12, "major": 3},
    "event_grade": {"general": 80, "relatively_major": 18, "major": 2, "especially_major": 0},
    "patient_outcome": {"treating": 35, "discharged": 45, "disabled": 15, "deceased": 5},
    "first_time": {"first": 75, "repeat": 25},
    "urgent": {"no": 80, "yes": 20},
    "immediate_danger": {"no": 70, "yes": 30},
    "certificate": {"yes": 60, "no": 20, "disputed": 20},
}

ROADS = ("人民路", "青年路", "工农路", "崇川路", "濠西路", "城山路", "姚港路", "钟秀路",
         "长江路", "任港路", "虹桥路", "园林路", "桃坞路", "北濠东路")


def _lookup(table: dict[tuple[str, str], Any], code: str, key: str) -> Any:
    for n in range(len(code), -1, -1):
        found = table.get((code[:n], key))
        if found is not None:
            return found
    return None


def stories_for(category: Category) -> tuple[Story, ...]:
    for n in range(len(category.code), 1, -2):
        stories = STORIES.get(category.code[:n])
        if stories:
            return stories
    return FALLBACK


def number_range(code: str, attribute: str) -> tuple[Decimal, Decimal, Decimal]:
    found: tuple[Decimal, Decimal, Decimal] = (_lookup(NUMBER_RANGES, code, attribute)
                                               or NUMBER_RANGES[("", "")])
    return found


def _number(rng: random.Random, low: Decimal, high: Decimal, step: Decimal) -> int | float:
    value = low + step * rng.randint(0, int((high - low) / step))
    return int(value) if step >= 1 else float(value)


def _choice(rng: random.Random, attribute: CategoryAttribute) -> str:
    keys = [str(key) for key, _label in attribute.values]
    weights = VALUE_WEIGHTS.get(attribute.code)
    if weights and set(weights) >= set(keys):
        return rng.choices(keys, [weights[k] for k in keys])[0]
    return rng.choice(keys)


def story_case(category: Category, rng: random.Random, *, when: datetime,
               place: dict[str, str], a: str, b: str) -> tuple[str, dict[str, Any], str]:
    """(description, attributes, address) for a demo case of `category` that happened at
    `when`; the address names the estate (小区) when the story happens in one.

    `place` holds `place`, `road`, `community` and `village_group`. Required attributes
    are always answered, and so are the ones the story fixes or its text names; the others
    six times out of ten (as people fill in forms)."""
    story = rng.choice(stories_for(category))
    ctx: dict[str, Any] = {**place, "a": a, "b": b, "category": category.name,
                           "building": rng.randint(1, 30)}
    for (prefix, name), _pool in POOLS.items():
        if not prefix:
            ctx[name] = rng.choice(_lookup(POOLS, category.code, name))
    for code, value in story.attributes.items():
        if isinstance(value, str):
            ctx[ALIASES.get(code, code)] = value
    definitions = list(category.attributes.all())
    values: dict[str, Any] = {}
    for attribute in definitions:
        code = attribute.code
        if code in story.attributes:
            value = story.attributes[code]
        elif attribute.datatype == "number":
            value = _number(rng, *number_range(category.code, code))
        elif attribute.datatype == "datetime":
            value = (when - timedelta(hours=rng.randint(1, 48))).isoformat()
        elif attribute.datatype == "singlevaluelist" and attribute.values:
            value = _choice(rng, attribute)
        elif attribute.datatype == "multivaluelist" and attribute.values:
            value = [_choice(rng, attribute)]
        else:
            value = ctx.get(ALIASES.get(code, code)) or category.name
        values[code] = value
    if (category.code.startswith(PER_WORKER[0]) and "amount" in values
            and "amount" not in story.attributes):
        values["amount"] *= int(values.get("worker_count") or 1)
    attributes: dict[str, Any] = {}
    for attribute in definitions:
        code = attribute.code
        ctx[code] = values[code]
        named = "{" + code + "}" in story.text
        if attribute.required or code in story.attributes or named or rng.random() < 0.6:
            attributes[code] = values[code]
    address = place["place"]
    if "{estate" in story.text:
        address = f"{place['community']}{ctx.get('estate_name') or ctx['estate']}小区"
    return story.text.format_map(ctx), attributes, address
