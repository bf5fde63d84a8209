"""更正事件信息: correcting a case's facts after intake — its category, its place, how many
people it involves and the 重大/群体性 flags — with a reason, audited, and shown on the
timeline as before → after.

Who and when are the parties' rule (`case_edit_check` in services/parties.py): whoever
handles the case, while it is open and not yet resolved. Beyond that:

- The category and the area decide where a case goes, so they change only before dispatch
  (待受理, 待派遣), and then the case is routed again exactly as intake routes it: the
  level, the dispatch queue and the suggested unit follow the corrected facts. The level
  never drops below one the case was escalated (上报) to. After dispatch the unit handling
  the case returns it (退回) to the dispatch centre, which corrects and dispatches again.
- The point on the map and the address text may be corrected while the place's area stays
  the same; a new area clears the point (it lay in the old one) unless one is given.
- The number of people and the flags may change until resolution. Before dispatch they
  re-route as above; after it the case stays with its unit, and when the corrected facts
  call for a higher level than the case's, the timeline event says which (`min_level`) so
  that the handler can 上报.
- Deadlines are not moved: the stage clocks keep running from when they started.
- Attributes the new category does not ask for are dropped (the event lists them).
- Every place is checked by `intake_place`, the rule of every intake channel: inside the
  actor's jurisdiction, at street level or below.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases import hooks
from civicgrid.cases.inputs import FactsInput
from civicgrid.cases.models import (
    LEVEL_ORDER,
    Case,
    CaseKind,
    Category,
    HandlingLevel,
    Party,
    PartyRole,
    PeopleBand,
    Status,
)
from civicgrid.cases.services.common import (
    CaseFields,
    record_event,
    refuse_longer_than_field,
    require_reason,
    save_case,
)
from civicgrid.cases.services.intake import intake_place
from civicgrid.cases.services.parties import case_edit_check
from civicgrid.cases.services.routing import case_route, minimum_level, queue_area_for
from civicgrid.core.errors import RuleViolation
from civicgrid.core.transactions import service_atomic

# Before dispatch: the statuses in which the category and the area may change (re-routed).
ROUTING_STATUSES = frozenset({Status.REGISTERED, Status.ACCEPTED})


def _yes_no(value: bool) -> str:
    return str(_("是") if value else _("否"))


def _is_repeat(case: Case, category: Category) -> bool:
    """A petition whose applicant petitioned before (as intake decides it)."""
    if category.kind != CaseKind.PETITION:
        return False
    applicants = Party.objects.filter(case=case, role=PartyRole.APPLICANT)
    phones = {h for h in applicants.values_list("phone_hash", flat=True) if h}
    ids = {h for h in applicants.values_list("id_number_hash", flat=True) if h}
    if not phones and not ids:
        return False
    return (Party.objects.filter(Q(phone_hash__in=phones) | Q(id_number_hash__in=ids),
                                 role=PartyRole.APPLICANT,
                                 case__category__kind=CaseKind.PETITION,
                                 case__registered_at__lt=case.registered_at)
            .exclude(case=case).exists())


@service_atomic
def case_correct_facts(*, case: Case, data: FactsInput, actor: User,
                       expected_version: int) -> Case:
    """Correct the facts `data` gives (None: unchanged); refuse when nothing changes."""
    case_edit_check(case, actor)
    reason = require_reason(data.reason)
    before_dispatch = case.status in ROUTING_STATUSES
    fields: CaseFields = {}
    changes: dict[str, list[str]] = {}
    audit: dict[str, list[object]] = {}

    category = case.category
    if data.category is not None and data.category.pk != case.category_id:
        if not before_dispatch:
            raise RuleViolation({"category": _(
                "交办后不能更改分类:请承办单位退回调度中心后更正。")})
        category = data.category
        if not category.active or category.children.exists():
            raise ValidationError({"category": _("请选择最末一级的在用分类。")})
        codes = set(category.attributes.values_list("code", flat=True))
        kept = {k: v for k, v in (case.attributes or {}).items() if k in codes}
        fields["category"] = category
        fields["attributes"] = kept
        fields["is_repeat"] = _is_repeat(case, category)
        changes["category"] = [case.category.name, category.name]
        audit["category"] = [case.category.code, category.code]
        dropped = sorted(set(case.attributes or {}) - set(kept))
        if dropped:
            audit["attributes_dropped"] = list(dropped)

    area = case.area
    if data.area is not None or data.lng is not None or data.lat is not None:
        area = intake_place(actor=actor, area=data.area, lng=data.lng, lat=data.lat)
        if area.pk != case.area_id and not before_dispatch:
            raise RuleViolation({"area": _(
                "交办后不能更改发生地所在区域:请承办单位退回调度中心后更正。")})
        point: tuple[float | None, float | None]
        if data.lng is not None:
            point = (data.lng, data.lat)
        elif area.pk == case.area_id:
            point = (case.lng, case.lat)
        else:
            point = (None, None)
        if area.pk != case.area_id:
            fields["area"], fields["area_code"] = area, area.code
            changes["area"] = [case.area.name, area.name]
            audit["area"] = [case.area_code, area.code]
        if point != (case.lng, case.lat):
            fields["lng"], fields["lat"] = point
            changes["point"] = [_point_text(case.lng, case.lat), _point_text(*point)]
            audit["point"] = [[case.lng, case.lat], list(point)]
    address = (None if data.address is None
               else refuse_longer_than_field(Case, "address", data.address.strip()))
    if address is not None and address != case.address:
        fields["address"] = address
        changes["address"] = [case.address, fields["address"]]

    people_band = case.people_band
    if data.people_band is not None and data.people_band != case.people_band:
        if data.people_band not in PeopleBand.values:
            raise ValidationError({"people_band": _("涉及人数无效。")})
        people_band = fields["people_band"] = data.people_band
        changes["people_band"] = [str(PeopleBand(case.people_band).label),
                                  str(PeopleBand(people_band).label)]
        audit["people_band"] = [case.people_band, people_band]
    is_major, is_group = case.is_major, case.is_group
    if data.is_major is not None and data.is_major != case.is_major:
        is_major = fields["is_major"] = data.is_major
        changes["is_major"] = [_yes_no(case.is_major), _yes_no(is_major)]
        audit["is_major"] = [case.is_major, is_major]
    if data.is_group is not None and data.is_group != case.is_group:
        is_group = fields["is_group"] = data.is_group
        changes["is_group"] = [_yes_no(case.is_group), _yes_no(is_group)]
        audit["is_group"] = [case.is_group, is_group]
    if not changes:
        raise ValidationError(_("没有要更正的内容。"))

    min_level = minimum_level(category, people_band=people_band, is_major=is_major,
                              is_group=is_group)
    rerouted, needs_level = False, ""
    routing_facts = {"category", "area", "people_band", "is_major", "is_group"}
    if before_dispatch and routing_facts & changes.keys():
        floor = min_level
        if case.escalations and _rank(case.level) > _rank(floor):
            floor = case.level  # an escalation stands
        route = case_route(category=category, area_code=area.code, min_level=floor)
        fields.update({"level": route.level, "queue_area": queue_area_for(area, route.level),
                       "suggested_unit": route.unit, "routing_rule": route.rule,
                       "routing_note": route.note[:200]})
        rerouted = True
        if route.level != case.level:
            changes["level"] = [str(HandlingLevel(case.level).label),
                                str(HandlingLevel(route.level).label)]
            audit["level"] = [case.level, route.level]
    elif not before_dispatch and _rank(min_level) > _rank(case.level):
        needs_level = min_level

    before = copy.copy(case)
    save_case(case, expected_version, fields)
    hooks.case_changed.send(before, case)  # category, place, level, flags: the rollups
    record_event(case, E.FactsCorrected(changes=changes, rerouted=rerouted,
                                        min_level=needs_level), actor, note=reason)
    audit_record(actor=actor, event_type=AuditEventType.CASE_FACTS_CORRECTED, subject=case,
                 details={"changes": audit, "rerouted": rerouted, "reason": reason[:200]})
    return case


def _rank(level: str) -> int:
    return LEVEL_ORDER.index(HandlingLevel(level))


def _point_text(lng: float | None, lat: float | None) -> str:
    return "—" if lng is None or lat is None else f"{lng:.6f}, {lat:.6f}"
