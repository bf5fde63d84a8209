"""Routing: the lowest level with a capable unit (小事不出村、一般事不出镇、大事不出区), the
dispatch queue that owns a case, and the units a case may be dispatched or transferred to."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case as Conditional
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.areas.reference import area_by_code
from civicgrid.cases import routing_notes
from civicgrid.cases.models import (
    LEVEL_CODE_LENGTH,
    LEVEL_ORDER,
    Case,
    Category,
    HandlingLevel,
    PeopleBand,
    RoutingRule,
)
from civicgrid.cases.routing_notes import stored_note
from civicgrid.core.errors import RuleViolation
from civicgrid.core.refcache import REFERENCE, RefCache
from civicgrid.core.scope import ancestor_codes
from civicgrid.units.models import Unit


def minimum_level(category: Category, *, people_band: str, is_major: bool,
                  is_group: bool) -> str:
    """The category's default level, raised by scale and the 重大/群体性 flags."""
    level = LEVEL_ORDER.index(HandlingLevel(category.default_level))
    if is_group or people_band in (PeopleBand.FROM_100,):
        level = max(level, LEVEL_ORDER.index(HandlingLevel.STREET))
    if is_major or people_band == PeopleBand.OVER_500:
        level = LEVEL_ORDER.index(HandlingLevel.COUNTY)
    return LEVEL_ORDER[level]


@dataclass(frozen=True)
class Route:
    level: str
    unit: Unit | None
    rule: RoutingRule | None
    note: str  # in the deployment's language: the record (civicgrid/cases/routing_notes.py)


def _level_area_code(area_code: str, level: str) -> str | None:
    n = LEVEL_CODE_LENGTH[HandlingLevel(level)]
    return area_code[:n] if len(area_code) >= n else None


@dataclass
class _RoutingTable:
    """Every active rule with an active unit, by the code of its area; every active unit
    with a specialty, by (its area's code, the specialty), the first by (kind, code) first.
    Read whole, in three statements, once per change of the reference data."""

    rules: dict[str, list[RoutingRule]]
    units: dict[tuple[str, int], Unit]


def _load_table() -> _RoutingTable:
    rules: dict[str, list[RoutingRule]] = {}
    for rule in (RoutingRule.objects.filter(active=True, unit__active=True)
                 .select_related("unit", "area", "category").defer("area__boundary")):
        rules.setdefault(rule.area.code, []).append(rule)
    by_id = {u.pk: u for u in Unit.objects.filter(active=True).select_related("area")
             .defer("area__boundary")}
    specialised: dict[tuple[str, int], Unit] = {}
    for unit_id, specialty_id in (Unit.specialties.through.objects.filter(unit__active=True)
                                  .order_by("unit__kind", "unit__code")
                                  .values_list("unit_id", "specialty_id")):
        unit = by_id[unit_id]
        specialised.setdefault((unit.area.code, specialty_id), unit)
    return _RoutingTable(rules, specialised)


# The rules and the specialised units of the deployment, per process (core/refcache.py):
# any change of a rule, a unit, a specialty, an area or a category empties it.
_table: RefCache[_RoutingTable] = RefCache("routing-table", REFERENCE, max_entries=1)


def case_route(*, category: Category, area_code: str, min_level: str) -> Route:
    """The lowest level, from `min_level` up, with a capable unit: first an explicit routing
    rule (most specific area, then category, then priority), then a unit of that level
    whose specialty matches the category's. Nothing found: the street dispatch queue.

    Worked out on the process's routing table (read once per change of the reference
    data, `_RoutingTable`): no statement for any place or category."""
    table = _table.get("table", _load_table)
    category_codes = {category.code[:n] for n in range(2, len(category.code) + 1, 2)}
    prefixes = [*ancestor_codes(area_code), area_code]
    start = LEVEL_ORDER.index(HandlingLevel(min_level))
    for level in LEVEL_ORDER[start:]:
        rules = [rule for code in prefixes for rule in table.rules.get(code, ())
                 if rule.level == level
                 and (rule.category is None or rule.category.code in category_codes)]
        if rules:
            best = max(rules, key=lambda r: (len(r.area.code),
                                             len(r.category.code) if r.category else 0,
                                             r.priority, -r.pk))
            return Route(level, best.unit, best, stored_note(
                routing_notes.RULE, {"id": best.pk, "rule": best}))
        level_code = _level_area_code(area_code, level)
        unit = (table.units.get((level_code, category.specialty_id))
                if level_code and category.specialty_id else None)
        if unit is not None and category.specialty is not None:
            return Route(level, unit, None, stored_note(
                routing_notes.SPECIALTY, {"s": category.specialty.name, "u": unit.name}))
    return Route(min_level, None, None, stored_note(routing_notes.NO_MATCH))


def queue_area_for(area: Area, level: str) -> Area:
    """The area whose dispatch centre owns cases of this level: the street, or the county."""
    code = area.code[:6] if level == HandlingLevel.COUNTY else area.code[:9]
    if len(area.code) < len(code):
        code = area.code
    queue = area_by_code(code)  # (cached, without its polygon)
    if queue is None:
        raise Area.DoesNotExist(code)
    return queue



# --- who may take a case ---------------------------------------------------------------------

AREA_CODE_LENGTHS = (2, 4, 6, 9, 12, 15)


def _holding_codes(case: Case) -> list[str]:
    """The codes of the areas that hold the case's place, from its dispatch queue's area
    down to the case's handling level: the areas whose units may take it."""
    lowest = LEVEL_CODE_LENGTH[HandlingLevel(case.level)]
    queue = len(case.queue_area.code)
    return [case.area_code[:n] for n in AREA_CODE_LENGTHS
            if queue <= n <= lowest and n <= len(case.area_code)]


def case_target_units(case: Case) -> QuerySet[Unit]:
    """The active units that may take `case` (交办/转办): a unit based in, or serving, an area
    that holds the case's place, inside the dispatch queue's subtree and not below the
    case's level (a street case does not go down to a community committee); and the unit
    routing suggested. Every channel's dispatch and transfer is checked against this."""
    codes = _holding_codes(case)
    return (Unit.objects.filter(active=True)
            .filter(Q(area__code__in=codes) | Q(jurisdiction__code__in=codes)
                    | Q(pk=case.suggested_unit_id or 0))
            .distinct())


def check_target_unit(case: Case, unit: Unit, field: str = "unit") -> None:
    if not unit.active:
        raise RuleViolation({field: _("该单位已停用。")})
    if not case_target_units(case).filter(pk=unit.pk).exists():
        raise RuleViolation({field: _(
            "%(unit)s 不能承办该事件:承办单位须在%(queue)s辖区内、所在区域包含事发地且不低于"
            "事件的处置层级。") % {"unit": unit.name, "queue": case.queue_area.name}})


def dispatch_targets(*, case: Case, actor: User) -> QuerySet[Unit]:
    """The units a page offers for 交办, the suggestion first."""
    suggested = case.suggested_unit_id or 0
    return (case_target_units(case).filter(pk__in=Unit.objects.restrict(actor, "view")
                                           .values("pk"))
            .select_related("area")
            .annotate(suggested_first=Conditional(When(pk=suggested, then=Value(0)),
                                                  default=Value(1),
                                                  output_field=IntegerField()))
            .order_by("suggested_first", "area__code", "kind", "code"))


def transfer_targets(*, case: Case, actor: User) -> QuerySet[Unit]:
    """The units a page offers for 转办: the dispatch targets but the current unit."""
    return dispatch_targets(case=case, actor=actor).exclude(pk=case.assigned_unit_id or 0)
