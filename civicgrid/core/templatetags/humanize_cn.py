from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def cn_number(value):
    """Thousands separators in every language (no 万 abbreviation, so numbers stay exact)."""
    try:
        return number_format(int(value), force_grouping=True)
    except (TypeError, ValueError):
        return value
