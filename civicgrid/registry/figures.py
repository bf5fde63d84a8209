"""The registry's figures per grid (GridFigures), kept true to the rows.

Incremental: each record contributes counts to its grid as a function of its facts
(`*_counts` below). Every service that changes a record takes its contribution before and
after and moves the counters by the difference (`figures_move`), in the same transaction as
the change: an UPSERT that adds, with no read and no lock held beyond the row. From scratch:
`figures_recount()` counts the same things from the tables; `figures_rebuild()` replaces the
table (after the demo's bulk load, or to repair) and `figures_differences()` compares.

Figures of an area (`area_figures`) add up its grids and compute the rates: vacancy (vacant
rooms among rooms of known use), linkage (people in the register linked to a room they live
in now), 三集中率 (floating residents living in a concentrated dormitory among floating
residents); records not verified in 12 months are counted from the tables when asked.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from civicgrid.core.rows import later
from civicgrid.registry.models import (
    NON_PUBLIC_ECONOMIC,
    SOCIAL_ORGANISATIONS,
    Building,
    GridFigures,
    Household,
    Organisation,
    Person,
    PersonKind,
    PersonStatus,
    Rental,
    Residence,
    ResidenceKind,
    Room,
)

NAMES = tuple(f.name for f in GridFigures._meta.get_fields() if f.name != "grid_code")
Counts = dict[str, Counter[str]]  # grid code -> {counter: n}
UNVERIFIED_AFTER = timedelta(days=365)


def _one(grid_code: str, *names: str) -> Counts:
    return {grid_code: Counter(dict.fromkeys(names, 1))}


def building_counts(building: Building | None) -> Counts:
    return {} if building is None else _one(building.grid_code, "buildings")


def room_counts(room: Room | None) -> Counts:
    return {} if room is None else _one(room.grid_code, "rooms", f"rooms_{room.use}")


@dataclass(frozen=True)
class PersonFacts:
    grid_code: str
    status: str
    kind: str
    linked: bool  # lives in a room now
    in_dormitory: bool  # lives in a concentrated dormitory now


def person_facts(person: Person) -> PersonFacts:
    """The facts a person's counts depend on, their residences read now."""
    kinds = set(Residence.objects.filter(person=person, until__isnull=True)
                .values_list("kind", flat=True))
    return PersonFacts(grid_code=person.grid_code, status=person.status, kind=person.kind,
                       linked=bool(kinds), in_dormitory=ResidenceKind.DORMITORY in kinds)


def person_counts(facts: PersonFacts | None) -> Counts:
    if facts is None or facts.status != PersonStatus.ACTIVE:
        return {}
    names = ["people", f"people_{facts.kind}"]
    if facts.linked:
        names.append("people_linked")
    if facts.in_dormitory and facts.kind == PersonKind.FLOATING:
        names.append("floating_in_dormitories")
    return _one(facts.grid_code, *names)


def household_counts(household: Household | None) -> Counts:
    if household is None or not household.active:
        return {}
    return _one(household.grid_code, "households")


def rental_counts(rental: Rental | None) -> Counts:
    if rental is None or not rental.active:
        return {}
    return _one(rental.grid_code, "rentals")


def organisation_counts(organisation: Organisation | None) -> Counts:
    if organisation is None or not organisation.active:
        return {}
    names = ["organisations"]
    if organisation.kind in NON_PUBLIC_ECONOMIC:
        names.append("non_public_economic")
    if organisation.kind in SOCIAL_ORGANISATIONS:
        names.append("social_organisations")
    return _one(organisation.grid_code, *names)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _upsert_sql(vendor: str, names: tuple[str, ...]) -> str:
    table = _quoted(GridFigures._meta.db_table)
    columns = ", ".join(_quoted(n) for n in names)
    placeholders = ", ".join(["%s"] * (1 + len(names)))
    sets = ", ".join(f"{_quoted(n)} = {table}.{_quoted(n)} + excluded.{_quoted(n)}"
                     for n in names)
    return (f"INSERT INTO {table} (grid_code, {columns}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT (grid_code) DO UPDATE SET {sets}")


def figures_move(before: Counts, after: Counts) -> None:
    """Move the counters from one record's `before` contribution to its `after` one (a new
    record: before {}; a removed one: after {})."""
    for grid in before.keys() | after.keys():
        was, now = before.get(grid, Counter()), after.get(grid, Counter())
        deltas = {n: now[n] - was[n] for n in sorted(was.keys() | now.keys())}
        deltas = {n: d for n, d in deltas.items() if d}
        if deltas:
            later(_upsert_sql(connection.vendor, tuple(deltas)), [grid, *deltas.values()])


def figures_add(counts: Counts) -> None:
    figures_move({}, counts)


# --- from scratch ---------------------------------------------------------------------------

def figures_recount() -> Counts:
    """Every grid's counts, counted from the tables."""
    return _counted(Building.objects.all(), Room.objects.all(), Person.objects.all(),
                    Household.objects.all(), Rental.objects.all(), Organisation.objects.all())


def contributions(*, buildings: Iterable[int] = (), rooms: Iterable[int] = (),
                  people: Iterable[int] = (), organisations: Iterable[int] = (),
                  rentals: Iterable[int] = ()) -> Counts:
    """What these records add to the figures now, counted from the tables (a bulk write
    moves the figures by the difference of its records' contributions before and after:
    `figures_move(before, after)`, as the one-record services do)."""
    return _counted(Building.objects.filter(pk__in=list(buildings)),
                    Room.objects.filter(pk__in=list(rooms)),
                    Person.objects.filter(pk__in=list(people)),
                    Household.objects.none(), Rental.objects.filter(pk__in=list(rentals)),
                    Organisation.objects.filter(pk__in=list(organisations)))


def _counted(buildings: QuerySet[Building], rooms: QuerySet[Room], people: QuerySet[Person],
             households: QuerySet[Household], rentals: QuerySet[Rental],
             organisations: QuerySet[Organisation]) -> Counts:
    out: Counts = defaultdict(Counter)
    for row in buildings.values("grid_code").annotate(n=Count("id")).order_by():
        out[row["grid_code"]]["buildings"] += row["n"]
    for row in rooms.values("grid_code", "use").annotate(n=Count("id")).order_by():
        out[row["grid_code"]]["rooms"] += row["n"]
        out[row["grid_code"]][f"rooms_{row['use']}"] += row["n"]
    living = Residence.objects.filter(person=OuterRef("pk"), until__isnull=True)
    counted_people = (people.filter(status=PersonStatus.ACTIVE)
                      .annotate(linked=Exists(living),
                                dorm=Exists(living.filter(kind=ResidenceKind.DORMITORY)))
                      .values("grid_code", "kind", "linked", "dorm").annotate(n=Count("id"))
                      .order_by())
    for row in counted_people:
        counts = out[row["grid_code"]]
        counts["people"] += row["n"]
        counts[f"people_{row['kind']}"] += row["n"]
        if row["linked"]:
            counts["people_linked"] += row["n"]
        if row["dorm"] and row["kind"] == PersonKind.FLOATING:
            counts["floating_in_dormitories"] += row["n"]
    for row in (households.filter(active=True).values("grid_code")
                .annotate(n=Count("id")).order_by()):
        out[row["grid_code"]]["households"] += row["n"]
    for row in (rentals.filter(active=True).values("grid_code")
                .annotate(n=Count("id")).order_by()):
        out[row["grid_code"]]["rentals"] += row["n"]
    for row in (organisations.filter(active=True).values("grid_code", "kind")
                .annotate(n=Count("id")).order_by()):
        counts = out[row["grid_code"]]
        counts["organisations"] += row["n"]
        if row["kind"] in NON_PUBLIC_ECONOMIC:
            counts["non_public_economic"] += row["n"]
        if row["kind"] in SOCIAL_ORGANISATIONS:
            counts["social_organisations"] += row["n"]
    return {grid: Counter({n: c for n, c in counts.items() if c}) for grid, counts in out.items()}


def _stored() -> Counts:
    return {row["grid_code"]: Counter({n: row[n] for n in NAMES if row[n]})
            for row in GridFigures.objects.values("grid_code", *NAMES)}


def figures_differences() -> dict[str, dict[str, tuple[int, int]]]:
    """{grid: {counter: (stored, counted)}} wherever they differ (empty: all true)."""
    stored, counted = _stored(), figures_recount()
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for grid in stored.keys() | counted.keys():
        s, c = stored.get(grid, Counter()), counted.get(grid, Counter())
        diff = {n: (s[n], c[n]) for n in NAMES if s[n] != c[n]}
        if diff:
            out[grid] = diff
    return out


def figures_rebuild() -> int:
    """Replace the table by a count from scratch; the number of grids with figures."""
    counted = figures_recount()
    with transaction.atomic():
        GridFigures.objects.all().delete()
        GridFigures.objects.bulk_create(
            [GridFigures(grid_code=grid, **counts) for grid, counts in sorted(counted.items())],
            batch_size=500)
    return len(counted)


# --- an area's figures -------------------------------------------------------------------

def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AreaFigures:
    code: str
    counts: dict[str, int]
    vacancy_rate: Decimal | None  # % of rooms of known use that are vacant
    linkage_rate: Decimal | None  # % of people in the register living in a known room
    dormitory_rate: Decimal | None  # 三集中率: % of floating residents in dormitories
    unverified_buildings: int  # not verified in the last 12 months
    unverified_rooms: int
    unverified_people: int


def area_figures(code: str, *, unverified: bool = True) -> AreaFigures:
    """The figures of the area with this code (a grid, community, street or district): the
    sum of its grids' counters, the rates, and (unless `unverified` is False: the
    dashboard, which does not show them) the records not verified in 12 months. The caller
    decides whether the reader may see this area's counts."""
    totals = GridFigures.objects.filter(grid_code__startswith=code).aggregate(
        **{n: Sum(n) for n in NAMES})
    counts = {n: int(totals[n] or 0) for n in NAMES}
    known = counts["rooms"] - counts["rooms_unknown"]
    cutoff = timezone.now() - UNVERIFIED_AFTER
    stale = Q(verified_at__isnull=True) | Q(verified_at__lt=cutoff)
    return AreaFigures(
        code=code, counts=counts,
        vacancy_rate=_rate(counts["rooms_vacant"], known),
        linkage_rate=_rate(counts["people_linked"], counts["people"]),
        dormitory_rate=_rate(counts["floating_in_dormitories"], counts["people_floating"]),
        unverified_buildings=Building.objects.filter(stale, grid_code__startswith=code).count()
        if unverified else 0,
        unverified_rooms=Room.objects.filter(stale, grid_code__startswith=code).count()
        if unverified else 0,
        unverified_people=Person.objects.filter(stale, grid_code__startswith=code,
                                                status=PersonStatus.ACTIVE).count()
        if unverified else 0)

