"""Permission-aware reads of units."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db.models import Q, QuerySet

from civicgrid.units.models import Specialty, Unit, UnitMembership

if TYPE_CHECKING:
    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Area


class UnitDetail(TypedDict):
    unit: Unit
    jurisdiction: list[Area]
    specialties: list[Specialty]
    members: list[UnitMembership]
    children: list[Unit]


def unit_list(*, actor: User, query: str = "", kind: str = "") -> QuerySet[Unit]:
    qs = Unit.objects.restrict(actor, "view").select_related("area")
    if query.strip():
        qs = qs.filter(Q(name__icontains=query.strip()) | Q(code__icontains=query.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def unit_detail(*, unit: Unit, actor: User) -> UnitDetail:
    return {
        "unit": unit,
        "jurisdiction": list(unit.jurisdiction.order_by("code")),
        "specialties": list(unit.specialties.all()),
        "members": list(unit.memberships.select_related("user")),
        "children": list(Unit.objects.restrict(actor, "view").filter(parent=unit)),
    }
