"""What civicgrid never stores (BRIEF.md, scope; docs/security.md): no column of any model
and no question of any category may hold religion or belief, HIV status, a personal credit
score, a blacklist or a plate/camera track. The registry and imports (issues 15–16) will add
many fields: this guard reads every one of them."""

from __future__ import annotations

import re

from django.apps import apps

from civicgrid.cases.loader import load_categories
from civicgrid.cases.models import Category, CategoryAttribute
from civicgrid.units.models import Specialty
from civicgrid.units.services import specialties_ensure_builtin

FORBIDDEN = re.compile(
    r"relig|belief|faith|\bhiv|\baids\b|credit_?score|blacklist|(?<!tem)plate|camera|"
    r"宗教|信仰|信教|艾滋|HIV|信用分|黑名单|车牌|人脸", re.IGNORECASE)


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


def test_the_guard_recognises_the_words_it_guards():
    for word in ("religion", "宗教信仰", "hiv_status", "艾滋病", "credit_score", "黑名单",
                 "plate_number", "车牌号"):
        assert FORBIDDEN.search(word), word
    for word in ("phone", "address", "id_number", "ethnicity", "description", "template"):
        assert not FORBIDDEN.search(word), word
