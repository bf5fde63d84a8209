from django import template

register = template.Library()


@register.filter
def cn_number(value):
    """Thousands separators in every language (no 万 abbreviation, so numbers stay exact)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
