"""Permission-aware reads of areas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NotRequired, TypedDict

from django.db.models import Case, Count, Q, QuerySet, Value, When

from civicgrid.areas.geometry import BoundaryError, centroid, parse_boundary
from civicgrid.areas.mapdata import geometry_bounds, simplify_geometry
from civicgrid.areas.models import (
    CODE_LENGTH,
    Area,
    GridAssignment,
    Level,
    Road,
    RoadImport,
    RoadKind,
)
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
    label: list[float] | None  # [lng, lat]: a point inside the area for its name


class AreaLabel(TypedDict):
    code: str
    name: str
    level: str
    at: list[float]  # [lng, lat], inside the area (Area.centroid_lng/lat)
    bbox: list[float] | None  # [west, south, east, north] of its boundary
    own: NotRequired[bool]  # the map's own area: its name shortens its children's


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
                           "population": population, "households": households,
                           "label": label_point(lng, lat, boundary)},
        }
        for code, name, level, population, households, boundary, lng, lat in qs.order_by("code")
        .values_list("code", "name", "level", "population", "households", "boundary",
                     "centroid_lng", "centroid_lat")
    ]
    return {"type": "FeatureCollection", "features": features}


def label_point(lng: float | None, lat: float | None,
                boundary: dict[str, object] | None = None) -> list[float] | None:
    """Where an area's name is written: its stored centroid, which is a point inside the
    area (the centroid, or shapely's representative point when the centroid falls
    outside: areas/geometry.py); worked out from the boundary for an area stored without
    one."""
    if (lng is None or lat is None) and boundary:
        try:
            geom = parse_boundary(boundary)
        except BoundaryError:
            geom = None
        if geom is not None:
            lng, lat = centroid(geom)
    if lng is None or lat is None:
        return None
    return [round(lng, 6), round(lat, 6)]


# Names written on the map below an area: its children and grandchildren (a street's
# communities and grids; a county's streets and communities). Deeper levels are read on
# their own area's map.
LABEL_DEPTH = 2
MAX_LABELS = 5000


def area_labels(*, area: Area, actor: User | None) -> list[AreaLabel]:
    """The names of the areas below `area` (LABEL_DEPTH levels, at most MAX_LABELS) with
    the point to write each at and the bounds of its outline (the map writes a name only
    where its area is large enough on screen), as `actor` may read them."""
    lengths = list(CODE_LENGTH.values())
    own = lengths.index(len(area.code))
    deepest = lengths[min(own + LABEL_DEPTH, len(lengths) - 1)]
    qs = Area.objects.restrict(actor, "view").filter(code__startswith=area.code,
                                                     code__length__lte=deepest)
    labels = labels_of(qs)
    for label in labels:  # the map's own area: its name is the page's title, not written
        if label["code"] == area.code and area.level != Level.GRID:
            label["own"] = True
    return labels


def labels_of(areas: QuerySet[Area]) -> list[AreaLabel]:
    """The map labels of these areas (those with a label point), in code order, at most
    MAX_LABELS. The caller has scoped the queryset."""
    rows = (areas.order_by("code")
            .values_list("code", "name", "level", "centroid_lng", "centroid_lat", "boundary")
            [:MAX_LABELS])
    labels: list[AreaLabel] = []
    for code, name, level, lng, lat, boundary in rows:
        at = label_point(lng, lat, boundary)
        if at is None:
            continue
        bounds = geometry_bounds(boundary)
        labels.append({"code": code, "name": name, "level": level, "at": at,
                       "bbox": [round(v, 5) for v in bounds] if bounds else None})
    return labels


# --- roads of the local base map ---------------------------------------------------------

MAX_ROADS = 3000
# Below these zooms the smaller roads are left out (they would be a grey smear).
ROAD_KINDS_FROM_ZOOM = {RoadKind.MAJOR: 0, RoadKind.MINOR: 13, RoadKind.LANE: 15,
                        RoadKind.PATH: 16}


def roads_in_view(*, bbox: tuple[float, float, float, float], zoom: int | None,
                  limit: int = MAX_ROADS) -> dict[str, object]:
    """The imported roads that cross `bbox` (west, south, east, north) as a GeoJSON
    FeatureCollection for `zoom`: the kinds shown at that zoom, major roads first, at most
    `limit` (`truncated` says whether more crossed the view), each simplified for the zoom
    (areas/mapdata.py). Roads are deployment-wide geography: no scope (models.RoadImport)."""
    west, south, east, north = bbox
    kinds = [k for k, z in ROAD_KINDS_FROM_ZOOM.items() if zoom is None or zoom >= z]
    rank = Case(*[When(kind=k, then=Value(i)) for i, k in enumerate(ROAD_KINDS_FROM_ZOOM)],
                default=Value(len(ROAD_KINDS_FROM_ZOOM)))
    rows = list(
        Road.objects.filter(west__lte=east, east__gte=west, south__lte=north, north__gte=south,
                            kind__in=kinds)
        .annotate(rank=rank).order_by("rank", "id")
        .values_list("name", "kind", "geometry")[:limit + 1])
    features = [
        {"type": "Feature", "geometry": simplify_geometry(geometry, zoom),
         "properties": {"name": name, "kind": kind}}
        for name, kind, geometry in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "zoom": zoom,
            "truncated": len(rows) > limit}


def road_imports() -> QuerySet[RoadImport]:
    """The road files imported, newest first (the roads page)."""
    return RoadImport.objects.select_related("imported_by").order_by("-imported_at", "-id")
