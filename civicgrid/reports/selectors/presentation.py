"""What the report pages and their exports print: the tables of cells (each count linked
to the cases behind it), and the lines of a release (`release_view`), internal or public.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from civicgrid.core.periods import Period
from civicgrid.reports.links import case_list_url
from civicgrid.reports.selectors.common import CategoryIndex, change
from civicgrid.reports.selectors.release import (
    COLUMNS,
    RELEASE_MEASURES,
    RELEASE_TOTAL,
    ChildData,
    PublicRelease,
    ReleaseData,
    SafetyEntry,
    WithheldSafety,
    public_release,
    release_label,
    risk_rate_text,
)
from civicgrid.reports.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SMALL,
)

if TYPE_CHECKING:  # an annotation only (typing.TypeIs is Python 3.13)
    from typing_extensions import TypeIs

# --- tables ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One piece of a number that no single case-list link covers (see Cell.parts)."""

    label: str
    value: int
    url: str


@dataclass(frozen=True)
class Cell:
    """A number on a report. A count links to the cases behind it (`url`); a rate or a
    change is derived from linked counts and has no link of its own. When a count spans
    several category prefixes (a kind spread over two top groups) it has `parts`."""

    value: int | Decimal | None
    url: str = ""
    kind: str = "count"  # "count", "percent" (a rate) or "change" (a relative change, %)
    parts: tuple[Part, ...] = ()

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "count":
            return f"{self.value:,}"
        if self.kind == "change":
            return f"{self.value:+.1f}%"
        return f"{self.value:.2f}%"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]
    code: str = ""  # a code printed beside the label (area, category)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    label_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""


# -- display ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseCell:
    text: str  # "57", "<5" or "—"
    value: int | None  # None when withheld
    url: str = ""
    parts: tuple[Part, ...] = ()
    hidden: str = ""  # "", "small" or "complementary"


@dataclass(frozen=True)
class ReleaseLine:
    key: str
    label: str
    cells: tuple[ReleaseCell, ...]  # current, previous, year_before
    mom_abs: int | None  # 环比 change in cases (internal version only)
    mom_pct: str  # "+14.0%" or "—"
    yoy_abs: int | None  # 同比
    yoy_pct: str
    flagged: bool
    rank: str  # internal version only: "2/5"

    @property
    def mom(self) -> str:
        return _change_text(self.mom_abs, self.mom_pct)

    @property
    def yoy(self) -> str:
        return _change_text(self.yoy_abs, self.yoy_pct)


def _change_text(absolute: int | None, pct: str) -> str:
    """"+3(+25.0%)" internal, "+25.0%" public; "+3" when the base month had none."""
    if absolute is None:
        return pct
    text = f"{absolute:+,d}" if absolute else "0"
    return text if pct == "—" else f"{text}({pct})"


@dataclass(frozen=True)
class RiskRow:
    """A line of the risk-assessment figures under the release's table (应评尽评率, and in
    the internal version the counts behind it): texts for the current, previous and
    year-before columns."""

    key: str
    label: str
    cells: tuple[str, str, str]


@dataclass(frozen=True)
class SafetyLine:
    """群众安全感指数 under the release's table: the figure with its interval, the round it
    comes from and whose figure it is, the target and whether it is met. A suppressed
    figure (`suppressed`): internally the figure, with 样本不足,仅供参考 in place of the
    target's verdict; publicly 样本不足,不予公布 in place of the figure."""

    text: str  # "92.35%(95%置信区间 90.10%–94.60%,n=412)", "暂无调查", "样本不足,不予公布"
    source: str  # "AQ20261-000001 崇川区2026年上半年群众安全感调查:本区域调查"
    target: str  # "目标 90.00%,达标", "样本不足,仅供参考", or ""
    suppressed: bool = False


def _withheld(entry: SafetyEntry | WithheldSafety) -> TypeIs[WithheldSafety]:
    return "withheld" in entry


def safety_text(entry: SafetyEntry | WithheldSafety | None) -> str:
    """The figure with its interval ("暂无调查" without a survey, "样本不足,不予公布" for a
    suppressed figure in the public version)."""
    if entry is None:
        return _("暂无调查")
    if _withheld(entry):
        return _("样本不足,不予公布")
    if entry["ci_low"] is None or entry["ci_high"] is None:
        return f"{entry['value']}%"
    return _("%(value)s%%(95%%置信区间 %(low)s%%–%(high)s%%,n=%(n)s)") % {
        "value": entry["value"], "low": entry["ci_low"], "high": entry["ci_high"],
        "n": entry["n"]}


def safety_line(entry: SafetyEntry | WithheldSafety | None) -> SafetyLine:
    if entry is None:
        return SafetyLine(_("暂无调查"), "", "")
    basis = {"own": _("本区域调查"),
             "domain": _("上级调查中%(area)s的结果") % {"area": entry["area"]},
             "whole": _("上级调查总体结果(本区域无单独结果)")}.get(entry["basis"], "")
    source = _("%(number)s %(title)s:%(basis)s") % {
        "number": entry["round"], "title": entry["title"], "basis": basis}
    if _withheld(entry):
        return SafetyLine(safety_text(entry), source, "", suppressed=True)
    if entry.get("suppressed"):  # internal: the figure for reference, not judged
        return SafetyLine(safety_text(entry), source, _("样本不足,仅供参考"), suppressed=True)
    target = ""
    if entry["target"] is not None:
        met = {True: _("达标"), False: _("未达标")}.get(entry["met"], "")  # type: ignore[arg-type]
        target = _("目标 %(target)s%%,%(met)s") % {"target": entry["target"], "met": met}
    return SafetyLine(safety_text(entry), source, target)


@dataclass(frozen=True)
class ReleaseChild:
    code: str
    name: str
    cells: tuple[ReleaseCell, ...]  # one per RELEASE_MEASURES
    flags: tuple[bool, ...]
    risk: str = ""  # 应评尽评率 of the month ("—" when none was required)
    safety: str = ""  # 群众安全感指数 ("" before the survey module; "—" without its own)

    @property
    def items(self) -> list[tuple[ReleaseCell, bool]]:
        return list(zip(self.cells, self.flags, strict=True))


@dataclass(frozen=True)
class ReleaseView:
    public: bool
    area_code: str
    area_name: str
    area_level: str
    parent_name: str
    month: str
    months: dict[str, str]
    lines: tuple[ReleaseLine, ...]
    children: tuple[ReleaseChild, ...]
    siblings_of: int  # how many areas the flags compare (0: no comparison)
    flag_rule: dict[str, int]
    risk: tuple[RiskRow, ...] = ()  # empty for a release published before the figure
    safety: SafetyLine | None = None  # None for a release published before the survey

    @property
    def title(self) -> str:
        year, month = self.month.split("-")
        return _("%(area)s %(y)s年%(m)d月平安数据") % {"area": self.area_name, "y": year,
                                                  "m": int(month)}

    @property
    def hidden(self) -> dict[str, int]:
        """How many cells are withheld, by reason (for the page's note)."""
        out = {PRIMARY: 0, COMPLEMENTARY: 0}
        for line in self.lines:
            for cell in line.cells:
                if cell.hidden:
                    out[cell.hidden] += 1
        return out


def _pct_text(value: Decimal | None) -> str:
    return f"{value:+.1f}%" if value is not None else "—"


def _kind_prefixes(index: CategoryIndex) -> dict[str, list[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for info in index.by_pk.values():
        if info.kind_prefix:
            out[info.kind].add(info.kind_prefix)
    return {kind: sorted(prefixes) for kind, prefixes in out.items()}


def _internal_cell(counts: Mapping[str, int], parts: Mapping[str, Mapping[str, int]],
                   measure: str, *, area: str, month: str,
                   index: CategoryIndex | None) -> ReleaseCell:
    """A count of the internal version with its link: the case list of the area, month and
    kind. A kind is listed by its category prefix; a count spread over several prefixes
    (two top groups of one kind) gets one link per piece instead."""
    value = counts[measure]
    text = f"{value:,}"
    if index is None:
        return ReleaseCell(text, value)
    period = Period.parse(month)
    if measure == RELEASE_TOTAL:
        return ReleaseCell(text, value, case_list_url(area=area, stat="registered",
                                                      period=period))
    pieces = {p: n for p, n in parts.get(measure, {}).items() if n}
    if not pieces:  # nothing to list: any prefix of the kind lists the same (no) cases
        prefix = next(iter(_kind_prefixes(index).get(measure, [])), "")
        return ReleaseCell(text, value, case_list_url(
            area=area, category=prefix, stat="registered", period=period) if prefix else "")
    if len(pieces) == 1 and "" not in pieces:
        (prefix,) = pieces
        return ReleaseCell(text, value, case_list_url(area=area, category=prefix,
                                                      stat="registered", period=period))
    return ReleaseCell(text, value, "", tuple(
        Part(index.by_code[p].display_name if p in index.by_code else _("未归类"), n,
             case_list_url(area=area, category=p, stat="registered", period=period)
             if p else "")
        for p, n in sorted(pieces.items())))


def _is_public(data: ReleaseData | PublicRelease) -> TypeIs[PublicRelease]:
    return "cells" in data


def release_view(data: ReleaseData | PublicRelease, *, public: bool,
                 index: CategoryIndex | None = None) -> ReleaseView:
    """The lines to print. `data` is the internal data (release_data, or a snapshot's
    "internal"); with public=True it is turned into the public version first unless it
    already is one (a snapshot's "public"). Counts link to the cases behind them when a
    category index is given: only for internal readers whose scope covers the whole area,
    since the case list shows each reader only their own cases."""
    if _is_public(data):  # a snapshot's public version
        if not public:
            raise ValueError("the public version has no internal lines")
        return _public_view(data)
    if public:
        return _public_view(public_release(data))
    area, months = data["area"]["code"], data["months"]
    flags = data.get("flags") or {}
    lines = []
    for m in RELEASE_MEASURES:
        cells = tuple(_internal_cell(data["columns"][c]["counts"], data["columns"][c]["parts"],
                                     m, area=area, month=months[c], index=index)
                      for c in COLUMNS)
        current = data["columns"]["current"]["counts"][m]
        previous = data["columns"]["previous"]["counts"][m]
        year_before = data["columns"]["year_before"]["counts"][m]
        flag = flags.get(m)
        lines.append(ReleaseLine(
            m, release_label(m), cells,
            current - previous, _pct_text(change(current, previous)),
            current - year_before, _pct_text(change(current, year_before)),
            flag["flagged"] if flag else False,
            f"{flag['rank']}/{flag['of']}" if flag else ""))
    children = tuple(
        ReleaseChild(child["code"], child["name"], tuple(
            _internal_cell(child["counts"], child["parts"], m, area=child["code"],
                           month=data["month"], index=index)
            for m in RELEASE_MEASURES),
            tuple(bool(child["flags"][m]["flagged"]) for m in RELEASE_MEASURES),
            risk_rate_text(child.get("risk")) if "risk" in child else "",
            _child_safety(child))
        for child in data["children"])
    parent = data.get("parent")
    of = next(iter(flags.values()))["of"] if flags else 0
    risk: tuple[RiskRow, ...] = ()
    if "risk" in data:
        entries = [data["risk"].get(c) for c in COLUMNS]
        risk = (
            RiskRow("assessment_rate", _("应评尽评率"),
                    _three(risk_rate_text(e) for e in entries)),
            RiskRow("assessment_counts", _("已评估 / 应评估重大事项"),
                    _three(f"{e['assessed']} / {e['required']}" if e else "—"
                           for e in entries)))
    return ReleaseView(False, area, data["area"]["name"], data["area"]["level"],
                       parent["name"] if parent else "", data["month"], dict(months),
                       tuple(lines), children, of, dict(data["flag_rule"]), risk,
                       safety_line(data["safety"]) if "safety" in data else None)


def _child_safety(child: ChildData) -> str:
    """The child's own figure (release_data keeps none inherited from an area above), a
    suppressed one marked 样本不足,仅供参考; "—" without one."""
    if "safety" not in child:
        return ""
    entry = child["safety"]
    if entry is None:
        return "—"
    if entry.get("suppressed"):
        return _("%(value)s%%(样本不足,仅供参考)") % {"value": entry["value"]}
    return f"{entry['value']}%"


def _three(texts: Iterable[str]) -> tuple[str, str, str]:
    a, b, c = texts
    return (a, b, c)


def _public_view(pub: PublicRelease) -> ReleaseView:
    lines = []
    for m in RELEASE_MEASURES:
        cells = []
        for column in COLUMNS:
            cell = pub["cells"][column][m]
            if "value" in cell:
                cells.append(ReleaseCell(f"{cell['value']:,}", cell["value"]))
            else:
                text = f"<{SMALL}" if cell["hidden"] == PRIMARY else "—"
                cells.append(ReleaseCell(text, None, hidden=cell["hidden"]))
        lines.append(ReleaseLine(m, release_label(m), tuple(cells),
                                 None, pub["changes"][m]["mom"] or "—",
                                 None, pub["changes"][m]["yoy"] or "—",
                                 bool(pub["flags"].get(m)), ""))
    parent = pub.get("parent")
    risk: tuple[RiskRow, ...] = ()
    if "risk" in pub:
        risk = (RiskRow("assessment_rate", _("应评尽评率"),
                        _three(pub["risk"].get(c) or "—" for c in COLUMNS)),)
    return ReleaseView(True, pub["area"]["code"], pub["area"]["name"], pub["area"]["level"],
                       parent["name"] if parent else "", pub["month"], dict(pub["months"]),
                       tuple(lines), (), 0, dict(pub["flag_rule"]), risk,
                       safety_line(pub["safety"]) if "safety" in pub else None)
