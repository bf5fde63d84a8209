"""Reading a table that someone uploaded (CSV or XLSX) without trusting it.

One entry point, `table_read`, for every bulk import (users now, the registry later). It
returns the header and the rows as text, or refuses with a `ValidationError` whose message
says what to fix — never an exception that would end as a 500:

- the format is chosen by the file name and confirmed by the bytes: `.csv` is text, `.xlsx`
  a zip; `.xls`, `.xlsm`, `.xlsb` and anything else are refused (old binary formats and
  macro-enabled workbooks are not read at all);
- a CSV is UTF-8 (with or without the BOM Excel writes) or, failing that strictly,
  GB18030 (what Excel on a Chinese Windows saves as "CSV");
- before openpyxl opens an XLSX its zip directory is inspected: too many members, a total
  unpacked size above `max_unpacked` or an unpacked/packed ratio above `max_ratio` (a zip
  bomb), or a VBA project inside, refuse it. Python's zipfile never inflates a member
  beyond its declared size, so the declared sizes bound the work. openpyxl then opens it
  read-only (streaming) and data-only (cached values, no formulas);
- at most `max_rows` data rows (blank rows are skipped but still bounded), `max_columns`
  columns, `max_cell` characters per cell; NUL bytes are refused;
- header cells are stripped and case-folded (English aliases match in any case).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 200
MAX_COLUMNS = 50
MAX_CELL = 200
# Blank rows are skipped, but a sheet whose rows lie far below its data (row 1,048,576)
# would make the reader walk every row in between: so many rows at most, blank or not.
BLANK_ROWS_ALLOWED = 1000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: the old binary formats
ZIP_MAGIC = b"PK\x03\x04"


def _old_or_macro() -> str:
    return _("不支持旧版 Excel(.xls)或含宏的工作簿,请另存为 .xlsx 或 CSV 后上传。")


@dataclass(frozen=True)
class Table:
    """An uploaded table: the normalised header, the non-blank data rows with the row
    number a spreadsheet shows (the header is row 1 when it is the first line), every row
    as long as the header, and the SHA-256 of the file's bytes."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    sha256: str

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Each row as {header: value}, with its row number."""
        return [(number, dict(zip(self.header, values, strict=True)))
                for number, values in self.rows]


def header_key(value: str) -> str:
    """How header cells are compared: stripped, inner spaces collapsed, case-folded."""
    return " ".join(value.split()).casefold()


def table_read(
    data: bytes,
    *,
    filename: str,
    max_rows: int,
    max_cell: int = MAX_CELL,
    max_columns: int = MAX_COLUMNS,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_unpacked: int = MAX_UNPACKED_BYTES,
    max_ratio: int = MAX_ZIP_RATIO,
) -> Table:
    """Read an uploaded CSV or XLSX file (see the module's docstring for what is refused)."""
    if len(data) > max_bytes:
        raise ValidationError(_("文件过大:不能超过 %(mb)s MB。") % {
            "mb": max_bytes // (1024 * 1024)})
    if not data.strip():
        raise ValidationError(_("文件是空的。"))
    suffix = PurePath(filename or "").suffix.casefold()
    if suffix in (".xls", ".xlsm", ".xlsb", ".xltm", ".et") or data.startswith(OLE_MAGIC):
        raise ValidationError(_old_or_macro())
    if suffix == ".csv":
        if data.startswith(ZIP_MAGIC):
            raise ValidationError(_("文件名是 .csv,但内容不是文本,请检查文件。"))
        lines = _csv_rows(_decode(data))
    elif suffix == ".xlsx":
        lines = _xlsx_rows(data, max_columns=max_columns, max_unpacked=max_unpacked,
                           max_ratio=max_ratio)
    else:
        raise ValidationError(_("只能上传 .xlsx 或 .csv 文件。"))
    try:
        header, rows = _collect(lines, max_rows=max_rows, max_cell=max_cell,
                                max_columns=max_columns)
    except csv.Error as exc:
        raise ValidationError(_("CSV 文件格式有误:%(error)s") % {"error": exc}) from exc
    return Table(header=header, rows=rows, sha256=hashlib.sha256(data).hexdigest())


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise ValidationError(_("文件含有空字符(NUL),不是 UTF-8 或 GB18030 编码的 CSV。"
                                "请在 Excel 中另存为“CSV UTF-8”。"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("无法识别文件编码,请另存为“CSV UTF-8”后上传。")) from exc


def _csv_rows(text: str) -> Iterator[Sequence[Any]]:
    # csv refuses a field over its limit (131,072 characters) with csv.Error: caught above.
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(data: bytes, *, max_columns: int, max_unpacked: int,
               max_ratio: int) -> Iterator[Sequence[Any]]:
    _check_zip(data, max_unpacked=max_unpacked, max_ratio=max_ratio)
    from openpyxl import load_workbook  # (slow to import; only when an XLSX comes)

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (whatever openpyxl raises on a bad file)
        raise ValidationError(_("无法读取该 Excel 文件,请确认是 .xlsx 格式。")) from exc
    try:
        if not book.worksheets:
            raise ValidationError(_("工作簿中没有工作表。"))
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the declared size may lie: read the rows as they are
        try:
            yield from sheet.iter_rows(max_col=max_columns, values_only=True)
        except Exception as exc:  # noqa: BLE001 (a malformed sheet, found while streaming)
            raise ValidationError(_("无法读取该 Excel 文件,请确认是 .xlsx 格式。")) from exc
    finally:
        book.close()


def _check_zip(data: bytes, *, max_unpacked: int, max_ratio: int) -> None:
    if not data.startswith(ZIP_MAGIC) or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError(_("文件名是 .xlsx,但内容不是 Excel 工作簿,请检查文件。"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(_("文件名是 .xlsx,但内容不是 Excel 工作簿,请检查文件。")) from exc
    names = {m.filename.casefold() for m in members}
    if "xl/workbook.xml" not in names:
        raise ValidationError(_("文件名是 .xlsx,但内容不是 Excel 工作簿,请检查文件。"))
    if any(name.endswith("vbaproject.bin") for name in names):
        raise ValidationError(_old_or_macro())
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if (len(members) > MAX_ZIP_MEMBERS or unpacked > max_unpacked
            or unpacked > max_ratio * max(packed, 1)):
        raise ValidationError(_("该 Excel 文件解压后过大或压缩比异常,已拒绝读取。"
                                "请删除多余的工作表和格式后重新保存。"))


def _text(value: Any) -> str:
    """A cell as text: numbers as typed (an area code stored as a number keeps all its
    digits), dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _collect(lines: Iterable[Iterable[Any]], *, max_rows: int, max_cell: int,
             max_columns: int) -> tuple[tuple[str, ...], tuple[tuple[int, tuple[str, ...]], ...]]:
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    for number, line in enumerate(lines, start=1):
        if number > max_rows + 1 + BLANK_ROWS_ALLOWED:
            raise ValidationError(_("行数过多:每次最多 %(n)s 行数据。") % {"n": max_rows})
        cells = [_text(v) for v in line]
        for column, cell in enumerate(cells, start=1):
            if "\x00" in cell:
                raise ValidationError(_("第 %(row)s 行第 %(col)s 列含有空字符(NUL)。") % {
                    "row": number, "col": column})
            if len(cell) > max_cell:
                raise ValidationError(_("第 %(row)s 行第 %(col)s 列过长:每格最多 %(n)s 个字符。")
                                      % {"row": number, "col": column, "n": max_cell})
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue  # a blank row
        if header is None:
            if len(cells) > max_columns:
                raise ValidationError(_("列数过多:最多 %(n)s 列。") % {"n": max_columns})
            header = tuple(header_key(c) for c in cells)
            if "" in header:
                raise ValidationError(_("表头有空白的列名,请填写或删除该列。"))
            repeated = sorted({h for h in header if header.count(h) > 1})
            if repeated:
                raise ValidationError(_("表头有重复的列:%(names)s") % {
                    "names": "、".join(repeated)})
            continue
        if len(cells) > len(header):
            raise ValidationError(_("第 %(row)s 行的数据超出了表头的列数。") % {"row": number})
        if len(rows) >= max_rows:
            raise ValidationError(_("行数过多:每次最多 %(n)s 行数据。") % {"n": max_rows})
        rows.append((number, tuple(cells + [""] * (len(header) - len(cells)))))
    if header is None:
        raise ValidationError(_("文件是空的。"))
    return header, tuple(rows)
