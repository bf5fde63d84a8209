from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.units import selectors
from civicgrid.units.models import Unit, UnitKind

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    area_code: str = Field(..., alias="area.code")
    parent_id: int | None
    phone: str
    active: bool


class UnitDetailOut(UnitOut):
    jurisdiction: list[str]
    specialties: list[str]

    @staticmethod
    def resolve_jurisdiction(obj):
        return [a.code for a in obj.jurisdiction.all()]

    @staticmethod
    def resolve_specialties(obj):
        return [s.code for s in obj.specialties.all()]


class UnitPage(Paged):
    items: list[UnitOut]


class UnitFilters(Schema):
    q: str = ""
    kind: UnitKind | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


@router.get("", response={200: UnitPage, **ERRORS}, url_name="unit_list")
@access("units.unit.view", api=True)
def list_units(request, filters: Query[UnitFilters]):
    qs = selectors.unit_list(actor=request.user, query=filters.q, kind=filters.kind or "")
    page = keyset_page(qs, ["code"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{int:unit_id}", response={200: UnitDetailOut, **ERRORS}, url_name="unit_detail")
@access("units.unit.view", model=Unit, lookup={"unit_id": "pk"}, api=True)
def get_unit(request, unit_id: int):
    return get_object_or_404(
        Unit.objects.restrict(request.user, "view")
        .select_related("area").prefetch_related("jurisdiction", "specialties"),
        pk=unit_id,
    )
