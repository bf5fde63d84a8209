"""What civicgrid never stores (BRIEF.md, scope; docs/security.md): no column of any model,
no field of any form, no field or parameter of the JSON API, no column of the admin and no
question of any category may hold religion or belief, HIV status, political attitude, a
"key person" or control (管控) flag, a list of petitioners, a personal credit score, a
blacklist or a plate/camera track. The registry and imports (issues 15–16) will add many
fields: this guard reads every one of them."""

from __future__ import annotations

import contextlib
import importlib
import re

from django import forms
from django.apps import apps

from civicgrid.cases.loader import load_categories
from civicgrid.cases.models import Category, CategoryAttribute
from civicgrid.units.models import Specialty
from civicgrid.units.services import specialties_ensure_builtin

FORBIDDEN = re.compile(
    r"relig|belief|faith|\bhiv|\baids\b|credit_?score|blacklist|(?<!tem)plate|camera|"
    r"politic\w*_?(attitude|view|stance|leaning)|key_?person|petitioner_?list|watch_?list|"
    r"宗教|信仰|信教|艾滋|HIV|信用分|黑名单|车牌|人脸|政治态度|政治倾向|思想动态|"
    r"重点人口|重点人员|重点人\b|管控|布控|稳控|上访人员|访民", re.IGNORECASE)


def _words(*values: object) -> str:
    return " ".join(str(v) for v in values if v)


def test_no_model_field_holds_what_is_never_stored():
    offending = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            text = _words(field.name, getattr(field, "verbose_name", ""),
                          getattr(field, "help_text", ""), getattr(field, "db_column", ""))
            if FORBIDDEN.search(text):
                offending.append(f"{model._meta.label}.{field.name}")
    assert offending == []


def test_no_category_asks_what_is_never_stored(db):
    # The shipped taxonomy (a test that flushed the tables before this one removed what the
    # migration loaded): restored as `manage.py load_categories` does.
    specialties_ensure_builtin()
    load_categories(Category=Category, CategoryAttribute=CategoryAttribute,
                    Specialty=Specialty)
    questions = list(CategoryAttribute.objects.values_list("code", "description", "values"))
    assert len(questions) > 10  # the shipped taxonomy is loaded
    offending = [code for code, description, choices in questions
                 if FORBIDDEN.search(_words(code, description, choices))]
    assert offending == []


def _offending(named: dict[str, str]) -> list[str]:
    return sorted(where for where, text in named.items() if FORBIDDEN.search(text))


def _form_classes() -> list[type[forms.BaseForm]]:
    """Every form class the apps define (their forms modules imported)."""
    for config in apps.get_app_configs():
        if config.name.startswith("civicgrid."):
            with contextlib.suppress(ModuleNotFoundError):
                importlib.import_module(f"{config.name}.forms")
    found: list[type[forms.BaseForm]] = []
    pending: list[type[forms.BaseForm]] = [forms.BaseForm]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("civicgrid.") and ".tests" not in sub.__module__:
                found.append(sub)
    return found


def test_no_form_asks_what_is_never_stored():
    classes = _form_classes()
    assert len(classes) > 20  # the apps' forms were found
    named = {f"{cls.__module__}.{cls.__name__}.{name}": _words(
        name, field.label, field.help_text,
        # (a fixed list of choices; a model's rows are the models' fields, read above)
        "" if isinstance(field, forms.ModelChoiceField) else getattr(field, "choices", ""))
        for cls in classes for name, field in cls.base_fields.items()}
    assert _offending(named) == []


def _schema_words(node: object, path: str, out: dict[str, str]) -> None:
    """Every property and parameter of the OpenAPI document, with its title and text."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            out[f"{path}.{name}"] = _words(name, *(sub.get(k) for k in (
                "title", "description", "enum")) if isinstance(sub, dict) else ())
        if "name" in node and node.get("in") in ("query", "path", "header", "cookie"):
            out[f"{path}.{node['name']}"] = _words(node["name"], node.get("description"))
        for key, sub in node.items():
            _schema_words(sub, f"{path}/{key}", out)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _schema_words(sub, f"{path}[{i}]", out)


def test_no_field_of_the_json_api_holds_what_is_never_stored():
    from civicgrid.home.api import api

    named: dict[str, str] = {}
    _schema_words(api.get_openapi_schema(), "", named)
    assert len(named) > 100  # the document's fields were read
    assert _offending(named) == []


def test_no_column_of_the_admin_shows_what_is_never_stored():
    from django.contrib import admin

    named: dict[str, str] = {}
    for model, model_admin in admin.site._registry.items():
        where = f"{model._meta.label}.{type(model_admin).__name__}"
        columns = [*model_admin.list_display, *model_admin.search_fields,
                   *(f for f in model_admin.list_filter if isinstance(f, str)),
                   *model_admin.readonly_fields, *(model_admin.fields or ())]
        for _name, options in model_admin.fieldsets or ():
            columns += [f for f in options.get("fields", ()) if isinstance(f, str)]
        for column in columns:
            if not isinstance(column, str):
                continue
            method = getattr(model_admin, column, None)
            named[f"{where}.{column}"] = _words(
                column, getattr(method, "short_description", ""))
    assert len(named) > 20  # the admin's columns were read
    assert _offending(named) == []


def test_the_guard_recognises_the_words_it_guards():
    for word in ("religion", "宗教信仰", "hiv_status", "艾滋病", "credit_score", "黑名单",
                 "plate_number", "车牌号", "political_attitude", "政治态度", "key_person",
                 "is_key_person", "重点人员", "管控对象", "稳控", "petitioner_list",
                 "上访人员名单", "watchlist"):
        assert FORBIDDEN.search(word), word
    for word in ("phone", "address", "id_number", "ethnicity", "description", "template",
                 "petition", "信访", "重点青少年", "政治面貌", "党组织", "person", "key",
                 "control", "风险等级"):
        assert not FORBIDDEN.search(word), word
