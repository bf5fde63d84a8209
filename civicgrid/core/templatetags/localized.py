"""`{% load localized %}` `{{ category|localized }}`, `{{ attribute|localized:"description" }}`:
reference data in the reader's language (civicgrid/core/localized.py, ADR 0009)."""

from django import template

from civicgrid.core.localized import enumeration as _enumeration
from civicgrid.core.localized import localized as _localized

register = template.Library()


@register.filter
def localized(obj, field="name"):
    if obj is None or obj == "":
        return ""
    return _localized(obj, field)


@register.filter
def enumeration(items):
    """`{{ roles|enumeration }}`: 甲、乙 in Chinese, "a, b" in English."""
    return _enumeration(items)
