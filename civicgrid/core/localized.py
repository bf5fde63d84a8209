"""Reference data in the reader's language (ADR 0009).

Names an administrator maintains (categories, their questions and answers, specialties,
position types, warning rules) are stored in Chinese with an optional English twin in a
`<field>_en` column. `localized(obj)` picks the English one when the active language is
English and it is filled in, else the Chinese: an untranslated row reads as typed, never
as an empty label. Records (timeline, audit, documents) keep the Chinese they were written
with; pages ask this module at display time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import get_language


def is_english() -> bool:
    """Whether the active language is English (the only second language, settings.LANGUAGES)."""
    return (get_language() or "").split("-")[0] == "en"


def localized(obj: Any, field: str = "name") -> str:
    """`obj.<field>_en` in English mode when filled in, else `obj.<field>`."""
    chinese = getattr(obj, field, "")
    if is_english():
        english = getattr(obj, f"{field}_en", "")
        if english:
            return str(english)
    return "" if chinese is None else str(chinese)


def localized_values(values: Iterable[Any], values_en: Mapping[str, str] | None
                     ) -> list[tuple[str, str]]:
    """The (key, name) pairs of a list of choices stored as [[key, Chinese name], ...], with
    the English name from `values_en` ({key: English}) in English mode where there is one."""
    english = (values_en or {}) if is_english() else {}
    return [(str(key), english.get(str(key)) or str(name)) for key, name in values]


def enumeration(items: Iterable[object]) -> str:
    """Items joined as the reader's language lists them: 甲、乙 in Chinese, "a, b" in English
    (the enumeration comma 、 is not English punctuation)."""
    return (", " if is_english() else "、").join(str(item) for item in items)
