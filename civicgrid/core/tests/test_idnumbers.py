"""Chinese citizen ID numbers (GB 11643-1999)."""

from datetime import date

import pytest
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.core.idnumbers import (
    EARLIEST_BIRTH_DATE,
    PROVINCE_CODES,
    IDNumberError,
    check_digit,
    id_age,
    id_birth_date,
    id_sex,
    normalize_id_number,
)

TODAY = date(2025, 6, 1)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def with_check(first17: str) -> str:
    """An independent implementation of the check digit, for building test numbers."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def reason(value: str, **kwargs) -> str:
    with pytest.raises(IDNumberError) as info:
        normalize_id_number(value, **kwargs)
    return info.value.code


# The standard's examples


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_accepts_the_examples_of_the_standard(number):
    assert normalize_id_number(number, today=TODAY) == number


def test_check_digit_of_the_examples():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    with pytest.raises(ValueError):
        check_digit("1101051949123100")


def test_today_defaults_to_the_current_date():
    assert normalize_id_number("11010519491231002X") == "11010519491231002X"


# Clean-up of what people type


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105\t19491231\n002x",
        "１１０１０５１９４９１２３１００２ｘ",  # full-width
    ],
)
def test_spaces_lower_case_x_and_full_width_are_accepted(typed):
    assert normalize_id_number(typed, today=TODAY) == "11010519491231002X"


# Rejections, each with its reason


def test_rejects_a_wrong_check_digit():
    assert reason("110105194912310021", today=TODAY) == "check_digit"
    assert reason("440524188001010015", today=TODAY) == "check_digit"


@pytest.mark.parametrize("birth", ["19490231", "19491301", "19490000", "19000229", "20230229"])
def test_rejects_a_date_that_does_not_exist(birth):
    assert reason(with_check("110105" + birth + "002"), today=TODAY) == "birth_date"


def test_accepts_29_february_of_a_leap_year():
    number = with_check("110105" + "20000229" + "002")
    assert normalize_id_number(number, today=TODAY) == number


def test_rejects_a_birth_date_in_the_future():
    tomorrow = with_check("110105" + "20250602" + "001")
    assert reason(tomorrow, today=TODAY) == "birth_date"
    born_today = with_check("110105" + "20250601" + "001")
    assert normalize_id_number(born_today, today=TODAY) == born_today


def test_rejects_a_birth_date_before_1870():
    assert date(1870, 1, 1) == EARLIEST_BIRTH_DATE
    assert reason(with_check("110105" + "18691231" + "001"), today=TODAY) == "birth_date"
    earliest = with_check("110105" + "18700101" + "001")
    assert normalize_id_number(earliest, today=TODAY) == earliest


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002A",  # a letter other than X
        "1101051949123100X2",  # X not in last place
        "1101051949123100-2",
        "X10105194912310021",
        "11010549123100X",  # 15 digits never end in X
        "11010549123100A",
    ],
)
def test_rejects_letters(number):
    assert reason(number, today=TODAY) == "characters"


@pytest.mark.parametrize(
    "number",
    ["", "   ", "1101051949123100", "11010519491231002", "11010519491231002X1", "1101054912310"],
)
def test_rejects_a_wrong_length(number):
    assert reason(number, today=TODAY) == "length"


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "30", "38", "47", "55", "66",
                                      "70", "72", "80", "84", "90", "92", "99"])
def test_rejects_an_unknown_province(province):
    assert reason(with_check(province + "0105" + "19491231" + "002"), today=TODAY) == "province"


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_accepts_every_province(province):
    number = with_check(province + "0105" + "19491231" + "002")
    assert normalize_id_number(number, today=TODAY) == number


def test_province_codes_are_those_of_the_brief():
    expected = {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83", "91",
    }
    assert expected == PROVINCE_CODES


def test_the_error_is_a_value_error_with_a_translatable_chinese_message():
    with pytest.raises(ValueError) as info:
        normalize_id_number("110105194912310021", today=TODAY)
    error = info.value
    assert isinstance(error, IDNumberError)
    assert isinstance(error.message, Promise)  # gettext_lazy
    assert "校验位" in str(error)


def test_each_reason_has_its_own_message():
    messages = {
        str(pytest.raises(IDNumberError, normalize_id_number, value, today=TODAY).value)
        for value in [
            "1101051949",  # length
            "11010519491231002A",  # characters
            with_check("99" + "0105" + "19491231" + "002"),  # province
            with_check("110105" + "19490231" + "002"),  # no such date
            with_check("110105" + "20300101" + "002"),  # future
            with_check("110105" + "18600101" + "002"),  # too early
            "110105194912310021",  # check digit
        ]
    }
    assert len(messages) == 7
    assert all("身份证号码" in m for m in messages)


# First-generation (15-digit) numbers


def test_a_15_digit_number_is_upgraded_to_18():
    assert normalize_id_number("110105491231002", today=TODAY) == "11010519491231002X"
    assert normalize_id_number("440524800101001", today=TODAY) == with_check("44052419800101001")


def test_a_15_digit_number_is_checked_too():
    assert reason("110105490231002", today=TODAY) == "birth_date"
    assert reason("990105491231002", today=TODAY) == "province"


# Birth date, sex and age


def test_birth_date():
    assert id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_birth_date("440524188001010014") == date(1880, 1, 1)


def test_sex_from_the_sequence_number():
    assert id_sex("11010519491231002X") == "female"  # 002: even
    assert id_sex("440524188001010014") == "male"  # 001: odd
    assert id_sex(with_check("110105" + "19491231" + "999")) == "male"
    assert id_sex(with_check("110105" + "19491231" + "010")) == "female"


def test_age_in_whole_years():
    number = "11010519491231002X"
    assert id_age(number, date(2024, 12, 30)) == 74
    assert id_age(number, date(2024, 12, 31)) == 75
    assert id_age(number, date(1949, 12, 31)) == 0
    with pytest.raises(ValueError):
        id_age(number, date(1949, 12, 30))


def test_age_of_someone_born_on_29_february():
    number = with_check("110105" + "20000229" + "002")
    assert id_age(number, date(2001, 2, 28)) == 0
    assert id_age(number, date(2001, 3, 1)) == 1
    assert id_age(number, date(2004, 2, 29)) == 4


def test_accessors_reject_a_number_that_is_not_normalized():
    with pytest.raises(IDNumberError):
        id_sex("110105491231002")
    with pytest.raises(IDNumberError):
        id_birth_date("11010519491231002A")


# Properties


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    area=st.integers(0, 9999),
    born=st.dates(EARLIEST_BIRTH_DATE, TODAY),
    sequence=st.integers(0, 999),
)
def test_any_well_formed_number_is_accepted_and_any_other_check_digit_rejected(
    province, area, born, sequence
):
    number = with_check(f"{province}{area:04d}{born:%Y%m%d}{sequence:03d}")
    assert normalize_id_number(number, today=TODAY) == number
    assert id_birth_date(number) == born
    assert id_sex(number) == ("male" if sequence % 2 else "female")
    for wrong in set("0123456789X") - {number[-1]}:
        assert reason(number[:-1] + wrong, today=TODAY) == "check_digit"
