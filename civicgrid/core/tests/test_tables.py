"""The reader of uploaded tables (civicgrid/core/tables.py) with honest and hostile files:
each refusal is a ValidationError with a message, never another exception."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from civicgrid.core.tables import header_key, table_read
from civicgrid.core.xlsx import workbook_bytes

CSV_TEXT = "用户名,姓名,Roles\nzhang_w,张伟,网格员\n\n li_n , 李娜 ,handler\n"
EXPECTED_HEADER = ("用户名", "姓名", "roles")
EXPECTED_ROWS = ((2, ("zhang_w", "张伟", "网格员")), (4, ("li_n", "李娜", "handler")))


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    return workbook_bytes(book)


def _refused(data: bytes, filename: str, **limits) -> str:
    with pytest.raises(ValidationError) as refused:
        table_read(data, filename=filename, **{"max_rows": 10, **limits})
    return refused.value.messages[0]


def test_a_utf8_csv_is_read_with_its_row_numbers_and_digest():
    data = CSV_TEXT.encode("utf-8")
    table = table_read(data, filename="people.csv", max_rows=10)
    assert table.header == EXPECTED_HEADER
    assert table.rows == EXPECTED_ROWS
    assert table.sha256 == hashlib.sha256(data).hexdigest()
    assert table.records()[0] == (2, {"用户名": "zhang_w", "姓名": "张伟", "roles": "网格员"})


def test_a_utf8_csv_with_bom_reads_the_same():
    table = table_read(b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"), filename="P.CSV", max_rows=10)
    assert (table.header, table.rows) == (EXPECTED_HEADER, EXPECTED_ROWS)


def test_a_gb18030_csv_reads_the_same():
    data = CSV_TEXT.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # (so the fallback is what read it)
    table = table_read(data, filename="people.csv", max_rows=10)
    assert (table.header, table.rows) == (EXPECTED_HEADER, EXPECTED_ROWS)


def test_an_xlsx_reads_the_same_and_numbers_keep_their_digits():
    data = _xlsx([["用户名", "姓名", " ROLES "], ["zhang_w", "张伟", "网格员"], [],
                  ["li_n", "李娜", "handler"], ["code", 320602001001001, 1.5]])
    table = table_read(data, filename="people.xlsx", max_rows=10)
    assert table.header == EXPECTED_HEADER
    assert table.rows == (*EXPECTED_ROWS, (5, ("code", "320602001001001", "1.5")))


def test_header_keys_are_stripped_and_case_folded():
    assert header_key("  Display   Name ") == "display name"
    assert header_key("用户名") == "用户名"


def test_a_zip_bomb_named_xlsx_is_refused_before_opening():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 200 * 1024  # 60 MB unpacked from a small file
    assert "压缩比异常" in _refused(data, "bomb.xlsx")
    # Under the total limit, a ratio of 1000:1 alone refuses too.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (5 * 1024 * 1024))
    assert "压缩比异常" in _refused(buffer.getvalue(), "small_bomb.xlsx")


def test_a_file_that_is_not_a_zip_named_xlsx_is_refused():
    assert "不是 Excel 工作簿" in _refused(CSV_TEXT.encode(), "people.xlsx")
    assert "不是 Excel 工作簿" in _refused(b"PK\x03\x04 truncated", "people.xlsx")


def test_old_and_macro_formats_are_refused():
    assert "旧版 Excel" in _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
                                   "people.xlsx")
    assert "旧版 Excel" in _refused(_xlsx([["a"]]), "people.xls")
    assert "旧版 Excel" in _refused(_xlsx([["a"]]), "people.xlsm")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"macro")
    assert "含宏" in _refused(buffer.getvalue(), "renamed.xlsx")
    assert "只能上传" in _refused(CSV_TEXT.encode(), "people.txt")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_too_many_rows_are_refused(kind):
    rows = [["用户名"]] + [[f"u{i}"] for i in range(11)]
    data = ("\n".join(r[0] for r in rows).encode() if kind == "csv" else _xlsx(rows))
    assert "最多 10 行" in _refused(data, f"people.{kind}")
    # Ten rows are fine.
    assert len(table_read(data, filename=f"p.{kind}", max_rows=11).rows) == 11


def test_rows_far_below_the_data_are_refused_without_walking_them():
    book = Workbook()
    sheet = book.active
    sheet.append(["用户名"])
    sheet.cell(row=1_000_000, column=1, value="far")
    assert "最多 10 行" in _refused(workbook_bytes(book), "far.xlsx")


def test_nul_bytes_are_refused():
    assert "空字符" in _refused(b"a,b\n1,\x002\n", "nul.csv")
    assert "空字符" in _refused("用户名\n张".encode("utf-16"), "utf16.csv")


def test_long_cells_wide_rows_and_bad_headers_are_refused():
    assert "过长" in _refused(("a\n" + "x" * 201 + "\n").encode(), "long.csv")
    assert "列数过多" in _refused(",".join(f"c{i}" for i in range(51)).encode(), "wide.csv")
    assert "超出了表头" in _refused(b"a,b\n1,2,3\n", "extra.csv")
    assert "重复" in _refused(b"Name, name \n1,2\n", "dup.csv")
    assert "空白的列名" in _refused(b"a,,b\n1,2,3\n", "blank.csv")
    assert "空的" in _refused(b"\n\n", "empty.csv")
    assert "空的" in _refused(b",,\n", "commas.csv")
    assert "过大" in _refused(b"a\n" * 10, "big.csv", max_bytes=5)
    assert "CSV" in _refused(b'a\n"' + b"x" * 200_000 + b"\n", "field.csv", max_cell=10**6)
