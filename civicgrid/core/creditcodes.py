"""Unified social credit codes of organisations (统一社会信用代码, GB 32100-2015).

Eighteen characters from the 31 of "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z): the
registering authority (1 机构编制, 5 民政, 9 工商/市场监管, …), the kind of organisation, the
6-digit area code of the registering office, the 9-character subject code (the former
organisation code, GB 11714) and a check character: the first 17 characters' values
weighted 3^(i-1) mod 31 (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28), the check
character's value 31 − (sum mod 31), 31 read as 0.

Only the structure and the check character are checked: individual businesses' subject codes
do not all follow GB 11714, so its own check digit inside is not asked for.

Pure Python: no models. Only the error messages use Django's translation machinery.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.core.idnumbers import clean_code

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# The registering authorities' first characters (GB 32100-2015 table 1 and its amendments):
# 1 机构编制, 5 民政, 9 工商/市场监管, N 农业, Y 其他, and the other departments of the table.
AUTHORITIES = frozenset("123456789ANY")

_CODE = re.compile(rf"[{CHARS}]{{2}}[0-9]{{6}}[{CHARS}]{{10}}")


class CreditCodeError(ValueError):
    """An invalid code. `message` is user-facing (Chinese, translatable); `code` is one of
    "length", "characters", "authority", "check_character"."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(c not in CHARS for c in first17):
        raise ValueError("check_character() needs 17 characters of the code's alphabet")
    total = sum(CHARS.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """The canonical form of a unified social credit code (upper case, no spaces, ASCII),
    or CreditCodeError."""
    code = clean_code(value)
    if len(code) != 18:
        raise CreditCodeError(_("统一社会信用代码应为18位"), "length")
    if not _CODE.fullmatch(code):
        raise CreditCodeError(
            _("统一社会信用代码只能包含数字和大写字母(不含I、O、S、V、Z),第3至8位为行政区划代码"),
            "characters")
    if code[0] not in AUTHORITIES:
        raise CreditCodeError(_("统一社会信用代码的第一位不是有效的登记管理部门代码"), "authority")
    if code[17] != check_character(code[:17]):
        raise CreditCodeError(
            _("统一社会信用代码的校验位不正确,请核对后重新输入"), "check_character")
    return code
