"""Built-in case categories (事件分类): the tree every new deployment starts with.

Pure data, no Django: the cases app loads these specs into its category table, and
administrators edit them there afterwards. Names and descriptions are data stored in the
database, so they are plain Chinese strings, not translatable literals.

Codes nest by prefix like area codes: a top-level group has 2 digits ("01"), its children 4
("0103"), grandchildren 6 ("010301"). "99" is the catch-all 其他 under a parent.

Each spec is self-contained: a child repeats what it shares with its parent (attributes,
SLAs) rather than inheriting at run time, so the table the platform reads is the table the
administrator sees.

Deadlines (SLA) are per pipeline stage, in working days (official calendar with 调休) or
calendar days. Where a law fixes a limit the description names the article; everything else
is practice (人民调解 about one month, 数字城管 a few working days) and is marked as such.

Things that are case fields, not category attributes, are deliberately absent here: the
location (Open311 lat/long/address), the channel (来信、来访、热线 ...), the number of people
involved (Scale bands <50, 50–100, 100–500, >500) and the 重大矛盾纠纷 / 群体性 flags.
"""

from dataclasses import dataclass, field, replace
from typing import Literal, get_args

Kind = Literal["dispute", "petition", "service", "hazard", "emergency"]
Level = Literal["community", "street", "county"]  # default handling level: 村/社区, 镇/街道, 区县
DayUnit = Literal["working", "calendar"]
AttrType = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]

KINDS: tuple[str, ...] = get_args(Kind)
LEVELS: tuple[str, ...] = get_args(Level)
DAY_UNITS: tuple[str, ...] = get_args(DayUnit)
ATTR_TYPES: tuple[str, ...] = get_args(AttrType)
VALUELIST_TYPES = ("singlevaluelist", "multivaluelist")

STAGES = ("accept", "dispatch", "handle", "verify", "follow_up", "handoff_receipt")
# accept = 登记→受理/不予受理; dispatch = 受理→交办; handle = 交办→办结; verify = 办结→核查;
# follow_up = 核查→回访; handoff_receipt = time for a receiving institution to acknowledge a
# hand-off (对接: 公调、检调、诉调、访调、援调).

# The specialties (一综多专) that exist in the system. Keep in step with
# civicgrid.units.models.BUILTIN_SPECIALTIES (a test compares the two).
SPECIALTIES: dict[str, str] = {
    "marriage_family": "婚姻家庭",
    "neighbourhood": "邻里纠纷",
    "labour": "劳资纠纷",
    "medical": "医患纠纷",
    "land_acquisition": "征地拆迁",
    "land_rights": "土地山林水利权属",
    "property_management": "物业纠纷",
    "traffic_accident": "交通事故",
    "consumer": "消费纠纷",
    "environment": "环境保护",
    "education": "教育",
    "village_affairs": "村务",
    "conduct": "干部作风",
    "foreign": "涉外",
    "public_service": "民生服务",
    "safety_hazard": "安全隐患",
    "emergency": "突发事件",
    "petition": "信访",
    "general": "综合",
}


@dataclass(frozen=True)
class SLA:
    days: int
    unit: DayUnit


@dataclass(frozen=True)
class Attribute:
    """An Open311 GeoReport v2 service-definition attribute."""

    code: str  # ascii slug, unique within the category
    description: str  # Chinese question/label
    datatype: AttrType
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()  # (key, Chinese name) for *valuelist
    order: int = 0


@dataclass(frozen=True)
class CategorySpec:
    code: str  # hierarchical: top level 2 chars ("01"), children 4 ("0101"), grandchildren 6
    name: str
    kind: Kind
    level: Level
    specialty: str  # one of SPECIALTIES
    sla: dict[str, SLA] = field(hash=False)  # per stage, keys from STAGES
    attributes: tuple[Attribute, ...] = ()
    description: str = ""
    keywords: tuple[str, ...] = ()  # Chinese words for search/suggestion
    max_extensions: int = 1  # how many extensions (延期) allowed
    max_extension_days: int = 30  # max total extension in days (same unit as the handle SLA)


# --------------------------------------------------------------------------------------------
# Building blocks


def _wd(days: int) -> SLA:
    return SLA(days, "working")


def _cd(days: int) -> SLA:
    return SLA(days, "calendar")


def _sla(base: dict[str, SLA], **changes: SLA) -> dict[str, SLA]:
    unknown = set(changes) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages: {sorted(unknown)}")
    return {stage: changes.get(stage, base[stage]) for stage in STAGES}


def _attrs(*attributes: Attribute) -> tuple[Attribute, ...]:
    """Number the attributes in the order given (Open311 `order` starts at 1)."""
    return tuple(replace(a, order=i) for i, a in enumerate(attributes, start=1))


def _string(code: str, description: str, *, required: bool = False) -> Attribute:
    return Attribute(code, description, "string", required)


def _text(code: str, description: str, *, required: bool = False) -> Attribute:
    return Attribute(code, description, "text", required)


def _number(code: str, description: str, *, required: bool = False) -> Attribute:
    return Attribute(code, description, "number", required)


def _datetime(code: str, description: str, *, required: bool = False) -> Attribute:
    return Attribute(code, description, "datetime", required)


def _single(
    code: str, description: str, values: tuple[tuple[str, str], ...], *, required: bool = False
) -> Attribute:
    return Attribute(code, description, "singlevaluelist", required, values)


def _multi(
    code: str, description: str, values: tuple[tuple[str, str], ...], *, required: bool = False
) -> Attribute:
    return Attribute(code, description, "multivaluelist", required, values)


YES_NO = (("yes", "是"), ("no", "否"))

# --------------------------------------------------------------------------------------------
# 01 矛盾纠纷 — people's mediation: no statutory limit, practice is one month.

DISPUTE_SLA = {
    "accept": _wd(3),
    "dispatch": _wd(1),
    "handle": _cd(30),
    "verify": _wd(3),
    "follow_up": _wd(5),
    "handoff_receipt": _wd(3),
}


def _dispute(
    code: str,
    name: str,
    specialty: str,
    level: Level,
    *,
    sla: dict[str, SLA] = DISPUTE_SLA,
    attributes: tuple[Attribute, ...] = (),
    description: str = "",
    keywords: tuple[str, ...] = (),
    max_extensions: int = 1,
    max_extension_days: int = 30,
) -> CategorySpec:
    return CategorySpec(
        code=code, name=name, kind="dispute", level=level, specialty=specialty, sla=dict(sla),
        attributes=attributes, description=description, keywords=keywords,
        max_extensions=max_extensions, max_extension_days=max_extension_days,
    )


_MINOR_INVOLVED = _single("minor_involved", "是否涉及未成年子女", YES_NO)

_LABOUR_AMOUNT = _number("amount", "涉及金额(元)", required=True)
_LABOUR_EMPLOYER = _string("employer", "用工单位", required=True)
_LABOUR_WORKERS = _number("worker_count", "涉及劳动者人数")
_LABOUR_SLA = _sla(DISPUTE_SLA, accept=_wd(2), handle=_cd(15))

_MEDICAL_ATTRS = _attrs(
    _string("institution", "医疗机构", required=True),
    _single("appraisal", "是否已鉴定", (
        ("none", "未鉴定"), ("in_progress", "鉴定中"), ("done", "已鉴定"),
    )),
    _single("patient_outcome", "患者情况", (
        ("treating", "治疗中"), ("discharged", "已出院"), ("disabled", "致残"),
        ("deceased", "死亡"),
    ), required=True),
    _number("claim_amount", "索赔金额(元)"),
)

_LAND_RIGHTS_ATTRS = _attrs(
    _single("disputed_object", "争议对象", (
        ("land", "土地"), ("homestead", "宅基地"), ("forest", "山林"), ("water", "水利"),
    ), required=True),
    _number("area_mu", "争议面积(亩)"),
    _string("village_group", "所在村(组)"),
    _single("certificate", "是否有权属证书", (
        ("yes", "有"), ("no", "无"), ("disputed", "证书本身有争议"),
    )),
)
_LAND_RIGHTS_DESC = (
    "土地、山林、水利权属争议。个人之间、个人与单位之间的土地权属争议由乡镇人民政府或县级以上"
    "人民政府处理,单位之间的由县级以上人民政府处理(土地管理法第十四条),故默认由镇/街道办理。"
)

_TRAFFIC_ATTRS = _attrs(
    _datetime("accident_time", "事故时间", required=True),
    _single("casualties", "是否有人员伤亡", YES_NO, required=True),
    _single("liability_determined", "是否已出具事故认定书", YES_NO),
    _number("claim_amount", "索赔金额(元)"),
)

DISPUTES: tuple[CategorySpec, ...] = (
    _dispute(
        "01", "矛盾纠纷", "general", "community",
        description=(
            "各类民间纠纷与社会矛盾,以人民调解为主,小事不出村、一般事不出镇、大事不出区。"
            "人民调解无法定期限,实践中一般一个月内调结。"
        ),
        keywords=("纠纷", "矛盾", "调解", "调处"),
    ),
    # 婚姻家庭 ----------------------------------------------------------------------------
    _dispute(
        "0101", "婚姻家庭纠纷", "marriage_family", "community",
        attributes=_attrs(
            _single("dispute_type", "纠纷类型", (
                ("marriage", "婚姻(离婚、彩礼、同居)"), ("support", "赡养、抚养、扶养"),
                ("inheritance", "继承"), ("family_violence", "家庭暴力"), ("other", "其他"),
            ), required=True),
            _MINOR_INVOLVED,
        ),
        description="婚姻、家庭成员之间的纠纷,由村(居)人民调解委员会就近调解,妇联协助。",
        keywords=("离婚", "彩礼", "赡养", "抚养", "继承", "家庭矛盾", "婆媳"),
    ),
    _dispute(
        "010101", "婚姻纠纷", "marriage_family", "community",
        attributes=_attrs(_MINOR_INVOLVED),
        description="离婚、彩礼返还、同居关系、夫妻财产等纠纷。",
        keywords=("离婚", "彩礼", "夫妻", "同居", "财产分割"),
    ),
    _dispute(
        "010102", "赡养抚养纠纷", "marriage_family", "community",
        attributes=_attrs(
            _single("supported_party", "被赡养/抚养人", (
                ("elderly", "老年人"), ("minor", "未成年人"), ("disabled", "残疾人"),
                ("other", "其他"),
            )),
        ),
        description="赡养老人、抚养子女、扶养费给付等纠纷。",
        keywords=("赡养", "抚养", "扶养", "抚养费", "养老"),
    ),
    _dispute(
        "010103", "继承纠纷", "marriage_family", "community",
        attributes=_attrs(_multi("estate", "涉及遗产", (
            ("house", "房屋"), ("homestead", "宅基地"), ("money", "存款"), ("other", "其他"),
        ))),
        description="遗产分割、遗嘱效力等继承纠纷。",
        keywords=("继承", "遗产", "遗嘱", "分家"),
    ),
    _dispute(
        "010104", "家庭暴力", "marriage_family", "community",
        sla=_sla(
            DISPUTE_SLA, accept=_cd(1), dispatch=_cd(1), handle=_cd(7), verify=_cd(3),
            handoff_receipt=_cd(1),
        ),
        attributes=_attrs(
            _single("immediate_danger", "当事人是否面临人身安全危险", YES_NO, required=True),
            _MINOR_INVOLVED,
            _single("police_called", "是否已报警", YES_NO),
        ),
        description=(
            "家庭暴力的求助与处置。居(村)委会、妇联接到求助应当给予帮助(反家庭暴力法第十三条);"
            "有人身危险时立即对接公安(公调对接)。人身安全保护令由法院在72小时内、情况紧急的"
            "24小时内作出(反家庭暴力法第二十八条)。期限为实践,按自然日计,节假日不停。"
        ),
        keywords=("家暴", "家庭暴力", "殴打", "人身安全保护令", "虐待"),
        max_extension_days=7,
    ),
    # 邻里 ----------------------------------------------------------------------------------
    _dispute(
        "0102", "邻里纠纷", "neighbourhood", "community",
        sla=_sla(DISPUTE_SLA, handle=_cd(15)),
        attributes=_attrs(
            _single("cause", "纠纷起因", (
                ("noise", "噪音"), ("leak", "漏水"), ("passage", "通道"), ("daylight", "采光"),
                ("pet", "宠物"), ("other", "其他"),
            ), required=True),
        ),
        description="相邻关系等邻里之间的纠纷,事小面广,由村(居)调委会就地调解,实践中半个月内调结。",
        keywords=("邻居", "邻里", "漏水", "噪音", "采光", "通道", "宠物", "相邻"),
        max_extension_days=15,
    ),
    # 劳资 ----------------------------------------------------------------------------------
    _dispute(
        "0103", "劳资纠纷", "labour", "street",
        sla=_LABOUR_SLA,
        attributes=_attrs(_LABOUR_AMOUNT, _LABOUR_WORKERS, _LABOUR_EMPLOYER),
        description=(
            "劳动者与用人单位之间的纠纷,由镇/街道劳动争议调解组织调解。"
            "自调解组织收到申请之日起15日内未达成协议的,当事人可以申请仲裁"
            "(劳动争议调解仲裁法第十四条),故办理期限15日;双方同意可延长一次。"
        ),
        keywords=("工资", "欠薪", "工伤", "劳动合同", "社保", "辞退", "加班费"),
        max_extension_days=15,
    ),
    _dispute(
        "010301", "拖欠工资", "labour", "street",
        sla=_sla(_LABOUR_SLA, accept=_wd(1), handle=_cd(7), verify=_wd(2)),
        attributes=_attrs(
            _LABOUR_AMOUNT, _LABOUR_WORKERS, _LABOUR_EMPLOYER,
            _single("migrant_workers", "是否涉及农民工", YES_NO),
            _single("construction_project", "是否为工程建设项目", YES_NO),
        ),
        description=(
            "拖欠劳动报酬,优先快办:7日内办结,延期合计不超过8日,使总时长不超过"
            "劳动争议调解的15日(劳动争议调解仲裁法第十四条)。"
            "涉及农民工的同时对接人社部门劳动保障监察。"
        ),
        keywords=("欠薪", "拖欠工资", "讨薪", "农民工工资", "工程款"),
        max_extension_days=8,
    ),
    _dispute(
        "010302", "工伤赔偿", "labour", "street",
        sla=_LABOUR_SLA,
        attributes=_attrs(
            _LABOUR_AMOUNT, _LABOUR_EMPLOYER,
            _single("injury_recognised", "工伤认定情况", (
                ("recognised", "已认定"), ("applying", "申请中"), ("not_applied", "未申请"),
            )),
        ),
        description="工伤认定后的待遇、赔偿纠纷;认定与劳动能力鉴定期间可缓办。",
        keywords=("工伤", "工伤赔偿", "受伤", "伤残鉴定"),
        max_extension_days=15,
    ),
    _dispute(
        "010303", "劳动合同", "labour", "street",
        sla=_LABOUR_SLA,
        attributes=_attrs(
            _LABOUR_AMOUNT, _LABOUR_EMPLOYER,
            _single("issue", "争议事项", (
                ("no_contract", "未签订书面合同"), ("termination", "解除、终止合同"),
                ("compensation", "经济补偿"), ("social_insurance", "社会保险"),
                ("overtime", "加班、休假"), ("other", "其他"),
            ), required=True),
        ),
        description="劳动合同订立、履行、解除、终止及经济补偿、社会保险等纠纷。",
        keywords=("劳动合同", "辞退", "经济补偿", "社保", "加班", "试用期"),
        max_extension_days=15,
    ),
    # 医患 ----------------------------------------------------------------------------------
    _dispute(
        "0104", "医患纠纷", "medical", "county",
        sla=_sla(DISPUTE_SLA, handle=_wd(30)),
        attributes=_MEDICAL_ATTRS,
        description=(
            "医患双方因诊疗活动引发的争议,由区医疗纠纷人民调解委员会调解。"
            "应当自受理之日起30个工作日内完成调解;需要鉴定的,鉴定时间不计入调解期限(缓办);"
            "特殊情况经医患双方约定可延长(医疗纠纷预防和处理条例第三十八条)。"
        ),
        keywords=("医院", "医疗", "医患", "医疗事故", "医闹", "诊疗"),
        max_extension_days=30,
    ),
    # 征地拆迁 ------------------------------------------------------------------------------
    _dispute(
        "0105", "征地拆迁纠纷", "land_acquisition", "county",
        attributes=_attrs(
            _string("project", "项目名称", required=True),
            _single("issue", "争议事项", (
                ("compensation", "补偿标准"), ("resettlement", "安置"), ("valuation", "评估"),
                ("demolition", "拆除行为"), ("distribution", "补偿款分配"), ("other", "其他"),
            ), required=True),
            _number("household_count", "涉及户数"),
        ),
        description=(
            "土地征收、房屋征收与补偿安置引发的纠纷。征收决定由区县及以上政府作出,"
            "镇/街道无权改变补偿方案,故默认区县办理;易形成群体性矛盾,需关注规模标志。"
        ),
        keywords=("征地", "拆迁", "征收", "补偿", "安置", "评估"),
        max_extensions=2,
        max_extension_days=60,
    ),
    # 土地山林水利权属 --------------------------------------------------------------------
    _dispute(
        "0106", "土地山林水利权属纠纷", "land_rights", "street",
        attributes=_LAND_RIGHTS_ATTRS,
        description=_LAND_RIGHTS_DESC,
        keywords=("土地", "宅基地", "山林", "林权", "水利", "承包地", "界址", "权属"),
        max_extensions=2,
        max_extension_days=60,
    ),
    _dispute(
        "010601", "土地承包经营权纠纷", "land_rights", "street",
        attributes=_LAND_RIGHTS_ATTRS,
        description="农村土地承包、流转引发的纠纷;可对接农村土地承包仲裁。" + _LAND_RIGHTS_DESC,
        keywords=("承包地", "土地流转", "承包经营权", "确权"),
        max_extensions=2,
        max_extension_days=60,
    ),
    _dispute(
        "010602", "宅基地纠纷", "land_rights", "street",
        attributes=_LAND_RIGHTS_ATTRS,
        description="宅基地使用权、界址引发的纠纷。" + _LAND_RIGHTS_DESC,
        keywords=("宅基地", "界址", "建房", "地界"),
        max_extensions=2,
        max_extension_days=60,
    ),
    _dispute(
        "010603", "山林权属纠纷", "land_rights", "street",
        attributes=_LAND_RIGHTS_ATTRS,
        description="林地、林木所有权和使用权纠纷。" + _LAND_RIGHTS_DESC,
        keywords=("山林", "林权", "林地", "林木"),
        max_extensions=2,
        max_extension_days=60,
    ),
    _dispute(
        "010604", "水利权属纠纷", "land_rights", "street",
        attributes=_LAND_RIGHTS_ATTRS,
        description="用水、灌溉、排水及水利设施权属纠纷。" + _LAND_RIGHTS_DESC,
        keywords=("用水", "灌溉", "排水", "水渠", "水塘", "水利设施"),
        max_extensions=2,
        max_extension_days=60,
    ),
    # 物业 ----------------------------------------------------------------------------------
    _dispute(
        "0107", "物业纠纷", "property_management", "community",
        attributes=_attrs(
            _string("estate_name", "小区名称", required=True),
            _multi("issue", "问题类型", (
                ("fees", "收费"), ("repair", "维修"), ("security", "安保"),
                ("greening", "绿化"), ("parking", "停车"), ("other", "其他"),
            ), required=True),
            _string("property_company", "物业服务企业"),
        ),
        description="业主与物业服务企业、业主委员会之间的纠纷,由社区牵头物业纠纷调解。",
        keywords=("物业", "物业费", "业委会", "停车", "维修基金", "小区"),
    ),
    # 交通事故 ------------------------------------------------------------------------------
    _dispute(
        "0108", "交通事故纠纷", "traffic_accident", "county",
        sla=_sla(DISPUTE_SLA, handle=_cd(10)),
        attributes=_TRAFFIC_ATTRS,
        description=(
            "道路交通事故损害赔偿纠纷,由区交通事故人民调解委员会(驻交警大队)调解,公调对接。"
            "公安交管调解期限为10日(道路交通事故处理程序规定),"
            "自损失确定时起算:死亡自丧葬事宜结束、受伤自治疗终结、致残自定残、财产损失自确定"
            "损失之日;损失确定前应缓办。"
        ),
        keywords=("交通事故", "车祸", "撞车", "理赔", "赔偿", "交警"),
        max_extension_days=10,
    ),
    # 消费 ----------------------------------------------------------------------------------
    _dispute(
        "0109", "消费纠纷", "consumer", "street",
        attributes=_attrs(
            _string("business", "经营者名称", required=True),
            _single("consumption_type", "消费类型", (
                ("goods", "商品"), ("service", "服务"), ("prepaid", "预付卡"),
                ("online", "网络购物"), ("other", "其他"),
            ), required=True),
            _number("amount", "涉及金额(元)"),
        ),
        description=(
            "消费者与经营者之间的纠纷,由市场监管所、消费纠纷调解组织调解。"
            "向市场监管部门投诉的,7个工作日内决定是否受理,受理后45个工作日内未达成调解协议的"
            "终止调解(市场监督管理投诉举报处理暂行办法第十四条、第二十一条);本平台按一个月办理。"
        ),
        keywords=("消费", "退款", "退货", "预付卡", "商家", "假货", "网购"),
    ),
    # 环保 ----------------------------------------------------------------------------------
    _dispute(
        "0110", "环保纠纷", "environment", "street",
        attributes=_attrs(
            _multi("pollution_type", "污染类型", (
                ("air", "大气(废气、油烟、异味)"), ("water", "水"), ("noise", "噪声"),
                ("solid_waste", "固体废物"), ("soil", "土壤"), ("radiation", "辐射"),
                ("other", "其他"),
            ), required=True),
            _string("source", "污染源单位"),
        ),
        description=(
            "因环境污染引发的损害赔偿等纠纷,镇/街道调处,生态环境部门协助查明污染;"
            "单纯的噪声扰民等投诉请归入民生服务。"
        ),
        keywords=("污染", "环保", "废气", "废水", "异味", "油烟", "排污"),
    ),
    # 教育 ----------------------------------------------------------------------------------
    _dispute(
        "0111", "教育纠纷", "education", "street",
        attributes=_attrs(
            _string("school", "学校/机构名称", required=True),
            _single("issue", "纠纷类型", (
                ("student_injury", "学生伤害事故"), ("fees", "收费"), ("enrolment", "招生入学"),
                ("teacher_student", "师生矛盾"), ("bullying", "校园欺凌"),
                ("training", "校外培训退费"), ("other", "其他"),
            ), required=True),
        ),
        description=(
            "学校、校外培训机构与学生、家长之间的纠纷,镇/街道调处;公办学校由区教育部门主管,"
            "调处不成的上报区级。"
        ),
        keywords=("学校", "学生", "家长", "校园", "培训", "退费", "欺凌"),
    ),
    # 村务 ----------------------------------------------------------------------------------
    _dispute(
        "0112", "村务纠纷", "village_affairs", "street",
        attributes=_attrs(
            _single("issue", "涉及事项", (
                ("openness", "村务公开"), ("collective_assets", "集体资产"),
                ("income_distribution", "集体收益分配"), ("election", "选举"),
                ("compensation_distribution", "征地补偿分配"), ("other", "其他"),
            ), required=True),
        ),
        description=(
            "村(居)民与村(居)委会之间因村务引发的纠纷。一方是村委会本身,不宜由其自行调处,"
            "由乡镇人民政府/街道办事处处理(村民委员会组织法第三十六条)。"
        ),
        keywords=("村务", "村委会", "集体资产", "分红", "村务公开", "换届"),
    ),
    # 干部作风 ------------------------------------------------------------------------------
    _dispute(
        "0113", "干部作风问题", "conduct", "county",
        attributes=_attrs(
            _string("unit", "被反映单位", required=True),
            _single("issue", "问题类型", (
                ("inaction", "不作为、慢作为"), ("buck_passing", "推诿扯皮"),
                ("attitude", "态度生硬、粗暴"), ("petty_corruption", "吃拿卡要"),
                ("other", "其他"),
            ), required=True),
        ),
        description=(
            "群众对基层干部、工作人员作风的意见和投诉。被反映的往往是镇、村本级,"
            "由区级(纪检监察、组织部门、效能办)受理,避免自己查自己。"
        ),
        keywords=("干部", "作风", "不作为", "推诿", "态度", "吃拿卡要"),
    ),
    # 涉外 ----------------------------------------------------------------------------------
    _dispute(
        "0114", "涉外纠纷", "foreign", "county",
        attributes=_attrs(
            _string("nationality", "外籍当事人国籍或地区", required=True),
            _single("interpreter_needed", "是否需要翻译", YES_NO),
            _single("issue", "纠纷类型", (
                ("labour", "劳动用工"), ("commercial", "商事"), ("marriage", "婚姻家庭"),
                ("housing", "租房"), ("other", "其他"),
            )),
        ),
        description="一方当事人为外国人或港澳台居民的纠纷,由区级统筹,外事、公安出入境等部门协助。",
        keywords=("外籍", "外国人", "涉外", "港澳台", "翻译"),
    ),
    # 其他 ----------------------------------------------------------------------------------
    _dispute(
        "0199", "其他纠纷", "general", "community",
        description="不属于以上类型的纠纷,由村(居)调委会先行调处。",
        keywords=("其他", "纠纷"),
    ),
)

# --------------------------------------------------------------------------------------------
# 02 民生服务 — 数字城管 practice: short working-day limits, urgent items in calendar days.

SERVICE_SLA = {
    "accept": _wd(1),
    "dispatch": _wd(1),
    "handle": _wd(5),
    "verify": _wd(2),
    "follow_up": _wd(3),
    "handoff_receipt": _wd(2),
}
_SERVICE_URGENT_SLA = _sla(SERVICE_SLA, accept=_cd(1), dispatch=_cd(1), handle=_cd(1))


def _service(
    code: str,
    name: str,
    *,
    level: Level = "community",
    sla: dict[str, SLA] = SERVICE_SLA,
    attributes: tuple[Attribute, ...] = (),
    description: str = "",
    keywords: tuple[str, ...] = (),
    max_extensions: int = 1,
    max_extension_days: int = 10,
) -> CategorySpec:
    return CategorySpec(
        code=code, name=name, kind="service", level=level, specialty="public_service",
        sla=dict(sla), attributes=attributes, description=description, keywords=keywords,
        max_extensions=max_extensions, max_extension_days=max_extension_days,
    )


SERVICES: tuple[CategorySpec, ...] = (
    _service(
        "02", "民生服务",
        description="群众身边的城市管理和民生服务诉求,按数字城管做法限时办理。",
        keywords=("民生", "服务", "诉求", "城管"),
    ),
    _service(
        "0201", "市政设施",
        attributes=_attrs(_single("facility", "设施类型", (
            ("manhole", "井盖"), ("road", "道路"), ("drainage", "排水设施"),
            ("bridge", "桥梁"), ("other", "其他"),
        ), required=True)),
        description="道路、井盖、排水、桥梁等市政设施的损坏与维护。",
        keywords=("市政", "井盖", "道路", "下水道", "排水"),
    ),
    _service(
        "020101", "井盖缺失破损",
        sla=_SERVICE_URGENT_SLA,
        attributes=_attrs(
            _single("condition", "井盖状况", (
                ("missing", "缺失"), ("broken", "破损"), ("displaced", "移位、松动"),
            ), required=True),
            _single("owner", "井盖标识", (
                ("rain", "雨水"), ("sewage", "污水"), ("power", "电力"), ("telecom", "通信"),
                ("gas", "燃气"), ("water", "供水"), ("unknown", "不明"),
            )),
        ),
        description="井盖缺失、破损随时可能伤人,当日先行围挡警示,1日内修复,节假日不停。",
        keywords=("井盖", "窨井", "下水道盖"),
        max_extension_days=3,
    ),
    _service(
        "020102", "道路破损",
        attributes=_attrs(_single("condition", "破损情况", (
            ("pothole", "坑槽"), ("crack", "裂缝"), ("subsidence", "沉陷"),
            ("pavement", "人行道板松动破损"), ("other", "其他"),
        ))),
        description="车行道、人行道破损;出现塌陷有安全危险的请报安全隐患。",
        keywords=("路面", "坑洼", "人行道", "道路破损"),
    ),
    _service(
        "020103", "排水设施堵塞",
        sla=_sla(SERVICE_SLA, handle=_wd(2)),
        attributes=_attrs(_single("condition", "问题", (
            ("blocked", "堵塞"), ("overflow", "污水外溢"), ("waterlogging", "路面积水"),
            ("other", "其他"),
        ))),
        description="雨污水管道、窨井堵塞、外溢和积水。",
        keywords=("下水道", "堵塞", "积水", "污水", "冒水"),
    ),
    _service(
        "0202", "环境卫生",
        sla=_sla(SERVICE_SLA, handle=_wd(2)),
        attributes=_attrs(_single("issue", "问题类型", (
            ("exposed_garbage", "暴露垃圾"), ("overflowing_bins", "垃圾桶满溢"),
            ("construction_waste", "乱倒建筑垃圾"), ("public_toilet", "公厕"),
            ("dead_animal", "动物尸体"), ("other", "其他"),
        ), required=True)),
        description="垃圾、公厕、保洁等环境卫生问题。",
        keywords=("垃圾", "卫生", "保洁", "公厕", "脏乱"),
    ),
    _service(
        "0203", "供水供电供气",
        sla=_sla(SERVICE_SLA, accept=_cd(1), dispatch=_cd(1), handle=_cd(2)),
        attributes=_attrs(
            _single("utility", "类别", (
                ("water", "供水"), ("power", "供电"), ("gas", "供气"), ("heating", "供暖"),
            ), required=True),
            _single("issue", "问题", (
                ("outage", "停供"), ("pressure", "水压、电压不稳"), ("quality", "水质"),
                ("billing", "计量收费"), ("facility", "设施损坏"), ("other", "其他"),
            ), required=True),
        ),
        description=(
            "水、电、气、暖的停供和服务问题,交公用事业单位处理,节假日不停。"
            "燃气泄漏等紧急情况请立即拨打报警电话并报突发事件。"
        ),
        keywords=("停水", "停电", "停气", "水压", "水质", "供暖", "电费"),
        max_extension_days=5,
    ),
    _service(
        "0204", "噪声扰民",
        sla=_sla(SERVICE_SLA, handle=_wd(2)),
        attributes=_attrs(
            _single("source", "噪声来源", (
                ("construction", "建筑施工"), ("business", "商业经营"), ("social", "社会生活"),
                ("traffic", "交通运输"), ("industrial", "工业生产"),
            ), required=True),
            _single("period", "发生时段", (("day", "白天"), ("night", "夜间(22时至次日6时)"))),
        ),
        description="施工、经营、娱乐等噪声扰民投诉;邻居之间因噪音引起的纠纷请归入邻里纠纷。",
        keywords=("噪音", "噪声", "扰民", "夜间施工", "广场舞"),
    ),
    _service(
        "0205", "违章搭建",
        level="street",
        attributes=_attrs(
            _single("under_construction", "是否正在施工", YES_NO, required=True),
            _single("structure", "搭建类型", (
                ("extra_storey", "加层"), ("yard", "院落搭建"), ("rooftop", "屋顶搭建"),
                ("shopfront", "商铺外扩"), ("other", "其他"),
            )),
        ),
        description=(
            "违法建设的发现与处置。社区发现劝阻,查处属街道综合行政执法,故默认由街道办理;"
            "正在施工的应当日制止。"
        ),
        keywords=("违建", "违章搭建", "私搭乱建", "加层", "违法建设"),
        max_extension_days=20,
    ),
    _service(
        "0206", "公共照明",
        sla=_sla(SERVICE_SLA, handle=_wd(2)),
        attributes=_attrs(_single("issue", "问题", (
            ("off", "不亮"), ("always_on", "白天常亮"), ("damaged", "灯杆灯具损坏"),
            ("fallen", "灯杆倾倒"), ("other", "其他"),
        ), required=True)),
        description="路灯、景观灯等公共照明设施故障。",
        keywords=("路灯", "照明", "灯不亮"),
    ),
    _service(
        "0207", "道路交通设施",
        sla=_sla(SERVICE_SLA, handle=_wd(2)),
        attributes=_attrs(_single("facility", "设施类型", (
            ("signal", "信号灯"), ("sign", "标志标牌"), ("marking", "标线"),
            ("guardrail", "护栏、隔离设施"), ("speed_bump", "减速带"), ("other", "其他"),
        ), required=True)),
        description="交通信号灯、标志标线、护栏等交通设施损坏缺失。",
        keywords=("红绿灯", "信号灯", "标线", "护栏", "交通标志"),
    ),
    _service(
        "0208", "社会救助",
        sla=_sla(SERVICE_SLA, handle=_wd(10)),
        attributes=_attrs(
            _single("assistance_type", "救助类型", (
                ("minimum_living", "最低生活保障"), ("extreme_poverty", "特困人员供养"),
                ("temporary", "临时救助"), ("medical", "医疗救助"),
                ("education", "教育救助"), ("housing", "住房救助"), ("other", "其他"),
            ), required=True),
            _single("urgent", "是否急难情形", YES_NO, required=True),
        ),
        description=(
            "群众求助与社会救助申请的代办、转介。社区帮助提出申请,审核确认由镇/街道和民政部门"
            "办理;急难情形先行救助、事后补办手续。"
        ),
        keywords=("低保", "救助", "困难", "特困", "临时救助", "求助"),
    ),
    _service(
        "0209", "养老服务",
        attributes=_attrs(
            _multi("needs", "服务需求", (
                ("meals", "助餐"), ("bathing", "助浴"), ("medical", "助医"),
                ("visits", "上门探访"), ("home_adaptation", "居家适老化改造"),
                ("other", "其他"),
            ), required=True),
            _single("living_alone", "是否独居", YES_NO),
        ),
        description="老年人居家社区养老服务需求,由社区对接养老服务站点。",
        keywords=("养老", "老人", "助餐", "独居", "居家养老"),
    ),
    _service(
        "0210", "园林绿化",
        attributes=_attrs(_single("issue", "问题", (
            ("fallen_tree", "树木倒伏、断枝"), ("obstruction", "枝叶遮挡"),
            ("damaged_green", "绿地损毁"), ("pests", "病虫害"), ("other", "其他"),
        ), required=True)),
        description="行道树、公共绿地的养护问题;树木倒伏阻断道路的按安全隐患处置。",
        keywords=("树木", "绿化", "修剪", "草坪", "倒树"),
    ),
    _service(
        "0211", "市容秩序",
        level="street",
        sla=_sla(SERVICE_SLA, handle=_wd(2)),
        attributes=_attrs(_single("issue", "问题", (
            ("street_vending", "占道经营"), ("flyposting", "乱张贴、乱涂写"),
            ("clutter", "乱堆物"), ("parking", "乱停放"), ("billboard", "户外广告"),
            ("other", "其他"),
        ), required=True)),
        description="占道经营、乱张贴、乱堆放等市容问题,由街道综合行政执法处置。",
        keywords=("占道", "摆摊", "小广告", "乱停", "市容"),
    ),
    _service(
        "0299", "其他民生服务",
        description="不属于以上类型的民生服务诉求。",
        keywords=("其他", "求助", "建议"),
    ),
)

# --------------------------------------------------------------------------------------------
# 03 安全隐患 — found on patrol (网格化安全监管); rectified within 1–3 working days, or
# immediately where danger is imminent.

HAZARD_SLA = {
    "accept": _wd(1),
    "dispatch": _wd(1),
    "handle": _wd(3),
    "verify": _wd(1),
    "follow_up": _wd(3),
    "handoff_receipt": _wd(1),
}
_HAZARD_URGENT_SLA = _sla(
    HAZARD_SLA,
    accept=_cd(1), dispatch=_cd(1), handle=_cd(1), verify=_cd(1), handoff_receipt=_cd(1),
)

_HAZARD_GRADE = _single("hazard_grade", "隐患等级", (
    ("general", "一般"), ("relatively_major", "较大"), ("major", "重大"),
), required=True)
_FOOD_BUSINESS = _string("business", "经营者名称", required=True)
_FOOD_PREMISES = _single("premises", "场所类型", (
    ("restaurant", "餐饮店"), ("workshop", "食品小作坊"), ("stall", "食品摊贩"),
    ("shop", "超市、商店"), ("canteen", "学校、单位食堂"), ("other", "其他"),
))
_FOOD_ATTRS = _attrs(_HAZARD_GRADE, _FOOD_BUSINESS, _FOOD_PREMISES)
_FOOD_DESC = (
    "网格巡查中发现的食品安全隐患,由市场监管所处置(食品安全网格化监管)。"
    "造成食物中毒等健康损害的请报突发事件(公共卫生事件)。"
)
_FIRE_ATTRS = _attrs(_HAZARD_GRADE)


def _hazard(
    code: str,
    name: str,
    level: Level,
    *,
    sla: dict[str, SLA] = HAZARD_SLA,
    attributes: tuple[Attribute, ...] = (),
    description: str = "",
    keywords: tuple[str, ...] = (),
    max_extensions: int = 1,
    max_extension_days: int = 20,
) -> CategorySpec:
    return CategorySpec(
        code=code, name=name, kind="hazard", level=level, specialty="safety_hazard",
        sla=dict(sla), attributes=attributes or _attrs(_HAZARD_GRADE), description=description,
        keywords=keywords, max_extensions=max_extensions, max_extension_days=max_extension_days,
    )


HAZARDS: tuple[CategorySpec, ...] = (
    _hazard(
        "03", "安全隐患", "street",
        description=(
            "网格巡查和群众报告的安全隐患。社区发现、劝导,整改执法由街道及其派驻站所和区级"
            "部门负责,故默认街道办理。重大隐患整改周期长的,经批准挂账督办。"
        ),
        keywords=("隐患", "安全", "危险", "整改"),
    ),
    # 消防 ----------------------------------------------------------------------------------
    _hazard(
        "0301", "消防安全", "street",
        attributes=_FIRE_ATTRS,
        description="消防通道、楼道堆物、消防设施等火灾隐患。",
        keywords=("消防", "火灾", "灭火器", "消防栓"),
    ),
    _hazard(
        "030101", "消防通道堵塞占用", "street",
        sla=_HAZARD_URGENT_SLA,
        attributes=_FIRE_ATTRS,
        description="占用、堵塞、封闭消防车通道和疏散通道、安全出口,当日清除。",
        keywords=("消防通道", "生命通道", "安全出口", "占道停车"),
        max_extension_days=3,
    ),
    _hazard(
        "030102", "楼道堆放杂物", "community",
        attributes=_FIRE_ATTRS,
        description="楼道、公共部位堆放杂物,社区督促清理。",
        keywords=("楼道", "堆物", "杂物", "公共走廊"),
        max_extension_days=5,
    ),
    _hazard(
        "030103", "消防设施缺失损坏", "street",
        attributes=_FIRE_ATTRS,
        description="灭火器、消火栓、应急照明、疏散指示等缺失、损坏或过期。",
        keywords=("灭火器", "消火栓", "应急照明", "疏散指示"),
    ),
    # 燃气 ----------------------------------------------------------------------------------
    _hazard(
        "0302", "燃气安全", "street",
        sla=_HAZARD_URGENT_SLA,
        attributes=_attrs(
            _HAZARD_GRADE,
            _single("premises", "场所类型", (
                ("home", "居民住宅"), ("restaurant", "餐饮场所"),
                ("other_business", "其他经营场所"),
            ), required=True),
            _multi("findings", "隐患情形", (
                ("old_hose", "软管老化、超长"), ("no_flame_failure", "灶具无熄火保护"),
                ("illegal_alteration", "私接改装管道"),
                ("cylinder_storage", "瓶装气违规存放使用"),
                ("no_alarm", "未装燃气报警器"), ("other", "其他"),
            )),
        ),
        description=(
            "燃气使用隐患,1日内督促燃气企业和使用者整改,节假日不停。"
            "正在泄漏的请立即撤离报警,并报突发事件(事故灾难)。"
        ),
        keywords=("燃气", "煤气", "液化气", "天然气", "软管", "钢瓶"),
        max_extension_days=7,
    ),
    # 食品安全 ------------------------------------------------------------------------------
    _hazard(
        "0303", "食品安全", "street",
        attributes=_FOOD_ATTRS,
        description=_FOOD_DESC,
        keywords=("食品", "食品安全", "餐饮", "卫生", "无证", "过期"),
    ),
    _hazard(
        "030301", "无证经营", "street",
        attributes=_FOOD_ATTRS,
        description="未取得食品经营许可或小作坊、摊贩未登记备案从事食品生产经营。" + _FOOD_DESC,
        keywords=("无证", "无照", "无证经营", "黑作坊", "流动摊贩"),
    ),
    _hazard(
        "030302", "过期变质食品", "street",
        sla=_sla(HAZARD_SLA, handle=_wd(1)),
        attributes=_attrs(
            _HAZARD_GRADE, _FOOD_BUSINESS, _FOOD_PREMISES,
            _string("product", "食品名称"),
        ),
        description="销售、使用超过保质期或腐败变质的食品,1个工作日内下架封存。" + _FOOD_DESC,
        keywords=("过期", "变质", "过期食品", "发霉", "保质期"),
        max_extension_days=3,
    ),
    _hazard(
        "030303", "食品加工卫生", "street",
        attributes=_FOOD_ATTRS,
        description="后厨、加工场所卫生条件差,生熟不分,从业人员无健康证等。" + _FOOD_DESC,
        keywords=("后厨", "卫生", "健康证", "加工", "苍蝇", "老鼠"),
    ),
    # 危房 ----------------------------------------------------------------------------------
    _hazard(
        "0304", "危房", "street",
        attributes=_attrs(
            _HAZARD_GRADE,
            _single("occupied", "是否有人居住或使用", YES_NO, required=True),
            _multi("signs", "危险迹象", (
                ("wall_cracks", "墙体开裂"), ("settlement", "地基沉降"),
                ("roof", "屋面漏损、塌落"), ("tilt", "结构倾斜"),
                ("load_bearing_altered", "私自拆改承重结构"), ("other", "其他"),
            )),
        ),
        description="房屋结构安全隐患;有人居住的危房应先行撤离人员,由街道会同住建部门鉴定处置。",
        keywords=("危房", "房屋开裂", "倒塌", "房屋安全", "自建房"),
    ),
    # 道路安全 ------------------------------------------------------------------------------
    _hazard(
        "0305", "道路安全", "county",
        attributes=_attrs(
            _HAZARD_GRADE,
            _single("findings", "隐患情形", (
                ("collapse", "路面塌陷、大坑"), ("no_guardrail", "临水临崖缺护栏"),
                ("sight_line", "视线遮挡"), ("black_spot", "事故多发点段"),
                ("obstacle", "路面障碍物"), ("other", "其他"),
            ), required=True),
        ),
        description="可能引发交通事故的道路隐患,由区交警、交通运输部门处置。",
        keywords=("道路", "塌陷", "护栏", "事故多发", "急弯", "交通安全"),
    ),
    # 电动车 --------------------------------------------------------------------------------
    _hazard(
        "0306", "电动车违规充电", "community",
        sla=_sla(HAZARD_SLA, handle=_wd(1)),
        attributes=_attrs(
            _HAZARD_GRADE,
            _single("findings", "违规情形", (
                ("hallway", "楼道、安全出口停放充电"), ("indoor", "入户充电"),
                ("flying_lead", "飞线充电"), ("battery_modified", "私自改装电池"),
                ("other", "其他"),
            ), required=True),
        ),
        description="电动自行车违规停放充电,社区当日劝导,1个工作日内清理。",
        keywords=("电动车", "电瓶车", "飞线充电", "充电", "楼道充电"),
        max_extension_days=3,
    ),
    # 安全生产 ------------------------------------------------------------------------------
    _hazard(
        "0307", "安全生产", "street",
        attributes=_attrs(
            _HAZARD_GRADE,
            _string("business", "企业名称", required=True),
            _single("sector", "行业", (
                ("industry_trade", "工贸企业"), ("construction", "建筑施工"),
                ("warehouse", "仓储物流"), ("small_workshop", "小作坊、小加工点"),
                ("crowded_place", "人员密集场所"), ("other", "其他"),
            )),
        ),
        description="生产经营单位的安全生产隐患(安全生产网格化监管),由街道安监部门督促整改。",
        keywords=("安全生产", "企业", "工地", "作坊", "违规作业"),
    ),
    _hazard(
        "0308", "特种设备", "street",
        sla=_sla(HAZARD_SLA, handle=_wd(2)),
        attributes=_attrs(
            _HAZARD_GRADE,
            _single("equipment", "设备类型", (
                ("elevator", "电梯"), ("boiler", "锅炉"), ("pressure_vessel", "压力容器、气瓶"),
                ("crane", "起重机械"), ("amusement", "大型游乐设施"), ("other", "其他"),
            ), required=True),
        ),
        description="电梯等特种设备的安全隐患,由市场监管所督促使用单位整改;电梯困人请报警。",
        keywords=("电梯", "锅炉", "起重机", "特种设备", "游乐设施"),
    ),
    _hazard(
        "0309", "危险化学品", "county",
        sla=_HAZARD_URGENT_SLA,
        attributes=_attrs(
            _HAZARD_GRADE,
            _string("business", "单位名称"),
        ),
        description="危险化学品违规储存、使用、运输隐患,由区应急管理部门处置,节假日不停。",
        keywords=("危化品", "化学品", "易燃易爆", "油罐", "储存"),
        max_extension_days=7,
    ),
    _hazard(
        "0310", "自然灾害隐患", "street",
        sla=_sla(HAZARD_SLA, handle=_wd(1)),
        attributes=_attrs(
            _HAZARD_GRADE,
            _single("hazard_type", "隐患类型", (
                ("landslide", "滑坡、崩塌"), ("flooding", "内涝、积水点"),
                ("embankment", "堤防、河道险情"), ("wind", "高空坠物、广告牌不牢"),
                ("other", "其他"),
            ), required=True),
        ),
        description="地质灾害隐患点、防汛薄弱点等巡查发现的灾害隐患;已发生灾害的请报突发事件。",
        keywords=("滑坡", "积水", "防汛", "河道", "地质灾害", "高空坠物"),
    ),
    _hazard(
        "0399", "其他安全隐患", "street",
        description="不属于以上类型的安全隐患。",
        keywords=("其他", "隐患"),
    ),
)

# --------------------------------------------------------------------------------------------
# 04 突发事件 — 突发事件应对法: four categories, four grades; hours matter, weekends do not.

EMERGENCY_SLA = {
    "accept": _cd(1),
    "dispatch": _cd(1),
    "handle": _cd(3),
    "verify": _cd(1),
    "follow_up": _cd(7),
    "handoff_receipt": _cd(1),
}

EMERGENCY_GRADES = (
    ("especially_major", "特别重大"),
    ("major", "重大"),
    ("relatively_major", "较大"),
    ("general", "一般"),
)
_EVENT_GRADE = _single("event_grade", "事件等级", EMERGENCY_GRADES, required=True)
_CASUALTIES = _number("casualties", "伤亡人数")
_OCCURRED_AT = _datetime("occurred_at", "发生时间", required=True)

_EMERGENCY_DESC = (
    "突发事件分为自然灾害、事故灾难、公共卫生事件、社会安全事件;自然灾害、事故灾难、公共卫生"
    "事件按社会危害程度和影响范围分为特别重大、重大、较大、一般四级(突发事件应对法第三条),"
    "社会安全事件参照国家突发公共事件总体应急预案同样分四级。信息报告以小时计,按应急预案执行,"
    "不在本表期限内;本表期限为处置、核查、回访的跟踪期限,按自然日计。"
)


def _emergency(
    code: str,
    name: str,
    *,
    extra: tuple[Attribute, ...] = (),
    description: str = "",
    keywords: tuple[str, ...] = (),
) -> CategorySpec:
    return CategorySpec(
        code=code, name=name, kind="emergency", level="county", specialty="emergency",
        sla=dict(EMERGENCY_SLA), attributes=_attrs(_EVENT_GRADE, _OCCURRED_AT, _CASUALTIES, *extra),
        description=description, keywords=keywords, max_extensions=2, max_extension_days=14,
    )


EMERGENCIES: tuple[CategorySpec, ...] = (
    _emergency(
        "04", "突发事件",
        description="突然发生、需要采取应急处置措施的事件,由区应急指挥中心统一指挥。"
        + _EMERGENCY_DESC,
        keywords=("突发", "应急", "事故", "灾害"),
    ),
    _emergency(
        "0401", "自然灾害",
        extra=(_single("disaster_type", "灾害类型", (
            ("flood", "洪涝"), ("typhoon", "台风"), ("earthquake", "地震"),
            ("geological", "地质灾害"), ("meteorological", "其他气象灾害"),
            ("forest_fire", "森林火灾"), ("other", "其他"),
        ), required=True),),
        description="水旱、气象、地震、地质、海洋、生物灾害和森林草原火灾等。" + _EMERGENCY_DESC,
        keywords=("洪水", "内涝", "台风", "地震", "滑坡", "泥石流", "暴雨", "山火"),
    ),
    _emergency(
        "0402", "事故灾难",
        extra=(_single("accident_type", "事故类型", (
            ("fire", "火灾"), ("production", "生产安全事故"), ("traffic", "交通运输事故"),
            ("gas_explosion", "燃气泄漏、爆炸"), ("building_collapse", "建筑坍塌"),
            ("pollution", "环境污染和生态破坏"), ("utility", "公共设施和设备事故"),
            ("other", "其他"),
        ), required=True),),
        description="安全生产事故、交通运输事故、公共设施和设备事故、环境污染和生态破坏事件等。"
        + _EMERGENCY_DESC,
        keywords=("火灾", "爆炸", "坍塌", "泄漏", "事故"),
    ),
    _emergency(
        "0403", "公共卫生事件",
        extra=(_single("health_event_type", "事件类型", (
            ("epidemic", "传染病疫情"), ("unexplained_illness", "群体性不明原因疾病"),
            ("food_poisoning", "食物中毒"), ("occupational_poisoning", "职业中毒"),
            ("animal_epidemic", "动物疫情"), ("other", "其他"),
        ), required=True),),
        description="传染病疫情、群体性不明原因疾病、食品安全和职业危害、动物疫情等。"
        + _EMERGENCY_DESC,
        keywords=("疫情", "传染病", "食物中毒", "中毒", "发热"),
    ),
    _emergency(
        "0404", "社会安全事件",
        extra=(_single("security_event_type", "事件类型", (
            ("mass_incident", "群体性事件"), ("major_crime", "重大刑事案件"),
            ("terrorism", "恐怖袭击事件"), ("foreign_related", "涉外突发事件"),
            ("economic_security", "经济安全事件"), ("other", "其他"),
        ), required=True),),
        description="群体性事件、重大刑事案件、恐怖袭击事件、涉外突发事件、经济安全事件等,"
        "公安机关牵头处置。" + _EMERGENCY_DESC,
        keywords=("群体性事件", "刑事案件", "恐怖袭击", "聚集", "治安"),
    ),
)

# --------------------------------------------------------------------------------------------
# 05 信访 — statutory limits of 信访工作条例 (2022).

PETITION_SLA = {
    "accept": _cd(15),  # Art. 22 (转送、交办) / Art. 23 (告知是否受理)
    "dispatch": _wd(3),  # practice: assign the accepted matter to a handler
    "handle": _cd(60),  # Art. 34
    "verify": _wd(5),  # practice
    "follow_up": _wd(10),  # practice; inside the 30-day window for requesting 复查 (Art. 35)
    "handoff_receipt": _wd(5),  # Art. 23: object to a mis-assignment within 5 working days
}

_PETITION_LAW = (
    "期限依据信访工作条例(2022):信访部门收到信访事项后15日内转送、交办(第二十二条);"
    "有权处理的机关收到后15日内告知信访人是否受理,认为不属于本机关处理的应在5个工作日内"
    "提出异议(第二十三条);自受理之日起60日内办结,情况复杂的经负责人批准可延长,延长不超过"
    "30日并告知信访人理由(第三十四条)。不服处理意见的,可自收到之日起30日内请求复查,"
    "复查机关30日内作出意见(第三十五条);不服复查意见的,可在30日内请求复核,复核机关30日内"
    "作出意见(第三十六条)。复查、复核是另行启动的程序,不是本事件的阶段。"
    "信访按服务办理:解决所反映的事项,不对信访人本人进行跟踪。"
)

_FIRST_TIME = _single("first_time", "是否初信初访", (
    ("first", "初次信访"), ("repeat", "重复信访"),
), required=True)


def _petition(
    code: str,
    name: str,
    *,
    attributes: tuple[Attribute, ...] = (),
    description: str = "",
    keywords: tuple[str, ...] = (),
) -> CategorySpec:
    return CategorySpec(
        code=code, name=name, kind="petition", level="county", specialty="petition",
        sla=dict(PETITION_SLA), attributes=attributes or _attrs(_FIRST_TIME),
        description=description + _PETITION_LAW, keywords=keywords,
        max_extensions=1, max_extension_days=30,
    )


PETITIONS: tuple[CategorySpec, ...] = (
    _petition(
        "05", "信访",
        description="群众通过来信、来访、网上信访等形式反映情况、提出建议意见或投诉请求。",
        keywords=("信访", "上访", "来信", "来访", "投诉"),
    ),
    _petition(
        "0501", "申诉求决类",
        attributes=_attrs(
            _FIRST_TIME,
            _single("legal_channel", "是否已进入或应当通过法定途径解决", (
                ("no", "否"), ("litigation", "诉讼"), ("arbitration", "仲裁"),
                ("administrative_review", "行政复议"), ("final_judgment", "已有生效裁判"),
            )),
        ),
        description=(
            "要求解决具体问题、维护自身权益的信访事项。应当通过诉讼、仲裁、行政复议等法定途径"
            "解决的,导入相应程序(诉访分离)。"
        ),
        keywords=("诉求", "求决", "权益", "补偿", "待遇", "申诉"),
    ),
    _petition(
        "0502", "建议意见类",
        description="对国家机关工作和公共事务提出的建议、意见,有权处理的机关研究论证后予以回复。",
        keywords=("建议", "意见", "献策", "政策"),
    ),
    _petition(
        "0503", "检举控告类",
        attributes=_attrs(
            _FIRST_TIME,
            _string("reported_unit", "被检举控告的单位"),
        ),
        description=(
            "检举、控告公职人员或组织违法违纪的信访事项,由纪检监察机关或有权处理的机关依规"
            "依纪依法受理办理;检举控告人的信息严格保密。"
        ),
        keywords=("检举", "控告", "举报", "违纪", "违法"),
    ),
)

# --------------------------------------------------------------------------------------------

CATEGORIES: tuple[CategorySpec, ...] = tuple(
    sorted((*DISPUTES, *SERVICES, *HAZARDS, *EMERGENCIES, *PETITIONS), key=lambda c: c.code)
)

_BY_CODE: dict[str, CategorySpec] = {c.code: c for c in CATEGORIES}


def by_code() -> dict[str, CategorySpec]:
    """The built-in categories keyed by code (a fresh dict; callers may change it)."""
    return dict(_BY_CODE)


def parent_code(code: str) -> str | None:
    """'010301' → '0103', '0103' → '01', '01' → None."""
    if len(code) not in (2, 4, 6) or not (code.isascii() and code.isdigit()):
        raise ValueError(f"not a category code: {code!r}")
    return code[:-2] or None


# --------------------------------------------------------------------------------------------
# English names (ADR 0009): every Chinese label above — category names, attribute questions,
# answer names, specialty names — with its English twin. The loader fills the `*_en` columns
# from this table; administrators edit them afterwards like the Chinese. A test checks that
# every label of the taxonomy has an entry. Descriptions and keywords stay Chinese (they are
# guidance and search words for the Chinese-speaking staff).

ENGLISH: dict[str, str] = {
    # categories
    "矛盾纠纷": "Disputes",
    "婚姻家庭纠纷": "Marriage and family disputes",
    "婚姻纠纷": "Marriage disputes",
    "赡养抚养纠纷": "Support and maintenance disputes",
    "继承纠纷": "Inheritance disputes",
    "家庭暴力": "Domestic violence",
    "邻里纠纷": "Neighbour disputes",
    "劳资纠纷": "Labour disputes",
    "拖欠工资": "Unpaid wages",
    "工伤赔偿": "Work injury compensation",
    "劳动合同": "Employment contracts",
    "医患纠纷": "Medical disputes",
    "征地拆迁纠纷": "Land acquisition and demolition disputes",
    "土地山林水利权属纠纷": "Land, forest and water rights disputes",
    "土地承包经营权纠纷": "Land contract rights disputes",
    "宅基地纠纷": "Homestead disputes",
    "山林权属纠纷": "Forest rights disputes",
    "水利权属纠纷": "Water rights disputes",
    "物业纠纷": "Property management disputes",
    "交通事故纠纷": "Traffic accident disputes",
    "消费纠纷": "Consumer disputes",
    "环保纠纷": "Environmental disputes",
    "教育纠纷": "Education disputes",
    "村务纠纷": "Village affairs disputes",
    "干部作风问题": "Officials' conduct",
    "涉外纠纷": "Disputes involving foreigners",
    "其他纠纷": "Other disputes",
    "民生服务": "Public services",
    "市政设施": "Municipal facilities",
    "井盖缺失破损": "Missing or broken manhole covers",
    "道路破损": "Damaged roads",
    "排水设施堵塞": "Blocked drains",
    "环境卫生": "Sanitation",
    "供水供电供气": "Water, power and gas supply",
    "噪声扰民": "Noise nuisance",
    "违章搭建": "Illegal construction",
    "公共照明": "Street lighting",
    "道路交通设施": "Traffic facilities",
    "社会救助": "Social assistance",
    "养老服务": "Elderly care",
    "园林绿化": "Parks and greenery",
    "市容秩序": "Street order",
    "其他民生服务": "Other public services",
    "安全隐患": "Safety hazards",
    "消防安全": "Fire safety",
    "消防通道堵塞占用": "Blocked fire lanes",
    "楼道堆放杂物": "Clutter in stairwells",
    "消防设施缺失损坏": "Missing or damaged fire equipment",
    "燃气安全": "Gas safety",
    "食品安全": "Food safety",
    "无证经营": "Unlicensed business",
    "过期变质食品": "Expired or spoiled food",
    "食品加工卫生": "Food handling hygiene",
    "危房": "Unsafe buildings",
    "道路安全": "Road safety",
    "电动车违规充电": "Unsafe e-bike charging",
    "安全生产": "Workplace safety",
    "特种设备": "Special equipment",
    "危险化学品": "Hazardous chemicals",
    "自然灾害隐患": "Natural hazard risks",
    "其他安全隐患": "Other safety hazards",
    "突发事件": "Emergencies",
    "自然灾害": "Natural disasters",
    "事故灾难": "Accidents and disasters",
    "公共卫生事件": "Public health incidents",
    "社会安全事件": "Public security incidents",
    "信访": "Petitions",
    "申诉求决类": "Complaints and requests",
    "建议意见类": "Suggestions and opinions",
    "检举控告类": "Reports and accusations",
    # attribute questions
    "纠纷类型": "Type of dispute",
    "是否涉及未成年子女": "Minor children involved?",
    "被赡养/抚养人": "Person to be supported",
    "涉及遗产": "Estate involved",
    "当事人是否面临人身安全危险": "Is a party in physical danger?",
    "是否已报警": "Police called?",
    "纠纷起因": "Cause of the dispute",
    "涉及金额(元)": "Amount involved (yuan)",
    "涉及劳动者人数": "Number of workers involved",
    "用工单位": "Employer",
    "是否涉及农民工": "Migrant workers involved?",
    "是否为工程建设项目": "Construction project?",
    "工伤认定情况": "Work injury recognition",
    "争议事项": "Matter in dispute",
    "医疗机构": "Medical institution",
    "是否已鉴定": "Medical appraisal done?",
    "患者情况": "Patient's condition",
    "索赔金额(元)": "Amount claimed (yuan)",
    "项目名称": "Project name",
    "涉及户数": "Households involved",
    "争议对象": "Object of the dispute",
    "争议面积(亩)": "Area in dispute (mu)",
    "所在村(组)": "Village (group)",
    "是否有权属证书": "Title certificate?",
    "小区名称": "Residential estate",
    "问题类型": "Type of problem",
    "物业服务企业": "Property management company",
    "事故时间": "Time of the accident",
    "是否有人员伤亡": "Casualties?",
    "是否已出具事故认定书": "Accident report issued?",
    "经营者名称": "Business name",
    "消费类型": "Type of purchase",
    "污染类型": "Type of pollution",
    "污染源单位": "Polluter",
    "学校/机构名称": "School or institution",
    "涉及事项": "Matter concerned",
    "被反映单位": "Unit complained about",
    "外籍当事人国籍或地区": "Foreign party's nationality or region",
    "是否需要翻译": "Interpreter needed?",
    "设施类型": "Type of facility",
    "井盖状况": "Cover condition",
    "井盖标识": "Cover marking",
    "破损情况": "Damage",
    "问题": "Problem",
    "类别": "Kind",
    "噪声来源": "Source of the noise",
    "发生时段": "Time of day",
    "是否正在施工": "Work in progress?",
    "搭建类型": "Type of structure",
    "救助类型": "Type of assistance",
    "是否急难情形": "Urgent hardship?",
    "服务需求": "Services needed",
    "是否独居": "Lives alone?",
    "隐患等级": "Hazard grade",
    "场所类型": "Type of premises",
    "隐患情形": "Hazards found",
    "食品名称": "Food product",
    "是否有人居住或使用": "Occupied or in use?",
    "危险迹象": "Signs of danger",
    "违规情形": "Violations found",
    "企业名称": "Company name",
    "行业": "Sector",
    "设备类型": "Type of equipment",
    "单位名称": "Organisation name",
    "隐患类型": "Type of hazard",
    "事件等级": "Incident grade",
    "发生时间": "Time of occurrence",
    "伤亡人数": "Number of casualties",
    "灾害类型": "Type of disaster",
    "事故类型": "Type of accident",
    "事件类型": "Type of incident",
    "是否初信初访": "First petition?",
    "是否已进入或应当通过法定途径解决": "In, or belongs to, a legal procedure?",
    "被检举控告的单位": "Organisation reported",
    # answers
    "婚姻(离婚、彩礼、同居)": "Marriage (divorce, bride price, cohabitation)",
    "赡养、抚养、扶养": "Support of parents, children or spouse",
    "继承": "Inheritance",
    "其他": "Other",
    "是": "Yes",
    "否": "No",
    "老年人": "Elderly person",
    "未成年人": "Minor",
    "残疾人": "Person with a disability",
    "房屋": "House",
    "宅基地": "Homestead",
    "存款": "Savings",
    "噪音": "Noise",
    "漏水": "Water leak",
    "通道": "Passageway",
    "采光": "Daylight",
    "宠物": "Pets",
    "已认定": "Recognised",
    "申请中": "Applied for",
    "未申请": "Not applied for",
    "未签订书面合同": "No written contract",
    "解除、终止合同": "Termination of contract",
    "经济补偿": "Severance pay",
    "社会保险": "Social insurance",
    "加班、休假": "Overtime and leave",
    "未鉴定": "Not appraised",
    "鉴定中": "Appraisal under way",
    "已鉴定": "Appraised",
    "治疗中": "Under treatment",
    "已出院": "Discharged",
    "致残": "Disabled",
    "死亡": "Deceased",
    "补偿标准": "Compensation rates",
    "安置": "Resettlement",
    "评估": "Valuation",
    "拆除行为": "Demolition",
    "补偿款分配": "Sharing of compensation",
    "土地": "Land",
    "山林": "Forest",
    "水利": "Water",
    "有": "Yes",
    "无": "No",
    "证书本身有争议": "The certificate itself is disputed",
    "收费": "Fees",
    "维修": "Repairs",
    "安保": "Security",
    "绿化": "Greenery",
    "停车": "Parking",
    "商品": "Goods",
    "服务": "Services",
    "预付卡": "Prepaid card",
    "网络购物": "Online shopping",
    "大气(废气、油烟、异味)": "Air (fumes, cooking smoke, odour)",
    "水": "Water",
    "噪声": "Noise",
    "固体废物": "Solid waste",
    "土壤": "Soil",
    "辐射": "Radiation",
    "学生伤害事故": "Student injury",
    "招生入学": "Admissions",
    "师生矛盾": "Teacher–student conflict",
    "校园欺凌": "School bullying",
    "校外培训退费": "Tutoring refunds",
    "村务公开": "Openness of village affairs",
    "集体资产": "Collective assets",
    "集体收益分配": "Sharing of collective income",
    "选举": "Elections",
    "征地补偿分配": "Sharing of land compensation",
    "不作为、慢作为": "Inaction or delay",
    "推诿扯皮": "Passing the buck",
    "态度生硬、粗暴": "Rude or harsh manner",
    "吃拿卡要": "Petty corruption",
    "劳动用工": "Employment",
    "商事": "Commercial",
    "婚姻家庭": "Marriage and family",
    "租房": "Renting",
    "井盖": "Manhole cover",
    "道路": "Road",
    "排水设施": "Drainage",
    "桥梁": "Bridge",
    "缺失": "Missing",
    "破损": "Broken",
    "移位、松动": "Displaced or loose",
    "雨水": "Storm water",
    "污水": "Sewage",
    "电力": "Power",
    "通信": "Telecom",
    "燃气": "Gas",
    "供水": "Water supply",
    "不明": "Unknown",
    "坑槽": "Pothole",
    "裂缝": "Cracks",
    "沉陷": "Subsidence",
    "人行道板松动破损": "Loose or broken paving",
    "堵塞": "Blocked",
    "污水外溢": "Sewage overflow",
    "路面积水": "Standing water",
    "暴露垃圾": "Uncollected rubbish",
    "垃圾桶满溢": "Overflowing bins",
    "乱倒建筑垃圾": "Dumped construction waste",
    "公厕": "Public toilets",
    "动物尸体": "Dead animals",
    "供电": "Power supply",
    "供气": "Gas supply",
    "供暖": "Heating",
    "停供": "Outage",
    "水压、电压不稳": "Unstable pressure or voltage",
    "水质": "Water quality",
    "计量收费": "Metering and billing",
    "设施损坏": "Damaged equipment",
    "建筑施工": "Construction",
    "商业经营": "Businesses",
    "社会生活": "Neighbourhood life",
    "交通运输": "Traffic",
    "工业生产": "Industry",
    "白天": "Daytime",
    "夜间(22时至次日6时)": "Night (22:00–06:00)",
    "加层": "Extra storey",
    "院落搭建": "Yard structure",
    "屋顶搭建": "Rooftop structure",
    "商铺外扩": "Shopfront extension",
    "不亮": "Not lit",
    "白天常亮": "Lit in daytime",
    "灯杆灯具损坏": "Damaged pole or lamp",
    "灯杆倾倒": "Fallen pole",
    "信号灯": "Traffic lights",
    "标志标牌": "Signs",
    "标线": "Road markings",
    "护栏、隔离设施": "Guardrails and barriers",
    "减速带": "Speed bumps",
    "最低生活保障": "Minimum living allowance",
    "特困人员供养": "Support for people in extreme poverty",
    "临时救助": "Temporary assistance",
    "医疗救助": "Medical assistance",
    "教育救助": "Education assistance",
    "住房救助": "Housing assistance",
    "助餐": "Meals",
    "助浴": "Bathing",
    "助医": "Medical visits",
    "上门探访": "Home visits",
    "居家适老化改造": "Home adaptation for old age",
    "树木倒伏、断枝": "Fallen trees or branches",
    "枝叶遮挡": "Overgrown branches",
    "绿地损毁": "Damaged green space",
    "病虫害": "Pests and disease",
    "占道经营": "Street vending",
    "乱张贴、乱涂写": "Fly-posting and graffiti",
    "乱堆物": "Dumped items",
    "乱停放": "Illegal parking",
    "户外广告": "Outdoor advertising",
    "一般": "General",
    "较大": "Serious",
    "重大": "Major",
    "居民住宅": "Home",
    "餐饮场所": "Restaurant",
    "其他经营场所": "Other business premises",
    "软管老化、超长": "Old or overlong hose",
    "灶具无熄火保护": "Stove without flame-failure protection",
    "私接改装管道": "Unauthorised pipe changes",
    "瓶装气违规存放使用": "Gas cylinders stored or used unsafely",
    "未装燃气报警器": "No gas alarm",
    "餐饮店": "Restaurant",
    "食品小作坊": "Small food workshop",
    "食品摊贩": "Food stall",
    "超市、商店": "Supermarket or shop",
    "学校、单位食堂": "School or workplace canteen",
    "墙体开裂": "Cracked walls",
    "地基沉降": "Foundation settlement",
    "屋面漏损、塌落": "Leaking or collapsing roof",
    "结构倾斜": "Leaning structure",
    "私自拆改承重结构": "Load-bearing structure altered",
    "路面塌陷、大坑": "Road collapse or large hole",
    "临水临崖缺护栏": "No guardrail by water or cliff",
    "视线遮挡": "Blocked sight lines",
    "事故多发点段": "Accident black spot",
    "路面障碍物": "Obstacle on the road",
    "楼道、安全出口停放充电": "Parked or charging in hallways or exits",
    "入户充电": "Charging indoors",
    "飞线充电": "Charging from trailing cables",
    "私自改装电池": "Modified battery",
    "工贸企业": "Industrial or trading company",
    "仓储物流": "Warehousing and logistics",
    "小作坊、小加工点": "Small workshop",
    "人员密集场所": "Crowded venue",
    "电梯": "Lift",
    "锅炉": "Boiler",
    "压力容器、气瓶": "Pressure vessel or gas cylinder",
    "起重机械": "Crane",
    "大型游乐设施": "Large amusement ride",
    "滑坡、崩塌": "Landslide or rockfall",
    "内涝、积水点": "Flooding spot",
    "堤防、河道险情": "Embankment or river danger",
    "高空坠物、广告牌不牢": "Falling objects or loose billboards",
    "特别重大": "Especially major",
    "洪涝": "Flood",
    "台风": "Typhoon",
    "地震": "Earthquake",
    "地质灾害": "Geological disaster",
    "其他气象灾害": "Other weather disaster",
    "森林火灾": "Forest fire",
    "火灾": "Fire",
    "生产安全事故": "Workplace accident",
    "交通运输事故": "Transport accident",
    "燃气泄漏、爆炸": "Gas leak or explosion",
    "建筑坍塌": "Building collapse",
    "环境污染和生态破坏": "Pollution and ecological damage",
    "公共设施和设备事故": "Public utility accident",
    "传染病疫情": "Infectious disease outbreak",
    "群体性不明原因疾病": "Cluster of unexplained illness",
    "食物中毒": "Food poisoning",
    "职业中毒": "Occupational poisoning",
    "动物疫情": "Animal epidemic",
    "群体性事件": "Mass incident",
    "重大刑事案件": "Major criminal case",
    "恐怖袭击事件": "Terrorist attack",
    "涉外突发事件": "Incident involving foreigners",
    "经济安全事件": "Economic security incident",
    "初次信访": "First petition",
    "重复信访": "Repeat petition",
    "诉讼": "Litigation",
    "仲裁": "Arbitration",
    "行政复议": "Administrative review",
    "已有生效裁判": "Final judgment given",
    # specialties
    "征地拆迁": "Land acquisition and demolition",
    "土地山林水利权属": "Land, forest and water rights",
    "交通事故": "Traffic accidents",
    "环境保护": "Environmental protection",
    "教育": "Education",
    "村务": "Village affairs",
    "干部作风": "Officials' conduct",
    "涉外": "Foreign-related",
    "综合": "General",
}


def english(chinese: str) -> str:
    """The English twin of a Chinese label of this module ("" if it has none)."""
    return ENGLISH.get(chinese, "")
