"""The monthly safety data release (平安数据发布) of a district (also a city or a street).

`release_data(actor=, area=, month=)` computes the release for a month as plain JSON-able
data, from the rollup in one query; `public_release(data)` applies the small-count
suppression (civicgrid/reports/suppression.py). A published release keeps both versions in
`MonthlyRelease.snapshot`; `release_published` and `release_versions` read them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NotRequired, TypedDict

from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import require_area
from civicgrid.cases.models import (
    CaseKind,
)
from civicgrid.core.numbers import ratio
from civicgrid.core.periods import Period
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.selectors.common import (
    YEARS,
    CategoryIndex,
    add_months,
    category_index,
    change,
)
from civicgrid.reports.suppression import (
    SHOWN,
    SMALL,
    suppress_column,
)
from civicgrid.risk.figures import (
    AssessmentRate,
    assessment_rate,
    assessment_rates_by_child,
)
from civicgrid.stats.indicators import INDICATORS, survey_kpi
from civicgrid.stats.models import CaseStat, Indicator
from civicgrid.stats.totals import targets_for_areas
from civicgrid.surveys.figures import AreaIndex, area_indexes
from civicgrid.surveys.models import Half

# --- the monthly safety data release -----------------------------------------------------

RELEASE_TOTAL = "total"
RELEASE_PARTS = (CaseKind.DISPUTE.value, CaseKind.PETITION.value, CaseKind.HAZARD.value,
                 CaseKind.EMERGENCY.value, CaseKind.SERVICE.value)
RELEASE_MEASURES = (RELEASE_TOTAL, *RELEASE_PARTS)
RELEASE_LEVELS = (Level.CITY, Level.COUNTY, Level.STREET)
COLUMNS = ("current", "previous", "year_before")
FLAG_TOP = 3  # flag an area ranked in the top three of its siblings …
FLAG_MINIMUM = SMALL  # … with at least this many cases, and above the siblings' mean
SCHEMA = 1


# --- the release as JSON-able data (what a snapshot stores) ------------------------------

class AreaRef(TypedDict):
    code: str
    name: str
    level: str


class Entry(TypedDict):
    counts: dict[str, int]  # RELEASE_MEASURES → cases
    parts: dict[str, dict[str, int]]  # kind → category prefix → cases (for the links)


class Flag(TypedDict):
    rank: int  # 1 = most; ties share a rank
    of: int
    mean: str
    flagged: bool


class RiskEntry(TypedDict):
    """应评尽评 of an area and month (civicgrid/risk/figures.py): matters assessed of those
    that required an assessment."""

    assessed: int
    required: int


class SafetyEntry(TypedDict):
    """群众安全感指数 (civicgrid/surveys/figures.py): the latest safety survey closed by the
    end of the month that speaks for the area — percentages as printed ("92.35")."""

    round: str  # the round's number
    title: str
    period: str  # "2026年上半年"
    basis: str  # "own", "domain" (the area's result in a round above) or "whole"
    area: str  # whose figure: the area's, or (domain) the area above it that was reported
    value: str
    ci_low: str | None
    ci_high: str | None
    n: int
    target: str | None
    met: bool | None  # None when suppressed: a weak estimate is not judged against the target
    # too weak to publish (n < 100 or a half-width above 5 points): the internal version
    # shows it marked 样本不足,仅供参考, the public one withholds it (WithheldSafety).
    # Absent in releases published before the flag was kept.
    suppressed: NotRequired[bool]


class WithheldSafety(TypedDict):
    """A suppressed 群众安全感指数 in the public version: which round and whose figure, and
    that it is withheld (样本不足,不予公布) — no value, no interval, no n, no target."""

    round: str
    title: str
    period: str
    basis: str
    area: str
    withheld: bool  # always True


class ChildData(Entry):
    code: str
    name: str
    flags: dict[str, Flag]
    risk: NotRequired[RiskEntry]  # the current month (absent in releases before the module)
    # a survey figure about that very child (its own round, or its own result in a round
    # above), never one inherited from an area above; None: none
    safety: NotRequired[SafetyEntry | None]


class ReleaseData(TypedDict):
    """The internal version: every count, the sibling ranks and the children."""

    schema: int
    area: AreaRef
    parent: AreaRef | None
    month: str  # "2026-09"
    months: dict[str, str]  # column → month
    computed_at: str
    columns: dict[str, Entry]  # COLUMNS → counts
    flags: dict[str, Flag]  # measure → the area among its siblings ({} without siblings)
    children: list[ChildData]
    flag_rule: dict[str, int]
    # 应评尽评 per column (the risk module; absent in releases published before it)
    risk: NotRequired[dict[str, RiskEntry]]
    # 群众安全感指数 (None: no survey yet; absent in releases published before the survey)
    safety: NotRequired[SafetyEntry | None]


class PublicCell(TypedDict, total=False):
    value: int  # printed
    hidden: str  # or withheld: PRIMARY or COMPLEMENTARY


class PublicParent(TypedDict):
    name: str
    level: str


class PublicRelease(TypedDict):
    """The public version: small counts withheld, changes only between printed counts."""

    schema: int
    area: AreaRef
    parent: PublicParent | None
    month: str
    months: dict[str, str]
    cells: dict[str, dict[str, PublicCell]]  # column → measure → cell
    changes: dict[str, dict[str, str | None]]  # measure → {"mom", "yoy"}
    flags: dict[str, bool]
    flag_rule: dict[str, int]
    # 应评尽评率 per column ("87.50%"), None when withheld (fewer than SMALL matters required)
    risk: NotRequired[dict[str, str | None]]
    # 群众安全感指数: the internal version's entry, or WithheldSafety when it is suppressed
    safety: NotRequired[SafetyEntry | WithheldSafety | None]


class Snapshot(TypedDict):
    schema: int
    internal: ReleaseData
    public: PublicRelease


def release_label(measure: str) -> str:
    if measure == RELEASE_TOTAL:
        return _("事件总数")
    return str(CaseKind(measure).label)


def release_month(text: str = "", *, today: date | None = None) -> date:
    """The month of a release ("2026-11"); the last complete month when empty.
    Raises ValueError otherwise."""
    today = today or timezone.localdate()
    if not text.strip():
        return add_months(today.replace(day=1), -1)
    period = Period.parse(text)
    if period.length != 1 or not YEARS[0] <= period.start.year <= YEARS[1]:
        raise ValueError(text)
    return period.start


def _month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _summed(qs: QuerySet[CaseStat], length: int) -> list[tuple[str, date, int, int]]:
    """(area code cut to `length`, month, category, registered) rows of the rollup, summed
    over the finer areas in the database."""
    return [(code, month, category_id, registered) for code, month, category_id, registered
            in qs.filter(registered__gt=0)
            .annotate(release_area=Substr("area_code", 1, length))
            .values("release_area", "month", "category_id")
            .annotate(n=Sum("registered")).order_by()
            .values_list("release_area", "month", "category_id", "n")]


def _counts(rows: Iterable[tuple[str, date, int, int]], index: CategoryIndex, *,
            length: int, months: Mapping[date, str], only: str = ""
            ) -> dict[tuple[str, str], Entry]:
    """Sum rollup rows into {(area code of `length`, column): {"counts", "parts"}}."""
    out: dict[tuple[str, str], Entry] = {}
    for area_code, month, category_id, registered in rows:
        if only and not area_code.startswith(only):
            continue
        column = months.get(month)
        info = index.by_pk.get(category_id)
        if column is None or info is None or info.kind not in RELEASE_PARTS:
            continue
        key = (area_code[:length], column)
        entry = out.setdefault(key, _empty())
        entry["counts"][RELEASE_TOTAL] += registered
        entry["counts"][info.kind] += registered
        parts = entry["parts"][info.kind]
        parts[info.kind_prefix] = parts.get(info.kind_prefix, 0) + registered
    return out


def _empty() -> Entry:
    return {"counts": dict.fromkeys(RELEASE_MEASURES, 0),
            "parts": {m: {} for m in RELEASE_PARTS}}


def _flags(values: Mapping[str, Mapping[str, int]], codes: Sequence[str]
           ) -> dict[str, dict[str, Flag]]:
    """For each area and measure: rank among `codes` (1 = most; ties share a rank), the
    mean, and whether it is flagged (top FLAG_TOP, at least FLAG_MINIMUM, above the mean)."""
    out: dict[str, dict[str, Flag]] = {c: {} for c in codes}
    for measure in RELEASE_MEASURES:
        numbers = [values.get(c, {}).get(measure, 0) for c in codes]
        mean = Decimal(sum(numbers)) / len(numbers) if numbers else Decimal(0)
        for code, mine in zip(codes, numbers, strict=True):
            rank = 1 + sum(1 for n in numbers if n > mine)
            out[code][measure] = {
                "rank": rank, "of": len(codes),
                "mean": str(mean.quantize(Decimal("0.1"), ROUND_HALF_UP)),
                "flagged": mine >= FLAG_MINIMUM and rank <= FLAG_TOP and mine > mean}
    return out


def release_data(*, actor: User | None, area: Area, month: date,
                 now: datetime | None = None) -> ReleaseData:
    """The live release of an area (a district; also a city or a street) for a month, as
    JSON-able data: the counts of each kind for the month, the month before and the same
    month a year before, with the category prefixes behind each count (for the links), the
    area's rank among its siblings, and its children's counts and ranks.

    Four queries: the categories, the sibling and child areas, and two sums over the
    rollup (a few hundred rows whatever the number of cases). `Area.DoesNotExist` when the
    area is outside the reader's scope; the sibling counts behind the flags are the
    comparison the release publishes, not data of the siblings' own.
    """
    require_area(actor, area)
    if area.level not in RELEASE_LEVELS:
        raise ValueError(area.level)
    now = now or timezone.now()
    month = month.replace(day=1)
    months = {month: "current", add_months(month, -1): "previous",
              add_months(month, -12): "year_before"}
    parent = area.parent if area.level != Level.CITY else None
    base = parent.code if parent is not None else area.code
    index = category_index()
    parents = [area.pk] if parent is None else [area.pk, parent.pk]
    related = list(Area.objects.filter(parent_id__in=parents, level__in=RELEASE_LEVELS)
                   .order_by("code").values_list("code", "name", "parent_id"))
    siblings = [(c, n) for c, n, p in related if parent is not None and p == parent.pk]
    children = [(c, n) for c, n, p in related if p == area.pk]
    # Summed in the database: the area's three months by child area and category, and
    # (for the flags) every sibling's current month by category.
    child_length = len(children[0][0]) if children else len(area.code)
    rows = _summed(CaseStat.objects.filter(area_code__startswith=area.code,
                                           month__in=list(months)), child_length)
    sibling_rows = _summed(CaseStat.objects.filter(area_code__startswith=base, month=month),
                           len(area.code)) if siblings else []
    own = _counts(rows, index, length=len(area.code), months=months, only=area.code)
    data: ReleaseData = {
        "schema": SCHEMA,
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parent": ({"code": parent.code, "name": parent.name, "level": parent.level}
                   if parent is not None else None),
        "month": _month_key(month),
        "months": {column: _month_key(m) for m, column in months.items()},
        "computed_at": now.isoformat(),
        "columns": {column: own.get((area.code, column), _empty()) for column in COLUMNS},
        "flags": {},
        "children": [],
        "flag_rule": {"top": FLAG_TOP, "minimum": FLAG_MINIMUM},
    }
    if siblings:
        by_sibling = _counts(sibling_rows, index, length=len(area.code),
                             months={month: "current"})
        counts = {c: by_sibling.get((c, "current"), _empty())["counts"] for c, _n in siblings}
        data["flags"] = _flags(counts, [c for c, _n in siblings]).get(area.code, {})
    # 应评尽评 (civicgrid/risk/figures.py): one query per month, one for the children.
    data["risk"] = {column: _risk_entry(assessment_rate(area_code=area.code, month=m))
                    for m, column in months.items()}
    # 群众安全感指数: the latest survey closed by the end of the month (one query for all)
    child_codes = [c for c, _n in children]
    surveys = area_indexes([area.code, *child_codes],
                           closed_before=Period.month(month.year, month.month).bounds[1])
    targets = targets_for_areas([area.code, *child_codes], month.year)
    data["safety"] = safety_entry(surveys[area.code],
                                  targets[area.code].get(Indicator.SAFETY_INDEX))
    if children:
        by_child = _counts(rows, index, length=child_length, months={month: "current"},
                           only=area.code)
        entries = {c: by_child.get((c, "current"), _empty()) for c, _n in children}
        flags = _flags({c: e["counts"] for c, e in entries.items()}, [c for c, _n in children])
        rates = assessment_rates_by_child(area_code=area.code,
                                          child_codes=[c for c, _n in children], month=month)
        data["children"] = [{"code": c, "name": n, **entries[c], "flags": flags[c],
                             "risk": _risk_entry(rates[c]),
                             "safety": safety_entry(
                                 surveys[c], targets[c].get(Indicator.SAFETY_INDEX),
                                 about=c)}
                            for c, n in children]
    return data


def safety_entry(found: AreaIndex | None, target: Decimal | None = None, *,
                 about: str = "") -> SafetyEntry | None:
    """The release's entry for an area's safety index (None: no survey; with `about`, an
    area's code, also when the figure is not about that very area but inherited from an
    area above it — the round above as a whole, or its result for an area above). The
    target: the administrator's KPI target, else the round's own; `met` is None for a
    suppressed figure."""
    if found is None or (about and not found.is_about(about)):
        return None
    kpi = survey_kpi(INDICATORS[Indicator.SAFETY_INDEX], found, target)
    return {"round": found.round.number, "title": found.round.title,
            "period": _("%(year)s年%(half)s") % {"year": found.round.year,
                                                "half": Half(found.round.half).label},
            "basis": found.basis, "area": found.area_name, "value": str(found.percent),
            "ci_low": _text(found.ci_low_percent), "ci_high": _text(found.ci_high_percent),
            "n": found.n, "target": _text(kpi.target), "met": kpi.met,
            "suppressed": found.suppressed}


def public_safety(entry: SafetyEntry | None) -> SafetyEntry | WithheldSafety | None:
    """The public version of a safety entry: as it is when it may be published, withheld
    (which round, whose figure, nothing of the estimate) when suppressed."""
    if entry is None or not entry.get("suppressed"):
        return entry
    return {"round": entry["round"], "title": entry["title"], "period": entry["period"],
            "basis": entry["basis"], "area": entry["area"], "withheld": True}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _risk_entry(rate: AssessmentRate) -> RiskEntry:
    return {"assessed": rate.assessed, "required": rate.required}


def risk_rate_text(entry: RiskEntry | None) -> str:
    """"87.50%", or "—" when nothing was required (or the release predates the figure)."""
    if not entry or not entry["required"]:
        return "—"
    return f"{ratio(entry['assessed'], entry['required'])}%"


def public_release(data: ReleaseData) -> PublicRelease:
    """The public version of a release: counts below 5 and the cells that would give them
    away are withheld, changes only between two printed counts, no ranks, no children,
    no links, and a suppressed 群众安全感指数 withheld (样本不足,不予公布). See
    civicgrid/reports/suppression.py."""
    cells: dict[str, dict[str, PublicCell]] = {}
    for column in COLUMNS:
        counts = data["columns"][column]["counts"]
        status = suppress_column(counts, total=RELEASE_TOTAL, parts=RELEASE_PARTS)
        cells[column] = {m: (PublicCell(value=counts[m]) if status[m] == SHOWN
                             else PublicCell(hidden=status[m])) for m in RELEASE_MEASURES}
    changes: dict[str, dict[str, str | None]] = {}
    for m in RELEASE_MEASURES:
        current = cells["current"][m].get("value")
        entry: dict[str, str | None] = {}
        for column, name in (("previous", "mom"), ("year_before", "yoy")):
            base = cells[column][m].get("value")
            value = (change(current, base) if current is not None and base is not None
                     else None)
            entry[name] = f"{value:+.1f}%" if value is not None else None
        changes[m] = entry
    flags = data.get("flags") or {}
    area, parent = data["area"], data.get("parent")
    out: PublicRelease = {
        "schema": SCHEMA,
        "area": {"code": area["code"], "name": area["name"], "level": area["level"]},
        "parent": ({"name": parent["name"], "level": parent["level"]} if parent else None),
        "month": data["month"], "months": dict(data["months"]),
        "cells": cells, "changes": changes,
        "flags": {m: bool(flags[m]["flagged"]) if m in flags else False
                  for m in RELEASE_MEASURES},
        "flag_rule": dict(data["flag_rule"]),
    }
    if "safety" in data:  # a suppressed estimate is withheld (样本不足,不予公布)
        out["safety"] = public_safety(data["safety"])
    if "risk" in data:
        # The rate only, and only over at least SMALL matters: a rate over fewer says
        # little and gives its counts away.
        out["risk"] = {column: (risk_rate_text(entry) if entry["required"] >= SMALL else None)
                       for column, entry in data["risk"].items()}
    return out


def release_snapshot(data: ReleaseData) -> Snapshot:
    """What publishing freezes: both versions as they read at that moment."""
    return {"schema": SCHEMA, "internal": data.copy(), "public": public_release(data)}


# -- published releases -------------------------------------------------------------------

def _latest(qs: QuerySet[MonthlyRelease]) -> QuerySet[MonthlyRelease]:
    """Only the newest version of each district's month (a correction replaces the earlier)."""
    newer = MonthlyRelease.objects.filter(district=OuterRef("district"), month=OuterRef("month"),
                                          version__gt=OuterRef("version"))
    return qs.exclude(Exists(newer))


def release_published(*, actor: User | None, area: Area,
                      month: date) -> MonthlyRelease | None:
    """The release as published last (the newest version), or None; `Area.DoesNotExist`
    when the area is outside the reader's scope."""
    require_area(actor, area)
    return (MonthlyRelease.objects.restrict(actor, "view")
            .filter(district=area, month=month.replace(day=1))
            .select_related("published_by").order_by("-version").first())


def release_versions(*, actor: User | None, area: Area, month: date) -> list[MonthlyRelease]:
    """Every published version of the month, newest first (without the frozen numbers)."""
    require_area(actor, area)
    return list(MonthlyRelease.objects.restrict(actor, "view")
                .filter(district=area, month=month.replace(day=1))
                .select_related("published_by").defer("snapshot").order_by("-version"))


def releases_in_scope(*, actor: User | None, limit: int = 24) -> list[MonthlyRelease]:
    """The latest published releases of districts in the reader's jurisdiction."""
    return list(_latest(MonthlyRelease.objects.restrict(actor, "view")).select_related("district")
                .order_by("-month", "district__code")[:limit])


def public_releases(*, limit: int = 120) -> list[MonthlyRelease]:
    """Releases published to the public, newest first (no staff data is read). These and
    `public_release_for` take no reader: a public release is for everyone, signed in or
    not, and holds only the suppressed public version."""
    return list(_latest(MonthlyRelease.objects.filter(public=True)).select_related("district")
                .only("pk", "month", "version", "published_at", "district__code",
                      "district__name")
                .order_by("-month", "district__code")[:limit])


def public_release_for(*, district_code: str, month: date) -> MonthlyRelease | None:
    return (MonthlyRelease.objects.filter(public=True, district__code=district_code,
                                          month=month.replace(day=1))
            .select_related("district").order_by("-version").first())
