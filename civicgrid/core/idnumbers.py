"""Chinese citizen ID numbers (公民身份号码, GB 11643-1999).

An 18-digit number is a 6-digit address code, the birth date as YYYYMMDD, a 3-digit
sequence (odd for men, even for women) and a check digit (ISO 7064 MOD 11-2: the first 17
digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum mod 11 indexing "10X98765432").
A first-generation 15-digit number has the birth date as YYMMDD (always 19YY) and no check
digit; `normalize_id_number` upgrades it to 18 digits.

The earliest accepted birth date is 1870-01-01, not a later "plausible" bound such as 1890,
because the standard's own example 440524188001010014 was born in 1880.

Pure Python: no models. Only the error messages use Django's translation machinery.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_DATE = date(1870, 1, 1)

# First two digits of the address code: provinces, autonomous regions, municipalities,
# Taiwan (71), Hong Kong (81), Macao (82), residence permits for Taiwan residents (83) and
# permanent residence ID cards for foreigners (91).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15",
    "21", "22", "23",
    "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46",
    "50", "51", "52", "53", "54",
    "61", "62", "63", "64", "65",
    "71", "81", "82", "83", "91",
})

_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")

Sex = Literal["male", "female"]


class IDNumberError(ValueError):
    """An invalid ID number. `message` is user-facing (Chinese, translatable); `code` is
    one of "length", "characters", "province", "birth_date", "check_digit"."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def _error_length() -> IDNumberError:
    return IDNumberError(_("身份证号码应为18位(一代身份证为15位)"), "length")


def _error_characters() -> IDNumberError:
    return IDNumberError(
        _("身份证号码只能包含数字,18位号码的最后一位可以是X"), "characters"
    )


def check_digit(first17: str) -> str:
    """The check digit for the first 17 digits of an 18-digit number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit() needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def clean_code(value: str) -> str:
    """What people type or paste, as a code: full-width characters made ASCII (NFKC),
    whitespace of any kind removed, upper case."""
    # NFKC turns full-width digits and letters (１２３Ｘ) into ASCII; whitespace of any
    # kind (people paste "110105 19491231 002X") goes.
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(text.split()).upper()


def _birth_date(number18: str) -> date:
    try:
        return date(int(number18[6:10]), int(number18[10:12]), int(number18[12:14]))
    except ValueError:
        raise IDNumberError(
            _("身份证号码中的出生日期不是有效的日期"), "birth_date"
        ) from None


def normalize_id_number(value: str, *, today: date | None = None) -> str:
    """The canonical 18-character form of an ID number, or IDNumberError.

    Spaces are removed and a lower-case x is upper-cased. A 15-digit number is upgraded
    to 18 digits. The birth date must be a real date between 1870-01-01 (see the module
    docstring) and `today` (default: the current date in the project's time zone).
    """
    number = clean_code(value)
    if len(number) not in (15, 18):
        raise _error_length()
    if len(number) == 15:
        if not _ID15.fullmatch(number):
            raise _error_characters()
        number = number[:6] + "19" + number[6:]
        number += check_digit(number)
        upgraded = True
    else:
        if not _ID18.fullmatch(number):
            raise _error_characters()
        upgraded = False

    if number[:2] not in PROVINCE_CODES:
        raise IDNumberError(
            _("身份证号码的前两位不是有效的省级行政区划代码"), "province"
        )

    born = _birth_date(number)
    if today is None:
        today = timezone.localdate()
    if born > today:
        raise IDNumberError(_("身份证号码中的出生日期晚于今天"), "birth_date")
    if born < EARLIEST_BIRTH_DATE:
        raise IDNumberError(_("身份证号码中的出生日期早于1870年"), "birth_date")

    if not upgraded and number[17] != check_digit(number[:17]):
        raise IDNumberError(
            _("身份证号码的校验位不正确,请核对后重新输入"), "check_digit"
        )
    return number


def _parsed(normalized: str) -> str:
    number = clean_code(normalized)
    if len(number) != 18:
        raise _error_length()
    if not _ID18.fullmatch(number):
        raise _error_characters()
    return number


def id_birth_date(normalized: str) -> date:
    """The birth date of a normalized (18-character) ID number."""
    return _birth_date(_parsed(normalized))


def id_sex(normalized: str) -> Sex:
    """"male" for an odd sequence number, "female" for an even one."""
    return "male" if int(_parsed(normalized)[16]) % 2 else "female"


def id_age(normalized: str, on: date) -> int:
    """Age in whole years on the date `on`. Someone born on 29 February turns a year
    older on 1 March in a common year."""
    born = id_birth_date(normalized)
    if on < born:
        raise ValueError("id_age(): `on` is before the birth date")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
