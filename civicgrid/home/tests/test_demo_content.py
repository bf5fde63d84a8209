"""The demo makes sense: each case's description is about its category, its attributes are
plausible for what they measure, and routing sends each kind of case to the office that
handles it (street lights to the city management office, not a mediation committee)."""

from __future__ import annotations

import pytest

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case, Category, HandlingLevel
from civicgrid.cases.services.routing import case_route
from civicgrid.home.demo import demo_seed
from civicgrid.home.demo_cases import demo_cases_seed
from civicgrid.home.demo_stories import STORIES
from civicgrid.testing import shared
from civicgrid.units.models import UnitKind

DEMO_CASES = 400  # what `make run` loads


def build_demo() -> None:
    demo_seed()
    demo_cases_seed(count=DEMO_CASES)


demo_cases_once, demo_cases = shared(build_demo, name="demo_cases")

# What a description of each category talks about (one of these words), written by hand.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "010101": ("离婚", "彩礼", "夫妻"),
    "010102": ("赡养", "抚养"),
    "010103": ("继承", "遗产", "遗嘱"),
    "010104": ("家庭暴力", "殴打"),
    "0102": ("邻居",),
    "010301": ("工资",),
    "010302": ("工伤", "受伤", "伤"),
    "010303": ("劳动合同", "辞退", "社保", "加班"),
    "0104": ("医院", "诊疗", "医疗"),
    "0105": ("征收",),
    "010601": ("承包地",),
    "010602": ("宅基地",),
    "010603": ("林地", "林木"),
    "010604": ("水渠", "水塘", "灌溉"),
    "0107": ("物业", "业主"),
    "0108": ("碰撞", "刮擦"),
    "0109": ("退款", "退货", "预付卡"),
    "0110": ("异味", "油烟", "污水"),
    "0111": ("学校", "孩子", "课时费"),
    "0112": ("村务", "集体"),
    "0113": ("推诿", "不作为", "态度"),
    "0114": ("籍",),
    "020101": ("井盖",),
    "020102": ("路面", "人行道"),
    "020103": ("下水道", "积水"),
    "0202": ("垃圾", "公厕"),
    "0203": ("停水", "停电", "自来水", "天然气"),
    "0204": ("噪声", "噪音", "音响"),
    "0205": ("搭建", "加层"),
    "0206": ("路灯",),
    "0207": ("红绿灯", "标志", "标线", "护栏"),
    "0208": ("救助", "低保"),
    "0209": ("老人",),
    "0210": ("树",),
    "0211": ("摊贩", "小广告", "乱停"),
    "030101": ("消防通道", "安全出口"),
    "030102": ("楼道",),
    "030103": ("消火栓", "灭火器", "应急照明"),
    "0302": ("燃气", "液化气"),
    "030301": ("无证",),
    "030302": ("过期", "变质"),
    "030303": ("后厨", "卫生"),
    "0304": ("房",),
    "0305": ("塌陷", "护栏", "事故"),
    "0306": ("电动车",),
    "0307": ("作业",),
    "0308": ("电梯", "锅炉"),
    "0309": ("化学品",),
    "0310": ("护坡", "广告牌", "积水"),
    "0401": ("降雨", "台风"),
    "0402": ("火灾", "坍塌", "泄漏"),
    "0403": ("中毒", "发热"),
    "0404": ("聚集", "案件"),
    "0503": ("举报",),
}
# Words that give away another category's story (the e-bike in a food-hygiene case).
FOREIGN = {"0303": ("电动车", "充电", "燃气"), "0206": ("调解",), "0306": ("食品", "后厨")}

# Plausible ranges by hand: (category code prefix, attribute) -> (low, high).
RANGES = {
    ("010301", "worker_count"): (1, 60),
    ("010301", "amount"): (3000, 700000),
    ("010302", "amount"): (10000, 500000),
    ("010303", "amount"): (1000, 100000),
    ("0104", "claim_amount"): (10000, 1000000),
    ("0105", "household_count"): (1, 200),
    ("010601", "area_mu"): (0.1, 50),
    ("010602", "area_mu"): (0.01, 1),  # a 宅基地 is well under one 亩 (667 m²)
    ("010603", "area_mu"): (1, 100),
    ("010604", "area_mu"): (0.1, 30),
    ("0108", "claim_amount"): (1000, 300000),
    ("0109", "amount"): (100, 50000),
    ("04", "casualties"): (0, 5),
}
DISPUTE_OBJECT = {"010601": "land", "010602": "homestead", "010603": "forest",
                  "010604": "water"}


def test_every_leaf_category_has_its_own_stories(db):
    leaves = set(Category.objects.filter(children__isnull=True).values_list("code", flat=True))
    assert leaves <= set(STORIES), sorted(leaves - set(STORIES))
    assert len(KEYWORDS) >= 10 + 3


def test_every_demo_description_matches_its_category(demo_cases):
    checked = 0
    for code, description in Case.objects.values_list("category__code", "description"):
        words = next((KEYWORDS[code[:n]] for n in (6, 4) if code[:n] in KEYWORDS), None)
        if words is not None:
            assert any(w in description for w in words), (code, description)
            checked += 1
        for prefix, foreign in FOREIGN.items():
            if code.startswith(prefix):
                assert not any(w in description for w in foreign), (code, description)
        assert "{" not in description and "}" not in description, description
    assert checked >= DEMO_CASES * 0.9


def test_food_hygiene_cases_are_about_food(demo_cases):
    food = list(Case.objects.filter(category__code__startswith="0303")
                .values_list("description", flat=True))
    assert food
    for description in food:
        assert "电动车" not in description and "充电" not in description


def test_demo_attributes_are_plausible(demo_cases):
    seen: set[tuple[str, str]] = set()
    for code, attributes in Case.objects.values_list("category__code", "attributes"):
        for (prefix, name), (low, high) in RANGES.items():
            if code.startswith(prefix) and name in attributes:
                assert low <= attributes[name] <= high, (code, name, attributes[name])
                seen.add((prefix, name))
        if code in DISPUTE_OBJECT:
            assert attributes["disputed_object"] == DISPUTE_OBJECT[code], (code, attributes)
        for name, value in attributes.items():
            if isinstance(value, int | float):
                assert value < 1_000_000, (code, name, value)
    assert ("010301", "amount") in seen and ("0104", "claim_amount") in seen


def test_wages_owed_grow_with_the_workers(demo_cases):
    rows = [a for a in Case.objects.filter(category__code="010301")
            .values_list("attributes", flat=True) if "worker_count" in a]
    assert rows
    for a in rows:
        assert 3000 <= a["amount"] / a["worker_count"] <= 15000, a


def test_street_light_cases_go_to_the_city_management_office(demo_cases):
    lights = list(Case.objects.filter(category__code="0206")
                  .select_related("suggested_unit__area", "assigned_unit"))
    assert lights
    for case in lights:
        unit = case.suggested_unit
        assert unit is not None and unit.name.endswith("城市管理办公室"), case.routing_note
        assert unit.kind == UnitKind.DEPARTMENT
        assert unit.area.code == case.area_code[:9]  # the case's own street
        assert "城市管理办公室" in case.routing_note
        assert case.assigned_unit in (None, unit)
    assert any(case.assigned_unit is not None for case in lights)


def test_no_service_or_hazard_case_goes_to_a_mediation_committee(demo_cases):
    wrong = (Case.objects.filter(category__kind__in=["service", "hazard"])
             .filter(assigned_unit__kind__in=[UnitKind.MEDIATION_COMMITTEE,
                                              UnitKind.SPECIALISED_COMMITTEE]))
    assert list(wrong.values_list("category__code", "assigned_unit__name")) == []


@pytest.mark.parametrize(("code", "level", "unit_name"), [
    ("0206", HandlingLevel.STREET, "城东街道城市管理办公室"),
    ("020101", HandlingLevel.STREET, "城东街道城市管理办公室"),
    ("0306", HandlingLevel.STREET, "城东街道应急管理办公室"),
    ("030303", HandlingLevel.STREET, "城东市场监督管理所"),
    ("0208", HandlingLevel.STREET, "城东街道社会事务办公室"),
    ("0108", HandlingLevel.COUNTY, "崇川区道路交通事故人民调解委员会"),
    ("010303", HandlingLevel.COUNTY, "崇川区劳动争议人民调解委员会"),
    ("0102", HandlingLevel.COMMUNITY, "河东社区人民调解委员会"),
])
def test_demo_routing_picks_the_office_that_handles_it(demo_cases, code, level, unit_name):
    grid = Area.objects.get(code="320602001001001")  # 河东社区第1网格, 城东街道
    category = Category.objects.get(code=code)
    route = case_route(category=category, area_code=grid.code,
                       min_level=category.default_level)
    assert (route.level, route.unit.name if route.unit else None) == (level, unit_name)
