"""XLSX and PDF downloads of the analysis reports and the safety data release.

Both print the same objects as the pages (civicgrid/reports/selectors.py), so a number is
the same wherever it is read; the tests parse the files back and compare. The PDFs reuse
the vendored, embedded fonts and the table helpers of civicgrid/cases/documents.py.
Pure functions: report or release in, bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.platypus import Flowable, Spacer, Table

from civicgrid.cases.documents import (
    BODY_FLUSH,
    CELL_SIZE,
    CONTENT_WIDTH,
    LABEL_FILL,
    build_pdf,
    chinese_number,
    grid_style,
    paragraph,
    paragraph_style,
    pdf_heading,
    pdf_title,
    table_cell,
)
from civicgrid.reports.selectors import (
    RELEASE_MEASURES,
    AnalysisReport,
    Cell,
    ReleaseView,
    release_label,
)
from civicgrid.reports.selectors import (
    Table as ReportTable,
)
from civicgrid.reports.suppression import SMALL

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT_FORMAT = '0.00"%"'
CHANGE_FORMAT = '+0.0"%";-0.0"%";0.0"%"'
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
NUMBER = paragraph_style("number", CELL_SIZE, 14.5, alignment=TA_RIGHT)
HEADER = paragraph_style("header", 9.5, 13, alignment=TA_CENTER)
# The internal release has ten columns: widths that fit "去年同月" and "-100.0%" unwrapped.
RELEASE_WIDTHS = (60.0, 42.0, 42.0, 48.0, 48.0, 50.0, 48.0, 50.0, 34.0, 34.0)


ENGLISH_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                   "nine", "ten")


def _count_word(n: int) -> str:
    """A small number in words (三 / three): public notes carry no digits below 5, so the
    check that no small count is shown can read every digit."""
    if not translation.get_language().startswith("en"):
        return chinese_number(n)
    return ENGLISH_NUMBERS[n] if 0 <= n < len(ENGLISH_NUMBERS) else str(n)

def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- XLSX --------------------------------------------------------------------------------

def _xlsx_value(cell: Cell) -> tuple[Any, str | None]:
    if cell.value is None:
        return "—", None
    if cell.kind == "count":
        return int(cell.value), None
    value = float(Decimal(cell.value))
    return value, PERCENT_FORMAT if cell.kind == "percent" else CHANGE_FORMAT


def _append(sheet, values: Sequence[Any]) -> None:
    """Append a row; text is always text (a name beginning with "=" is not a formula)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _header(sheet, values: Sequence[str]) -> None:
    _append(sheet, values)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(sheet, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def _table_sheet(book: Workbook, table: ReportTable) -> None:
    sheet = book.create_sheet(_sheet_title(table.title))
    with_code = any(row.code for row in table.rows)
    _header(sheet, [table.label_header, *([_("代码")] if with_code else []), *table.columns])
    for row in table.rows:
        values: list[Any] = [row.label, *([row.code] if with_code else [])]
        formats: list[str | None] = [None] * len(values)
        for cell in row.cells:
            value, fmt = _xlsx_value(cell)
            values.append(value)
            formats.append(fmt)
        _append(sheet, values)
        for cell, fmt in zip(sheet[sheet.max_row], formats, strict=True):
            if fmt:
                cell.number_format = fmt
    _widths(sheet, [24, *([16] if with_code else []), *([14] * len(table.columns))])
    sheet.freeze_panes = "B2"


def report_xlsx(report: AnalysisReport) -> bytes:
    book = Workbook()
    info = book.active
    info.title = _("说明")
    _append(info, [report.title])
    info["A1"].font = Font(bold=True, size=14)
    _append(info, [_("区域"), report.area.name, report.area.code])
    info.append([_("统计期间"), report.span.start.isoformat(), report.span.end.isoformat()])
    info.append([_("生成时间"), _local(report.generated_at),
                 "" if report.complete else _("本期尚未结束,数字截至生成时间")])
    info.append([])
    _header(info, [_("指标"), _("本期")])
    for label, cell in report.cards:
        _append(info, [label, _xlsx_value(cell)[0]])
    info.append([_("当前超时事件数"), report.overdue_total.value])
    info.append([])
    for table in report.tables:
        if table.note:
            _append(info, [table.title, table.note])
    _widths(info, [24, 24, 40])
    for table in report.tables:
        _table_sheet(book, table)
    sheet = book.create_sheet(_("超时事件"))
    _header(sheet, [_("编号"), _("分类"), _("发生地"), _("承办单位"), _("本阶段时限"),
                    _("超时倍数")])
    for line in report.overdue:
        case = line.case
        _append(sheet, [case.number, case.category.name, case.area.name,
                      case.assigned_unit.name if case.assigned_unit else "",
                      _local(case.stage_due_at) if case.stage_due_at else "", line.multiple])
    _widths(sheet, [24, 18, 18, 24, 18, 10])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def release_columns(view: ReleaseView) -> list[str]:
    columns = [_("项目"), _("本月"), _("上月"), _("去年同月")]
    if view.public:
        return [*columns, _("环比"), _("同比"), _("预警")]
    return [*columns, _("环比增减"), _("环比"), _("同比增减"), _("同比"), _("预警"),
            _("排名")]


def release_rows(view: ReleaseView, *, text: bool = False) -> list[list[Any]]:
    """The release table: plain values for the XLSX, or (text=True) as printed."""
    rows: list[list[Any]] = []
    for line in view.lines:
        counts: list[Any] = [c.text if text or c.value is None else c.value
                             for c in line.cells]
        flag = _("偏高") if line.flagged else ""
        if view.public:
            rows.append([line.label, *counts, line.mom_pct, line.yoy_pct, flag])
            continue
        mom: Any = line.mom_abs
        yoy: Any = line.yoy_abs
        if text:
            mom, yoy = (f"{v:+,d}" if v else "0" for v in (line.mom_abs, line.yoy_abs))
        rows.append([line.label, *counts, mom, line.mom_pct, yoy, line.yoy_pct, flag,
                     line.rank])
    return rows


def release_notes(view: ReleaseView, *, suppression: bool = False) -> list[str]:
    """The notes printed under a release; `suppression` adds the public version's rule to
    an internal one (the page that publishes it)."""
    rule = view.flag_rule
    notes = [
        _("事件总数为当月登记的全部事件(含不予受理、合并件),其余各项按事件分类的类别统计,"
          "各项之和等于总数。"),
        _("环比 = (本月 − 上月) ÷ 上月 × 100%;同比 = (本月 − 去年同月) ÷ 去年同月 × 100%;"
          "对比月为零时不计算。"),
    ]
    if view.public or view.siblings_of:
        notes.append(_("“偏高”:数量在%(parent)s所辖各区域中居前%(top)s位、不少于%(min)s件且高于"
                       "平均数。") % {"parent": view.parent_name or _("上级"),
                                    "top": _count_word(int(rule.get("top", 0))),
                                    "min": rule.get("minimum")})
    if view.public or suppression:
        notes.append(_("公开版中少于%(n)s件(含零)的数字显示为“<%(n)s”;为防止通过总数相减推算出这些"
                       "数字,另有部分数字显示为“—”;涉及上述数字的环比、同比不予公布。")
                     % {"n": SMALL})
    if view.risk:
        notes.append(_("应评尽评率 = 当月登记、须经社会稳定风险评估且未获批免予评估的"
                       "重大事项(不含已撤销的)中,已完成评估定级的件数 ÷ 上述事项件数 × 100%;"
                       "按事项所属区域统计,无须评估的事项时显示“—”。"))
        if view.public:
            notes.append(_("公开版只公布应评尽评率;须评估的事项少于%(n)s件时不公布。")
                         % {"n": SMALL})
    else:
        notes.append(_("本次发布早于风险评估模块上线,不含社会稳定风险评估数据。"))
    if view.safety is not None:
        notes.append(_("群众安全感指数 = 安全感调查中回答“很安全”“安全”“基本安全”的受访者"
                       "(加权)所占比例,附95%置信区间;取截至本月底已结束的最近一次调查:本区域的调查,"
                       "或上级区域调查中本区域的结果,均无时取上级调查的总体结果。没有调查时显示"
                       "“暂无调查”。"))
        if view.public:
            notes.append(_("受访少于100人或区间半宽超过五个百分点的调查结果样本不足,不予公布"
                           "(显示“样本不足,不予公布”)。"))
        else:
            notes.append(_("受访少于100人或区间半宽超过五个百分点的调查结果样本不足:本区域调查"
                           "样本不足而同期上级调查中本区域的结果可以公布时取后者;否则内部版"
                           "标注“样本不足,仅供参考”,不作达标判断,公开版不予公布。下级区域一栏只列"
                           "各区域本身的调查结果,不列取自上级区域的结果。"))
    return notes


def release_safety_rows(view: ReleaseView) -> list[list[Any]]:
    """群众安全感指数 under the release table, as printed (texts), padded to its columns."""
    if view.safety is None:
        return []
    width = len(release_columns(view))
    line = view.safety
    cells = [_("群众安全感指数"), line.text, line.target, line.source]
    return [[*cells, *([""] * (width - len(cells)))]]


def release_risk_rows(view: ReleaseView) -> list[list[Any]]:
    """The risk-assessment lines under the release table, as printed (texts), padded to
    the table's columns."""
    width = len(release_columns(view))
    return [[row.label, *row.cells, *([""] * (width - 4))] for row in view.risk]


def release_xlsx(view: ReleaseView, *, published: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("平安数据")
    _append(sheet, [view.title + ("" if not view.public else _("(公开版)"))])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, [published or _("未发布(实时数据)")])
    sheet.append([])
    _header(sheet, release_columns(view))
    for row in release_rows(view):
        _append(sheet, [_percent_number(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, float):
                cell.number_format = CHANGE_FORMAT
    for row in release_risk_rows(view):  # (texts: a rate is not a change)
        _append(sheet, row)
    for row in release_safety_rows(view):
        _append(sheet, row)
    sheet.append([])
    for note in release_notes(view):
        _append(sheet, [note])
    _widths(sheet, [16, 10, 10, 10, 12, 12, 12, 12, 8, 8])
    if view.children:
        children = book.create_sheet(_("下级区域"))
        risk = [_("应评尽评率")] if view.risk else []
        safety = [_("群众安全感指数")] if view.safety is not None else []
        _header(children, [_("区域"), _("代码"),
                           *(release_label(m) for m in RELEASE_MEASURES), *risk, *safety])
        for child in view.children:
            _append(children, [child.name, child.code, *(c.value for c in child.cells),
                               *([child.risk or "—"] if risk else []),
                               *([child.safety or "—"] if safety else [])])
        _widths(children, [18, 12, *([10] * len(RELEASE_MEASURES))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _percent_number(value: Any) -> Any:
    """"+14.0%" → 14.0 (a number the sheet formats as a change); anything else as it is."""
    if isinstance(value, str) and value.endswith("%"):
        return float(value[:-1])
    return value


# --- PDF ---------------------------------------------------------------------------------

def _pdf_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               first_width: float, widths: Sequence[float] | None = None) -> Table:
    """A grid: a shaded header, the first column text, the others right-aligned numbers."""
    columns = max(len(header) - 1, 1)
    rest = (CONTENT_WIDTH - first_width) / columns
    data: list[list[Any]] = [[paragraph(h, HEADER) for h in header]]
    data += [[table_cell(row[0]), *(paragraph(text, NUMBER) for text in row[1:])] for row in rows]
    return Table(data, colWidths=list(widths or [first_width, *([rest] * columns)]),
                 repeatRows=1, style=grid_style(("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL)))


def _table_flowables(table: ReportTable) -> list[Flowable]:
    with_code = any(row.code for row in table.rows)
    header = [table.label_header, *table.columns]
    rows = [[f"{row.label} {row.code}" if with_code and row.code != row.label else row.label,
             *(cell.text for cell in row.cells)] for row in table.rows]
    out: list[Flowable] = [*pdf_heading(table.title)]
    if rows:
        out.append(_pdf_table(header, rows, 150.0 if len(header) > 4 else 190.0))
    else:
        out.append(paragraph(_("无"), BODY_FLUSH))
    if table.note:
        out.append(paragraph(table.note, paragraph_style("note", 9, 13)))
    return out


def report_pdf(report: AnalysisReport) -> bytes:
    story: list[Flowable] = [pdf_title(report.title)]
    header = _("区域:%(name)s(%(code)s) 统计期间:%(start)s 至 %(end)s 生成时间:%(at)s") % {
        "name": report.area.name, "code": report.area.code,
        "start": report.span.start.isoformat(), "end": report.span.end.isoformat(),
        "at": _local(report.generated_at)}
    story.append(paragraph(header, BODY_FLUSH))
    if not report.complete:
        story.append(paragraph(_("本期尚未结束,数字截至生成时间。"), BODY_FLUSH))
    story.append(Spacer(0, 4))
    for table in report.tables:
        story.extend(_table_flowables(table))
    story.extend(pdf_heading(_("超时事件(超时最久的前%(n)d件,共%(total)s件)")
                          % {"n": len(report.overdue), "total": report.overdue_total.text}))
    if report.overdue:
        rows = [[line.case.number, line.case.category.name, line.case.area.name,
                 _local(line.case.stage_due_at) if line.case.stage_due_at else "",
                 f"{line.multiple:.1f}"] for line in report.overdue]
        story.append(_pdf_table([_("编号"), _("分类"), _("发生地"), _("本阶段时限"),
                                 _("超时倍数")], rows, 130.0))
    else:
        story.append(paragraph(_("无"), BODY_FLUSH))
    return build_pdf(story, title=report.title, author=report.area.name,
                  subject=report.span.key)


def release_pdf(view: ReleaseView, *, published: str = "") -> bytes:
    title = view.title + (_("(公开版)") if view.public else _("(内部版)"))
    story: list[Flowable] = [pdf_title(title)]
    story.append(paragraph(published or _("未发布(实时数据)"), BODY_FLUSH))
    story.append(Spacer(0, 4))
    header = release_columns(view)
    rows = release_rows(view, text=True) + release_risk_rows(view)
    story.append(_pdf_table(header, rows, 80.0,
                            None if view.public else RELEASE_WIDTHS))
    if view.safety is not None:
        line = view.safety
        story.append(Spacer(0, 4))
        story.append(paragraph(_("群众安全感指数:%(text)s%(target)s") % {
            "text": line.text, "target": f"({line.target})" if line.target else ""},
            BODY_FLUSH))
        if line.source:
            story.append(paragraph(line.source, paragraph_style("note", 9.5, 14)))
    if view.children:
        risk = [_("应评尽评率")] if view.risk else []
        safety = [_("安全感指数")] if view.safety is not None else []
        story.extend(pdf_heading(_("下级区域")))
        story.append(_pdf_table([_("区域"), *(release_label(m) for m in RELEASE_MEASURES),
                                 *risk, *safety],
                                [[child.name, *(c.text for c in child.cells),
                                  *([child.risk or "—"] if risk else []),
                                  *([child.safety or "—"] if safety else [])]
                                 for child in view.children], 100.0))
    story.extend(pdf_heading(_("说明")))
    story.extend(paragraph(note, paragraph_style("note", 9.5, 14)) for note in release_notes(view))
    return build_pdf(story, title=title, author=view.area_name, subject=view.month)
