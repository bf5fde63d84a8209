"""English names of reference data and routing notes in the reader's language (issue 13,
point 8; ADR 0009)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import PositionType
from civicgrid.cases import taxonomy
from civicgrid.cases.admin import AttributeForm
from civicgrid.cases.loader import fill_english
from civicgrid.cases.models import Category, CategoryAttribute, RoutingRule
from civicgrid.cases.routing_notes import display_note
from civicgrid.cases.tests.conftest import new_case
from civicgrid.units.models import BUILTIN_SPECIALTIES, BUILTIN_SPECIALTIES_EN, Specialty
from civicgrid.warnings.models import RuleKind, WarningRule

# --- the built-in data ------------------------------------------------------------------


def test_every_label_of_the_taxonomy_has_an_english_name():
    labels = {spec.name for spec in taxonomy.CATEGORIES}
    for spec in taxonomy.CATEGORIES:
        for attribute in spec.attributes:
            labels.add(attribute.description)
            labels.update(name for _key, name in attribute.values)
    labels.update(taxonomy.SPECIALTIES.values())
    assert sorted(label for label in labels if not taxonomy.english(label)) == []
    assert sorted(set(taxonomy.ENGLISH) - labels) == []  # no stale entries


def test_the_specialties_english_names_match_the_taxonomys():
    assert set(BUILTIN_SPECIALTIES_EN) == {code for code, _name in BUILTIN_SPECIALTIES}
    for code, name in BUILTIN_SPECIALTIES:
        assert BUILTIN_SPECIALTIES_EN[code] == taxonomy.english(name), code


@pytest.mark.django_db
def test_the_migrations_fill_in_the_built_in_english_names():
    neighbour = Category.objects.get(code="0102")
    assert (neighbour.name, neighbour.name_en) == ("邻里纠纷", "Neighbour disputes")
    cause = CategoryAttribute.objects.get(category=neighbour, code="cause")
    assert cause.description_en == "Cause of the dispute"
    assert cause.values_en == {"noise": "Noise", "leak": "Water leak", "passage": "Passageway",
                               "daylight": "Daylight", "pet": "Pets", "other": "Other"}
    assert Category.objects.filter(name_en="").count() == 0  # every built-in one
    assert Specialty.objects.get(code="neighbourhood").name_en == "Neighbour disputes"
    assert PositionType.objects.get(code="grid_worker").name_en == "Grid worker"
    assert WarningRule.objects.get(kind=RuleKind.GROUP_MAJOR).name_en == \
        "Group or major disputes"


@pytest.mark.django_db
def test_filling_in_leaves_what_an_administrator_changed():
    renamed = Category.objects.get(code="0102")
    renamed.name = "邻里矛盾"  # renamed in Chinese: the shipped English no longer fits
    renamed.name_en = ""
    renamed.save()
    custom = Category.objects.get(code="0103")
    custom.name_en = "Wage and labour"
    custom.save()
    cause = CategoryAttribute.objects.get(category=renamed, code="cause")
    cause.values_en = {"noise": "Loud neighbours"}
    cause.save()

    fill_english(Category=Category, CategoryAttribute=CategoryAttribute)

    assert Category.objects.get(code="0102").name_en == ""
    assert Category.objects.get(code="0103").name_en == "Wage and labour"
    assert CategoryAttribute.objects.get(pk=cause.pk).values_en == {"noise": "Loud neighbours"}


@pytest.mark.django_db
def test_load_categories_update_restores_the_shipped_english():
    Category.objects.filter(code="0102").update(name_en="")
    CategoryAttribute.objects.filter(category__code="0102", code="cause").update(
        description_en="", values_en={})
    call_command("load_categories", "--update", stdout=None)
    assert Category.objects.get(code="0102").name_en == "Neighbour disputes"
    cause = CategoryAttribute.objects.get(category__code="0102", code="cause")
    assert (cause.description_en, cause.values_en["noise"]) == ("Cause of the dispute", "Noise")


# --- the accessors -----------------------------------------------------------------------


@pytest.mark.django_db
def test_display_names_follow_the_language_and_fall_back_to_chinese():
    neighbour = Category.objects.get(code="0102")
    untranslated = Category(code="9901", name="测试分类")
    cause = CategoryAttribute.objects.get(category=neighbour, code="cause")
    with translation.override("en"):
        assert neighbour.display_name() == "Neighbour disputes"
        assert str(neighbour) == "0102 Neighbour disputes"
        assert untranslated.display_name() == "测试分类"
        assert cause.display_description() == "Cause of the dispute"
        assert cause.display_values()[0] == ("noise", "Noise")
        assert str(Specialty.objects.get(code="labour")) == "Labour disputes"
        assert str(PositionType.objects.get(code="mediator")) == "Mediator"
    with translation.override("zh-hans"):
        assert neighbour.display_name() == "邻里纠纷"
        assert cause.display_values()[0] == ("noise", "噪音")
        assert str(Specialty.objects.get(code="labour")) == "劳资纠纷"


def test_the_attribute_admin_form_refuses_english_names_that_are_not_an_object():
    form = AttributeForm(data={"code": "cause", "description": "纠纷起因",
                               "description_en": "Cause", "datatype": "singlevaluelist",
                               "values": '[["noise", "噪音"]]', "values_en": '["Noise"]',
                               "order": 1})
    assert not form.is_valid()
    assert form.errors["values_en"] == ['英文名称须为对象,例如 {"yes": "Yes"}。']
    form = AttributeForm(data={"code": "cause", "description": "纠纷起因",
                               "description_en": "Cause", "datatype": "singlevaluelist",
                               "values": '[["noise", "噪音"]]',
                               "values_en": '{"noise": "Noise"}', "order": 1})
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_an_administrator_edits_an_english_name_in_the_admin(world):
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    specialty = Specialty.objects.get(code="labour")
    url = reverse("admin:units_specialty_change", args=[specialty.pk])
    assert 'name="name_en"' in client.get(url).content.decode()
    response = client.post(url, {"code": "labour", "name": "劳资纠纷",
                                 "name_en": "Employment disputes"})
    assert response.status_code == 302
    specialty.refresh_from_db()
    assert (specialty.name, specialty.name_en) == ("劳资纠纷", "Employment disputes")


# --- routing notes -----------------------------------------------------------------------


def test_the_note_is_stored_in_chinese_and_shown_in_english(office):
    with translation.override("en"):  # an English-speaking grid worker files the case
        case = new_case(office)
    assert case.routing_note == "按专业领域“邻里纠纷”匹配:桃坞社区人民调解委员会"
    office.neighbour.specialty.name_en = "Neighbour disputes"
    office.neighbour.specialty.save()
    with translation.override("en"):
        assert display_note(case) == \
            'Matched by specialty "Neighbour disputes": 桃坞社区人民调解委员会'
    with translation.override("zh-hans"):
        assert display_note(case) == case.routing_note


def test_a_rule_note_names_the_rule_in_the_readers_language(office):
    office.neighbour.name_en = "Neighbour disputes"
    office.neighbour.save()
    rule = RoutingRule.objects.create(category=office.neighbour, area=office.world.community_a,
                                      level="community", unit=office.world.unit_a, priority=9)
    case = new_case(office)
    assert case.routing_rule == rule
    assert case.routing_note == (f"分流规则 #{rule.pk}:邻里纠纷 · 桃坞社区 · 村(社区) → "
                                 f"{office.world.unit_a}")
    with translation.override("en"):
        assert display_note(case) == (
            f"Routing rule #{rule.pk}: Neighbour disputes · 桃坞社区 · "
            f"{translation.gettext('村(社区)')} → {office.world.unit_a}")


def test_no_match_and_unknown_notes(office):
    case = new_case(office, area=office.world.grid_b1)  # no unit, no rule in street B
    assert case.routing_note == "无匹配规则,进入街道调度中心待派遣"
    with translation.override("en"):
        assert display_note(case) == translation.gettext("无匹配规则,进入街道调度中心待派遣")
        assert display_note(case) != case.routing_note
        case.routing_note = "人工指定"  # a note of another origin: shown as stored
        assert display_note(case) == "人工指定"


def test_the_case_page_in_english_shows_english_reference_data(office):
    office.neighbour.name_en = "Neighbour disputes"
    office.neighbour.save()
    labour = office.labour
    labour.name_en = "Labour disputes"
    labour.save()
    kind = labour.attributes.get(code="kind")
    kind.description_en = "Type of dispute"
    kind.values_en = {str(key): f"EN-{key}" for key, _name in kind.values}
    kind.save()
    key = str(kind.values[0][0])
    case = new_case(office, category=labour, attributes={"amount": 12000, "kind": key})
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(office.people["grid"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "Labour disputes" in page and "劳资纠纷" not in page
    assert "Type of dispute" in page and f"EN-{key}" in page
    assert case.routing_note not in page
