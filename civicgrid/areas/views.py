from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas import hooks, selectors, services
from civicgrid.areas.forms import RoadImportForm
from civicgrid.areas.mapdata import (
    bbox_param,
    buildings_collection,
    fit_param,
    map_response,
    simplify_features,
    simplify_geometry,
    zoom_param,
)
from civicgrid.areas.maplayers import map_layers
from civicgrid.areas.models import Area, Level, RoadImport
from civicgrid.areas.roadfiles import MAX_FEATURES, MAX_VERTICES
from civicgrid.core.access import access, has_permission
from civicgrid.core.hooks import SlotEmpty


@access("areas.area.view")
def area_browser_view(request):
    roots = list(selectors.area_roots(actor=request.user))
    if len(roots) == 1:
        return area_detail_view.__wrapped__(request, code=roots[0].code)
    return render(request, "areas/area_browser.html", {
        "roots": roots, "tree_roots": roots,
        "can_manage_roads": has_permission(request.user, "areas.area.change")})


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
        "map_layers": map_layers(request.user, area,
                                 grids_shown=request.GET.get("depth") == Level.GRID),
        "can_manage_roads": has_permission(request.user, "areas.area.change"),
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
    """GeoJSON of the area's children (or, with ?depth=grid, all its grids), simplified for
    `zoom` or `fit` (areas/mapdata.py), with the area's own outline."""
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    data = selectors.area_map_features(
        area=area, actor=request.user, depth=request.GET.get("depth")
    )
    simplify_features(data, zoom=zoom_param(request), fit=fit_param(request),
                      extra=[area.boundary])
    result: dict[str, object] = {
        **data,
        "area": {"code": area.code, "name": area.name,
                 "boundary": simplify_geometry(area.boundary, data["zoom"])},
    }
    return map_response(request, result, public=False)


@access("areas.area.view", model=Area, lookup={"code": "code"})
def area_labels_view(request, code: str):
    """The names the map writes below the area (its children and grandchildren), each at a
    point inside its area, with the bounds of its outline."""
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    return map_response(request, {"labels": selectors.area_labels(area=area,
                                                                  actor=request.user)},
                        public=False)


MAX_MAP_BUILDINGS = 2000


@access("registry.building.view", model=Area, lookup={"code": "code"},
        example={"bbox": "120.80,31.90,120.85,31.95"})
def area_buildings_view(request, code: str):
    """The registry's buildings below the area inside `bbox` (required) as GeoJSON points
    with their name and house number (nothing else), as the reader may read them
    (areas.hooks)."""
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    bbox = bbox_param(request)
    if bbox is None:
        raise BadRequest("bbox is required")
    try:
        provider = hooks.area_map_buildings.get()
    except SlotEmpty:
        found, truncated = [], False
    else:
        found, truncated = provider(request.user, area.code, bbox, MAX_MAP_BUILDINGS)
    return map_response(request, buildings_collection(found, truncated), public=False)


@access("areas.area.view", example={"bbox": "120.80,31.90,120.85,31.95", "zoom": "15"})
def roads_geojson_view(request):
    """The imported roads crossing `bbox` (required), simplified for `zoom`."""
    bbox = bbox_param(request)
    if bbox is None:
        raise BadRequest("bbox is required")
    return map_response(request, selectors.roads_in_view(bbox=bbox, zoom=zoom_param(request)),
                        public=False)


@access("areas.area.change")
def roads_view(request):
    """The roads of the local base map: what was imported, and a new import."""
    form = RoadImportForm()
    result = None
    if request.method == "POST":
        form = RoadImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = services.roads_import(
                content=upload.read(), file_name=upload.name, mode=form.cleaned_data["mode"],
                coordinate_system=form.cleaned_data["coordinate_system"], actor=request.user)
            if result.ok:
                messages.success(request, _("已导入 %(n)d 条道路(%(v)d 个顶点)。")
                                 % {"n": len(result.roads), "v": result.vertices})
                return redirect("areas:roads")
    return render(request, "areas/roads.html", {
        "form": form, "result": result, "imports": selectors.road_imports()[:100],
        "max_features": MAX_FEATURES, "max_vertices": MAX_VERTICES,
    }, status=400 if request.method == "POST" else 200)


@access("areas.area.change")
@require_POST
def road_import_remove_view(request):
    found = RoadImport.objects.filter(pk=int(request.POST["import"])).first() if (
        request.POST.get("import", "").isdigit()) else None
    if found is None:
        messages.error(request, _("该导入已不存在。"))
    else:
        removed = services.road_import_remove(road_import=found, actor=request.user)
        messages.success(request, _("已删除 %(file)s 的 %(n)d 条道路。")
                         % {"file": found.file_name, "n": removed})
    return redirect("areas:roads")


@access("areas.area.view", model=Area, lookup={"code": "code"})
def area_tree_view(request, code: str):
    """One level of the area tree (htmx partial): the children of an area, lazily expanded."""
    area = get_object_or_404(Area.objects.restrict(request.user, "view"), code=code)
    children = selectors.area_children(area=area, actor=request.user)
    return render(request, "areas/partials/tree_children.html",
                  {"children": children, "current": request.GET.get("current", "")})
