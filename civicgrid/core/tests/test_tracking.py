"""Tracking codes: format, the check symbol, lenient reading (civicgrid/core/tracking.py)."""

from __future__ import annotations

import pytest

from civicgrid.core.tracking import (
    ALPHABET,
    check_symbol,
    format_tracking_code,
    new_tracking_code,
    parse_tracking_code,
)

# Check symbols worked out by hand (Luhn mod 32, doubling from the rightmost payload symbol):
# 00000000 → 0; 00000001 → 1×2 = 2, 32−2 = 30 → Y; ABCD2345 → 10+4+6+2+26+12+22+10 = 92,
# 92 mod 32 = 28, 32−28 = 4 → 4; ZZZZZZZZ → 4×(1+30) + 4×31 = 248, mod 32 = 24 → 8.
VALID = [
    ("000000000", "000000000"),
    ("0000-0001-Y", "00000001Y"),
    ("ABCD-2345-4", "ABCD23454"),
    ("ZZZZ-ZZZZ-8", "ZZZZZZZZ8"),
    ("abcd 2345 4", "ABCD23454"),  # lower case, spaces
    ("abcd23454", "ABCD23454"),
    ("ＡＢＣＤ－２３４５－４", "ABCD23454"),  # full-width, as a Chinese IME types it
    ("ABCD—2345—4", "ABCD23454"),  # em dashes
    ("oooo-ooo1-y", "00000001Y"),  # O read as 0 (Crockford)
    (" 0000-000I-Y ", "00000001Y"),  # I read as 1
    ("0000-000l-y", "00000001Y"),  # l read as 1
]

INVALID = [
    "ABCD-2345-5",  # wrong check symbol
    "ABCE-2345-4",  # one symbol mistyped
    "ABCD-2354-4",  # two neighbours swapped
    "BACD-2345-4",  # two neighbours swapped
    "ABCD-2345",  # too short
    "ABCD-2345-4-4",  # too long
    "ABCU-2345-4",  # U is not in the alphabet
    "ABC*-2345-4",
    "320602-20260101-00001",  # a case number
    "",
]


@pytest.mark.parametrize(("raw", "stored"), VALID)
def test_valid_codes_are_read_leniently(raw, stored):
    assert parse_tracking_code(raw) == stored


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_codes_are_refused(raw):
    assert parse_tracking_code(raw) is None


def test_check_symbols_by_hand():
    assert check_symbol("00000000") == "0"
    assert check_symbol("00000001") == "Y"
    assert check_symbol("ABCD2345") == "4"
    assert check_symbol("ZZZZZZZZ") == "8"


def test_alphabet_has_no_confusable_letters():
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_every_single_substitution_is_caught():
    payload = "K7M2Q9XB"
    code = payload + check_symbol(payload)
    for position in range(len(code)):
        for symbol in ALPHABET:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1:]
                assert parse_tracking_code(typo) is None, typo


def test_new_codes():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:200]:
        assert len(code) == 9 and parse_tracking_code(code) == code
        assert parse_tracking_code(format_tracking_code(code).lower()) == code


def test_format():
    assert format_tracking_code("ABCD23454") == "ABCD-2345-4"
