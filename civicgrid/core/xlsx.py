"""Small helpers for the XLSX workbooks civicgrid writes (openpyxl): a bold, shaded header
row, appended rows, column widths."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="E8EEF7")


def header_row(sheet: Worksheet, values: Sequence[str]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    sheet.freeze_panes = f"A{sheet.max_row + 1}"  # (a string: creates no cell)


def column_widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def workbook_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_text(value: Any) -> Any:
    """A value as a cell holds it: text that a spreadsheet would read as a formula
    (=, +, -, @ first) is kept as text (CSV/XLSX formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
