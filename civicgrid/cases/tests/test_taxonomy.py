"""The built-in category tree: structure, deadlines, attributes, and the brief's content.

Pure data tests: no database and no Django import, so they run with `-p no:django`.
"""

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from civicgrid.cases.taxonomy import (
    ATTR_TYPES,
    CATEGORIES,
    DAY_UNITS,
    KINDS,
    LEVELS,
    SLA,
    SPECIALTIES,
    STAGES,
    VALUELIST_TYPES,
    by_code,
    parent_code,
)

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
TOP_LEVEL_KIND = {
    "01": "dispute",
    "02": "service",
    "03": "hazard",
    "04": "emergency",
    "05": "petition",
}
# Dispute types named in BRIEF.md ("The case pipeline" → Categories) and their specialty.
BRIEF_DISPUTE_TYPES = {
    "婚姻家庭": "marriage_family",
    "邻里": "neighbourhood",
    "劳资": "labour",
    "医患": "medical",
    "征地拆迁": "land_acquisition",
    "土地山林水利权属": "land_rights",
    "物业": "property_management",
    "交通事故": "traffic_accident",
    "消费": "consumer",
    "环保": "environment",
    "教育": "education",
    "村务": "village_affairs",
    "干部作风": "conduct",
    "涉外": "foreign",
    "其他": "general",
}
EMERGENCY_CATEGORIES = ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件")
EMERGENCY_GRADES = ("特别重大", "重大", "较大", "一般")

ids = [c.code for c in CATEGORIES]


def children_of(code: str):
    return [c for c in CATEGORIES if len(c.code) == len(code) + 2 and c.code.startswith(code)]


# --- structure -------------------------------------------------------------------------------


def test_codes_are_unique():
    duplicates = [code for code, n in Counter(ids).items() if n > 1]
    assert duplicates == []


def test_categories_are_sorted_so_parents_come_first():
    assert ids == sorted(ids)


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_code_is_hierarchical(spec):
    assert len(spec.code) in (2, 4, 6)
    assert spec.code.isascii() and spec.code.isdigit()
    parent = parent_code(spec.code)
    if len(spec.code) == 2:
        assert parent is None
    else:
        assert parent == spec.code[:-2]
        assert parent in by_code(), f"{spec.code} has no parent {parent}"


def test_top_level_groups_are_the_five_of_the_brief():
    assert [c.code for c in CATEGORIES if len(c.code) == 2] == list(TOP_LEVEL_KIND)


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_kind_follows_the_top_level_group(spec):
    assert spec.kind in KINDS
    assert spec.kind == TOP_LEVEL_KIND[spec.code[:2]]


def test_sibling_names_are_unique():
    by_parent: dict[str | None, list[str]] = {}
    for spec in CATEGORIES:
        by_parent.setdefault(parent_code(spec.code), []).append(spec.name)
    for parent, names in by_parent.items():
        assert len(names) == len(set(names)), parent


def test_by_code_indexes_every_category_and_is_a_copy():
    index = by_code()
    assert list(index) == ids
    assert all(index[c.code] is c for c in CATEGORIES)
    index.clear()
    assert len(by_code()) == len(CATEGORIES)


@pytest.mark.parametrize(
    ("code", "parent"), [("01", None), ("0103", "01"), ("010301", "0103")]
)
def test_parent_code(code, parent):
    assert parent_code(code) == parent


@pytest.mark.parametrize("bad", ["", "1", "013", "01030101", "ab", "０１"])
def test_parent_code_rejects_malformed_codes(bad):
    with pytest.raises(ValueError):
        parent_code(bad)


# --- fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_names_and_keywords_are_chinese_data(spec):
    assert spec.name.strip() == spec.name and spec.name
    assert spec.description
    assert spec.keywords
    assert all(k and k.strip() == k for k in spec.keywords)
    assert len(spec.keywords) == len(set(spec.keywords))


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_specialty_and_level_are_known(spec):
    assert spec.specialty in SPECIALTIES
    assert spec.level in LEVELS


def test_specialties_match_the_units_app():
    """SPECIALTIES mirrors units.models.BUILTIN_SPECIALTIES; read it without importing Django."""
    source = Path(__file__).resolve().parents[2] / "units" / "models.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "BUILTIN_SPECIALTIES" for t in node.targets
        ):
            assert dict(ast.literal_eval(node.value)) == SPECIALTIES
            return
    pytest.fail("BUILTIN_SPECIALTIES not found in units/models.py")


def test_every_specialty_has_a_category():
    used = {c.specialty for c in CATEGORIES}
    assert used == set(SPECIALTIES)


# --- deadlines -------------------------------------------------------------------------------


def test_stages():
    assert STAGES == ("accept", "dispatch", "handle", "verify", "follow_up", "handoff_receipt")


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_every_stage_has_a_positive_sla(spec):
    assert set(spec.sla) == set(STAGES)
    for stage, sla in spec.sla.items():
        assert isinstance(sla, SLA), stage
        assert isinstance(sla.days, int) and sla.days > 0, stage
        assert sla.unit in DAY_UNITS, stage


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_extension_limits_are_consistent(spec):
    assert spec.max_extensions >= 0
    assert spec.max_extension_days >= 0
    assert (spec.max_extensions == 0) == (spec.max_extension_days == 0)


def test_specs_do_not_share_sla_dicts():
    assert len({id(c.sla) for c in CATEGORIES}) == len(CATEGORIES)


def test_specs_are_hashable_despite_the_sla_dict():
    assert len(set(CATEGORIES)) == len(CATEGORIES)


def test_disputes_follow_mediation_practice():
    for spec in CATEGORIES:
        if spec.kind == "dispute":
            handle = spec.sla["handle"]
            # People's mediation: no statutory limit, practice is about one month.
            assert handle.days <= 30, spec.code


def test_labour_mediation_fits_the_statutory_15_days():
    labour = by_code()["0103"]
    assert labour.sla["handle"] == SLA(15, "calendar")
    wages = by_code()["010301"]
    assert wages.sla["handle"].unit == "calendar"
    assert wages.sla["handle"].days < labour.sla["handle"].days
    assert wages.sla["handle"].days + wages.max_extension_days <= 15


def test_medical_mediation_is_30_working_days():
    assert by_code()["0104"].sla["handle"] == SLA(30, "working")


def test_services_are_faster_than_disputes():
    for spec in CATEGORIES:
        if spec.kind == "service":
            assert spec.sla["handle"].days <= 10, spec.code
            assert spec.specialty == "public_service"


def test_hazards_are_handled_within_three_days():
    for spec in CATEGORIES:
        if spec.kind == "hazard":
            assert 1 <= spec.sla["handle"].days <= 3, spec.code
            assert spec.specialty == "safety_hazard"


# --- attributes (Open311 GeoReport v2) ---------------------------------------------------------


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_attribute_codes_are_unique_ascii_slugs(spec):
    codes = [a.code for a in spec.attributes]
    assert len(codes) == len(set(codes))
    assert all(SLUG.match(code) for code in codes), codes


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_attribute_order_is_1_to_n(spec):
    assert [a.order for a in spec.attributes] == list(range(1, len(spec.attributes) + 1))


@pytest.mark.parametrize("spec", CATEGORIES, ids=ids)
def test_valuelists_have_values_and_other_types_do_not(spec):
    for attribute in spec.attributes:
        assert attribute.datatype in ATTR_TYPES
        assert attribute.description
        if attribute.datatype in VALUELIST_TYPES:
            assert attribute.values, attribute.code
            keys = [key for key, _ in attribute.values]
            names = [name for _, name in attribute.values]
            assert len(keys) == len(set(keys)), attribute.code
            assert len(names) == len(set(names)), attribute.code
            assert all(SLUG.match(key) for key in keys), attribute.code
            assert all(names), attribute.code
        else:
            assert attribute.values == (), attribute.code


def attribute(code: str, attr_code: str):
    return next(a for a in by_code()[code].attributes if a.code == attr_code)


def test_requested_dispute_attributes():
    labour = {a.code: a for a in by_code()["0103"].attributes}
    assert labour["amount"].datatype == "number" and labour["amount"].required
    assert labour["worker_count"].datatype == "number"
    assert labour["employer"].datatype == "string"

    casualties = attribute("0108", "casualties")
    assert casualties.datatype == "singlevaluelist" and casualties.required
    assert [name for _, name in casualties.values] == ["是", "否"]
    assert attribute("0108", "accident_time").datatype == "datetime"

    assert attribute("0107", "estate_name").required
    issues = attribute("0107", "issue")
    assert issues.datatype == "multivaluelist"
    assert [n for _, n in issues.values] == ["收费", "维修", "安保", "绿化", "停车", "其他"]

    cause = attribute("0102", "cause")
    assert [n for _, n in cause.values] == ["噪音", "漏水", "通道", "采光", "宠物", "其他"]

    assert attribute("0104", "institution").required
    assert attribute("0104", "appraisal").datatype == "singlevaluelist"


# --- content required by the brief -------------------------------------------------------------


@pytest.mark.parametrize(("dispute_type", "specialty"), BRIEF_DISPUTE_TYPES.items())
def test_every_dispute_type_in_the_brief_has_a_category(dispute_type, specialty):
    matches = [c for c in children_of("01") if dispute_type in c.name]
    assert len(matches) == 1, f"{dispute_type}: {[c.name for c in matches]}"
    assert matches[0].specialty == specialty
    assert matches[0].kind == "dispute"


def test_dispute_levels_follow_the_brief():
    levels = {
        name: next(c.level for c in children_of("01") if name in c.name)
        for name in BRIEF_DISPUTE_TYPES
    }
    for name in ("邻里", "婚姻家庭", "物业"):
        assert levels[name] == "community", name
    for name in ("劳资", "消费", "教育", "环保", "村务", "土地山林水利权属"):
        assert levels[name] == "street", name
    for name in ("医患", "交通事故", "征地拆迁", "干部作风", "涉外"):
        assert levels[name] == "county", name


def test_labour_has_grandchildren():
    assert [c.name for c in children_of("0103")] == ["拖欠工资", "工伤赔偿", "劳动合同"]


def test_the_four_emergency_categories_require_the_four_grades():
    emergencies = children_of("04")
    assert sorted(c.name for c in emergencies) == sorted(EMERGENCY_CATEGORIES)
    for spec in [by_code()["04"], *emergencies]:
        assert spec.kind == "emergency" and spec.specialty == "emergency"
        assert spec.level == "county"
        grade = next(a for a in spec.attributes if a.description == "事件等级")
        assert grade.required
        assert grade.datatype == "singlevaluelist"
        assert tuple(name for _, name in grade.values) == EMERGENCY_GRADES
        casualties = next(a for a in spec.attributes if a.description == "伤亡人数")
        assert casualties.datatype == "number"
        assert spec.sla["accept"] == SLA(1, "calendar")
        assert spec.sla["dispatch"] == SLA(1, "calendar")
        assert spec.sla["handle"] == SLA(3, "calendar")
        assert spec.sla["handoff_receipt"] == SLA(1, "calendar")


def test_petitions_carry_the_statutory_limits():
    petitions = [c for c in CATEGORIES if c.kind == "petition"]
    assert len(petitions) >= 2
    for spec in petitions:
        assert spec.code.startswith("05")
        assert spec.specialty == "petition"
        assert spec.level == "county"
        assert spec.sla["accept"] == SLA(15, "calendar")
        assert spec.sla["handle"] == SLA(60, "calendar")
        assert spec.max_extensions == 1
        assert spec.max_extension_days == 30
        for article in ("第二十二条", "第二十三条", "第三十四条", "第三十五条", "第三十六条"):
            assert article in spec.description, (spec.code, article)


def test_food_safety_hazard_exists():
    food = [c for c in children_of("03") if "食品安全" in c.name]
    assert len(food) == 1
    spec = food[0]
    assert spec.kind == "hazard" and spec.specialty == "safety_hazard"
    names = {c.name for c in children_of(spec.code)}
    assert {"无证经营", "过期变质食品", "食品加工卫生"} <= names


HAZARDS = [c for c in CATEGORIES if c.kind == "hazard"]


@pytest.mark.parametrize("spec", HAZARDS, ids=[c.code for c in HAZARDS])
def test_hazards_require_a_grade(spec):
    grade = next(a for a in spec.attributes if a.code == "hazard_grade")
    assert grade.required
    assert [name for _, name in grade.values] == ["一般", "较大", "重大"]


def test_the_module_does_not_import_django():
    source = Path(__file__).resolve().parents[1] / "taxonomy.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "django" not in imported
