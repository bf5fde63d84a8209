"""Reference data in the reader's language (civicgrid/core/localized.py, ADR 0009)."""

from types import SimpleNamespace

from django.template import Context, Template
from django.utils import translation

from civicgrid.core.localized import enumeration, localized, localized_values


def test_english_when_filled_in_else_the_chinese():
    named = SimpleNamespace(name="邻里纠纷", name_en="Neighbour disputes")
    untranslated = SimpleNamespace(name="测试分类", name_en="")
    with translation.override("en"):
        assert localized(named) == "Neighbour disputes"
        assert localized(untranslated) == "测试分类"
    with translation.override("zh-hans"):
        assert localized(named) == "邻里纠纷"


def test_another_field_and_a_model_without_english():
    question = SimpleNamespace(description="纠纷起因", description_en="Cause of the dispute")
    bare = SimpleNamespace(name="城东街道")  # a name people typed: no English column
    with translation.override("en"):
        assert localized(question, "description") == "Cause of the dispute"
        assert localized(bare) == "城东街道"


def test_answers_take_the_english_names_they_have():
    values = [["noise", "噪音"], ["leak", "漏水"], ["new", "新增选项"]]
    english = {"noise": "Noise", "leak": "Water leak"}
    with translation.override("en"):
        assert localized_values(values, english) == [
            ("noise", "Noise"), ("leak", "Water leak"), ("new", "新增选项")]
        assert localized_values(values, None) == [
            ("noise", "噪音"), ("leak", "漏水"), ("new", "新增选项")]
    with translation.override("zh-hans"):
        assert localized_values(values, english) == [
            ("noise", "噪音"), ("leak", "漏水"), ("new", "新增选项")]


def test_enumeration_uses_the_languages_list_separator():
    with translation.override("en"):
        assert enumeration(["Noise", "Water leak"]) == "Noise, Water leak"
    with translation.override("zh-hans"):
        assert enumeration(["噪音", "漏水"]) == "噪音、漏水"


def test_the_template_filter():
    template = Template('{% load localized %}{{ c|localized }}|{{ a|localized:"description" }}'
                        '|{{ none|localized }}')
    context = Context({"c": SimpleNamespace(name="危房", name_en="Unsafe buildings"),
                       "a": SimpleNamespace(description="问题", description_en="Problem"),
                       "none": None})
    with translation.override("en"):
        assert template.render(context) == "Unsafe buildings|Problem|"
    with translation.override("zh-hans"):
        assert template.render(context) == "危房|问题|"


def test_the_enumeration_filter():
    template = Template("{% load localized %}{{ items|enumeration }}")
    with translation.override("en"):
        assert template.render(Context({"items": ["Handler", "Unit head"]})) == \
            "Handler, Unit head"
    with translation.override("zh-hans"):
        assert template.render(Context({"items": ["承办人", "单位负责人"]})) == "承办人、单位负责人"
