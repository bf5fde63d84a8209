"""The registry's data quality per grid (issue 16; docs/registry.md, "Export and data
quality"): for each grid of an area, its people and linkage rate (人房关联率), the records
that fail a validation check, the records not verified in 12 months and the pass rate —
the records that pass every check among all records. Sichuan's practice: a data set whose
sample pass rate is under 85% is collected again (需重新采集).

The records are the people in the register (在册), the rooms, the buildings and the
organisations that exist (存续) of each grid. The checks read stored columns only — no
value is decrypted — and each is one condition of `CHECKS`:

- a person (not a foreign resident) with no document number;
- a person with no name or no kind (人口类型);
- a person born after today;
- a foreign resident with no nationality;
- a room whose use is still 待核实 (never seen on the spot);
- a building without a point (it cannot be found on the map or by location);
- an organisation other than a 社区社会组织 without a unified social credit code.

A person in the register who lives in no known room is not a failure: they are counted as
unlinked (people − people linked), which the linkage rate shows. Not verified in 12 months
(`UNVERIFIED_AFTER`, as the figures page counts it) is shown beside, not in the pass rate:
an old record may be right, a record that fails a check is not.

Counts come from one aggregate query per kind of record, grouped by grid (`GROUP BY
grid_code`), and the grids' figures rows: a fixed number of queries whatever the number of
grids or records. Counts only: no person is named, so everyone who reads the registry's
figures reads it (leaders too), for an area of their jurisdiction.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import require_area
from civicgrid.core.scope import get_scope
from civicgrid.registry.figures import UNVERIFIED_AFTER
from civicgrid.registry.models import (
    Building,
    GridFigures,
    Organisation,
    OrganisationKind,
    Person,
    PersonKind,
    PersonStatus,
    Room,
    RoomUse,
)

QUALITY_PERMISSION = "registry.gridfigures.view"
PASS_THRESHOLD = 85  # % (Sichuan: under it, the grid's data are collected again)
KINDS = ("people", "rooms", "buildings", "organisations")


@dataclass(frozen=True)
class Check:
    code: str
    kind: str  # one of KINDS
    label: Promise
    short: Promise  # a table's column heading
    failing: Callable[[date], Q]  # the records that fail it (given today's date)


CHECKS: tuple[Check, ...] = (
    Check("person_no_document", "people", _("人员缺证件号码(境外人员除外)"), _("缺证件号码"),
          lambda today: Q(id_number_hash="") & ~Q(kind=PersonKind.FOREIGN)),
    Check("person_no_name_or_kind", "people", _("人员缺姓名或人口类型"), _("缺姓名或类型"),
          lambda today: Q(name="") | Q(kind="")),
    Check("person_future_birth", "people", _("人员出生日期晚于今天"), _("出生日期有误"),
          lambda today: Q(birth_date__gt=today)),
    Check("person_foreign_no_nationality", "people", _("境外人员缺国籍"), _("境外缺国籍"),
          lambda today: Q(kind=PersonKind.FOREIGN, nationality="")),
    Check("room_use_unknown", "rooms", _("房屋用途待核实"), _("用途待核实"),
          lambda today: Q(use=RoomUse.UNKNOWN)),
    Check("building_no_point", "buildings", _("楼栋缺坐标"), _("楼栋缺坐标"),
          lambda today: Q(lng__isnull=True) | Q(lat__isnull=True)),
    Check("organisation_no_credit_code", "organisations",
          _("单位缺统一社会信用代码(社区社会组织除外)"), _("缺信用代码"),
          lambda today: (Q(credit_code__isnull=True) | Q(credit_code=""))
          & ~Q(kind=OrganisationKind.COMMUNITY_GROUP)),
)


def _records(kind: str) -> Any:
    """Every record of the kind that the report counts (unscoped: the caller has checked
    that the reader may read the area's figures)."""
    querysets: dict[str, Callable[[], Any]] = {
        "people": lambda: Person.objects.filter(status=PersonStatus.ACTIVE),
        "rooms": lambda: Room.objects.all(),
        "buildings": lambda: Building.objects.all(),
        "organisations": lambda: Organisation.objects.filter(active=True)}
    return querysets[kind]()


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class GridQuality:
    code: str
    name: str
    people: int = 0  # in the register (the figures' count)
    people_linked: int = 0
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failing_by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unverified_by_kind: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(KINDS, 0))
    checks: dict[str, int] = field(default_factory=lambda: {c.code: 0 for c in CHECKS})

    @property
    def linkage_rate(self) -> Decimal | None:
        return _rate(self.people_linked, self.people)

    @property
    def unlinked(self) -> int:
        return self.people - self.people_linked

    @property
    def total(self) -> int:
        return sum(self.records.values())

    @property
    def failing(self) -> int:
        """Records failing at least one check (each record counted once)."""
        return sum(self.failing_by_kind.values())

    @property
    def unverified(self) -> int:
        return sum(self.unverified_by_kind.values())

    @property
    def pass_rate(self) -> Decimal | None:
        return _rate(self.total - self.failing, self.total)

    @property
    def check_counts(self) -> list[int]:
        """The records failing each check, in the order of CHECKS."""
        return [self.checks[c.code] for c in CHECKS]

    @property
    def recollect(self) -> bool:
        """需重新采集: fewer than 85% of the records pass every check (exactly, before
        rounding)."""
        return bool(self.total) and (self.total - self.failing) * 100 < \
            PASS_THRESHOLD * self.total

    def add(self, other: GridQuality) -> None:
        self.people += other.people
        self.people_linked += other.people_linked
        for name in ("records", "failing_by_kind", "unverified_by_kind", "checks"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key, value in theirs.items():
                mine[key] += value


@dataclass(frozen=True)
class QualityReport:
    area: Area
    grids: list[GridQuality]
    total: GridQuality

    @property
    def recollect(self) -> list[GridQuality]:
        return [g for g in self.grids if g.recollect]


def grid_quality(*, area: Area, actor: User) -> QualityReport:
    """One row per grid of `area` that the reader may see, and the area's total. Raises
    PermissionDenied without the figures' permission and Area.DoesNotExist for an area
    outside the reader's scope (answered like a missing one)."""
    if not get_scope(actor).can(QUALITY_PERMISSION):
        raise PermissionDenied
    require_area(actor, area)
    grids = {a.code: GridQuality(code=a.code, name=a.name) for a in (
        Area.objects.restrict(actor, "view")
        .filter(code__startswith=area.code, level=Level.GRID)
        .order_by("code").only("code", "name"))}
    for row in GridFigures.objects.filter(grid_code__startswith=area.code).values(
            "grid_code", "people", "people_linked"):
        grid = grids.get(row["grid_code"])
        if grid is not None:
            grid.people, grid.people_linked = row["people"], row["people_linked"]
    today = timezone.localdate()
    stale = Q(verified_at__isnull=True) | Q(verified_at__lt=timezone.now() - UNVERIFIED_AFTER)
    for kind in KINDS:
        checks = [c for c in CHECKS if c.kind == kind]
        any_failing = functools.reduce(operator.or_, (c.failing(today) for c in checks))
        rows = (_records(kind).filter(grid_code__startswith=area.code)
                .values("grid_code").order_by()
                .annotate(n=Count("pk"), failing=Count("pk", filter=any_failing),
                          unverified=Count("pk", filter=stale),
                          **{c.code: Count("pk", filter=c.failing(today)) for c in checks}))
        for row in rows:
            grid = grids.get(row["grid_code"])
            if grid is None:
                continue
            grid.records[kind] = row["n"]
            grid.failing_by_kind[kind] = row["failing"]
            grid.unverified_by_kind[kind] = row["unverified"]
            for check in checks:
                grid.checks[check.code] = row[check.code]
    total = GridQuality(code=area.code, name=area.name)
    for grid in grids.values():
        total.add(grid)
    return QualityReport(area=area, grids=list(grids.values()), total=total)
