"""Permission-aware reads of areas."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from civicgrid.accounts.scope import get_scope
from civicgrid.areas.models import Area, GridAssignment, Level
from civicgrid.units.models import Unit


def area_roots(*, actor) -> QuerySet[Area]:
    """The top areas a user may browse: their jurisdiction roots (or the counties)."""
    scope = get_scope(actor)
    visible = Area.objects.restrict(actor, "view")
    if scope.is_global or getattr(actor, "is_superuser", False):
        return visible.filter(level=Level.COUNTY)
    # A root is a jurisdiction area not inside another of the user's jurisdiction areas.
    codes = [c for c in scope.area_codes
             if not any(c != o and c.startswith(o) for o in scope.area_codes)]
    return visible.filter(code__in=codes)


def area_children(*, area: Area, actor) -> QuerySet[Area]:
    return (
        Area.objects.restrict(actor, "view")
        .filter(parent=area)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )


def area_staff(*, area: Area, actor) -> QuerySet[GridAssignment]:
    """Everyone staffing the grids below this area (for a grid: its own staff)."""
    return (
        GridAssignment.objects.restrict(actor, "view")
        .filter(grid__code__startswith=area.code)
        .select_related("grid", "user", "position")
        .order_by("grid__code", "position__sort_order", "user__username")
    )


def area_units(*, area: Area, actor) -> QuerySet[Unit]:
    """Units located in this area or serving it."""
    return (
        Unit.objects.restrict(actor, "view")
        .filter(Q(area=area) | Q(jurisdiction=area))
        .distinct()
        .order_by("kind", "code")
    )


def area_summary(*, area: Area) -> dict:
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


def area_map_features(*, area: Area, actor, depth: str | None = None) -> dict:
    """GeoJSON of the area's children (or grids below it) for the map; scoped."""
    qs = Area.objects.restrict(actor, "view").filter(boundary__isnull=False)
    if depth == Level.GRID and area.level != Level.GRID:
        qs = qs.filter(level=Level.GRID, code__startswith=area.code)
    elif area.level == Level.GRID:
        qs = qs.filter(pk=area.pk)
    else:
        qs = qs.filter(parent=area)
    features = [
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
