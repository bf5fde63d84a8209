"""Unified social credit codes (GB 32100-2015), with expectations worked out by hand.

The alphabet's values: 0–9 the digits, then A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21
N22 P23 Q24 R25 T26 U27 W28 X29 Y30; the weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30
28."""

from __future__ import annotations

import pytest

from civicgrid.core.creditcodes import CreditCodeError, check_character, normalize_credit_code


@pytest.mark.parametrize(("first17", "expected"), [
    ("91350100M000100Y4", "3"),   # the standard's own example, 91350100M000100Y43
    ("00000000000000000", "0"),   # sum 0: 31 − 0 = 31, read as 0
    ("10000000000000000", "Y"),   # 1 × 1: 31 − 1 = 30, Y
    ("01000000000000000", "W"),   # 1 × 3: 31 − 3 = 28, W
    ("00000000000000001", "3"),   # 1 × 28: 31 − 28 = 3
    ("0000000000000000A", "Y"),   # 10 × 28 = 280 = 9 × 31 + 1: 31 − 1 = 30, Y
])
def test_check_character(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize("bad", ["", "9135010", "91350100M000100Y43", "91350100M00010OY4",
                                 "9135010IM000100Y4", "91350100m000100Y4"])
def test_check_character_refuses_what_is_not_17_characters_of_the_alphabet(bad):
    with pytest.raises(ValueError, match="17 characters"):
        check_character(bad)


@pytest.mark.parametrize(("typed", "expected"), [
    ("91350100M000100Y43", "91350100M000100Y43"),
    ("91350100m000100y43", "91350100M000100Y43"),            # lower case
    (" 9135 0100 M000 100Y 43\n", "91350100M000100Y43"),      # pasted with spaces
    ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),  # full-width
])
def test_a_valid_code_is_given_in_its_canonical_form(typed, expected):
    assert normalize_credit_code(typed) == expected


@pytest.mark.parametrize(("typed", "code"), [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("", "length"),
    ("91350100M00010OY43", "characters"),   # the letter O is not in the alphabet
    ("9135010IM000100Y43", "characters"),   # nor is I (and the area code must be digits)
    ("913501A0M000100Y43", "characters"),   # a letter in the area code
    ("B1350100M000100Y43", "authority"),    # B registers nothing
    ("91350100M000100Y44", "check_character"),
    ("91350100M000100Y4Y", "check_character"),
])
def test_an_invalid_code_is_refused_with_a_reason(typed, code):
    with pytest.raises(CreditCodeError) as caught:
        normalize_credit_code(typed)
    assert caught.value.code == code
    assert str(caught.value).startswith("统一社会信用代码")
