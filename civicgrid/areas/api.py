from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from civicgrid.areas import selectors
from civicgrid.areas.locator import locate_grid
from civicgrid.areas.models import Area, Level
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged

router = Router(tags=["areas"])


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent.code")
    urban_rural_class: str
    population: int
    households: int
    centroid_lng: float | None
    centroid_lat: float | None


class AreaDetailOut(AreaOut):
    boundary: dict | None


class AreaPage(Paged):
    items: list[AreaOut]


class AreaFilters(Schema):
    parent: str | None = None
    level: Level | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


class LocateQuery(Schema):
    lng: float = Field(..., ge=-180, le=180, description="WGS84 longitude")
    lat: float = Field(..., ge=-90, le=90, description="WGS84 latitude")


class LocateOut(Schema):
    grid: AreaOut | None


class AreaNodeOut(Schema):
    code: str
    name: str
    level: str
    children: list["AreaNodeOut"]


AreaNodeOut.model_rebuild()


class AreaTreeOut(Schema):
    items: list[AreaNodeOut]


class TreeQuery(Schema):
    root: str | None = Field(None, max_length=15, description="area code; default: the "
                                                              "caller's jurisdiction roots")
    depth: int = Field(1, ge=1, le=3, description="levels below the root")


@router.get("", response={200: AreaPage, **ERRORS}, url_name="area_list")
@access("areas.area.view", api=True)
def list_areas(request, filters: Query[AreaFilters]):
    qs = Area.objects.restrict(request.user, "view").select_related("parent")
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    page = keyset_page(qs, ["code"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/locate", response={200: LocateOut, **ERRORS}, url_name="area_locate")
@access("areas.area.view", api=True, example={"lng": "120.82", "lat": "31.92"})
def locate(request, point: Query[LocateQuery]):
    """The grid containing a WGS84 point, or null. Out-of-scope grids read as null."""
    visible = Area.objects.restrict(request.user, "view").select_related("parent")
    return {"grid": locate_grid(point.lng, point.lat, queryset=visible)}


@router.get("/tree", response={200: AreaTreeOut, **ERRORS}, url_name="area_tree")
@access("areas.area.view", api=True)
def get_area_tree(request, params: Query[TreeQuery]):
    """The subtree under `root`, `depth` levels deep; without `root`, one tree per root of
    the caller's jurisdiction (all counties for deployment-wide roles). Nodes on the last
    level have `children: []` whether or not they have children: ask again with one of
    them as `root`. A root outside the caller's scope answers 404 like a missing one."""
    if params.root:
        roots = [get_object_or_404(Area.objects.restrict(request.user, "view"),
                                   code=params.root)]
    else:
        roots = list(selectors.area_roots(actor=request.user))
    return {"items": selectors.area_tree(roots=roots, actor=request.user, depth=params.depth)}


@router.get("/{code}", response={200: AreaDetailOut, **ERRORS}, url_name="area_detail")
@access("areas.area.view", model=Area, lookup={"code": "code"}, api=True)
def get_area(request, code: str):
    return get_object_or_404(
        Area.objects.restrict(request.user, "view").select_related("parent"), code=code
    )
