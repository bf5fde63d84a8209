"""PDF documents of a case: the 人民调解协议书 and the 受理登记表.

Pure functions: they take plain dataclasses and return the bytes of an A4 PDF.  No
ORM, no network, no system fonts: the fonts are vendored in ``cases/fonts/`` and
embedded (as subsets) in every PDF, so the documents show the same on any machine.

Droid Sans Fallback draws the Chinese text but has no Latin letters nor digits, so
every string is cut into runs and each run gets the font that has its characters:
Open Sans (Droid Sans's successor) for Latin, Droid Sans Fallback for the rest.

Both fonts have a single weight; titles and section headings are made bold by also
stroking the glyph outlines (PDF text render mode 2).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as rl_paragraph

__all__ = [
    "COPIES_SENTENCE",
    "EFFECTIVE_SENTENCE",
    "JUDICIAL_CONFIRMATION_SENTENCE",
    "MediationAgreement",
    "PartyInfo",
    "RegistrationForm",
    "chinese_date",
    "chinese_number",
    "render_mediation_agreement",
    "render_registration_form",
    "unsupported_characters",
]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class PartyInfo:
    role: str  # "申请人" / "被申请人" / "第三人" (display label)
    name: str
    sex: str  # "男" / "女" / ""
    ethnicity: str  # 民族, e.g. "汉族"
    age: int | None
    occupation: str
    phone: str  # printed as given: in full on the agreement, masked on the registration form
    address: str
    id_number: str = ""  # printed as given, like phone


@dataclass(frozen=True)
class MediationAgreement:
    """人民调解协议书 (人民调解法 Art. 29)."""

    number: str  # e.g. "崇川调协〔2026〕第0015号"
    committee: str  # 人民调解委员会 name (seal line)
    case_number: str
    parties: list[PartyInfo]
    facts: str  # 纠纷的主要事实
    disputed_matters: str  # 争议事项
    responsibilities: str  # 各方当事人的责任
    terms: list[str]  # 达成的协议内容, printed as numbered clauses
    performance: str  # 履行方式、期限
    mediators: list[str]
    signed_on: date  # the date it takes effect
    copies: int  # 一式 N 份: one per party plus one kept by the committee


@dataclass(frozen=True)
class RegistrationForm:
    """受理登记表 of a case.  The caller passes id numbers and phones already masked."""

    case_number: str
    title: str  # e.g. "矛盾纠纷受理登记表"
    registered_at: datetime
    channel: str
    category: str
    place: str
    happened_at: datetime | None
    description: str
    parties: list[PartyInfo]
    people_involved: str  # e.g. "<50"
    flags: list[str] = field(default_factory=list)  # e.g. ["重大矛盾纠纷", "群体性"]
    accepted_by: str = ""
    handling_unit: str = ""
    notes: str = ""


# The sentences that 人民调解法 Art. 29 and Art. 33 require on the agreement.
EFFECTIVE_SENTENCE = (
    "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。"
)
COPIES_SENTENCE = "本协议书一式{copies}份，当事人各执一份，人民调解委员会留存一份。"
JUDICIAL_CONFIRMATION_SENTENCE = (
    "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"
)

# Wall-clock time zone of the printed datetimes when settings.TIME_ZONE is unknown.
DEFAULT_TIME_ZONE = "Asia/Shanghai"


# ------------------------------------------------------------------ Chinese numerals

_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 20 → 二十, 31 → 三十一; counting numbers up to 99.

    Other values are returned in Arabic digits.
    """
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def chinese_date(d: date) -> str:
    """date(2026, 11, 22) → "二〇二六年十一月二十二日" (the style of official documents)."""
    year = "".join(_DIGITS[int(c)] for c in f"{d.year:04d}")
    return f"{year}年{chinese_number(d.month)}月{chinese_number(d.day)}日"


# --------------------------------------------------------------------------- fonts

FONT_DIR = Path(__file__).resolve().parent / "fonts"
CJK_FONT = "CivicgridDroidSansFallback"
LATIN_FONT = "CivicgridOpenSans"

_FONT_LOCK = threading.Lock()
# reportlab keeps per-document font subsets and some module state; one render at a time.
_RENDER_LOCK = threading.Lock()
_font_cmaps: tuple[frozenset[int], frozenset[int]] | None = None


# Chinese punctuation that must not begin a line (标点禁则).  reportlab's list is
# Japanese-centred and lacks the full-width comma, semicolon, colon, ! ? and closing
# quotes; a character listed here is hung at the end of the previous line instead.
_CANNOT_START_LINE = "，；：！？”’》〉」』】〕）．…·%"


def _extend_line_break_rules() -> None:
    missing = "".join(ch for ch in _CANNOT_START_LINE if ch not in rl_paragraph.ALL_CANNOT_START)
    rl_paragraph.ALL_CANNOT_START += missing


def _cmaps() -> tuple[frozenset[int], frozenset[int]]:
    """Register the vendored fonts once; return the code points each of them has."""
    global _font_cmaps
    with _FONT_LOCK:
        if _font_cmaps is None:
            _extend_line_break_rules()
            cjk = TTFont(CJK_FONT, str(FONT_DIR / "DroidSansFallbackFull.ttf"))
            latin = TTFont(LATIN_FONT, str(FONT_DIR / "OpenSans-Regular.ttf"))
            pdfmetrics.registerFont(cjk)
            pdfmetrics.registerFont(latin)
            _font_cmaps = (
                frozenset(cjk.face.charToGlyph),
                frozenset(latin.face.charToGlyph),
            )
        return _font_cmaps


# Control characters, zero-width and bidi format characters, variation selectors: dropped.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
    "\ufe00-\ufe0f\U000e0100-\U000e01ef]"
)
# Printed instead of a character neither font has (Extension B and later, emoji...):
# the 缺字 mark, so that a reader sees something is missing rather than a blank.
MISSING_GLYPH = "〓"


def _clean(text: str) -> str:
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def unsupported_characters(text: str) -> str:
    """The characters of `text` that the vendored fonts cannot draw, each once, in order.

    They print as MISSING_GLYPH; a caller may warn the user before printing (a rare
    character in a name is then written in by hand).
    """
    cjk, latin = _cmaps()
    seen: dict[str, None] = {}
    for ch in _clean(text):
        if ch != "\n" and ord(ch) not in cjk and ord(ch) not in latin:
            seen.setdefault(ch)
    return "".join(seen)


def _runs(text: str) -> list[tuple[str, str]]:
    """Cut text into (font name, chunk) runs: Latin font for what the CJK font lacks.

    Below U+2000 (Latin, Greek, Cyrillic, the middle dot of 维吾尔族 names, ...)
    Open Sans is preferred; above it the CJK font, whose punctuation is full width.
    A character neither font has is replaced by MISSING_GLYPH.
    """
    cjk, latin = _cmaps()
    runs: list[tuple[str, str]] = []
    for ch in text:
        cp = ord(ch)
        if cp < 0x2000 and cp in latin:
            font = LATIN_FONT
        elif cp in cjk:
            font = CJK_FONT
        elif cp in latin:
            font = LATIN_FONT
        else:
            font, ch = CJK_FONT, MISSING_GLYPH
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def _markup(text: str) -> str:
    """Paragraph markup for plain text (escaped), the Latin runs tagged with their font."""
    out = []
    for font, chunk in _runs(_clean(text)):
        if font == CJK_FONT:
            out.append(escape(chunk))
        else:
            out.append(f'<font face="{font}">{escape(chunk)}</font>')
    return "".join(out)


def _text_width(text: str, size: float, char_space: float = 0.0) -> float:
    width = sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in _runs(text))
    return float(width + char_space * max(len(text) - 1, 0))


def _draw_text(
    canv: Any,
    text: str,
    x: float,
    y: float,
    size: float,
    *,
    bold: bool = False,
    char_space: float = 0.0,
) -> None:
    """Draw one line of mixed Chinese/Latin text with its left end of baseline at (x, y)."""
    canv.saveState()
    t = canv.beginText(x, y)
    if bold:
        canv.setLineWidth(size * 0.03)
        t.setTextRenderMode(2)  # fill and stroke: a bolder face than the font has
    if char_space:
        t.setCharSpace(char_space)
    for font, chunk in _runs(text):
        t.setFont(font, size)
        t.textOut(chunk)
    canv.drawText(t)
    canv.restoreState()


# -------------------------------------------------------------------------- styles

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 22 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 22 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

BODY_SIZE = 12.0  # 小四
CELL_SIZE = 10.5  # 五号
GRID = colors.black
LABEL_FILL = colors.HexColor("#f2f2f2")


def paragraph_style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=CJK_FONT, fontSize=size, leading=leading,
                          wordWrap="CJK", **kw)


BODY = paragraph_style("body", BODY_SIZE, 21, alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_SIZE)
BODY_FLUSH = paragraph_style("body_flush", BODY_SIZE, 21, alignment=TA_LEFT)
RIGHT = paragraph_style("right", BODY_SIZE, 21, alignment=TA_RIGHT)
CELL = paragraph_style("cell", CELL_SIZE, 14.5, alignment=TA_LEFT)
CELL_LABEL = paragraph_style("cell_label", CELL_SIZE, 14.5, alignment=TA_CENTER)
SIGN = paragraph_style("sign", BODY_SIZE, 16, alignment=TA_LEFT)
RIGHT_SIGN = paragraph_style("right_sign", BODY_SIZE, 16, alignment=TA_RIGHT)


class _Paragraph(Paragraph):
    """reportlab's Paragraph, except that a Chinese paragraph split across pages keeps
    its text as it is.

    For the part carried over to the next page reportlab joins the lines with spaces,
    which suits words but, in Chinese, leaves a visible gap where each line had ended.
    """

    def _get_split_blParaFunc(self) -> Callable[..., list[Any]]:
        func: Callable[..., list[Any]] = super()._get_split_blParaFunc()
        if (self.style.wordWrap == "CJK" and self.blPara.kind == 1
                and func is rl_paragraph._split_blParaHard):
            return _split_lines_as_they_are
        return func


def _split_lines_as_they_are(bl_para: Any, start: int, stop: int) -> list[Any]:
    return [word for line in bl_para.lines[start:stop] for word in line.words]


def paragraph(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return _Paragraph(_markup(text), style)


def _paragraphs(text: str, style: ParagraphStyle = BODY, empty: str = "无") -> list[Paragraph]:
    """One Paragraph per non-blank line; `empty` when there is no text at all."""
    lines = [line.strip() for line in _clean(text).split("\n")]
    lines = [line for line in lines if line]
    return [paragraph(line, style) for line in lines] or [paragraph(empty, style)]


class _BoldLine(Flowable):
    """A single bold line (titles, headings); shrinks to fit the width if it must."""

    def __init__(
        self,
        text: str,
        size: float,
        align: int = TA_LEFT,
        *,
        char_space: float = 0.0,
        space_before: float = 0.0,
        space_after: float = 0.0,
    ) -> None:
        super().__init__()
        self.text = _clean(text).replace("\n", " ").strip()
        self.size = size
        self.align = align
        self.char_space = char_space
        self.spaceBefore = space_before
        self.spaceAfter = space_after
        self._avail = 0.0
        self._scale = 1.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._avail = avail_width
        natural = _text_width(self.text, self.size, self.char_space)
        self._scale = min(1.0, avail_width / natural) if natural else 1.0
        return avail_width, self.size * self._scale * 1.45

    def draw(self) -> None:
        size = self.size * self._scale
        char_space = self.char_space * self._scale
        width = _text_width(self.text, size, char_space)
        if self.align == TA_CENTER:
            x = (self._avail - width) / 2
        elif self.align == TA_RIGHT:
            x = self._avail - width
        else:
            x = 0.0
        _draw_text(self.canv, self.text, x, size * 0.38, size, bold=True, char_space=char_space)


TITLE = paragraph_style("title", 16, 22, alignment=TA_CENTER, spaceAfter=8)


def pdf_title(text: str) -> Flowable:
    """The title: bold 22 pt (二号) on one line, smaller if it must; wrapped if very long."""
    for size, char_space in ((22.0, 4.0), (18.0, 2.0), (16.0, 0.0)):
        if _text_width(text, size, char_space) <= CONTENT_WIDTH:
            return _BoldLine(text, size, TA_CENTER, char_space=char_space, space_after=8)
    return paragraph(text, TITLE)


def pdf_heading(text: str) -> list[Flowable]:
    """A section heading, on a new page unless there is room for a few lines after it.

    (Not keepWithNext: that would carry a whole page-long box to the next page.)
    """
    return [CondPageBreak(30 * mm),
            _BoldLine(text, BODY_SIZE + 0.5, TA_LEFT, space_before=8, space_after=3)]


# ---------------------------------------------------------------- page furniture


def _numbered_canvas(footer: Callable[[Any, int, int], None]) -> type:
    """A Canvas class that draws `footer(canvas, page, pages)` once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                footer(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _footer(canv: Any, page: int, pages: int) -> None:
    text = f"第 {page} 页 共 {pages} 页"
    size = 9.0
    _draw_text(canv, text, (PAGE_WIDTH - _text_width(text, size)) / 2, 12 * mm, size)


def _local(dt: datetime) -> datetime:
    """An aware datetime in the project's wall-clock zone; a naive one as it is."""
    if dt.tzinfo is None:
        return dt
    name = getattr(settings, "TIME_ZONE", None) if settings.configured else None
    return dt.astimezone(ZoneInfo(name or DEFAULT_TIME_ZONE))


def _format_datetime(dt: datetime | None) -> str:
    if dt is None:
        return ""
    dt = _local(dt)
    return f"{dt.year}年{dt.month}月{dt.day}日 {dt.hour:02d}:{dt.minute:02d}"


def build_pdf(flowables: list[Flowable], *, title: str, author: str, subject: str) -> bytes:
    buffer = io.BytesIO()
    with _RENDER_LOCK:
        _cmaps()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=title,
            author=author,
            subject=subject,
            creator="civicgrid",
            lang="zh-CN",
            initialFontName=CJK_FONT,  # else the canvas refers to Helvetica, not embedded
        )
        doc.build(flowables, canvasmaker=_numbered_canvas(_footer))
    return buffer.getvalue()


# ------------------------------------------------------------------------- tables


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    # Plain-string cells (the empty ones under a span) are drawn in the table's font:
    # without this it is Helvetica, which would be referenced and not embedded.
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), CJK_FONT), *commands])


def grid_style(*extra: tuple[Any, ...]) -> TableStyle:
    return _table_style([
        ("GRID", (0, 0), (-1, -1), 0.6, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
        *extra,
    ])


def table_cell(text: str) -> Paragraph:
    return paragraph(text, CELL)


def _label(text: str) -> Paragraph:
    return paragraph(text, CELL_LABEL)


LABEL_WIDTH = 52.0  # four characters of 五号 and the padding


def _party_table(party: PartyInfo) -> Table:
    """One party's particulars, a 4-row grid with the role label spanning the left column.

    姓名 · 性别 · 民族 · 年龄 / 职业 · 联系方式 / 身份证号 / 住址
    """
    role_w, sex_w, eth_w, age_w = 56.0, 26.0, 52.0, 30.0
    name_w = CONTENT_WIDTH - role_w - 4 * LABEL_WIDTH - sex_w - eth_w - age_w
    widths = [role_w, LABEL_WIDTH, name_w, LABEL_WIDTH, sex_w, LABEL_WIDTH, eth_w,
              LABEL_WIDTH, age_w]
    age = "" if party.age is None else str(party.age)
    rows = [
        [_label(party.role), _label("姓名"), table_cell(party.name), _label("性别"),
         table_cell(party.sex), _label("民族"), table_cell(party.ethnicity), _label("年龄"),
         table_cell(age)],
        ["", _label("职业"), table_cell(party.occupation), "", "", _label("联系方式"),
         table_cell(party.phone), "", ""],
        ["", _label("身份证号"), table_cell(party.id_number), "", "", "", "", "", ""],
        ["", _label("住址"), table_cell(party.address), "", "", "", "", "", ""],
    ]
    style = grid_style(
        ("SPAN", (0, 0), (0, 3)),
        ("SPAN", (2, 1), (4, 1)),
        ("SPAN", (6, 1), (8, 1)),
        ("SPAN", (2, 2), (8, 2)),
        ("SPAN", (2, 3), (8, 3)),
        ("BACKGROUND", (0, 0), (1, 3), LABEL_FILL),
        ("BACKGROUND", (3, 0), (3, 0), LABEL_FILL),
        ("BACKGROUND", (5, 0), (5, 1), LABEL_FILL),
        ("BACKGROUND", (7, 0), (7, 0), LABEL_FILL),
    )
    return Table(rows, colWidths=widths, style=style)


def _party_tables(parties: Iterable[PartyInfo]) -> list[Flowable]:
    # Stacked without a gap, adjacent grids share their border line; a page break may
    # fall between two parties but never inside one.
    return [_party_table(party) for party in parties]


# ---------------------------------------------------------------------- agreement


def _check_agreement(agreement: MediationAgreement) -> None:
    if len(agreement.parties) < 2:
        raise ValueError("a mediation agreement needs at least two parties")
    if not agreement.terms:
        raise ValueError("a mediation agreement needs at least one term")
    if not agreement.mediators:
        raise ValueError("a mediation agreement needs at least one mediator")
    if agreement.copies != len(agreement.parties) + 1:
        raise ValueError(
            f"copies must be one per party plus one for the committee: "
            f"{len(agreement.parties) + 1}, not {agreement.copies}"
        )


def _signature_rows(rows: list[tuple[str, str]]) -> list[Flowable]:
    """Borderless rows: who | 签名…：____ | 日期：____ (lines left blank to sign by hand).

    One table per row: a table split across pages would repeat the lines at the break.
    """
    who_w, sign_label_w, date_label_w, date_w = 180.0, 100.0, 40.0, 80.0
    line_w = CONTENT_WIDTH - who_w - sign_label_w - date_label_w - date_w
    widths = [who_w, sign_label_w, line_w, date_label_w, date_w]
    style = _table_style([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (0, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 14),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (2, 0), (2, -1), 0.6, GRID),
        ("LINEBELOW", (4, 0), (4, -1), 0.6, GRID),
    ])
    return [
        Table([[paragraph(who, SIGN), paragraph(label, SIGN), "", paragraph("日期：", SIGN), ""]],
              colWidths=widths, style=style, hAlign="LEFT")
        for who, label in rows
    ]


def render_mediation_agreement(agreement: MediationAgreement) -> bytes:
    """The 人民调解协议书 as an A4 PDF, fonts embedded.

    Raises ValueError unless there are two or more parties, at least one term and one
    mediator, and `copies` is one per party plus one for the committee.
    """
    _check_agreement(agreement)
    _cmaps()
    header = Table(
        [[paragraph(f"案件编号：{agreement.case_number}", BODY_FLUSH),
          paragraph(agreement.number, RIGHT)]],
        colWidths=[CONTENT_WIDTH * 0.45, CONTENT_WIDTH * 0.55],
        style=_table_style([("LEFTPADDING", (0, 0), (-1, -1), 0),
                          ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                          ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]),
    )
    story: list[Flowable] = [pdf_title("人民调解协议书"), header, Spacer(0, 4)]
    story.extend(pdf_heading("当事人基本情况"))
    story.extend(_party_tables(agreement.parties))

    story.extend(pdf_heading("一、纠纷主要事实"))
    story.extend(_paragraphs(agreement.facts))
    story.extend(pdf_heading("二、争议事项"))
    story.extend(_paragraphs(agreement.disputed_matters))
    story.extend(pdf_heading("三、当事人责任"))
    story.extend(_paragraphs(agreement.responsibilities))
    story.extend(pdf_heading("四、协议内容"))
    story.append(paragraph("经人民调解委员会调解，各方当事人自愿达成如下协议："))
    for number, term in enumerate(agreement.terms, start=1):
        lines = [line.strip() for line in _clean(term).split("\n") if line.strip()] or [""]
        story.append(paragraph(f"{number}. {lines[0]}"))
        story.extend(paragraph(line) for line in lines[1:])
    story.extend(pdf_heading("五、履行方式、期限"))
    story.extend(_paragraphs(agreement.performance))

    # The closing clauses stay on the page of the signatures: no signature page alone.
    copies = COPIES_SENTENCE.format(copies=chinese_number(agreement.copies))
    signatures: list[Flowable] = [
        Spacer(0, 6),
        paragraph(EFFECTIVE_SENTENCE + copies),
        paragraph(JUDICIAL_CONFIRMATION_SENTENCE),
        Spacer(0, 10),
    ]
    signatures.extend(_signature_rows(
        [(f"{party.role}：{party.name}", "签名（按指印）：") for party in agreement.parties]
    ))
    signatures.extend(_signature_rows(
        [(f"人民调解员：{name}", "签名：") for name in agreement.mediators]
    ))
    signatures.append(Spacer(0, 16 * mm))  # room for the seal
    signatures.append(paragraph(f"{agreement.committee}（印章）", RIGHT))
    signatures.append(paragraph(chinese_date(agreement.signed_on), RIGHT))
    story.append(KeepTogether(signatures))

    return build_pdf(story, title=f"人民调解协议书 {agreement.number}",
                  author=agreement.committee, subject=agreement.case_number)


# ---------------------------------------------------------------- registration form


def render_registration_form(form: RegistrationForm) -> bytes:
    """The 受理登记表 as an A4 PDF, fonts embedded.  Party ids and phones print as given."""
    _cmaps()
    half = (CONTENT_WIDTH - 2 * LABEL_WIDTH) / 2
    widths = [LABEL_WIDTH, half, LABEL_WIDTH, half]
    flags = "、".join(str(flag) for flag in form.flags if str(flag).strip()) or "无"
    fields = Table(
        [
            [_label("案件编号"), table_cell(form.case_number), _label("登记时间"),
             table_cell(_format_datetime(form.registered_at))],
            [_label("受理渠道"), table_cell(form.channel), _label("纠纷类别"),
             table_cell(form.category)],
            [_label("发生时间"), table_cell(_format_datetime(form.happened_at)), _label("涉及人数"),
             table_cell(form.people_involved)],
            [_label("发生地点"), table_cell(form.place), "", ""],
            [_label("纠纷标记"), table_cell(flags), "", ""],
            [_label("受理单位"), table_cell(form.handling_unit), _label("受理人"),
             table_cell(form.accepted_by)],
        ],
        colWidths=widths,
        style=grid_style(
            ("SPAN", (1, 3), (3, 3)),
            ("SPAN", (1, 4), (3, 4)),
            ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
            ("BACKGROUND", (2, 0), (2, 2), LABEL_FILL),
            ("BACKGROUND", (2, 5), (2, 5), LABEL_FILL),
        ),
    )

    story: list[Flowable] = [pdf_title(form.title), Spacer(0, 4), fields]
    story.extend(pdf_heading("纠纷简要情况"))
    story.append(_boxed(_paragraphs(form.description, paragraph_style(
        "desc", CELL_SIZE + 0.5, 18, alignment=TA_JUSTIFY, firstLineIndent=2 * (CELL_SIZE + 0.5),
    )), min_height=45 * mm))
    story.extend(pdf_heading("当事人情况"))
    if form.parties:
        story.extend(_party_tables(form.parties))
    else:
        story.append(_boxed([paragraph("无", CELL)], min_height=0))
    story.extend(pdf_heading("备注"))
    story.append(_boxed(_paragraphs(form.notes, CELL, empty=""), min_height=14 * mm))

    signed = Table(
        [[paragraph(f"受理人：{form.accepted_by}", SIGN), paragraph("签名：", SIGN), "",
          paragraph(f"受理时间：{_format_datetime(form.registered_at)}", RIGHT_SIGN)]],
        colWidths=[120, 40, 90, CONTENT_WIDTH - 250],
        style=_table_style([
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, 0), 10),
            ("LEFTPADDING", (3, 0), (3, 0), 10),
            ("LINEBELOW", (2, 0), (2, 0), 0.6, GRID),
        ]),
    )
    story.extend([Spacer(0, 14), KeepTogether([signed])])
    return build_pdf(story, title=f"{form.title} {form.case_number}",
                  author=form.handling_unit, subject=form.case_number)


def _boxed(flowables: list[Paragraph], *, min_height: float) -> Flowable:
    """A bordered box around paragraphs, at least `min_height` tall, split across pages."""
    return _Box(flowables, min_height=min_height)


class _Box(Flowable):
    """Paragraphs in a rectangle.  At a page break the paragraph that does not fit is
    split between its lines and each page's part gets a closed box of its own.

    (A one-cell Table would not do: it cannot split one long paragraph cleanly, and its
    border loses its bottom or top at the break.)
    """

    PADDING_X = 8.0
    PADDING_Y = 6.0

    def __init__(self, content: list[Flowable], *, min_height: float = 0.0) -> None:
        super().__init__()
        self.content = content
        self.min_height = min_height
        self._heights: list[float] = []

    def _inner(self, avail_width: float) -> float:
        return avail_width - 2 * self.PADDING_X

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        inner = self._inner(avail_width)
        self._heights = [f.wrap(inner, PAGE_HEIGHT)[1] for f in self.content]
        self.width = avail_width
        self.height = max(self.min_height, sum(self._heights) + 2 * self.PADDING_Y)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        inner = self._inner(avail_width)
        room = avail_height - 2 * self.PADDING_Y
        first: list[Flowable] = []
        rest: list[Flowable] = []
        used = 0.0
        for index, flowable in enumerate(self.content):
            height = flowable.wrap(inner, room - used)[1]
            if used + height <= room:
                first.append(flowable)
                used += height
                continue
            parts = flowable.split(inner, room - used) if room - used > 0 else []
            if len(parts) > 1:
                first.append(parts[0])
                rest = [*parts[1:], *self.content[index + 1:]]
            else:
                rest = list(self.content[index:])
            break
        if not first:
            return []  # not even one line fits: the whole box goes to the next page
        if not rest:
            return [self]
        return [_Box(first), _Box(rest)]

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        canv.setLineWidth(0.6)
        canv.setStrokeColor(GRID)
        canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        canv.restoreState()
        inner = self._inner(self.width)
        y = self.height - self.PADDING_Y
        for flowable in self.content:
            height = flowable.wrap(inner, PAGE_HEIGHT)[1]
            y -= height
            flowable.drawOn(canv, self.PADDING_X, y)
