"""Mapping profiles: how the columns of a file from another system become the registry's
fields (docs/registry.md, "Import").

A column is recognised by its header, in Chinese or English (`ALIASES`: the names GB/T 31000
and GA/T 1749 exchange files use, civicgrid's own template labels and English field names).
A profile says which kind of record its rows are, which fields it needs and what a blank
field means (`defaults`); its code tables turn the codes of the source system (性别 1/2,
来本地事由 codes…) and the labels of civicgrid's own lists into stored values. Headers no
alias knows are listed in the dry-run report as unknown and their values ignored; headers
that name something civicgrid never stores are dropped by policy (imports/policy.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    PEOPLE = "people", _("实有人口(含居住信息)")
    ORGANISATIONS = "organisations", _("实有单位")
    BUILDINGS = "buildings", _("楼栋(含房屋)")
    RENTALS = "rentals", _("出租房屋")


# field -> header names (compared after `header_key`)
PEOPLE_ALIASES: dict[str, tuple[str, ...]] = {
    "id_number": ("公民身份号码", "身份证号码", "身份证号", "证件号码", "证件号", "id_number",
                  "id_card", "document_number"),
    "document_type": ("证件类型", "证件种类", "document_type"),
    "name": ("姓名", "name"),
    "sex": ("性别", "sex", "gender"),
    "birth_date": ("出生日期", "birth_date", "date_of_birth"),
    "ethnicity": ("民族", "ethnicity"),
    "phone": ("联系电话", "联系方式", "手机号码", "电话", "phone", "mobile"),
    "kind": ("人口类型", "人员类型", "kind", "population_type"),
    "hukou_code": ("户籍地行政区划代码", "户籍地址行政区划代码", "户籍地代码", "户籍地区划",
                   "hukou_code"),
    "nationality": ("国籍", "国籍(地区)", "nationality"),
    "stay_purpose": ("来居住地事由", "来本地事由", "居住事由", "stay_purpose"),
    "education": ("学历", "文化程度", "education"),
    "occupation": ("职业", "occupation"),
    "area_code": ("社区代码", "社区(村)代码", "所属社区代码", "网格代码", "网格编码", "区域代码",
                  "area_code", "community_code", "grid_code"),
    "address": ("现居住地址", "居住地址", "现住址", "标准地址", "address"),
    "building_code": ("楼栋编码", "building_code"),
    "unit": ("单元", "unit"),
    "floor": ("楼层", "floor"),
    "room_number": ("室号", "房间号", "room_number", "room"),
    "residence_kind": ("居住方式", "居住处所类型", "居住处所", "residence_kind"),
    "since": ("入住日期", "来本地日期", "居住起始日期", "since", "moved_in_on"),
    "lng": ("经度", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
}

ORGANISATION_ALIASES: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code", "uscc"),
    "name": ("单位名称", "名称", "组织名称", "name"),
    "kind": ("单位类型", "组织类型", "类型", "kind"),
    "authority": ("登记管理机关", "authority"),
    "area_code": PEOPLE_ALIASES["area_code"],
    "building_code": PEOPLE_ALIASES["building_code"],
    "address": ("单位地址", "地址", "住所", "经营场所", "address"),
    "staff_count": ("从业人数", "职工人数", "staff_count"),
    "has_trade_union": ("建立工会", "是否建立工会", "has_trade_union"),
    "has_party_organisation": ("建立党组织", "是否建立党组织", "has_party_organisation"),
    "lng": PEOPLE_ALIASES["lng"],
    "lat": PEOPLE_ALIASES["lat"],
}

BUILDING_ALIASES: dict[str, tuple[str, ...]] = {
    "area_code": PEOPLE_ALIASES["area_code"],
    "name": ("楼栋名称", "建筑物名称", "name"),
    "road": ("街路巷", "道路", "road"),
    "house_number": ("门牌号", "门(楼)牌号", "house_number"),
    "use": ("楼栋用途", "建筑用途", "用途", "use"),
    "floors_above": ("地上层数", "floors_above"),
    "floors_below": ("地下层数", "floors_below"),
    "units": ("单元数", "units"),
    "rooms_per_floor": ("每层户数", "每层室数", "rooms_per_floor"),
    "built_year": ("建成年份", "建成年代", "built_year"),
    "lng": PEOPLE_ALIASES["lng"],
    "lat": PEOPLE_ALIASES["lat"],
}

RENTAL_ALIASES: dict[str, tuple[str, ...]] = {
    "address": ("房屋地址", "出租房屋地址", "标准地址", "地址", "address"),
    "building_code": PEOPLE_ALIASES["building_code"],
    "unit": PEOPLE_ALIASES["unit"],
    "floor": PEOPLE_ALIASES["floor"],
    "room_number": PEOPLE_ALIASES["room_number"],
    "lessor_id_number": ("出租人证件号码", "出租人公民身份号码", "房东证件号码", "房东身份证号",
                         "lessor_id_number"),
    "lessor_document_type": ("出租人证件类型", "lessor_document_type"),
    "lessor_credit_code": ("出租单位统一社会信用代码", "出租单位信用代码", "lessor_credit_code"),
    "occupant_limit": ("限住人数", "核定居住人数", "occupant_limit"),
    "filing_number": ("租赁备案号", "备案编号", "filing_number"),
    "lease_start": ("租赁起始日期", "租期起", "lease_start"),
    "lease_end": ("租赁截止日期", "租期止", "lease_end"),
    "purpose": ("出租用途", "租赁用途", "purpose"),
    "fire_exits": ("安全出口数", "fire_exits"),
    "responsibility_signed_on": ("治安责任书签订日期", "责任书签订日期",
                                 "responsibility_signed_on"),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    ImportKind.PEOPLE: PEOPLE_ALIASES,
    ImportKind.ORGANISATIONS: ORGANISATION_ALIASES,
    ImportKind.BUILDINGS: BUILDING_ALIASES,
    ImportKind.RENTALS: RENTAL_ALIASES,
}

# --- code tables: source codes and labels -> stored values -----------------------------

SEX = {"1": "male", "男": "male", "男性": "male", "m": "male", "male": "male",
       "2": "female", "女": "female", "女性": "female", "f": "female", "female": "female",
       "0": "", "9": "", "未知": "", "未说明": ""}
PERSON_KIND = {"户籍人口": "registered", "户籍": "registered", "registered": "registered",
               "1": "registered", "01": "registered",
               "人户分离": "separated", "人户分离人口": "separated", "separated": "separated",
               "2": "separated", "02": "separated",
               "流动人口": "floating", "流动": "floating", "floating": "floating",
               "3": "floating", "03": "floating",
               "境外人员": "foreign", "境外": "foreign", "foreign": "foreign",
               "4": "foreign", "04": "foreign"}
DOCUMENT_TYPE = {"居民身份证": "id_card", "身份证": "id_card", "111": "id_card",
                 "id_card": "id_card",
                 "护照": "passport", "普通护照": "passport", "414": "passport",
                 "passport": "passport",
                 "港澳居民来往内地通行证": "hk_macao", "516": "hk_macao", "hk_macao": "hk_macao",
                 "台湾居民来往大陆通行证": "taiwan", "511": "taiwan", "taiwan": "taiwan",
                 "外国人永久居留身份证": "permanent_residence", "553": "permanent_residence",
                 "permanent_residence": "permanent_residence",
                 "其他证件": "other", "其他": "other", "990": "other", "other": "other"}
# GA/T 1749 来本地事由 codes (务工 01/经商 02 …) and civicgrid's labels
STAY_PURPOSE = {"务工经商": "work", "务工": "work", "经商": "work", "01": "work", "02": "work",
                "work": "work",
                "学习培训": "study", "学习": "study", "培训": "study", "03": "study",
                "study": "study",
                "投亲靠友": "family", "投靠亲友": "family", "04": "family", "family": "family",
                "旅游探亲": "visit", "探亲": "visit", "旅游": "visit", "05": "visit",
                "visit": "visit",
                "商务": "business", "06": "business", "business": "business",
                "其他": "other", "99": "other", "other": "other"}
EDUCATION = {"研究生": "postgraduate", "大学本科": "bachelor", "本科": "bachelor",
             "大学专科": "college", "专科": "college", "大专": "college",
             "中等职业教育": "secondary_vocational", "中专": "secondary_vocational",
             "普通高中": "high_school", "高中": "high_school", "初中": "junior",
             "小学": "primary", "未上过学": "none", "文盲": "none"}
EDUCATION.update({v: v for v in set(EDUCATION.values())})
# GA/T 1749 居住处所 codes: rented house, relatives' home, employer's dormitory, own home
RESIDENCE_KIND = {"居住": "living", "自购房": "living", "自有住房": "living", "01": "living",
                  "living": "living",
                  "租住": "renting", "租赁房屋": "renting", "出租房屋": "renting", "02": "renting",
                  "renting": "renting",
                  "借住": "lodging", "投亲靠友": "lodging", "03": "lodging", "lodging": "lodging",
                  "集体宿舍": "dormitory", "单位内部": "dormitory", "单位宿舍": "dormitory",
                  "04": "dormitory", "dormitory": "dormitory"}
ORGANISATION_KIND = {"企业": "enterprise", "enterprise": "enterprise",
                     "个体工商户": "sole_trader", "个体户": "sole_trader",
                     "sole_trader": "sole_trader",
                     "社会团体": "social_group", "social_group": "social_group",
                     "社会服务机构": "social_service", "民办非企业单位": "social_service",
                     "social_service": "social_service",
                     "基金会": "foundation", "foundation": "foundation",
                     "社区社会组织": "community_group", "community_group": "community_group"}
AUTHORITY = {"市场监督管理部门": "market", "市场监管": "market", "工商": "market",
             "market": "market", "民政部门": "civil_affairs", "民政": "civil_affairs",
             "civil_affairs": "civil_affairs", "其他": "other", "other": "other"}
BUILDING_USE = {"住宅": "residential", "商业": "commercial", "办公": "office",
                "工业": "industrial", "公共服务": "public", "商住混合": "mixed", "其他": "other"}
BUILDING_USE.update({v: v for v in set(BUILDING_USE.values())})
YES_NO = {"是": True, "有": True, "1": True, "y": True, "yes": True, "true": True,
          "否": False, "无": False, "0": False, "n": False, "no": False, "false": False, "": False}

CODE_TABLES: dict[str, dict[str, str]] = {
    "sex": SEX, "kind": PERSON_KIND, "document_type": DOCUMENT_TYPE,
    "stay_purpose": STAY_PURPOSE, "education": EDUCATION, "residence_kind": RESIDENCE_KIND,
}
ORGANISATION_CODE_TABLES: dict[str, dict[str, str]] = {
    "kind": ORGANISATION_KIND, "authority": AUTHORITY}
BUILDING_CODE_TABLES: dict[str, dict[str, str]] = {"use": BUILDING_USE}
RENTAL_PURPOSE = {"居住": "dwelling", "住宅": "dwelling", "经营": "business", "商用": "business",
                  "仓储": "storage", "其他": "other"}
RENTAL_PURPOSE.update({v: v for v in set(RENTAL_PURPOSE.values())})
RENTAL_CODE_TABLES: dict[str, dict[str, str]] = {"purpose": RENTAL_PURPOSE,
                                                 "lessor_document_type": DOCUMENT_TYPE}


@dataclass(frozen=True)
class Profile:
    code: str
    label: str | Promise
    kind: str
    required: tuple[str, ...]
    defaults: dict[str, str] = field(default_factory=dict)
    # the template's columns, in order, with a sample line (civicgrid's own profile)
    template: tuple[tuple[str, str], ...] = ()

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        return ALIASES[self.kind]


PROFILES: dict[str, Profile] = {p.code: p for p in (
    Profile("civicgrid-people", _("civicgrid 实有人口模板"), ImportKind.PEOPLE,
            required=("name", "kind"),
            template=(("公民身份号码", "11010519491231002X"), ("证件类型", "居民身份证"),
                      ("姓名", "张三"), ("性别", "女"), ("出生日期", "1949-12-31"),
                      ("民族", "汉族"), ("联系电话", "13800138000"), ("人口类型", "户籍人口"),
                      ("户籍地行政区划代码", "110105"), ("国籍", ""), ("来居住地事由", ""),
                      ("学历", "大学本科"), ("职业", "教师"), ("社区代码", "110105001001"),
                      ("现居住地址", ""), ("楼栋编码", ""), ("单元", "1"), ("楼层", "3"),
                      ("室号", "302"), ("居住方式", "居住"), ("入住日期", "2020-05-01"),
                      ("经度", ""), ("纬度", ""))),
    Profile("gbt31000-people", _("GB/T 31000 实有人口"), ImportKind.PEOPLE,
            required=("id_number", "name", "kind")),
    Profile("gat1749-floating", _("GA/T 1749 流动人口登记"), ImportKind.PEOPLE,
            required=("id_number", "name"), defaults={"kind": "floating"}),
    Profile("civicgrid-organisations", _("civicgrid 实有单位模板"), ImportKind.ORGANISATIONS,
            required=("name", "kind"),
            template=(("统一社会信用代码", "91110105MA0000000X"), ("单位名称", "某某科技有限公司"),
                      ("单位类型", "企业"), ("登记管理机关", ""), ("社区代码", "110105001001"),
                      ("楼栋编码", ""), ("单位地址", "某某路1号"), ("从业人数", "12"),
                      ("建立工会", "否"), ("建立党组织", "否"), ("经度", ""), ("纬度", ""))),
    Profile("civicgrid-buildings", _("civicgrid 楼栋模板"), ImportKind.BUILDINGS,
            required=("name", "road", "house_number"),
            template=(("网格代码", "110105001001001"), ("楼栋名称", "1号楼"), ("街路巷", "和平路"),
                      ("门牌号", "1号"), ("楼栋用途", "住宅"), ("地上层数", "6"),
                      ("地下层数", "0"), ("单元数", "2"), ("每层户数", "2"),
                      ("建成年份", "1998"), ("经度", ""), ("纬度", ""))),
    Profile("civicgrid-rentals", _("civicgrid 出租房屋模板"), ImportKind.RENTALS,
            required=("occupant_limit",),
            template=(("房屋地址", "城东街道和平路1号1号楼1单元302室"), ("楼栋编码", ""),
                      ("单元", ""), ("楼层", ""), ("室号", ""),
                      ("出租人证件号码", "11010519491231002X"), ("出租人证件类型", "居民身份证"),
                      ("出租单位统一社会信用代码", ""), ("限住人数", "4"),
                      ("租赁备案号", "ZL2026-0001"), ("租赁起始日期", "2026-01-01"),
                      ("租赁截止日期", "2026-12-31"), ("出租用途", "居住"), ("安全出口数", "1"),
                      ("治安责任书签订日期", "2026-01-01"))),
)}


def header_key(text: str) -> str:
    """A header as compared: NFKC (full-width letters and brackets folded), no spaces,
    underscores or asterisks (the "required" mark), lower case."""
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s_*＊:：]", "", folded).lower()


def field_for(profile: Profile, header: str) -> str | None:
    key = header_key(header)
    for name, names in profile.aliases.items():
        if key in {header_key(n) for n in names}:
            return name
    return None
