"""Permission-aware reads of units."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicgrid.units.models import Unit


def unit_list(*, actor, query: str = "", kind: str = "") -> QuerySet[Unit]:
    qs = Unit.objects.restrict(actor, "view").select_related("area")
    if query.strip():
        qs = qs.filter(Q(name__icontains=query.strip()) | Q(code__icontains=query.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def unit_detail(*, unit: Unit, actor) -> dict:
    return {
        "unit": unit,
        "jurisdiction": list(unit.jurisdiction.order_by("code")),
        "specialties": list(unit.specialties.all()),
        "members": list(unit.memberships.select_related("user")),
        "children": list(Unit.objects.restrict(actor, "view").filter(parent=unit)),
    }
