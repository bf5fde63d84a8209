"""Pages of the registry's people and organisations: search, a person's page (particulars
masked; reveal with a reason), registering a person into a grid or a room (入住), moving out,
leaving and undoing, the auditor's per-person access log and its export, the intake's pick
from the registry, organisations, and an area's figures.

Every record is read through `restrict()`; out of scope answers 404 like missing. Views
parse input and call a selector or a service; the rules are the services'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType, event_label
from civicgrid.audit.privacy import access_log, record_viewed, subject_label
from civicgrid.audit.services import audit_record
from civicgrid.core.access import access, has_permission
from civicgrid.core.pagination import request_page
from civicgrid.core.scope import get_scope
from civicgrid.core.xlsx import cell_text, column_widths, header_row, workbook_bytes
from civicgrid.registry.figures import area_figures
from civicgrid.registry.forms import add_service_errors
from civicgrid.registry.models import (
    NON_PUBLIC_ECONOMIC,
    SOCIAL_ORGANISATIONS,
    Building,
    Organisation,
    Person,
    PersonChange,
    PersonStatus,
    Rental,
    Residence,
    Room,
)
from civicgrid.registry.people_forms import (
    DormitoryForm,
    HouseholdForm,
    LeaveForm,
    MemberForm,
    MoveOutForm,
    OrganisationForm,
    PermitForm,
    PersonForm,
    PersonMoveInForm,
    ReasonForm,
    RentalForm,
    RoomOwnerForm,
)
from civicgrid.registry.review_forms import MoveInForm
from civicgrid.registry.review_reads import pending_about, review_rows
from civicgrid.registry.selectors import (
    people_search,
    permits_due,
    person_cases,
    person_for,
    person_residences,
)
from civicgrid.registry.services import (
    DuplicatePerson,
    MemberAdd,
    MoveIn,
    MoveOut,
    OrganisationAdd,
    RentalInput,
    Submitted,
    change_submit,
    dormitory_record,
    household_create,
    permit_record,
    person_change_undo,
    person_create,
    person_create_with_move_in,
    person_leave,
    person_reveal,
    person_verify,
    rental_end,
    rental_record,
    room_set_owner,
)
from civicgrid.registry.services.people import REVEALABLE
from civicgrid.registry.views import area_or_404, choose_grid, shown

ORGANISATIONS_PER_PAGE = 50
ACCESS_LOG_LIMIT = 5000


def _person(request: HttpRequest, pk: int) -> Person:
    try:
        return person_for(pk=pk, reader=request.user)
    except Person.DoesNotExist as exc:
        raise Http404 from exc


def _room(request: HttpRequest, pk: str | None) -> Room | None:
    if not pk:
        return None
    room = (Room.objects.restrict(request.user, "view").select_related("building__grid")
            .filter(pk=_number(pk)).first())
    if room is None:
        raise Http404
    return room


def _number(value: object) -> int:
    """A record number or version as typed into a URL or form, 0 when it is none (ASCII
    digits only: "²" or "١" are no number here)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return 0
    return int(text)


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- search and the intake's pick ----------------------------------------------------------

@access("registry.person.view")
def people_view(request):
    """Search people by name within the reader's scope, or by exact ID or phone; the
    residence permits whose endorsement (签注) is due, to remind their holders."""
    query = request.GET.get("q", "").strip()
    results = people_search(reader=request.user, query=query) if query else []
    return render(request, "registry/people.html", {
        "query": query, "results": results, "today": timezone.localdate(),
        "permits_due": [] if query else permits_due(reader=request.user)})


@access("registry.person.view")
def person_pick_view(request):
    """The intake's party search (htmx): people the reader may see, each a button that
    fills the party's row with what the page may show (ID and phone masked)."""
    query = request.GET.get("q", "").strip()
    results = people_search(reader=request.user, query=query, limit=8) if query else []
    # Where each lives now, as far as the reader may see: one query for all of them.
    prefetch_related_objects(results, Prefetch(
        "residences", to_attr="open_residences",
        queryset=Residence.objects.restrict(request.user, "view").filter(until__isnull=True)
        .select_related("room").order_by("-since", "-id")))
    today = timezone.localdate()
    rows = []
    for person in results:
        age = None
        if person.birth_date:
            born = person.birth_date
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        homes = person.open_residences  # type: ignore[attr-defined]
        rows.append({"person": person, "age": age,
                     "address": homes[0].room.address if homes else ""})
    response = render(request, "registry/partials/person_pick.html",
                      {"rows": rows, "query": query, "generic": request.GET.get("for") == "form"})
    return _no_store(response)


# --- a person -------------------------------------------------------------------------------

@access("registry.person.view", model=Person, lookup={"pk": "pk"})
def person_view(request, pk: int):
    """A person's page: particulars masked, where they live and lived, their household,
    permits, the cases they are a party to (those the reader may see), the changes that can
    be undone. Opening it is recorded as an access to the person."""
    user = request.user
    person = _person(request, pk)
    record_viewed(subject=person, actor=user, event_type=AuditEventType.REGISTRY_PERSON_VIEWED)
    # The buttons of what the services will let this reader do here: a reader who sees the
    # person because they live in the reader's grid changes only that residence.
    scope = get_scope(user)
    can_change = (has_permission(user, "registry.person.change")
                  and scope.covers_code(person.grid_code))
    changes = list(PersonChange.objects.filter(person=person).select_related("actor")[:10])
    undoable = next((c for c in changes if c.undone_at is None), None)
    membership = person.memberships.filter(until__isnull=True).select_related(
        "household").first()
    residences = person_residences(person=person, reader=user)
    may_move = has_permission(user, "registry.person.change")
    pending = pending_about(reader=user, person_id=person.pk)
    leaving = {r.payload.get("residence") for r in pending if r.kind == "move_out"}
    for residence in residences:
        residence.can_end = may_move and scope.covers_code(residence.grid_code)  # type: ignore[attr-defined]
        residence.leaving = residence.pk in leaving  # type: ignore[attr-defined]
    members, hidden_members = [], 0
    if membership is not None:
        visible = Person.objects.restrict(user, "view").values("pk")
        current = membership.household.members.filter(until__isnull=True)
        members = list(current.filter(person__in=visible).select_related("person"))
        hidden_members = current.count() - len(members)
    response = render(request, "registry/person.html", {
        "person": person, "residences": residences,
        "cases": person_cases(person=person, reader=user), "changes": changes,
        "undoable": undoable if can_change else None, "membership": membership,
        # (only the members the reader may see; the others are counted, not named)
        "members": members, "members_hidden": hidden_members,
        "permits": list(person.permits.all()), "can_change": can_change,
        "can_reveal": has_permission(user, "registry.person.reveal") and any(
            getattr(person, f"{f}_encrypted") for f in REVEALABLE),
        "can_read_log": has_permission(user, "audit.auditentry.view"),
        "active": person.status == PersonStatus.ACTIVE,
        "leave_form": LeaveForm(), "reason_form": ReasonForm(),
        "member_form": MemberForm(), "permit_form": PermitForm(),
        "can_household": has_permission(user, "registry.household.add") and can_change,
        "home": next((r for r in residences if r.until is None), None),
        "pending": review_rows(pending, user),
    })
    return _no_store(response)


@access("registry.person.reveal", model=Person, lookup={"pk": "pk"})
def person_reveal_view(request, pk: int):
    """GET: ask for the reason; POST: the person's ID and phone in clear, each reveal
    recorded by `person_reveal`. Never cached."""
    person = _person(request, pk)
    context: dict[str, Any] = {"person": person, "error": "", "reason": ""}
    template = "registry/partials/person_reveal.html"
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        context["reason"] = reason
        try:
            with transaction.atomic():
                context["clear"] = [
                    (field, person_reveal(person=person, field_name=field, reason=reason,
                                          actor=request.user))
                    for field in REVEALABLE if getattr(person, f"{field}_encrypted")]
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        except PermissionDenied as exc:
            raise Http404 from exc
    return _no_store(render(request, template, context))


@access("registry.person.add", model=Area, lookup={"code": "code"})
def person_new_view(request, code: str):
    """Register a person in a grid; with `?room=<id>` they move into that room at once
    (入住, the quick action of the room page)."""
    grid = area_or_404(request, code)
    if grid.level != Level.GRID:
        return choose_grid(grid)
    room = _room(request, request.GET.get("room") or request.POST.get("room"))
    if room is not None and room.grid_code != grid.code:
        raise Http404
    form_class = PersonMoveInForm if room is not None else PersonForm
    duplicate: Person | None = None
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            extra: dict[str, Any] = {}
            if room is not None:
                extra = {"room": room, "residence_kind": form.cleaned_data["residence_kind"],
                         "since": form.cleaned_data.get("since"),
                         "source": form.cleaned_data["source"]}
            employer = _picked(request, Organisation, form.cleaned_data.get("employer"), form)
            data = dataclasses.replace(form.to_input(), employer=employer)
            queued = None
            try:
                if room is not None:
                    person, queued = _unless_errors(form, lambda: person_create_with_move_in(
                        grid=grid, data=data, actor=request.user, **extra))
                else:
                    person = _unless_errors(form, lambda: person_create(
                        grid=grid, data=data, actor=request.user))
            except DuplicatePerson as exc:
                add_service_errors(form, exc)
                duplicate = Person.objects.restrict(request.user).filter(
                    pk=exc.existing_id).first()
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            except _FormHasErrors:
                pass
            else:
                if queued is not None:
                    messages.success(request, _(
                        "已登记 %(name)s;入住已提交审核,审核通过后生效。") % {"name": person.name})
                else:
                    messages.success(request, _("已登记 %(name)s。") % {"name": person.name})
                if room is not None:
                    return redirect("registry:room", pk=room.pk)
                return redirect("registry:person", pk=person.pk)
    else:
        form = form_class()
    picked = str(form["employer"].value() or "")
    employer = Organisation.objects.restrict(request.user).filter(
        pk=_number(picked)).values_list("name", flat=True).first()
    return _no_store(render(request, "registry/person_new.html", {
        "grid": grid, "room": room, "form": form, "duplicate": duplicate,
        "employer_name": employer or ""}))


class _FormHasErrors(Exception):
    """A picked record could not be used: the form says why; the service is not called."""


def _unless_errors(form, call):
    if form.errors:
        raise _FormHasErrors
    return call()


def _back(request, person: Person):
    return redirect("registry:person", pk=person.pk)


@require_POST
@access("registry.person.change", model=Residence, lookup={"pk": "pk"})
def residence_end_view(request, pk: int):
    """搬离 (the room page's and the person page's quick action)."""
    residence = (Residence.objects.restrict(request.user).select_related("person", "room")
                 .filter(pk=pk).first())
    if residence is None:
        raise Http404
    form = MoveOutForm(request.POST)
    if form.is_valid():
        with _submitting(request, _("已登记 %(name)s 搬离。") % {
                "name": residence.person.name}) as outcome:
            outcome.submitted = change_submit(actor=request.user, change=MoveOut(
                residence=residence, until=form.cleaned_data.get("until"),
                reason=form.cleaned_data.get("reason") or ""))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    if request.POST.get("next") == "room":
        return redirect("registry:room", pk=residence.room_id)
    return _back(request, residence.person)


@require_POST
@access("registry.person.change", model=Person, lookup={"pk": "pk"})
def person_leave_view(request, pk: int):
    """迁出 / 死亡 / 注销, with a reason."""
    person = _person(request, pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        with _outcome(request, _("已登记,可在“变动记录”中撤销。")):
            person_leave(person=person, status=form.cleaned_data["status"],
                         reason=form.cleaned_data["reason"], on=form.cleaned_data.get("on"),
                         actor=request.user)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return _back(request, person)


@require_POST
@access("registry.person.change", model=PersonChange, lookup={"pk": "pk"})
def change_undo_view(request, pk: int):
    """Undo the person's latest change, with a reason."""
    visible = Person.objects.restrict(request.user).values("pk")
    change = PersonChange.objects.filter(pk=pk, person__in=visible).select_related(
        "person").first()
    if change is None:
        raise Http404
    form = ReasonForm(request.POST)
    if form.is_valid():
        with _outcome(request, _("已撤销“%(kind)s”。") % {"kind": change.get_kind_display()}):
            person_change_undo(change=change, reason=form.cleaned_data["reason"],
                               actor=request.user)
    else:
        messages.error(request, _("请填写撤销理由。"))
    return _back(request, change.person)


@require_POST
@access("registry.person.change", model=Person, lookup={"pk": "pk"})
def person_verify_view(request, pk: int):
    person = _person(request, pk)
    try:
        person_verify(person=person, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("已记录今日核实。"))
    return _back(request, person)


# --- the auditor's access log of one person (PIPL Art. 45) ----------------------------------

def _log_rows(person: Person, reader) -> list[dict[str, Any]]:
    entries = access_log(subject_type="registry.person", subject_id=str(person.pk),
                         reader=reader)[:ACCESS_LOG_LIMIT]
    return [{"time": timezone.localtime(e.time), "actor": e.actor_username,
             "ip": e.source_ip or "", "event": str(event_label(e.event_type)),
             "field": e.details.get("field", ""), "reason": e.details.get("reason", ""),
             "entry": e.pk} for e in entries]


@access("audit.auditentry.view", model=Person, lookup={"pk": "pk"})
def person_access_log_view(request, pk: int):
    """Every access to one person's record — views, reveals with their reasons, uses as a
    party, changes — for the auditor; `?format=xlsx` exports it (the export is recorded)."""
    person = _person(request, pk)
    rows = _log_rows(person, request.user)
    if request.GET.get("format") == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = _("访问记录")
        header_row(sheet, [_("时间"), _("账号"), _("来源地址"), _("操作"), _("字段"), _("理由"),
                           _("审计记录号")])
        for row in rows:
            sheet.append([cell_text(v) for v in (
                row["time"].strftime("%Y-%m-%d %H:%M:%S"), row["actor"], row["ip"],
                row["event"], row["field"], row["reason"], row["entry"])])
        column_widths(sheet, [20, 16, 16, 22, 10, 40, 12])
        audit_record(actor=request.user, event_type=AuditEventType.ACCESS_LOG_EXPORTED,
                     subject=person, subject_repr=subject_label(person),
                     details={"rows": len(rows)})
        response = HttpResponse(
            workbook_bytes(book),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition_header(
            True, f"access-log-person-{person.pk}.xlsx")
        return _no_store(response)
    return _no_store(render(request, "registry/person_access_log.html",
                            {"person": person, "rows": rows}))


# --- organisations -----------------------------------------------------------------------------

@access("registry.organisation.view")
def organisations_view(request):
    """The organisations the reader may see; `?kind=economic|social` the 非公经济组织 or
    社会组织 lists; `?q=` a name."""
    rows = Organisation.objects.restrict(request.user).select_related("grid")
    group = request.GET.get("kind", "")
    if group == "economic":
        rows = rows.filter(kind__in=NON_PUBLIC_ECONOMIC)
    elif group == "social":
        rows = rows.filter(kind__in=SOCIAL_ORGANISATIONS)
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(name__contains=query)
    page = request_page(request, rows.defer("grid__boundary"), ["name", "id"],
                        ORGANISATIONS_PER_PAGE)
    return render(request, "registry/organisations.html",
                  {"page": page, "group": group, "query": query})


@access("registry.organisation.view", model=Organisation, lookup={"pk": "pk"})
def organisation_view(request, pk: int):
    organisation = (Organisation.objects.restrict(request.user)
                    .select_related("grid", "building", "legal_representative", "safety_lead")
                    .filter(pk=pk).first())
    if organisation is None:
        raise Http404
    return render(request, "registry/organisation.html", {
        "organisation": organisation,
        "legal_representative": shown(request.user, organisation.legal_representative),
        "safety_lead": shown(request.user, organisation.safety_lead),
        "dormitories": list(organisation.dormitories.select_related("building"))})


@access("registry.organisation.add", model=Area, lookup={"code": "code"})
def organisation_new_view(request, code: str):
    grid = area_or_404(request, code)
    if grid.level != Level.GRID:
        return choose_grid(grid)
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        if form.is_valid():
            people = {field: _picked(request, Person, form.cleaned_data.get(field), form)
                      for field in ("legal_representative", "safety_lead")}
            data = dataclasses.replace(form.to_input(), **people)
            try:
                submitted: Submitted = _unless_errors(form, lambda: change_submit(
                    change=OrganisationAdd(grid=grid, data=data), actor=request.user))
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            except _FormHasErrors:
                pass
            else:
                if submitted.request is not None:
                    messages.success(request, _("已提交审核,审核通过后生效。"))
                    return redirect("registry:review", pk=submitted.request.pk)
                organisation = submitted.record
                assert isinstance(organisation, Organisation)
                messages.success(request, _("已登记 %(name)s。") % {"name": organisation.name})
                return redirect("registry:organisation", pk=organisation.pk)
    else:
        form = OrganisationForm()
    return render(request, "registry/organisation_new.html", {"grid": grid, "form": form})


# --- figures ---------------------------------------------------------------------------------

@access("registry.gridfigures.view", model=Area, lookup={"code": "code"})
def figures_view(request, code: str):
    """The registry's figures of an area the reader may see: counts only, never a person."""
    area = area_or_404(request, code)
    figures = area_figures(area.code)
    return render(request, "registry/figures.html", {
        "area": area, "figures": figures, "counts": figures.counts,
        "can_list": has_permission(request.user, "registry.building.view")})



# --- pickers -----------------------------------------------------------------------------------

@access("registry.organisation.view")
def organisation_pick_view(request):
    """The registry forms' organisation search (htmx): by name or credit code, in scope."""
    query = request.GET.get("q", "").strip()
    rows = []
    if query:
        code = query.replace(" ", "").upper()
        rows = list(Organisation.objects.restrict(request.user)
                    .filter(Q(name__contains=query) | Q(credit_code=code))
                    .order_by("name", "id")[:8])
    return _no_store(render(request, "registry/partials/organisation_pick.html",
                            {"rows": rows, "query": query}))


def _picked(request, model, pk: int | None, form):
    """The record a picker named, if the user may see it; an error on the form if not."""
    if not pk:
        return None
    record = model.objects.restrict(request.user).filter(pk=pk).first()
    if record is None:
        form.add_error(None, _("所选人员或单位不存在或无权查看,请重新选择。"))
    return record


def _room_for_change(request, pk: int) -> Room:
    room = (Room.objects.restrict(request.user).select_related("building__grid")
            .filter(pk=pk).first())
    if room is None:
        raise Http404
    return room


@contextmanager
def _outcome(request: HttpRequest, done: str) -> Iterator[None]:
    """Run a small action's service call: its refusal becomes the page's error message (out
    of scope: 404 like missing), success the message `done`."""
    try:
        yield
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)


@dataclasses.dataclass
class _Submission:
    submitted: Submitted | None = None


@contextmanager
def _submitting(request: HttpRequest, done: str) -> Iterator[_Submission]:
    """`_outcome` for an edit that may wait for review (`change_submit`): its message says
    whether it applied (`done`) or was submitted for review."""
    outcome = _Submission()
    try:
        yield outcome
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if outcome.submitted is not None and outcome.submitted.queued:
            messages.success(request, _("已提交审核,审核通过后生效。"))
        else:
            messages.success(request, done)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- owner and rental of a room ------------------------------------------------------------------

@require_POST
@access("registry.room.change", model=Room, lookup={"pk": "pk"})
def room_owner_view(request, pk: int):
    """产权人 of a room: a registered person or organisation, or none."""
    room = _room_for_change(request, pk)
    form = RoomOwnerForm(request.POST)
    if form.is_valid():
        person = _picked(request, Person, form.cleaned_data.get("owner_person"), form)
        organisation = _picked(request, Organisation,
                               form.cleaned_data.get("owner_organisation"), form)
    if form.is_valid():
        with _outcome(request, _("已记录产权人。")):
            room_set_owner(room=room, person=person, organisation=organisation,
                           version=form.cleaned_data["version"], actor=request.user)
    else:
        messages.error(request, _form_errors(form))
    return redirect("registry:room", pk=room.pk)


@require_POST
@access("registry.rental.add", model=Room, lookup={"pk": "pk"})
def room_rental_view(request, pk: int):
    """登记出租 (or update the rental): the occupancy is checked against the limit."""
    room = _room_for_change(request, pk)
    form = RentalForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        person = _picked(request, Person, d.get("lessor_person"), form)
        organisation = _picked(request, Organisation, d.get("lessor_organisation"), form)
    if form.is_valid():
        data = RentalInput(
            occupant_limit=d["occupant_limit"], lessor_person=person,
            lessor_organisation=organisation, filing_number=d.get("filing_number") or "",
            lease_start=d.get("lease_start"), lease_end=d.get("lease_end"),
            purpose=d["purpose"], fire_exits=d["fire_exits"],
            responsibility_signed_on=d.get("responsibility_signed_on"),
            hazard_level=d["hazard_level"])
        with _outcome(request, _("已登记出租房屋信息。")):
            rental_record(room=room, data=data, actor=request.user, version=d.get("version"))
    else:
        messages.error(request, _form_errors(form))
    return redirect("registry:room", pk=room.pk)


@require_POST
@access("registry.rental.change", model=Room, lookup={"pk": "pk"})
def room_rental_end_view(request, pk: int):
    room = _room_for_change(request, pk)
    rental = Rental.objects.filter(room=room, active=True).first()
    if rental is None:
        messages.error(request, _("该房屋未登记出租。"))
        return redirect("registry:room", pk=room.pk)
    version = request.POST.get("version", "")
    with _outcome(request, _("已登记停租。")):
        rental_end(rental=rental, actor=request.user,
                   version=_number(version))
    return redirect("registry:room", pk=room.pk)


# --- households and permits ------------------------------------------------------------------

@require_POST
@access("registry.household.add", model=Person, lookup={"pk": "pk"})
def household_new_view(request, pk: int):
    """建立户: the person heads a new household in the room they live in."""
    person = _person(request, pk)
    form = HouseholdForm(request.POST)
    if form.is_valid():
        residence = (Residence.objects.restrict(request.user).select_related("room")
                     .filter(pk=form.cleaned_data["residence"], person=person,
                             until__isnull=True).first())
        if residence is None:
            messages.error(request, _("请先登记该人员的居住房屋。"))
            return _back(request, person)
        with _outcome(request, _("已建立户。")):
            household_create(room=residence.room, head=person, actor=request.user,
                             number=form.cleaned_data.get("number") or "")
    else:
        messages.error(request, _form_errors(form))
    return _back(request, person)


@require_POST
@access("registry.household.change", model=Person, lookup={"pk": "pk"})
def household_member_view(request, pk: int):
    """A member joins the household this person heads or belongs to."""
    person = _person(request, pk)
    membership = person.memberships.filter(until__isnull=True).select_related(
        "household").first()
    form = MemberForm(request.POST)
    member = None
    if form.is_valid():
        member = _picked(request, Person, form.cleaned_data.get("person"), form)
    if membership is None:
        messages.error(request, _("该人员不属于任何户。"))
    elif not form.is_valid() or member is None:
        messages.error(request, _form_errors(form) or _("请选择要加入的人员。"))
    else:
        with _submitting(request, _("已登记户成员 %(name)s。") % {"name": member.name}) as outcome:
            outcome.submitted = change_submit(actor=request.user, change=MemberAdd(
                household=membership.household, person=member,
                relation=form.cleaned_data["relation"]))
    return _back(request, person)


@require_POST
@access("registry.person.change", model=Person, lookup={"pk": "pk"})
def permit_new_view(request, pk: int):
    person = _person(request, pk)
    form = PermitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        with _outcome(request, _("已登记居住证。")):
            permit_record(person=person, number=d["number"], issued_on=d["issued_on"],
                          expires_on=d["expires_on"], endorsed_until=d["endorsed_until"],
                          actor=request.user)
    else:
        messages.error(request, _form_errors(form))
    return _back(request, person)


@require_POST
@access("registry.dormitory.add", model=Building, lookup={"code": "code"})
def dormitory_new_view(request, code: str):
    """登记为集中居住点: the building, run by an organisation (三集中)."""
    building = Building.objects.restrict(request.user).filter(code=code).first()
    if building is None:
        raise Http404
    form = DormitoryForm(request.POST)
    operator = None
    if form.is_valid():
        operator = _picked(request, Organisation, form.cleaned_data.get("operator"), form)
    if not form.is_valid() or operator is None:
        messages.error(request, _form_errors(form) or _("请选择管理单位。"))
    else:
        d = form.cleaned_data
        with _outcome(request, _("已登记为集中居住点。")):
            dormitory_record(building=building, name=d["name"], operator=operator,
                             capacity=d["capacity"], services=d.get("services") or [],
                             actor=request.user)
    return redirect("registry:building", code=building.code)


@require_POST
@access("registry.person.change", model=Room, lookup={"pk": "pk"})
def room_move_in_view(request, pk: int):
    """入住 of a person already registered (picked from the register), into this room."""
    room = _room_for_change(request, pk)
    form = MoveInForm(request.POST)
    person = None
    if form.is_valid():
        person = _picked(request, Person, form.cleaned_data.get("person"), form)
    if not form.is_valid() or person is None:
        messages.error(request, _form_errors(form) or _("请选择入住人员。"))
    else:
        d = form.cleaned_data
        with _submitting(request, _("已登记 %(name)s 入住。") % {"name": person.name}) as outcome:
            outcome.submitted = change_submit(actor=request.user, change=MoveIn(
                person=person, room=room, kind=d["residence_kind"], since=d.get("since"),
                source=d["source"]))
    return redirect("registry:room", pk=room.pk)
