from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from civicgrid.areas import hooks, selectors
from civicgrid.areas.models import Area, Level
from civicgrid.core.access import access, has_permission
from civicgrid.core.hooks import SlotEmpty


@access("areas.area.view")
def area_browser_view(request):
    roots = list(selectors.area_roots(actor=request.user))
    if len(roots) == 1:
        return area_detail_view.__wrapped__(request, code=roots[0].code)
    return render(request, "areas/area_browser.html", {"roots": roots, "tree_roots": roots})


@access("areas.area.view", model=Area, lookup={"code": "code"})
def area_detail_view(request, code: str):
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    visible = Area.objects.restrict(request.user, "view")
    ancestors = list(area.ancestors())
    visible_codes = set(
        visible.filter(code__in=[a.code for a in ancestors]).values_list("code", flat=True)
    )
    context = {
        "area": area,
        "breadcrumbs": [(a, a.code in visible_codes) for a in ancestors],
        "children": selectors.area_children(area=area, actor=request.user),
        "staff": selectors.area_staff(area=area, actor=request.user)[:200]
        if area.level in (Level.GRID, Level.COMMUNITY) else None,
        "units": selectors.area_units(area=area, actor=request.user),
        "summary": selectors.area_summary(area=area),
        "is_grid": area.level == Level.GRID,
        "tree_roots": list(selectors.area_roots(actor=request.user)),
        "registry": _registry_figures(request.user, area),
    }
    return render(request, "areas/area_detail.html", context)


def _registry_figures(user, area: Area):
    """The registry's figures of the area for readers who may see them (None otherwise, or
    without the registry app)."""
    if not has_permission(user, "registry.gridfigures.view"):
        return None
    try:
        return hooks.area_registry_figures.get()(area.code)
    except SlotEmpty:
        return None


@access("areas.area.view", model=Area, lookup={"code": "code"})
def area_map_view(request, code: str):
    """GeoJSON of the area's children (or, with ?depth=grid, all its grids)."""
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    data = selectors.area_map_features(
        area=area, actor=request.user, depth=request.GET.get("depth")
    )
    data["area"] = {"code": area.code, "name": area.name, "boundary": area.boundary}
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@access("areas.area.view", model=Area, lookup={"code": "code"})
def area_tree_view(request, code: str):
    """One level of the area tree (htmx partial): the children of an area, lazily expanded."""
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    children = selectors.area_children(area=area, actor=request.user)
    return render(request, "areas/partials/tree_children.html",
                  {"children": children, "current": request.GET.get("current", "")})
