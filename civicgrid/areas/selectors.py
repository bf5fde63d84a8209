"""Permission-aware reads of areas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Q, QuerySet

from civicgrid.areas.models import CODE_LENGTH, Area, GridAssignment, Level
from civicgrid.core.scope import get_scope

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from civicgrid.accounts.models import User
    from civicgrid.units.models import Unit


class AreaNode(TypedDict):
    code: str
    name: str
    level: str
    children: list[AreaNode]


class AreaSummary(TypedDict):
    counts: dict[StrOrPromise, int]  # level label -> number of areas of that level below
    grids: int
    staffed_grids: int
    unstaffed_grids: int


class FeatureProperties(TypedDict):
    code: str
    name: str
    level: str
    population: int
    households: int


class Feature(TypedDict):
    type: str
    geometry: dict[str, object] | None  # the stored GeoJSON Polygon/MultiPolygon (Area.boundary)
    properties: FeatureProperties


class FeatureCollection(TypedDict):
    type: str
    features: list[Feature]


def area_roots(*, actor: User | None) -> QuerySet[Area]:
    """The top areas a user may browse: their jurisdiction roots (or the counties)."""
    scope = get_scope(actor)
    visible = Area.objects.restrict(actor, "view")
    if scope.is_global or getattr(actor, "is_superuser", False):
        return visible.filter(level=Level.COUNTY)
    # A root is a jurisdiction area not inside another of the user's jurisdiction areas.
    codes = [c for c in scope.area_codes
             if not any(c != o and c.startswith(o) for o in scope.area_codes)]
    return visible.filter(code__in=codes)


def area_tree(*, roots: Iterable[Area], actor: User, depth: int = 1) -> list[AreaNode]:
    """The visible subtrees under `roots`, `depth` levels below each, as nested dicts
    (code, name, level, children), children by code.

    One query whatever the number of nodes: codes nest by prefix, so a subtree `depth`
    levels deep is `code LIKE 'root%' AND length(code) <= n`; the tree is built here.
    """
    roots = list(roots)
    lengths = list(CODE_LENGTH.values())
    within = Q(pk__in=[])
    for root in roots:
        deepest = lengths[min(lengths.index(len(root.code)) + depth, len(lengths) - 1)]
        within |= Q(code__startswith=root.code, code__length__lte=deepest)
    nodes: dict[int, AreaNode] = {}
    parents: dict[int, int | None] = {}
    rows = (Area.objects.restrict(actor, "view").filter(within).order_by("code")
            .values_list("pk", "code", "name", "level", "parent_id"))
    for pk, code, name, level, parent_id in rows:
        nodes[pk] = {"code": code, "name": name, "level": level, "children": []}
        parents[pk] = parent_id
    root_pks = {root.pk for root in roots}
    for pk, node in nodes.items():  # in code order, so children come out sorted
        parent = parents[pk]
        if pk not in root_pks and parent in nodes:
            nodes[parent]["children"].append(node)
    return [nodes[root.pk] for root in roots if root.pk in nodes]


def area_children(*, area: Area, actor: User) -> QuerySet[Area]:
    return (
        Area.objects.restrict(actor, "view")
        .filter(parent=area)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )


def area_staff(*, area: Area, actor: User) -> QuerySet[GridAssignment]:
    """Everyone staffing the grids below this area (for a grid: its own staff)."""
    return (
        GridAssignment.objects.restrict(actor, "view")
        .filter(grid__code__startswith=area.code)
        .select_related("grid", "user", "position")
        .order_by("grid__code", "position__sort_order", "user__username")
    )


def area_units(*, area: Area, actor: User) -> QuerySet[Unit]:
    """Units located in this area or serving it.

    Read through the reverse relations the units app declares on Area (`units`,
    `serving_units`), so areas, the lower layer, does not import units."""
    located: QuerySet[Unit] = area.units.restrict(actor, "view")
    serving: QuerySet[Unit] = area.serving_units.restrict(actor, "view")
    return (located | serving).distinct().order_by("kind", "code")


def area_summary(*, area: Area) -> AreaSummary:
    """Counts of what lies below an area, in one query."""
    below = Area.objects.filter(code__startswith=area.code).exclude(pk=area.pk)
    counts = dict(below.values_list("level").annotate(n=Count("pk")).order_by())
    staffed = (
        GridAssignment.objects.filter(grid__code__startswith=area.code)
        .values("grid_id").distinct().count()
    )
    grids = counts.get(Level.GRID, 1 if area.level == Level.GRID else 0)
    return {
        "counts": {Level(level).label: n for level, n in sorted(
            counts.items(), key=lambda kv: list(Level.values).index(kv[0]))},
        "grids": grids,
        "staffed_grids": staffed,
        "unstaffed_grids": max(grids - staffed, 0),
    }


def area_map_features(*, area: Area, actor: User, depth: str | None = None) -> FeatureCollection:
    """GeoJSON of the area's children (or grids below it) for the map; scoped."""
    qs = Area.objects.restrict(actor, "view").filter(boundary__isnull=False)
    if depth == Level.GRID and area.level != Level.GRID:
        qs = qs.filter(level=Level.GRID, code__startswith=area.code)
    elif area.level == Level.GRID:
        qs = qs.filter(pk=area.pk)
    else:
        qs = qs.filter(parent=area)
    features: list[Feature] = [
        {
            "type": "Feature",
            "geometry": boundary,
            "properties": {"code": code, "name": name, "level": level,
                           "population": population, "households": households},
        }
        for code, name, level, population, households, boundary in qs.order_by("code")
        .values_list("code", "name", "level", "population", "households", "boundary")
    ]
    return {"type": "FeatureCollection", "features": features}
