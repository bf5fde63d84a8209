"""Pages of the case pipeline: inboxes and list, intake, the case page with its actions,
personal-data reveal, attachments, documents, notices.

Views parse input and call a selector (reads) or a service (writes); every case is read
through `Case.objects.restrict(user, "view")`, so a case outside the user's scope is a 404
exactly like a missing one. The actions offered are `allowed_transitions(case, user)` from
the workflow table, and each one posts to `SERVICES[name]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from civicgrid.accounts.roles import Role
from civicgrid.areas.coords import to_wgs84
from civicgrid.areas.locator import locate_grid
from civicgrid.areas.maplayers import map_layers
from civicgrid.areas.models import Area, Level
from civicgrid.areas.selectors import area_roots
from civicgrid.audit.context import client_ip
from civicgrid.cases import hooks
from civicgrid.cases.documents import (
    RegistrationForm,
    render_registration_form,
)
from civicgrid.cases.forms import (
    INBOX_LABELS,
    PARTY_PREFIX,
    CaseFilterForm,
    IntakeForm,
    PartyFormSet,
    action_form,
    attribute_rows,
    attribute_values,
    grids_in_scope,
    leaf_categories,
    visible_inboxes,
)
from civicgrid.cases.inputs import PartyInput
from civicgrid.cases.models import (
    Agreement,
    Attachment,
    AttributeType,
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Channel,
    EventType,
    HandlingLevel,
    Party,
    PartyRole,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.party_forms import (
    FactsForm,
    MatterTagForm,
    PartyAddForm,
    PartyEditForm,
    PartyRemoveForm,
)
from civicgrid.cases.routing_notes import display_note
from civicgrid.cases.selectors import (
    DUPLICATE_REASONS,
    CaseFilters,
    case_detail,
    case_list,
    deadline_state,
    drill,
    duplicate_candidates,
    events_for_reader,
    inbox_counts,
    overdue_multiple,
)
from civicgrid.cases.services import (
    SERVICES,
    StaleCase,
    agreement_document,
    allowed_transitions,
    case_correct_facts,
    case_edit_check,
    case_intake,
    case_list_export,
    case_tag_matter,
    cases_dispatch_batch,
    may_download_agreement,
    may_edit_case,
    may_tag_matter,
    party_add,
    party_document_info,
    party_remove,
    party_reveal,
    party_search_hashes,
    party_update,
    taggable_matters,
)
from civicgrid.cases.workflow import (
    TRANSITIONS,
    Transition,
    TransitionNotAllowed,
    transition_check,
)
from civicgrid.core.access import access, has_permission
from civicgrid.core.hooks import SlotEmpty
from civicgrid.core.htmx import is_htmx
from civicgrid.core.localized import enumeration
from civicgrid.core.pagination import request_page
from civicgrid.core.scope import get_scope
from civicgrid.notices.models import NoticeCategory
from civicgrid.notices.selectors import notice_counts, notice_delivery_on, notices_for
from civicgrid.notices.services import (
    notice_mark_all_read,
    notice_mark_read,
    notice_preference,
    notice_preference_set,
)
from civicgrid.risk.models import Matter
from civicgrid.workcalendar.calendar import Deadline

# Everything the case page and the action forms read from the case row itself.
CASE_RELATED = ("category", "area", "queue_area", "assigned_unit", "suggested_unit",
                "reported_by", "merged_into")



def _case_for(request: HttpRequest, number: str) -> Case:
    return get_object_or_404(
        Case.objects.restrict(request.user, "view").select_related(*CASE_RELATED),
        number=number)


def _fallback_deadline(case: Case, due: datetime | None) -> Deadline | None:
    years = tuple(int(y) for y in case.due_fallback_years.split(",") if y.strip().isdigit())
    if due is None or not years:
        return None
    return Deadline(due=timezone.localtime(due).date(), fallback_years=years)


# --- list ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    case: Case
    state: str  # deadline_state: overdue / due_soon / ok / ""
    multiple: float  # 超时倍数
    overdue: str = ""  # how long past the deadline, in words ("3天", "5小时")


def overdue_text(case: Case, now) -> str:
    """How long the stage is past its deadline, in words a reader takes in at a glance:
    whole days from one day on, hours before that ("" when not overdue)."""
    if case.stage_due_at is None or case.stage_due_at >= now:
        return ""
    hours = math.ceil((now - case.stage_due_at).total_seconds() / 3600)
    if hours < 24:
        return ngettext("%(n)d小时", "%(n)d小时", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d天", "%(n)d天", days) % {"n": days}


def _row(case: Case, now) -> Row:
    state = deadline_state(case, now)
    return Row(case, state, overdue_multiple(case, now),
               overdue_text(case, now) if state == "overdue" else "")


def _filter_choices(user) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    categories = [
        (c.code, ("\u3000" if len(c.code) > 2 else "") + c.display_name())
        for c in Category.objects.filter(active=True, code__regex=r"^\d{2}(\d{2})?$")
        .order_by("code").only("code", "name", "name_en")
    ]
    areas = list(Area.objects.restrict(user, "view")
                 .filter(level__in=[Level.STREET, Level.COMMUNITY]).order_by("code")
                 .values_list("code", "name")[:500])
    areas = [(code, ("\u3000" if len(code) > 9 else "") + name) for code, name in areas]
    return categories, areas


def _drill_context(form: CaseFilterForm, data: dict, qs) -> dict:
    """What the list shows when it was opened from a number: the statistic, its window and
    how many cases it has (which must equal the number clicked)."""
    errors = [e for name in form.DRILL_FIELDS for e in form.errors.get(name, [])]
    stat = data.get("stat", "")
    period = data.get("period")
    return {
        "errors": errors,
        "label": drill(stat).label if stat and not errors else "",
        "period": period.key if period else "",
        "date_from": data.get("from"), "date_to": data.get("to"),
        "area": data.get("area", ""),
        "matter": data.get("matter", ""),
        "kind": CaseKind(data["kind"]).label if data.get("kind") else "",
        "state": dict(form.fields["state"].choices).get(data.get("state", ""), ""),
        "total": None if errors else qs.count(),
    }


@dataclass
class ListQuery:
    """What the list shows, read from its query string: the page and the export share it."""

    form: CaseFilterForm
    data: dict
    valid: bool
    tabs: list[str]
    areas: list
    inbox: str
    counts: dict[str, int] | None
    qs: QuerySet
    ordering: list[str]


def _list_query(request, now) -> ListQuery:
    user = request.user
    tabs = visible_inboxes(user)
    categories, areas = _filter_choices(user)
    form = CaseFilterForm(request.GET or None, categories=categories, areas=areas)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    counts: dict[str, int] | None = None
    inbox = request.GET.get("inbox")
    if inbox is None:  # the user's work; a grid worker with none: what they reported
        inbox = ""
        if not data.get("q") and not form.drilled:
            counts = inbox_counts(actor=user, now=now)
            inbox = next((name for name in ("mine", "reported")
                          if name in tabs and counts[name]), "mine" if "mine" in tabs else "")
    if inbox not in tabs:
        inbox = ""
    filters = CaseFilters(
        inbox=inbox, status=data.get("status", ""), category=data.get("category", ""),
        area=data.get("area", ""), channel=data.get("channel", ""),
        supervision=data.get("supervision", ""), q=data.get("q", ""),
        stat=data.get("stat", ""), period=data.get("period"), date_from=data.get("from"),
        date_to=data.get("to"), matter=data.get("matter", ""), kind=data.get("kind", ""),
        state=data.get("state", ""))
    qs = case_list(actor=user, filters=filters, now=now)
    ordering = ["-id"]
    if data.get("ordering") == "overdue":  # most overdue first (dashboards link here)
        qs, ordering = qs.filter(stage_due_at__isnull=False), ["stage_due_at", "id"]
    elif data.get("ordering") == "oldest":
        ordering = ["id"]
    if form.drilled and not valid:  # a damaged statistic link lists nothing, says why
        qs = qs.none()
    return ListQuery(form, data, valid, tabs, areas, inbox, counts, qs, ordering)


@access("cases.case.view")
def case_list_view(request):
    user = request.user
    now = timezone.now()
    lq = _list_query(request, now)
    page = request_page(request, lq.qs, lq.ordering, ids_first=True)
    rows = [_row(c, now) for c in page.items]
    query = request.GET.copy()
    query.pop("cursor", None)
    query["inbox"] = lq.inbox or "all"
    bulk = lq.inbox == "dispatch" and has_permission(user, "cases.case.dispatch")
    context = {"page": page, "rows": rows, "query": query.urlencode(), "bulk": bulk,
               "columns": 7 if bulk else 6}
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "cases/partials/case_rows.html", context)
    counts = lq.counts or inbox_counts(actor=user, now=now)
    filter_query = request.GET.copy()
    for key in ("cursor", "inbox"):
        filter_query.pop(key, None)
    sort_query = filter_query.copy()
    sort_query.pop("ordering", None)
    sort_query["inbox"] = lq.inbox or "all"
    context.update({
        "sort_query": sort_query.urlencode(), "ordering": lq.data.get("ordering", ""),
        "form": lq.form, "inbox": lq.inbox, "filter_query": filter_query.urlencode(),
        "tabs": [(name, INBOX_LABELS[name], counts[name]) for name in lq.tabs],
        "show_area_filter": len(lq.areas) > 1,
        "can_add": has_permission(user, "cases.case.add"),
        "drill": _drill_context(lq.form, lq.data, lq.qs) if lq.form.drilled else None,
    })
    return render(request, "cases/case_list.html", context)


@access("cases.case.dispatch")
@require_POST
def case_dispatch_batch_view(request):
    """The dispatch queue's "受理并交办所选": each ticked case to its suggested unit, through
    the same services as one by one (cases/services/batch.py)."""
    versions = []
    for value in request.POST.getlist("case"):
        number, _sep, version = value.rpartition(":")
        if number and version.isdigit():
            versions.append((number, int(version)))
    try:
        result = cases_dispatch_batch(actor=request.user, versions=versions,
                                      note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if result.done:
            messages.success(request, _("已交办 %(n)d 件。") % {"n": len(result.done)})
        for number, why in result.refused:
            messages.warning(request, _("%(number)s 未交办:%(why)s") % {
                "number": number, "why": why})
    return redirect(reverse("cases:list") + "?inbox=dispatch")


@access("cases.case.view")
def case_export_view(request):
    """The list as it is filtered now, as an XLSX workbook: the user's scope only, personal
    data masked, every export audited (cases/services/exports.py)."""
    now = timezone.now()
    lq = _list_query(request, now)
    data = case_list_export(actor=request.user, qs=lq.qs.order_by(*lq.ordering),
                            query=request.GET.urlencode(), now=now,
                            source_ip=client_ip(request))
    response = HttpResponse(data, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = content_disposition_header(
        True, f"事件清单-{timezone.localtime(now):%Y%m%d-%H%M}.xlsx")
    return response


# --- intake ------------------------------------------------------------------------------

def _is_grid_worker(user) -> bool:
    return Role.GRID_WORKER in get_scope(user).roles


def _category_choices() -> tuple[list[tuple[str, str]], list[tuple[int, str, str]]]:
    """Top groups, and every leaf a case can be filed under with the group it belongs to."""
    groups = [(c.code, c.display_name()) for c in
              Category.objects.filter(active=True, parent__isnull=True).order_by("code")]
    leaves = []
    for category in leaf_categories():
        parent = category.parent
        label = category.display_name()
        if parent is not None and parent.parent_id is not None:
            label = f"{parent.display_name()} · {category.display_name()}"
        leaves.append((category.pk, label, category.code[:2]))
    known = {code for code, _name in groups}
    return groups, [leaf for leaf in leaves if leaf[2] in known]


def _posted_category(data: QueryDict) -> Category | None:
    raw = data.get("category", "")
    if not raw.isdigit():
        return None
    return Category.objects.filter(pk=int(raw), active=True).first()


def _intake_context(request, form, parties, *, category: Category | None,
                    attribute_errors: dict[str, str], extra_errors: dict[str, list[str]]):
    user = request.user
    groups, leaves = _category_choices()
    roots = list(area_roots(actor=user))
    map_urls = [reverse("areas:map", args=[root.code]) + "?depth=grid" for root in roots]
    values = request.POST if request.method == "POST" else None
    is_grid_worker = _is_grid_worker(user)
    more_fields = ("channel", "address", "happened_at", "people_band", "is_major", "is_group")
    more_open = (not is_grid_worker) or any(form.errors.get(f) for f in more_fields) or bool(
        extra_errors.get("parties")) or any(f.errors for f in parties.forms) or bool(
        parties.non_form_errors())
    return {
        "form": form, "parties": parties, "category_groups": groups, "category_leaves": leaves,
        "selected_group": category.code[:2] if category is not None else "",
        "attributes": attribute_rows(category, values, attribute_errors),
        "map_urls": " ".join(map_urls), "is_grid_worker": is_grid_worker,
        # the base map (roads, buildings, names) of the reader's area, when they have one
        "map_layers": map_layers(user, roots[0], grids_shown=True) if len(roots) == 1 else None,
        "registry_pick_url": registry_pick_url(user),
        "more_open": more_open, "extra_errors": extra_errors,
        "has_errors": bool(form.errors or attribute_errors or any(extra_errors.values())
                           or any(f.errors for f in parties.forms)
                           or parties.non_form_errors()),
    }


def _apply_intake_errors(exc: ValidationError, form: IntakeForm,
                         attribute_errors: dict[str, str],
                         extra_errors: dict[str, list[str]]) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        if key.startswith("attribute_"):
            attribute_errors[key] = " ".join(errors)
        elif key in ("parties", "attachments"):
            extra_errors[key] = list(errors)
        elif key in form.fields:
            form.add_error(key, errors)
        else:
            form.add_error(None, errors)


@access("cases.case.add")
def case_new_view(request):
    user = request.user
    grids = grids_in_scope(user)
    attribute_errors: dict[str, str] = {}
    extra_errors: dict[str, list[str]] = {"parties": [], "attachments": []}
    category = None
    if request.method == "POST":
        form = IntakeForm(request.POST, grids=grids, matters=taggable_matters(user))
        parties = PartyFormSet(request.POST, prefix=PARTY_PREFIX)
        uploads = request.FILES.getlist("uploads")
        category = _posted_category(request.POST)
        form_ok = form.is_valid()
        parties_ok = parties.is_valid()
        if form_ok and parties_ok:
            data = form.cleaned_data
            category = data["category"]
            try:
                case = case_intake(
                    channel=data["channel"], category=category,
                    description=data["description"], actor=user, area=data.get("area"),
                    lng=data.get("lng"), lat=data.get("lat"),
                    coordinate_system=data["coordinate_system"],
                    address=data.get("address", ""),
                    happened_at=data.get("happened_at"),
                    attributes=attribute_values(category, request.POST),
                    parties=_party_inputs(parties, user),
                    people_band=data["people_band"], is_major=data["is_major"],
                    is_group=data["is_group"], uploads=uploads,
                    matter=data.get("matter"))
            except ValidationError as exc:
                _apply_intake_errors(exc, form, attribute_errors, extra_errors)
            else:
                messages.success(request, _("事件已登记,编号 %(no)s。") % {"no": case.number})
                return redirect("cases:detail", number=case.number)
        if uploads:
            extra_errors["attachments"].append(
                _("已选择的 %(n)d 个照片或文件没有保存:出错后浏览器不能保留所选文件,"
                  "请重新选择。") % {"n": len(uploads)})
    else:
        initial: dict[str, Any] = {
            "channel": Channel.PATROL if _is_grid_worker(user) else Channel.WINDOW}
        only = list(grids[:2])
        if len(only) == 1:
            initial["area"] = only[0].pk
        form = IntakeForm(initial=initial, grids=grids, matters=taggable_matters(user))
        parties = PartyFormSet(prefix=PARTY_PREFIX,
                               initial=[{"role": "applicant"}, {"role": "respondent"}])
    context = _intake_context(request, form, parties, category=category,
                              attribute_errors=attribute_errors, extra_errors=extra_errors)
    return render(request, "cases/case_new.html", context,
                  status=400 if request.method == "POST" else 200)


def _party_inputs(parties, user) -> list[PartyInput]:
    """The intake's parties; one picked from the registry is completed from the register
    (its ID and phone never pass through the page). A pick the user may not see is refused
    on the party's row."""
    inputs: list[PartyInput] = []
    errors: list[str] = []
    for party_form in parties.forms:
        given = party_form.to_input()
        if given is None:
            continue
        person_id = party_form.cleaned_data.get("registry_person")
        if person_id:
            try:
                given = hooks.party_from_registry.get()(user, person_id, given)
            except (PermissionDenied, SlotEmpty):
                errors.append(_("%(name)s:所选实有人口不存在或无权查看,请重新选择。")
                              % {"name": given.name})
        inputs.append(given)
    if errors:
        raise ValidationError({"parties": errors})
    return inputs


def registry_pick_url(user) -> str:
    """Where the intake's party rows search the registry, for users who may read it."""
    try:
        hooks.party_from_registry.get()
    except SlotEmpty:
        return ""
    if not get_scope(user).can("registry.person.view"):
        return ""
    try:
        return reverse("registry:person_pick")
    except NoReverseMatch:
        return ""


@access("cases.case.add")
def intake_attributes_view(request):
    """The selected category's attribute inputs (htmx partial of the intake form)."""
    category = _posted_category(request.GET)
    return render(request, "cases/partials/attributes.html",
                  {"attributes": attribute_rows(category, None, {}), "category": category})


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@access("cases.case.add")
@require_POST
def intake_duplicates_view(request):
    """Likely duplicates of what is being typed, shown before the case is saved."""
    user, data = request.user, request.POST
    category = _posted_category(data)
    lng, lat = _float(data.get("lng")), _float(data.get("lat"))
    if lng is None or lat is None:
        lng = lat = None
    else:  # compared with stored points: in WGS 84, as the intake will store it
        try:
            lng, lat = to_wgs84(lng, lat, data.get("coordinate_system", ""))
        except ValidationError:
            lng = lat = None
    phones = [party_search_hashes(phone=v)[0] for k, v in data.items()
              if k.endswith("-phone") and v.strip()]
    ids = [party_search_hashes(id_number=v)[1] for k, v in data.items()
           if k.endswith("-id_number") and v.strip()]
    description = data.get("description", "")
    area_code = ""
    area_id = data.get("area", "")
    if area_id.isdigit():
        area_code = grids_in_scope(user).filter(pk=int(area_id)).values_list(
            "code", flat=True).first() or ""
    if not area_code and lng is not None and lat is not None:
        located = locate_grid(lng, lat)
        area_code = located.code if located is not None else ""
    suggestions = []
    searchable = (len(description.strip()) >= 5 or any(phones) or any(ids)
                  or (category is not None and lng is not None))
    if searchable:
        suggestions = [
            {"case": s.case, "reasons": [DUPLICATE_REASONS.get(r, r) for r in s.reasons]}
            for s in duplicate_candidates(
                actor=user, category=category, description=description, lng=lng, lat=lat,
                area_code=area_code, id_hashes=[h for h in ids if h],
                phone_hashes=[h for h in phones if h])
        ]
    return render(request, "cases/partials/duplicates.html", {"suggestions": suggestions})


# --- the case page -----------------------------------------------------------------------

@access("cases.case.view", model=Case, lookup={"number": "number"})
def case_detail_view(request, number: str):
    user = request.user
    case = _case_for(request, number)
    detail = case_detail(case=case)
    now = timezone.now()
    definitions = {a.code: a for a in case.category.attributes.all()}
    attributes = []
    for code, value in (case.attributes or {}).items():
        attr = definitions.get(code)
        names = dict(attr.display_values()) if attr is not None else {}
        shown = value if isinstance(value, list) else [value]
        if attr is not None and attr.datatype == AttributeType.DATETIME:
            parsed = parse_datetime(str(value))
            shown = [timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
                     if parsed is not None and timezone.is_aware(parsed) else value]
        attributes.append({
            "code": code,
            "description": attr.display_description() if attr is not None else code,
            "value": enumeration(names.get(str(v), str(v)) for v in shown)})
    labels = dict(Status.choices)
    for event in detail["events"]:
        event.from_label = labels.get(event.from_status, "")
        event.to_label = labels.get(event.to_status, "")
    detail["events"] = events_for_reader(list(detail["events"]), user)
    edit_event_lines(detail["events"])
    can_reveal = has_permission(user, "cases.party.reveal")
    map_data = None
    if (case.lng is not None and case.lat is not None) or case.area.boundary:
        map_data = {"lng": case.lng, "lat": case.lat, "boundary": case.area.boundary,
                    "name": case.area.name,
                    # the base map around it: roads, buildings (registry readers), names
                    "layers": map_layers(user, case.area, grids_shown=True)}
    context = {
        "case": case, **detail,
        # The step that moves the case on comes first; side paths follow in table order.
        "transitions": sorted(allowed_transitions(case, user),
                              key=lambda t: t.style not in ("primary", "success")),
        "state": deadline_state(case, now), "multiple": overdue_multiple(case, now),
        "overdue": overdue_text(case, now),
        "stage_fallback": _fallback_deadline(case, case.stage_due_at),
        "handle_fallback": _fallback_deadline(case, case.handle_due_at),
        "attributes": attributes, "can_reveal": can_reveal, "map_data": map_data,
        "can_download_agreement": detail["agreement"] is not None
        and may_download_agreement(user, case),
        "is_open": case.is_open,
        # 补录/更正/移除当事人, 更正信息 (services/parties.py decides; the pages ask again)
        "can_edit": (can_edit := may_edit_case(case, user)),
        "can_edit_parties": can_edit and detail["agreement"] is None,
        "routing_note": display_note(case),
        # 涉及重大事项 (services/matters.py): shown when the reader can see the matter
        "matter": _visible_matter(case, user),
        "can_tag_matter": may_tag_matter(user),
    }
    return render(request, "cases/case_detail.html", context)


def _visible_matter(case: Case, user) -> Matter | None:
    """The case's matter if `user` can see it (a matter out of their scope is not named)."""
    if case.matter_id is None:
        return None
    return (Matter.objects.restrict(user, "view").filter(pk=case.matter_id)
            .only("pk", "number", "title", "status").first())


# --- actions -----------------------------------------------------------------------------

def _back_to_case(request, case: Case) -> HttpResponse:
    """After a successful action: the case page, or the list if it left the user's scope."""
    if Case.objects.restrict(request.user, "view").filter(pk=case.pk).exists():
        url = reverse("cases:detail", args=[case.number])
    else:
        url = reverse("cases:list")
    if is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _apply_action_errors(exc: ValidationError, form) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


def _render_action(request, case: Case, transition: Transition, *, form=None,
                   problem: str = "", status: int = 200) -> HttpResponse:
    context = {"case": case, "transition": transition, "form": form, "problem": problem,
               "in_modal": is_htmx(request),
               "action_url": reverse("cases:action", args=[case.number, transition.name])}
    template = "cases/partials/action_form.html" if is_htmx(request) \
        else "cases/case_action.html"
    return render(request, template, context, status=status)


@access("cases.case.view", model=Case, lookup={"number": "number"},
        example={"name": "close"})
def case_action_view(request, number: str, name: str):
    """One workflow action: GET its form, POST it to the transition's service.

    Not an actor for this transition → 403; the case is no longer in a status where it
    applies, or someone changed it meanwhile → a message and nothing changes."""
    user = request.user
    case = _case_for(request, number)
    transition = TRANSITIONS[name]
    try:
        transition_check(case, name, user)
    except TransitionNotAllowed:
        return _render_action(request, case, transition, problem=_(
            "该事件当前状态为“%(status)s”,不能执行“%(action)s”。请刷新页面查看最新情况。")
            % {"status": case.get_status_display(), "action": transition.label})
    if request.method != "POST":
        return _render_action(request, case, transition,
                              form=action_form(transition, case=case, user=user))
    form = action_form(transition, case=case, user=user, data=request.POST,
                       files=request.FILES)
    if form.is_valid():
        try:
            SERVICES[name](case=case, actor=user,
                           expected_version=form.cleaned_data["version"],
                           data=form.to_input())
        except StaleCase as exc:
            return _render_action(request, case, transition, problem=str(exc.message))
        except TransitionNotAllowed:
            return _render_action(request, case, transition, problem=_(
                "该事件当前状态下不能执行“%(action)s”。请刷新页面查看最新情况。")
                % {"action": transition.label})
        except ValidationError as exc:
            _apply_action_errors(exc, form)
        else:
            messages.success(request, _("“%(action)s”已完成。") % {"action": transition.label})
            return _back_to_case(request, case)
    return _render_action(request, case, transition, form=form)


# --- personal data -------------------------------------------------------------------------

@access("cases.party.reveal", model=Party, lookup={"number": "case.number", "pk": "pk"})
def party_reveal_view(request, number: str, pk: int):
    """GET: ask for the reason; POST: show the party's phone and ID number in clear, each
    reveal audited by `party_reveal`. Never cached."""
    user = request.user
    case = _case_for(request, number)
    party = get_object_or_404(Party.objects.filter(case=case), pk=pk)
    context: dict[str, Any] = {"case": case, "party": party, "error": "", "reason": ""}
    template = "cases/partials/party_reveal_form.html"
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        context["reason"] = reason
        try:
            with transaction.atomic():
                context["clear"] = {
                    field: party_reveal(party=party, field_name=field, reason=reason,
                                        actor=user)
                    for field in ("phone", "id_number")
                    if getattr(party, f"{field}_encrypted")
                }
                if not context["clear"] and not reason:
                    raise ValidationError(_("请填写理由。"))
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            template = "cases/partials/party_clear.html"
    response = render(request, template, context, status=200)
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- attachments ---------------------------------------------------------------------------

def _attachment(request, number: str, pk: int) -> Attachment:
    case = _case_for(request, number)
    return get_object_or_404(Attachment.objects.filter(case=case), pk=pk)


def _file_response(field, content_type: str, filename: str) -> FileResponse:
    try:
        handle = field.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type, filename=filename)
    add_never_cache_headers(response)  # photos of people and places: never kept in a cache
    return response


@access("cases.case.view", model=Attachment, lookup={"number": "case.number", "pk": "pk"})
def attachment_view(request, number: str, pk: int):
    attachment = _attachment(request, number, pk)
    return _file_response(attachment.file, attachment.content_type, attachment.original_name)


@access("cases.case.view", model=Attachment, lookup={"number": "case.number", "pk": "pk"})
def attachment_thumb_view(request, number: str, pk: int):
    attachment = _attachment(request, number, pk)
    if attachment.thumbnail:
        return _file_response(attachment.thumbnail, "image/jpeg",
                              f"thumb-{attachment.original_name}.jpg")
    if attachment.is_image:
        return _file_response(attachment.file, attachment.content_type,
                              attachment.original_name)
    raise Http404


# --- documents ---------------------------------------------------------------------------

def _pdf_response(data: bytes, filename: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    if private:
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
    return response


@access("cases.case.view", model=Case, lookup={"number": "number"})
def agreement_pdf_view(request, number: str):
    """人民调解协议书 with the parties in clear: for those who may reveal personal data or
    belong to the handling unit; every download is audited."""
    user = request.user
    case = _case_for(request, number)
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        messages.info(request, _("该事件没有调解协议书。"))
        return redirect("cases:detail", number=case.number)
    if not may_download_agreement(user, case):
        raise PermissionDenied
    try:
        data = agreement_document(case=case, actor=user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("cases:detail", number=case.number)
    return _pdf_response(data, f"人民调解协议书-{case.number}.pdf", private=True)


@access("cases.case.view", model=Case, lookup={"number": "number"})
def registration_pdf_view(request, number: str):
    """受理登记表 with masked phones and ID numbers."""
    case = _case_for(request, number)
    accepted = case.events.filter(type=EventType.ACCEPTED).order_by("id").first()
    flags = [str(label) for flag, label in ((case.is_major, _("重大矛盾纠纷")),
                                           (case.is_group, _("群体性"))) if flag]
    if case.supervision:
        flags.append(str(SupervisionLevel(case.supervision).label))
    form = RegistrationForm(
        case_number=case.number, title=_("%(kind)s受理登记表") % {
            "kind": case.category.get_kind_display()},
        registered_at=case.registered_at, channel=case.get_channel_display(),
        category=case.category.name,
        place=" ".join(filter(None, [case.area.name, case.address])),
        happened_at=case.happened_at, description=case.description,
        parties=[party_document_info(p, clear=False) for p in case.parties.order_by("role", "id")],
        people_involved=case.get_people_band_display(), flags=flags,
        accepted_by=accepted.actor_name if accepted else "",
        handling_unit=case.assigned_unit.name if case.assigned_unit else "",
        notes=case.routing_note)
    return _pdf_response(render_registration_form(form), f"受理登记表-{case.number}.pdf",
                         private=False)


# --- notices -------------------------------------------------------------------------------

NOTICE_UNREAD_SHOWN = 100  # the rest are counted in the tabs; "全部标为已读" reaches them


@access("cases.case.view")
def notice_list_view(request):
    """The user's notices (their own and their units'), in tabs by category (cases,
    warnings, checks, system) with unread counts; unread first (the newest
    NOTICE_UNREAD_SHOWN), then the read ones page by page; "标为已读", "全部标为已读" (of
    the tab shown, up to the newest on screen) and the daily-digest preference."""
    user = request.user
    tab = request.POST.get("tab") or request.GET.get("tab") or ""
    category = tab if tab in NoticeCategory.values else None
    here = reverse("cases:notices") + (f"?tab={category}" if category else "")
    if request.method == "POST":
        action = request.POST.get("action", "read")
        if request.POST.get("item") == "all":  # the form of the page before the tabs
            action = "all"
        if action == "digest":
            notice_preference_set(actor=user,
                                  daily_digest=request.POST.get("daily_digest") == "on")
            messages.success(request, _("通知接收方式已保存。"))
        elif action == "all":
            up_to = request.POST.get("up_to", "")
            marked = notice_mark_all_read(actor=user, category=category,
                                          up_to_id=int(up_to) if up_to.isdigit() else None)
            messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": marked})
        else:
            item_id = request.POST.get("item", "")
            if not item_id.isdigit():
                raise Http404
            item = notices_for(actor=user, unread_only=False).filter(pk=int(item_id)).first()
            if item is None:
                raise Http404
            notice_mark_read(notice=item, actor=user)
        return redirect(here)
    counts = notice_counts(actor=user)
    tabs = [("", _("全部"), sum(u for u, _t in counts.values()), 1)]
    tabs += [(value, label, *counts[value]) for value, label in NoticeCategory.choices
             if counts[value][1] or value == category]  # a tab with no notices is left out
    # Area notices (a missing weekly check, a warning status change) name an area instead
    # of a case.
    unread_qs = notices_for(actor=user, category=category).select_related("area")
    unread = list(unread_qs.order_by("-id")[:NOTICE_UNREAD_SHOWN])
    unread_total = (counts[category][0] if category else tabs[0][2])
    read_qs = (notices_for(actor=user, unread_only=False, category=category)
               .filter(read_at__isnull=False).select_related("area"))
    read = request_page(request, read_qs, ["-id"], limit=30)
    return render(request, "cases/notice_list.html", {
        "tabs": tabs, "tab": category or "", "unread": unread, "unread_total": unread_total,
        "read": read, "preference": notice_preference(actor=user),
        "delivery_on": notice_delivery_on(), "has_phone": bool(user.phone)})

# --- parties and facts after intake ----------------------------------------------------------
#
# 补录/更正/移除当事人 and 更正事件信息: pages (a modal with htmx, a page of their own without
# JS) that parse a form and call services/parties.py or services/facts.py, which decide
# who may and when. A GET by someone who may not (now) shows why instead of the form.

EDITOR_PERMISSIONS = ("cases.case.handle", "cases.case.dispatch")

# How the timeline names each corrected fact (FactsCorrected.changes) and party field.
FACT_LABELS = {
    "category": gettext_lazy("分类"), "area": gettext_lazy("所在网格"),
    "point": gettext_lazy("坐标"), "address": gettext_lazy("地址"),
    "people_band": gettext_lazy("涉及人数"), "is_major": gettext_lazy("重大矛盾纠纷"),
    "is_group": gettext_lazy("群体性"), "level": gettext_lazy("处置层级"),
}
PARTY_FIELD_LABELS = {
    "role": gettext_lazy("身份"), "name": gettext_lazy("姓名"), "sex": gettext_lazy("性别"),
    "ethnicity": gettext_lazy("民族"), "birth_date": gettext_lazy("出生日期"),
    "age": gettext_lazy("年龄"), "occupation": gettext_lazy("职业"),
    "address": gettext_lazy("住址"), "phone": gettext_lazy("联系电话"),
    "id_number": gettext_lazy("身份证号"),
}


def edit_event_lines(events) -> None:
    """Give the timeline's party and facts events their lines: `e.changes` (label, before,
    after) and `e.party_line` (who, and which fields changed)."""
    roles = dict(PartyRole.choices)
    for event in events:
        data = event.data or {}
        if event.type == EventType.FACTS_CORRECTED:
            event.changes = [(FACT_LABELS.get(key, key), pair[0], pair[1])
                             for key, pair in (data.get("changes") or {}).items()]
            level = data.get("min_level")
            event.level_hint = HandlingLevel(level).label if level in HandlingLevel.values \
                else ""
        elif event.type in (EventType.PARTY_ADDED, EventType.PARTY_UPDATED,
                            EventType.PARTY_REMOVED):
            line = f"{roles.get(data.get('role', ''), '')} {data.get('name', '')}".strip()
            fields = enumeration(PARTY_FIELD_LABELS.get(f, f) for f in data.get("fields", []))
            event.party_line = f"{line}:{fields}" if fields else line
        elif event.type == EventType.MATTER_TAGGED:
            now_text = f"{data.get('matter', '')} {data.get('title', '')}".strip()
            event.changes = [(_("涉及重大事项"), data.get("previous", ""), now_text)]


@dataclass(frozen=True)
class EditAction:
    name: str
    label: Any
    style: str
    url: str


def _render_edit(request, case: Case, action: EditAction, *, form=None, party=None,
                 problem: str = "", status: int = 200) -> HttpResponse:
    context = {"case": case, "action": action, "form": form, "party": party,
               "problem": problem, "in_modal": is_htmx(request)}
    template = "cases/partials/edit_form.html" if is_htmx(request) else "cases/case_edit.html"
    return render(request, template, context, status=status)


def _edit_refusal(case: Case, user, *, parties: bool) -> str:
    """Why `user` may not change the case's parties (or facts) now, or ""."""
    try:
        case_edit_check(case, user)
    except PermissionDenied:
        return _("只有承办单位的办理人员和调度中心可以更改当事人和事件信息。")
    except ValidationError as exc:
        return " ".join(exc.messages)
    if parties and Agreement.objects.filter(case=case).exists():
        return _("已制作人民调解协议书,当事人不能再更改。")
    return ""


def _edit(request, case: Case, action: EditAction, make_form, perform, *, party=None,
          done: str, parties: bool = True) -> HttpResponse:
    """GET: the form, or why the user may not; POST: parse and call the service, which
    decides (PermissionDenied → 403; a refused rule → its message on the form)."""
    if request.method != "POST":
        problem = _edit_refusal(case, request.user, parties=parties)
        return _render_edit(request, case, action, party=party, problem=problem,
                            form=None if problem else make_form(None))
    form = make_form(request.POST)
    if form.is_valid():
        try:
            result = perform(form)
        except StaleCase as exc:
            return _render_edit(request, case, action, party=party,
                                problem=str(exc.message))
        except ValidationError as exc:
            _apply_action_errors(exc, form)
        else:
            messages.success(request, done)
            level = result.data.get("min_level") if isinstance(result, CaseEvent) else ""
            if level in HandlingLevel.values:
                messages.warning(request, _(
                    "按更正后的信息,该事件应在“%(level)s”层级处置,请考虑上报升级。") % {
                    "level": HandlingLevel(level).label})
            return _back_to_case(request, case)
    return _render_edit(request, case, action, form=form, party=party)


@access(EDITOR_PERMISSIONS, model=Case, lookup={"number": "number"})
def party_add_view(request, number: str):
    case = _case_for(request, number)
    action = EditAction("party_add", _("补录当事人"), "primary",
                        reverse("cases:party_add", args=[case.number]))
    return _edit(
        request, case, action, lambda data: PartyAddForm(data, case=case),
        lambda form: party_add(case=case, data=form.to_input(), actor=request.user,
                               expected_version=form.cleaned_data["version"],
                               note=form.cleaned_data.get("note") or ""),
        done=_("当事人已补录。"))


@access(EDITOR_PERMISSIONS, model=Party, lookup={"number": "case.number", "pk": "pk"})
def party_edit_view(request, number: str, pk: int):
    case = _case_for(request, number)
    party = get_object_or_404(Party.objects.filter(case=case), pk=pk)
    party.case = case
    action = EditAction("party_edit", _("更正当事人"), "primary",
                        reverse("cases:party_edit", args=[case.number, party.pk]))
    return _edit(
        request, case, action, lambda data: PartyEditForm(data, case=case, party=party),
        lambda form: party_update(party=party, data=form.to_input(), actor=request.user,
                                  expected_version=form.cleaned_data["version"]),
        party=party, done=_("当事人信息已更正。"))


@access(EDITOR_PERMISSIONS, model=Party, lookup={"number": "case.number", "pk": "pk"})
def party_remove_view(request, number: str, pk: int):
    case = _case_for(request, number)
    party = get_object_or_404(Party.objects.filter(case=case), pk=pk)
    party.case = case
    action = EditAction("party_remove", _("移除当事人"), "danger",
                        reverse("cases:party_remove", args=[case.number, party.pk]))
    return _edit(
        request, case, action, lambda data: PartyRemoveForm(data, case=case),
        lambda form: party_remove(party=party, reason=form.cleaned_data["reason"],
                                  actor=request.user,
                                  expected_version=form.cleaned_data["version"]),
        party=party, done=_("当事人已移除。"))


@access(EDITOR_PERMISSIONS, model=Case, lookup={"number": "number"})
def case_correct_view(request, number: str):
    case = _case_for(request, number)
    action = EditAction("correct_facts", _("更正信息"), "primary",
                        reverse("cases:correct", args=[case.number]))

    def perform(form):
        case_correct_facts(case=case, data=form.to_input(), actor=request.user,
                           expected_version=form.cleaned_data["version"])
        return case.events.order_by("-id").first()

    return _edit(request, case, action,
                 lambda data: FactsForm(data, case=case, user=request.user), perform,
                 done=_("事件信息已更正。"), parties=False)


@access("cases.case.add", model=Case, lookup={"number": "number"})
def case_matter_view(request, number: str):
    """关联重大事项: set, change or clear the case's matter (services/matters.py decides)."""
    case = _case_for(request, number)
    action = EditAction("tag_matter", _("关联重大事项"), "primary",
                        reverse("cases:matter", args=[case.number]))
    matters = taggable_matters(request.user)
    if case.matter_id is not None:  # the current one stays a choice (to keep or clear),
        current = Matter.objects.restrict(request.user, "view").filter(  # if it may be read
            pk=case.matter_id).values("pk")
        matters = Matter.objects.filter(Q(pk__in=matters.values("pk")) | Q(pk__in=current)
                                        ).order_by("-registered_at", "-id")
    if not may_tag_matter(request.user):
        return _render_edit(request, case, action,
                            problem=_("您没有关联重大事项的权限。"))
    if request.method != "POST":
        return _render_edit(request, case, action, form=MatterTagForm(case=case, matters=matters))
    form = MatterTagForm(request.POST, case=case, matters=matters)
    if form.is_valid():
        try:
            case_tag_matter(case=case, matter=form.cleaned_data["matter"], actor=request.user,
                            expected_version=form.cleaned_data["version"],
                            note=form.cleaned_data.get("note") or "")
        except StaleCase as exc:
            return _render_edit(request, case, action, problem=str(exc.message))
        except ValidationError as exc:
            _apply_action_errors(exc, form)
        else:
            messages.success(request, _("已更新涉及的重大事项。"))
            return _back_to_case(request, case)
    return _render_edit(request, case, action, form=form)
