"""Reading report pages and downloads back in tests: the numbers a page shows (with their
links), the tables of an XLSX, the text of a PDF, and the cases a drill-down link lists."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from civicgrid.cases.models import Case
from civicgrid.cases.selectors import drill_filter, inbox_filter
from civicgrid.core.periods import Period
from civicgrid.stats.selectors import drilldown


@dataclass(frozen=True)
class Number:
    table: str  # data-table of the enclosing card ("" outside one)
    row: str  # data-row of the enclosing row
    text: str
    href: str


class _Numbers(HTMLParser):
    """Collects every element with class "cg-n" (a number on a report page)."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: list[Number] = []
        self.rows: dict[tuple[str, str], list[str]] = {}
        self.labels: dict[tuple[str, str], str] = {}
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._capture: list[str] | None = None
        self._href = ""
        self._depth = 0
        self._label: list[str] | None = None
        self._label_depth = 0

    def _attr(self, name: str) -> str:
        for _tag, attrs in reversed(self._stack):
            if name in attrs:
                return attrs[name]
        return ""

    def handle_starttag(self, tag, attrs):
        attrs_d = {k: v or "" for k, v in attrs}
        if tag in ("br", "img", "input", "meta", "link"):
            return
        self._stack.append((tag, attrs_d))
        classes = attrs_d.get("class", "").split()
        if self._capture is None and "cg-n" in classes:
            self._capture, self._href, self._depth = [], attrs_d.get("href", ""), \
                len(self._stack)
        if self._label is None and "cg-label" in classes:
            self._label, self._label_depth = [], len(self._stack)

    def handle_endtag(self, tag):
        if not self._stack:
            return
        if self._capture is not None and len(self._stack) == self._depth:
            text = "".join(self._capture).strip()
            key = (self._attr("data-table"), self._attr("data-row"))
            self.numbers.append(Number(key[0], key[1], text, self._href))
            self.rows.setdefault(key, []).append(text)
            self._capture = None
        if self._label is not None and len(self._stack) == self._label_depth:
            key = (self._attr("data-table"), self._attr("data-row"))
            self.labels[key] = re.sub(r"\s+", " ", "".join(self._label)).strip()
            self._label = None
        self._stack.pop()

    def handle_data(self, data):
        if self._capture is not None:
            self._capture.append(data)
        if self._label is not None:
            self._label.append(data)


def page_numbers(html: bytes | str) -> _Numbers:
    parser = _Numbers()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser


def as_number(text: str):
    """"1,234" → 1234, "93.72%" → 93.72, "+12.5%" → 12.5, "—" → "—"."""
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1].replace(",", ""))
    if re.fullmatch(r"[+-]?[\d,]+", text):
        return int(text.replace(",", ""))
    return text


def xlsx_tables(data: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- what a drill-down link lists --------------------------------------------------------

def _day(value: str) -> datetime:
    return timezone.make_aware(datetime.combine(date.fromisoformat(value), time.min))


def listed(user, href: str) -> int:
    """How many cases the staff case list shows for a drill-down link, by the documented
    filter: the reader's cases, area/category prefix, channel, the statistic's filter
    (civicgrid/cases/selectors.py drill_filter) over the period or the dates."""
    parsed = urlparse(href)
    assert parsed.path == "/cases/", href
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    qs = Case.objects.restrict(user, "view")
    if query.get("area"):
        qs = qs.filter(area_code__startswith=query["area"])
    if query.get("category"):
        qs = qs.filter(category__code__startswith=query["category"])
    if query.get("channel"):
        qs = qs.filter(channel=query["channel"])
    if query.get("inbox", "all") != "all":
        qs = qs.filter(inbox_filter(query["inbox"], user))
    stat = query.get("stat", "")
    if stat:
        period = Period.parse(query["period"]) if query.get("period") else None
        qs = qs.filter(drill_filter(stat, period))
        field = "closed_at" if drilldown(stat).by_closing else "registered_at"
        if query.get("from"):
            qs = qs.filter(**{f"{field}__gte": _day(query["from"])})
        if query.get("to"):
            qs = qs.filter(**{f"{field}__lt": _day(query["to"]) + timedelta(days=1)})
    if query.get("ordering") == "overdue":
        qs = qs.filter(stage_due_at__isnull=False)
    return qs.count()
