"""Display masks for personal information (PIPL): what lists, timelines and exports show.

Each function takes what a person typed (or what was stored) and returns a masked string
for display; none of them validates. Empty input gives "".
"""

from __future__ import annotations

import re
import unicodedata

MASK = "*"

# Two-character compound surnames (复姓) kept whole by `mask_name`.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "淳于", "单于", "太史", "申屠",
    "司空", "端木", "澹台", "南宫", "西门", "呼延", "独孤", "万俟", "闻人", "赫连",
})

# The separator in transliterated names of some ethnic minorities (阿依古丽·买买提).
_NAME_DOTS = frozenset("·•‧・.")

_NON_DIGITS = re.compile(r"[^0-9]")
_COUNTRY_CODE = re.compile(r"[(\[]?(?:\+|00)86[)\]]?")


def _compact(value: str | None) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(text.split())


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 2 characters, one * for each of the others
    (11010519491231002X -> 110*************2X). A value of 5 characters or fewer is
    masked whole, as keeping 3 + 2 would show all of it."""
    text = _compact(value).upper()
    if len(text) <= 5:
        return MASK * len(text)
    return text[:3] + MASK * (len(text) - 5) + text[-2:]


def _digits(value: str | None) -> str:
    return _NON_DIGITS.sub("", unicodedata.normalize("NFKC", value or ""))


def _national_number(value: str | None) -> str:
    """The digits of a phone number without the +86 / 0086 country code."""
    text = _compact(value)
    country_code = _COUNTRY_CODE.match(text)
    if country_code:
        return _digits(text[country_code.end() :])
    digits = _digits(text)
    if len(digits) == 13 and digits.startswith("861"):  # 86 13812341234
        return digits[2:]
    return digits


def mask_phone(value: str) -> str:
    """A masked phone number, digits only, without the country code.

    An 11-digit mobile number (starting with 1) keeps its first 3 and last 4 digits
    (138****1234); any other number keeps only its last 4 (010-8888 1234 ->
    *******1234). A number of 4 digits or fewer is masked whole. Input with no digits
    gives "".
    """
    digits = _national_number(value)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + MASK * 4 + digits[-4:]
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 4) + digits[-4:]


def phone_last4(value: str) -> str:
    """The last 4 digits of a phone number (fewer if it has fewer), for residents'
    tracking look-ups."""
    return _national_number(value)[-4:]


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY"))


def mask_name(value: str) -> str:
    """A masked personal name.

    A Chinese name keeps its surname and masks each other character (张三 -> 张*,
    欧阳娜娜 -> 欧阳**); a compound surname counts only in a name of 3 or more
    characters, so a 2-character name never shows whole (司马 -> 司*). A name of one
    character stays as it is. The dot in a transliterated name stays (买买提·艾力 ->
    买**·**). Any other name keeps its first letter: "Smith" -> "S***".
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    if not _is_cjk(text[0]):
        return text[0] + MASK * 3
    if len(text) == 1:
        return text
    keep = 2 if len(text) >= 3 and text[:2] in COMPOUND_SURNAMES else 1
    rest = "".join(c if c in _NAME_DOTS else MASK for c in text[keep:] if not c.isspace())
    return text[:keep] + rest


# --- personal data inside free text --------------------------------------------------------
# The published masking rule (docs/risk.md, "Comments and the masking rule"): what a person
# wrote is shown with the numbers and addresses below masked by the functions above. Names
# inside free text cannot be told from other words and are not masked; pages that publish
# free text say so.

# Mobile numbers as people write them: +86 / 86 before, spaces or dashes inside.
PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# Landlines with their area code (0512-68881234, 0512 6888 1234, 051268881234).
LANDLINE_IN_TEXT = re.compile(r"(?<![\d+])0[1-9]\d{1,2}[\s-]?[2-9]\d{2,3}[\s-]?\d{4}(?!\d)")
# Citizen ID numbers of 18 (the last may be X) or 15 digits.
ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
EMAIL_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
                           re.ASCII)


def mask_email(value: str) -> str:
    """An e-mail address with its local part masked but its first character:
    zhangsan@example.com -> z***@example.com."""
    local, _at, domain = (value or "").strip().partition("@")
    if not domain:
        return MASK * len(local)
    return (local[:1] + MASK * 3) + "@" + domain


def _mask_mobile_match(match: re.Match[str]) -> str:
    return mask_phone(_NON_DIGITS.sub("", match.group(0))[-11:])


def _mask_landline_match(match: re.Match[str]) -> str:
    return mask_phone(match.group(0))


def mask_personal_data_counted(text: str) -> tuple[str, int]:
    """`text` with the personal data the masking rule names masked, and how many were:
    e-mail addresses (z***@example.com), citizen ID numbers (110*************2X), mobile
    numbers (138****5678) and landlines (********1234). Everything else is left as written."""
    count = 0
    for pattern, replace in ((EMAIL_IN_TEXT, lambda m: mask_email(m.group(0))),
                             (ID_NUMBER_IN_TEXT, lambda m: mask_id_number(m.group(0))),
                             (PHONE_IN_TEXT, _mask_mobile_match),
                             (LANDLINE_IN_TEXT, _mask_landline_match)):
        text, found = pattern.subn(replace, text or "")
        count += found
    return text, count


def mask_personal_data(text: str) -> str:
    """`text` with e-mail addresses, ID numbers and phone numbers masked
    (`mask_personal_data_counted`)."""
    return mask_personal_data_counted(text)[0]
