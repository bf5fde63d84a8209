"""Pages of the registry's places: my grid, a grid's buildings, a building's layout table
(楼盘表), a room, and registering a building.

Every record is read through `restrict()` (selectors.py, place_reads.py, areas.readers), so
one outside the reader's scope answers 404 exactly like one that does not exist. Views parse
input and call a selector or a service (civicgrid/registry/services.py); each page runs a
fixed number of queries (keyset pages, counts annotated).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import area_breadcrumbs, area_for
from civicgrid.core.access import access, has_permission
from civicgrid.core.errors import RuleViolation
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import keyset_page, request_page
from civicgrid.core.scope import get_scope
from civicgrid.registry.forms import BuildingForm, RoomUseForm
from civicgrid.registry.models import Building, Dormitory, Person, Rental, Room, RoomUse
from civicgrid.registry.people_forms import DormitoryForm, RentalForm
from civicgrid.registry.place_reads import (
    grid_buildings,
    grids_with_counts,
    reader_grids,
    room_for,
)
from civicgrid.registry.review_forms import MoveInForm
from civicgrid.registry.review_reads import pending_about, pending_count, review_rows
from civicgrid.registry.selectors import (
    Layout,
    building_for,
    building_layout,
    building_open_cases,
    room_residents,
)
from civicgrid.registry.services import (
    RoomUseSet,
    building_create,
    building_verify,
    change_submit,
)

BUILDINGS_PER_PAGE = 50
GRIDS_PER_PAGE = 50
OWN_GRIDS_INLINE = 5  # a grid worker with at most this many grids sees their buildings at once
BUILDINGS_INLINE = 30


def area_or_404(request: HttpRequest, code: str) -> Area:
    try:
        return area_for(actor=request.user, code=code)
    except Area.DoesNotExist as exc:
        raise Http404 from exc


def _building(request: HttpRequest, code: str) -> Building:
    try:
        return building_for(code=code, reader=request.user)
    except Building.DoesNotExist as exc:
        raise Http404 from exc


def _room(request: HttpRequest, pk: int) -> Room:
    try:
        return room_for(pk=pk, reader=request.user)
    except Room.DoesNotExist as exc:
        raise Http404 from exc


def choose_grid(area: Area):
    """A page that needs a grid, given a community or a street: its grids to choose from."""
    return redirect(reverse("registry:home") + f"?area={area.code}")


def use_legend(by_use: dict[str, int] | None = None) -> list[tuple[str, str, int]]:
    """Every room use with its label and, given the counts, how many rooms have it."""
    by_use = by_use or {}
    return [(value, str(label), by_use.get(value, 0)) for value, label in RoomUse.choices]


def floor_label(floor: int) -> str:
    if floor < 0:
        return _("地下%(n)d层") % {"n": -floor}
    return _("%(n)d层") % {"n": floor}


def layout_rows(layout: Layout) -> list[tuple[str, list[list[tuple[object, str]]]]]:
    """The layout table's rows as the template draws them: each floor's label, and per unit
    its rooms, each with the name of its use."""
    labels = {value: str(label) for value, label in RoomUse.choices}
    return [(floor_label(f.floor), [[(cell, labels.get(cell.use, cell.use)) for cell in unit]
                                    for unit in f.units]) for f in layout.floors]


def _review_links(user, within: Area | None) -> dict[str, object]:
    """The registry home's links to the change review: a reviewer's queue (with how many
    wait), a grid worker's own requests, the review setting of the area shown (or of the
    reader's jurisdiction)."""
    scope = get_scope(user)
    queue = has_permission(user, "registry.changerequest.approve")
    rule_area = ""
    if has_permission(user, "registry.reviewrule.change"):
        if within is not None and scope.covers_code(within.code):
            rule_area = within.code
        elif within is None and scope.area_codes:
            rule_area = scope.area_codes[0]
    return {"queue": queue, "pending": pending_count(reader=user) if queue else 0,
            "mine": not queue and has_permission(user, "registry.changerequest.add"),
            "rule_area": rule_area}


@access("registry.building.view")
def home_view(request):
    """My grid. A grid worker sees each of their grids with its buildings; community and
    street staff (and the auditor) the grids of their subtree, a page at a time, each
    leading to its grid page. `?area=<code>` narrows the list to one community or street."""
    user = request.user
    within = area_or_404(request, request.GET["area"]) if request.GET.get("area") else None
    own = reader_grids(reader=user) if within is None else []
    if own and len(own) <= OWN_GRIDS_INLINE:
        sections = []
        for grid in own:
            page = keyset_page(grid_buildings(reader=user, grid_code=grid.code), ["code"],
                               None, BUILDINGS_INLINE)
            sections.append((grid, page))
        return render(request, "registry/home.html", {
            "sections": sections, "can_add": has_permission(user, "registry.building.add"),
            "review": _review_links(user, None)})
    grids = grids_with_counts(reader=user, within=within).select_related("parent") \
        .defer("parent__boundary")
    page = request_page(request, grids, ["code"], GRIDS_PER_PAGE)
    if is_htmx(request):
        return render(request, "registry/partials/grid_rows.html",
                      {"within": within, "page": page})
    return render(request, "registry/home.html", {
        "within": within, "page": page, "review": _review_links(user, within),
        "breadcrumbs": area_breadcrumbs(actor=user, area=within) if within else []})


@access("registry.building.view", model=Area, lookup={"code": "code"})
def grid_view(request, code: str):
    """A grid's buildings, a page at a time, with the button to register one."""
    grid = area_or_404(request, code)
    if grid.level != Level.GRID:
        return choose_grid(grid)
    page = request_page(request, grid_buildings(reader=request.user, grid_code=grid.code),
                        ["code"], BUILDINGS_PER_PAGE)
    if is_htmx(request):
        return render(request, "registry/partials/building_rows.html", {
            "page": page, "more_url": reverse("registry:grid", args=[grid.code]),
            "more_id": "buildings", "htmx_more": True})
    return render(request, "registry/grid.html", {
        "grid": grid, "page": page,
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=grid),
        "can_add": has_permission(request.user, "registry.building.add"),
        "can_add_person": has_permission(request.user, "registry.person.add"),
        "can_add_organisation": has_permission(request.user, "registry.organisation.add"),
        "can_set_rules": (has_permission(request.user, "registry.reviewrule.change")
                          and get_scope(request.user).covers_code(grid.code)),
        "can_figures": has_permission(request.user, "registry.gridfigures.view")})


@access("registry.building.view", model=Building, lookup={"code": "code"})
def building_view(request, code: str):
    """The building's layout table (楼盘表): floors from the top down, a column per unit,
    each room coloured and named by its use; the rooms counted by use, the vacancy rate."""
    building = _building(request, code)
    layout = building_layout(building=building, reader=request.user)
    dormitory = Dormitory.objects.filter(building=building).select_related("operator").first()
    return render(request, "registry/building.html", {
        "building": building, "layout": layout, "legend": use_legend(layout.by_use),
        "rows": layout_rows(layout),
        "unit_numbers": range(1, max((len(f.units) for f in layout.floors), default=0) + 1),
        "vacancy_percent": (round(layout.vacancy_rate * 100, 1)
                            if layout.vacancy_rate is not None else None),
        "can_verify": has_permission(request.user, "registry.building.change"),
        "can_change_rooms": has_permission(request.user, "registry.room.change"),
        "open_cases": building_open_cases(building=building, reader=request.user),
        "occupants": sum(c.occupants for f in layout.floors for u in f.units for c in u),
        "dormitory": dormitory, "operator": shown(request.user, dormitory.operator)
        if dormitory else None,
        "can_add_dormitory": has_permission(request.user, "registry.dormitory.add"),
        "dormitory_form": DormitoryForm()})


@access("registry.building.change", model=Building, lookup={"code": "code"})
@require_POST
def building_verify_view(request, code: str):
    """核实: the grid worker saw the building today."""
    building = _building(request, code)
    building_verify(building=building, actor=request.user)
    messages.success(request, _("已记录今日核实:%(name)s。") % {"name": building.name})
    return redirect("registry:building", code=building.code)


@dataclass(frozen=True)
class Shown:
    """A registered person or organisation named on another record's page: their name and
    page, or neither (`hidden`) when the reader may not see them — a name is personal data
    like the rest (the owner of a room in my grid may live in another street)."""

    name: str
    url: str
    hidden: bool
    pk: int | None


def shown(reader, record) -> Shown | None:
    if record is None:
        return None
    if not type(record).objects.restrict(reader, "view").filter(pk=record.pk).exists():
        return Shown("", "", True, None)
    name = "registry:person" if isinstance(record, Person) else "registry:organisation"
    return Shown(record.name, reverse(name, args=[record.pk]), False, record.pk)


def _room_page(request, room: Room, form: RoomUseForm, *, stale: bool = False):
    rental = (Rental.objects.filter(room=room, active=True)
              .select_related("lessor_person", "lessor_organisation", "hazard_case").first())
    pending = pending_about(reader=request.user, room_id=room.pk)
    residents = room_residents(room=room, reader=request.user)
    leaving = {r.payload.get("residence") for r in pending if r.kind == "move_out"}
    for resident in residents:
        resident.leaving = resident.pk in leaving  # type: ignore[attr-defined]
    return render(request, "registry/room.html", {
        "pending": review_rows(pending, request.user),
        "move_in_form": MoveInForm(),
        "rental_form": RentalForm(initial={
            "occupant_limit": rental.occupant_limit, "purpose": rental.purpose,
            "filing_number": rental.filing_number, "lease_start": rental.lease_start,
            "lease_end": rental.lease_end, "fire_exits": rental.fire_exits,
            "responsibility_signed_on": rental.responsibility_signed_on,
            "hazard_level": rental.hazard_level, "version": rental.version,
        } if rental else {"purpose": "dwelling", "hazard_level": "none", "fire_exits": 1}),
        "owner": shown(request.user, room.owner_person or room.owner_organisation),
        "owner_person": shown(request.user, room.owner_person),
        "owner_organisation": shown(request.user, room.owner_organisation),
        "lessor": shown(request.user, (rental.lessor_person or rental.lessor_organisation)
                        if rental else None),
        "lessor_person": shown(request.user, rental.lessor_person if rental
                               else room.owner_person),
        "lessor_organisation": shown(request.user, rental.lessor_organisation if rental
                                     else room.owner_organisation),
        "can_rent": has_permission(request.user, "registry.rental.add"),
        "room": room, "building": room.building, "form": form, "stale": stale,
        "floor": floor_label(room.floor),
        "residents": residents, "rental": rental,
        "can_change": has_permission(request.user, "registry.room.change"),
        "can_move": has_permission(request.user, "registry.person.change"),
        "can_register": has_permission(request.user, "registry.person.add")})


@access("registry.room.view", model=Room, lookup={"pk": "pk"})
def room_view(request, pk: int):
    """A room: where it is, its area, its use and when it was last verified; the quick
    actions for the people who record what they saw."""
    room = _room(request, pk)
    form = RoomUseForm(initial={"use": room.use if room.use != RoomUse.UNKNOWN else None,
                                "area_m2": room.area_m2, "version": room.version})
    return _room_page(request, room, form)


@access("registry.room.change", model=Room, lookup={"pk": "pk"})
@require_POST
def room_use_view(request, pk: int):
    """Record a room's use (and area) as seen on the spot. A change made from an older view
    of the room is refused: the form comes back with the person's values, the room as it is
    now, and the current version, so that a second press is a deliberate overwrite."""
    room = _room(request, pk)
    form = RoomUseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            submitted = change_submit(actor=request.user, change=RoomUseSet(
                room=room, use=data["use"], version=data["version"],
                area_m2=data.get("area_m2")))
        except PermissionDenied as exc:
            raise Http404 from exc
        except RuleViolation as error:
            room.refresh_from_db()
            values = request.POST.copy()
            values["version"] = str(room.version)
            form = RoomUseForm(values)
            form.is_valid()
            form.add_service_errors(error)
            return _room_page(request, room, form, stale=True)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if submitted.queued:
                messages.success(request, _("已提交审核,审核通过后生效。"))
                return redirect("registry:room", pk=room.pk)
            messages.success(request, _("已记录 %(room)s 的用途:%(use)s。") % {
                "room": room.number, "use": RoomUse(room.use).label})
            return redirect(reverse("registry:building", args=[room.building.code])
                            + f"#room-{room.pk}")
    return _room_page(request, room, form)


@access("registry.building.add", model=Area, lookup={"code": "code"})
def building_new_view(request, code: str):
    """Register a building in a grid, laying out its rooms if asked."""
    grid = area_or_404(request, code)
    if grid.level != Level.GRID:
        return choose_grid(grid)
    if request.method == "POST":
        form = BuildingForm(request.POST)
        if form.is_valid():
            try:
                building = building_create(grid=grid, data=form.to_input(), actor=request.user)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已登记楼栋 %(name)s(编码 %(code)s)。") % {
                    "name": building.name, "code": building.code})
                return redirect("registry:building", code=building.code)
    else:
        form = BuildingForm()
    return render(request, "registry/building_new.html", {
        "grid": grid, "form": form,
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=grid)})
