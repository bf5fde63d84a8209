"""The one rule for a phone number, whoever types it: cases' parties, the portal, the JSON
API, Open311, hearing registrations. Kernel: no app."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy

# The one rule for a phone number, whoever types it (the staff intake and party pages, the
# portal, the JSON API, Open311): an 11-digit mobile number (1[3-9] and 9 digits), or a
# landline with its area code (0 and 2-3 digits, then 7-8 digits not starting with 0 or
# 1), optionally with an extension. Spaces, hyphens, dots and brackets between the digits
# and a +86 / 0086 country code are allowed.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(0[1-9]\d{1,2})-?([2-9]\d{6,7})(?:(?:-|转|分机|ext\.?|x|#)(\d{1,6}))?")
PHONE_RULE = gettext_lazy("手机号为1开头的11位数字;固定电话须带区号,如 0512-68881234,"
                          "分机号写在后面,如 0512-68881234-123")


def normalize_phone(raw: str) -> str:
    """The national number of a valid phone (PHONE_RULE), or "" if it is not one: a mobile
    as its 11 digits, a landline as its digits with the area code, an extension after a
    hyphen (051268881234-123). The stored, hashed and masked form."""
    text = re.sub(r"[\s().（）]", "", raw or "").lower()
    text = re.sub(r"^(?:\+86|0086|\+)-?", "", text)
    if _MOBILE.fullmatch(text.replace("-", "")):
        return text.replace("-", "")
    landline = _LANDLINE.fullmatch(text)
    if landline is None:
        return ""
    area, number, extension = landline.groups()
    return f"{area}{number}-{extension}" if extension else f"{area}{number}"
