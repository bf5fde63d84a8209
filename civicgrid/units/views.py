from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from civicgrid.core.access import access
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import request_page
from civicgrid.units import selectors
from civicgrid.units.models import Unit, UnitKind


@access("units.unit.view")
def unit_list_view(request):
    q, kind = request.GET.get("q", ""), request.GET.get("kind", "")
    qs = selectors.unit_list(actor=request.user, query=q, kind=kind)
    page = request_page(request, qs, ["code"])
    template = "units/partials/unit_rows.html" if is_htmx(request) else "units/unit_list.html"
    return render(request, template, {"page": page, "q": q, "kind": kind,
                                      "kinds": UnitKind.choices})


@access("units.unit.view", model=Unit, lookup={"pk": "pk"})
def unit_detail_view(request, pk: int):
    unit = get_object_or_404(
        Unit.objects.restrict(request.user, "view").select_related("area", "parent"), pk=pk
    )
    return render(request, "units/unit_detail.html",
                  selectors.unit_detail(unit=unit, actor=request.user))
