"""Display masks for personal information."""

import pytest

from civicgrid.core.masking import mask_id_number, mask_name, mask_phone, phone_last4

# ID numbers


def test_id_number_keeps_the_first_3_and_last_2():
    masked = mask_id_number("11010519491231002X")
    assert masked == "110" + "*" * 13 + "2X"
    assert len(masked) == 18


def test_id_number_of_15_digits():
    assert mask_id_number("110105491231002") == "110" + "*" * 10 + "02"


def test_id_number_spaces_and_lower_case():
    assert mask_id_number(" 110105 19491231 002x ") == "110" + "*" * 13 + "2X"


@pytest.mark.parametrize("value", ["", "   ", None])
def test_id_number_empty(value):
    assert mask_id_number(value) == ""


@pytest.mark.parametrize("value, masked", [("1", "*"), ("12345", "*****"), ("123456", "123*56")])
def test_a_short_id_number_never_shows_whole(value, masked):
    assert mask_id_number(value) == masked


# Phone numbers


@pytest.mark.parametrize(
    "value",
    [
        "13812341234",
        "138 1234 1234",
        "138-1234-1234",
        "+86 138 1234 1234",
        "+8613812341234",
        "(+86) 138-1234-1234",
        "0086 13812341234",
        "008613812341234",
        "8613812341234",
        "１３８１２３４１２３４",  # full-width
    ],
)
def test_mobile_keeps_the_first_3_and_last_4(value):
    assert mask_phone(value) == "138****1234"


@pytest.mark.parametrize(
    "value, masked",
    [
        ("010-88881234", "*******1234"),  # landline with area code: 11 digits, not a mobile
        ("0755 8888 1234", "********1234"),
        ("88881234", "****1234"),
        ("+86 10 8888 1234", "******1234"),
        ("12345", "*2345"),
        ("1381234123", "******4123"),  # a digit short of a mobile number
        ("138123412345", "********2345"),  # a digit too many
    ],
)
def test_other_numbers_keep_the_last_4(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value, masked", [("110", "***"), ("1234", "****")])
def test_a_short_number_is_masked_whole(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value", ["", "  ", None, "无", "-"])
def test_phone_without_digits(value):
    assert mask_phone(value) == ""


def test_phone_last4():
    assert phone_last4("138-1234-5678") == "5678"
    assert phone_last4("+86 138 1234 5678") == "5678"
    assert phone_last4("010-8888 1234") == "1234"
    assert phone_last4("12") == "12"
    assert phone_last4("") == ""
    assert phone_last4("无") == ""


# Names


@pytest.mark.parametrize(
    "name, masked",
    [
        ("张三", "张*"),
        ("李小明", "李**"),
        ("王", "王"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳娜", "欧阳*"),
        ("司马懿", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("上官婉儿", "上官**"),
        ("单于丹", "单于*"),
        ("申屠嘉", "申屠*"),
        ("司马", "司*"),  # two characters never show whole
        ("欧小阳", "欧**"),  # 欧 alone is not a compound surname
        (" 张三 ", "张*"),
        ("买买提·艾力", "买**·**"),
        ("阿依古丽・买买提", "阿***・***"),
    ],
)
def test_chinese_names_keep_the_surname(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("surname", ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙",
                                     "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离",
                                     "淳于", "单于", "太史", "申屠"])
def test_every_compound_surname_of_the_brief(surname):
    assert mask_name(surname + "某某") == surname + "**"


@pytest.mark.parametrize(
    "name, masked",
    [("Smith", "S***"), ("John Smith", "J***"), ("A", "A***"), ("élodie", "é***")],
)
def test_latin_names_keep_the_first_letter(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("value", ["", "  ", None])
def test_name_empty(value):
    assert mask_name(value) == ""


def test_masks_are_stable_length_for_chinese_names():
    assert len(mask_name("欧阳娜娜")) == 4
    assert len(mask_name("李小明")) == 3
