"""Change review (变更审核, issue 16): a street, community or grid may decide that its grid
workers' registry edits — 入住, 搬离, a new household member, a new organisation, a room's
use — wait for a reviewer (a supervisor of the social governance centre in scope) before
they apply.

One way in for every client: pages and the API call `change_submit` with the same typed
input as the direct service. When no review applies (no rule, a rule that says no, or an
actor who may approve in that grid: a supervisor's own edit), the existing service runs at
once. Otherwise every rule of that service that holds before the write is checked now,
without writing (its `*_check` function), and a `ChangeRequest` keeps the input (record
numbers, choices, dates and numbers; never an ID number or a phone: registering a new
person is not reviewed) with a before/after view of the facts.

`change_approve` calls the same service inside one transaction with the reviewer as its
actor — so the service's own audit entry, figures and rules are those of any write — and
records the approval (the requester named in its details); a service that refuses now (the
record changed meanwhile) leaves the request pending and says why. `change_return` needs a
reason. The requester is told either way (a notice). `changes_approve_bulk` approves many,
each in its own transaction: one refusal undoes no other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.privacy import subject_label
from civicgrid.audit.services import audit_record
from civicgrid.cases.services.common import refuse_longer_than_field, require_reason
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import ancestor_codes, get_scope, user_can
from civicgrid.notices.models import NoticeKind
from civicgrid.notices.services import notice_send
from civicgrid.notices.texts import each_language
from civicgrid.registry.models import (
    REVIEW_LEVELS,
    Building,
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Household,
    HouseholdMember,
    Organisation,
    Person,
    Residence,
    ResidenceKind,
    ResidenceSource,
    ReviewRule,
    Room,
    RoomUse,
)
from civicgrid.registry.services.common import allowed
from civicgrid.registry.services.housing import household_add_member, household_add_member_check
from civicgrid.registry.services.organisations import (
    OrganisationInput,
    organisation_create,
    organisation_create_check,
)
from civicgrid.registry.services.people import (
    PersonInput,
    _check_move_in,
    person_create,
    person_move_in,
    person_move_in_check,
    person_move_out,
    person_move_out_check,
)
from civicgrid.registry.services.places import USE_ON_MOVE_IN, room_set_use, room_set_use_check

BULK_LIMIT = 100  # requests approved or returned in one call
PENDING = ChangeRequestStatus.PENDING


# --- the rule: which areas' edits wait for review ---------------------------------------------

def review_rule_for(grid_code: str) -> ReviewRule | None:
    """The rule that decides for a grid: its own, else its community's, else its street's
    (the nearest one set). One query."""
    codes = [*ancestor_codes(grid_code), grid_code]
    # (the codes nest by prefix: the longest is the nearest, and sorts last)
    return ReviewRule.objects.filter(area_code__in=codes).order_by("-area_code").first()


def _may_approve_in(actor: User, grid_code: str) -> bool:
    return user_can(actor, ChangeRequest, "approve") and get_scope(actor).covers_code(grid_code)


def needs_review(*, grid_code: str, actor: User) -> bool:
    """Whether the actor's registry edit in this grid waits for a reviewer: the nearest rule
    says so, and the actor may not approve in that grid themselves (a grid worker; a
    supervisor's own edits apply directly)."""
    rule = review_rule_for(grid_code)
    if rule is None or not rule.needs_review:
        return False
    return not _may_approve_in(actor, grid_code)


def review_rule_set(*, area: Area, needs_review: bool | None, actor: User) -> ReviewRule | None:
    """Set whether the grid workers' edits in `area` (a street, community or grid of the
    actor's jurisdiction) need approval; None removes the area's own rule, so that the rule
    above it decides again. Setting what is already set changes nothing and records
    nothing."""
    allowed(actor, ReviewRule, "change", area.code)
    if area.level not in REVIEW_LEVELS:
        raise ValidationError({"area": _("只能为街道、社区或网格设置变更审核。")})
    with transaction.atomic():
        existing = ReviewRule.objects.select_for_update().filter(area=area).first()
        if needs_review is None:
            if existing is None:
                return None
            existing.delete()
            rule = None
        elif existing is not None and existing.needs_review == needs_review:
            return existing
        else:
            rule, _created = ReviewRule.objects.update_or_create(
                area=area, defaults={"area_code": area.code, "needs_review": needs_review,
                                     "set_by": actor, "set_at": timezone.now()})
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_REVIEW_RULE_SET,
                     subject=area, details={"area": area.code, "needs_review": needs_review})
    return rule


# --- the changes that may wait: one typed input each ------------------------------------------

@dataclass(frozen=True)
class MoveIn:
    """入住 of a registered person (`person_move_in`)."""

    person: Person
    room: Room
    kind: str
    since: date | None = None
    source: str = ResidenceSource.VISIT


@dataclass(frozen=True)
class MoveOut:
    """搬离 (`person_move_out`)."""

    residence: Residence
    until: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class MemberAdd:
    """A new member of a household (`household_add_member`)."""

    household: Household
    person: Person
    relation: str
    since: date | None = None


@dataclass(frozen=True)
class OrganisationAdd:
    """A new organisation (`organisation_create`)."""

    grid: Area
    data: OrganisationInput


@dataclass(frozen=True)
class RoomUseSet:
    """A room's use as seen on the spot (`room_set_use`); `version`: the room's, as seen."""

    room: Room
    use: str
    version: int | None = None
    area_m2: Decimal | None = None
    # The use as seen when the edit was made (an offline phone's): with it, an edit made on
    # an older version is merged instead of refused (`_merge_room_use`).
    base_use: str | None = None


Change = MoveIn | MoveOut | MemberAdd | OrganisationAdd | RoomUseSet


@dataclass
class _Prepared:
    """What a request stores, found while checking the change."""

    kind: str
    grid_code: str
    payload: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    links: dict[str, Any] = field(default_factory=dict)  # person, room, household
    note: str = ""
    base_version: int | None = None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _occupants(room: Room) -> int:
    return Residence.objects.filter(room=room, until__isnull=True).count()


def _grid_code(change: Change) -> str:
    if isinstance(change, MoveIn | RoomUseSet):
        return change.room.grid_code
    if isinstance(change, MoveOut):
        return change.residence.grid_code
    if isinstance(change, MemberAdd):
        return change.household.grid_code
    return change.grid.code


def _prepare(change: Change, actor: User) -> _Prepared:
    """Check the change as its service would (without writing) and describe it."""
    if isinstance(change, MoveIn):
        when = person_move_in_check(person=change.person, room=change.room, kind=change.kind,
                                    actor=actor, since=change.since, source=change.source)
        room, occupants = change.room, _occupants(change.room)
        homes = Residence.objects.filter(person=change.person, until__isnull=True).count()
        use_after = (USE_ON_MOVE_IN[change.kind]
                     if room.use in (RoomUse.VACANT, RoomUse.UNKNOWN) else room.use)
        return _Prepared(
            ChangeRequestKind.MOVE_IN, room.grid_code,
            {"person": change.person.pk, "room": room.pk, "kind": change.kind,
             "since": _iso(when), "source": change.source},
            {"room": room.address, "occupants": occupants, "use": room.use, "homes": homes},
            {"room": room.address, "occupants": occupants + 1, "use": use_after,
             "residence_kind": change.kind, "since": _iso(when), "source": change.source,
             "homes": homes + 1},
            {"person": change.person, "room": room})
    if isinstance(change, MoveOut):
        residence = change.residence
        until, reason = person_move_out_check(residence=residence, actor=actor,
                                              until=change.until, reason=change.reason)
        room = Room.objects.get(pk=residence.room_id)
        occupants = _occupants(room)
        return _Prepared(
            ChangeRequestKind.MOVE_OUT, residence.grid_code,
            {"residence": residence.pk, "until": _iso(until)},
            {"room": room.address, "occupants": occupants,
             "residence_kind": residence.kind, "since": _iso(residence.since)},
            {"room": room.address, "occupants": occupants - 1, "until": _iso(until)},
            {"person_id": residence.person_id, "room": room}, note=reason)
    if isinstance(change, MemberAdd):
        household_add_member_check(household=change.household, person=change.person,
                                   relation=change.relation, actor=actor)
        since = change.since or timezone.localdate()
        members = HouseholdMember.objects.filter(household=change.household,
                                                 until__isnull=True).count()
        return _Prepared(
            ChangeRequestKind.HOUSEHOLD_MEMBER, change.household.grid_code,
            {"household": change.household.pk, "person": change.person.pk,
             "relation": change.relation, "since": _iso(since)},
            {"household": change.household.number, "members": members},
            {"household": change.household.number, "members": members + 1,
             "relation": change.relation, "joined": _iso(since)},
            {"person": change.person, "household": change.household,
             "room_id": change.household.room_id})
    if isinstance(change, OrganisationAdd):
        columns = organisation_create_check(grid=change.grid, data=change.data, actor=actor)
        data = change.data
        building = columns["building"]
        return _Prepared(
            ChangeRequestKind.ORGANISATION, change.grid.code,
            {"grid": change.grid.pk, "name": data.name, "kind": data.kind,
             "credit_code": columns["credit_code"] or "", "authority": data.authority,
             "building": building.pk if building else None, "address": data.address,
             "staff_count": data.staff_count,
             "legal_representative": (data.legal_representative.pk
                                      if data.legal_representative else None),
             "safety_lead": data.safety_lead.pk if data.safety_lead else None,
             "has_trade_union": bool(data.has_trade_union),
             "has_party_organisation": bool(data.has_party_organisation)},
            {},
            {"name": columns["name"], "organisation_kind": columns["kind"],
             "credit_code": columns["credit_code"] or "", "address": columns["address"],
             "staff_count": columns["staff_count"],
             "has_trade_union": columns["has_trade_union"],
             "has_party_organisation": columns["has_party_organisation"]})
    room = change.room
    room_set_use_check(room=room, use=change.use, actor=actor, version=change.version,
                       area_m2=change.area_m2)
    current = Room.objects.get(pk=room.pk)
    area = str(change.area_m2) if change.area_m2 is not None else None
    return _Prepared(
        ChangeRequestKind.ROOM_USE, room.grid_code,
        {"room": room.pk, "use": change.use, "area_m2": area},
        {"room": current.address, "use": current.use,
         "area_m2": str(current.area_m2) if current.area_m2 is not None else None},
        {"room": current.address, "use": change.use,
         "area_m2": area if area is not None else (
             str(current.area_m2) if current.area_m2 is not None else None)},
        {"room": current}, base_version=current.version)


def _same_pending(prepared: _Prepared) -> models.QuerySet[ChangeRequest]:
    """Pending requests that this one would repeat (or contradict): a second request for
    the same thing waits for the first to be decided or withdrawn."""
    pending = ChangeRequest.objects.filter(status=PENDING, kind=prepared.kind)
    p, links = prepared.payload, prepared.links
    if prepared.kind == ChangeRequestKind.MOVE_IN:
        return pending.filter(person=links["person"], room=links["room"])
    if prepared.kind == ChangeRequestKind.MOVE_OUT:
        return pending.filter(person_id=links["person_id"], room=links["room"])
    if prepared.kind == ChangeRequestKind.HOUSEHOLD_MEMBER:
        return pending.filter(person=links["person"])
    if prepared.kind == ChangeRequestKind.ORGANISATION:
        if not p["credit_code"]:
            return pending.none()
        return pending.filter(payload__credit_code=p["credit_code"])
    return pending.filter(room=links["room"])


def _decode(request: ChangeRequest) -> Change:
    """The change a request keeps, its records read again (a record gone since: refused)."""
    p = request.payload
    try:
        if request.kind == ChangeRequestKind.MOVE_IN:
            return MoveIn(person=Person.objects.get(pk=p["person"]),
                          room=Room.objects.select_related("building").get(pk=p["room"]),
                          kind=p["kind"], since=_day(p["since"]), source=p["source"])
        if request.kind == ChangeRequestKind.MOVE_OUT:
            return MoveOut(residence=Residence.objects.select_related("person").get(
                pk=p["residence"]), until=_day(p["until"]), reason=request.note)
        if request.kind == ChangeRequestKind.HOUSEHOLD_MEMBER:
            return MemberAdd(household=Household.objects.get(pk=p["household"]),
                             person=Person.objects.get(pk=p["person"]),
                             relation=p["relation"], since=_day(p["since"]))
        if request.kind == ChangeRequestKind.ORGANISATION:
            def person(pk: int | None) -> Person | None:
                return Person.objects.get(pk=pk) if pk else None

            data = OrganisationInput(
                name=p["name"], kind=p["kind"], credit_code=p["credit_code"],
                authority=p["authority"],
                building=Building.objects.get(pk=p["building"]) if p["building"] else None,
                address=p["address"], staff_count=p["staff_count"],
                legal_representative=person(p["legal_representative"]),
                safety_lead=person(p["safety_lead"]), has_trade_union=p["has_trade_union"],
                has_party_organisation=p["has_party_organisation"])
            return OrganisationAdd(grid=Area.objects.get(pk=p["grid"]), data=data)
        area = Decimal(p["area_m2"]) if p["area_m2"] is not None else None
        return RoomUseSet(room=Room.objects.get(pk=p["room"]), use=p["use"],
                          version=request.base_version, area_m2=area)
    except (models.ObjectDoesNotExist, KeyError, ValueError, InvalidOperation) as exc:
        raise RuleViolation(_("该申请涉及的记录已不存在,请退回。")) from exc


def _apply(change: Change, actor: User) -> models.Model:
    """The direct write: the existing service, with its own rules, audit and figures."""
    if isinstance(change, MoveIn):
        return person_move_in(person=change.person, room=change.room, kind=change.kind,
                              actor=actor, since=change.since, source=change.source)
    if isinstance(change, MoveOut):
        return person_move_out(residence=change.residence, actor=actor, until=change.until,
                               reason=change.reason)
    if isinstance(change, MemberAdd):
        return household_add_member(household=change.household, person=change.person,
                                    relation=change.relation, actor=actor,
                                    since=change.since)
    if isinstance(change, OrganisationAdd):
        return organisation_create(grid=change.grid, data=change.data, actor=actor)
    return room_set_use(room=change.room, use=change.use, actor=actor, version=change.version,
                        area_m2=change.area_m2)


# --- submitting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submitted:
    """What became of a change: applied at once (`record`: the service's result) or waiting
    for review (`request`)."""

    record: models.Model | None = None
    request: ChangeRequest | None = None

    @property
    def queued(self) -> bool:
        return self.request is not None


def _audit(actor: User, event: AuditEventType, request: ChangeRequest,
           details: dict[str, object] | None = None) -> None:
    """A request's entry: about the person when it concerns one (so that the person's
    access log shows who proposed and who decided a change about them), else about the
    request; named by record number, never by name."""
    subject: models.Model = request
    if request.person_id is not None and request.person is not None:
        subject = request.person
    audit_record(actor=actor, event_type=event, subject=subject,
                 subject_repr=subject_label(subject),
                 details={"request": request.pk, "kind": request.kind, **(details or {})})


def _merge_room_use(change: RoomUseSet, actor: User) -> RoomUseSet | None:
    """A room's use edited on an older version of the room, with the use seen then
    (`base_use`): when the use was not changed since (the room moved on in other fields) or
    was changed to the same value, the edit applies to the room as it is now; when it was
    changed to another value, None: the edit waits as a conflict for a reviewer."""
    current = Room.objects.filter(pk=change.room.pk).values("use", "version").first()
    if (current is None or change.version is None or change.base_use is None
            or current["version"] == change.version):
        return change
    if current["use"] in (change.base_use, change.use):
        return RoomUseSet(room=change.room, use=change.use, version=current["version"],
                          area_m2=change.area_m2)
    return None


def _submit_conflict(change: RoomUseSet, actor: User) -> Submitted:
    """Both edits kept: the record's value stays, this one waits for a reviewer of the grid
    (whatever the grid's review rule), marked as a conflict."""
    if not user_can(actor, ChangeRequest, "add"):
        raise RuleViolation({"version": _("该房屋已被他人修改,请刷新后重试。")})
    current = Room.objects.get(pk=change.room.pk)
    prepared = _prepare(RoomUseSet(room=change.room, use=change.use, version=current.version,
                                   area_m2=change.area_m2), actor)
    prepared.note = _("离线编辑冲突:看到时为%(base)s,其间已被改为%(now)s") % {
        "base": RoomUse(change.base_use or RoomUse.UNKNOWN).label,
        "now": current.get_use_display()}
    return Submitted(request=_request_create(prepared, actor, conflict=True))


def _request_create(prepared: _Prepared, actor: User, conflict: bool = False) -> ChangeRequest:
    """Keep a checked change as a pending request (audited): one per thing at a time."""
    links = prepared.links
    with transaction.atomic():
        # (the grid's row: two submissions of the same change wait for each other)
        grid = Area.objects.select_for_update().only("pk").get(code=prepared.grid_code)
        if _same_pending(prepared).exists():
            raise RuleViolation(_("已有相同的变更在等待审核,请等待审核结果或先撤回。"))
        request = ChangeRequest.objects.create(
            kind=prepared.kind, grid=grid, grid_code=prepared.grid_code, requested_by=actor,
            payload=prepared.payload, before=prepared.before, after=prepared.after,
            person_id=_pk(links, "person"), room_id=_pk(links, "room"),
            household_id=_pk(links, "household"), note=prepared.note, conflict=conflict,
            base_version=prepared.base_version, created_at=timezone.now())
        _audit(actor, AuditEventType.REGISTRY_CHANGE_SUBMITTED, request,
               {"conflict": True} if conflict else None)
    return request


def change_submit(*, change: Change, actor: User) -> Submitted:
    """A registry edit by `actor`: applied at once by its service when no review applies,
    else checked as the service would and kept as a pending `ChangeRequest` (audited).

    A room's use edited apart (with `base_use`, on an older version) is merged first; when
    the same field was changed since to another value, it is kept as a conflict request for
    a reviewer whatever the review rule (nothing is written over, nothing lost)."""
    if isinstance(change, RoomUseSet) and change.base_use is not None:
        if change.base_use not in RoomUse.values:
            raise ValidationError({"base_use": _("房屋用途无效。")})
        merged = _merge_room_use(change, actor)
        if merged is None:
            allowed(actor, Room, "change", change.room.grid_code)
            return _submit_conflict(change, actor)
        change = merged
    grid_code = _grid_code(change)
    if not needs_review(grid_code=grid_code, actor=actor):
        return Submitted(record=_apply(change, actor))
    if not user_can(actor, ChangeRequest, "add"):
        raise PermissionDenied
    return Submitted(request=_request_create(_prepare(change, actor), actor))


def _pk(links: dict[str, Any], name: str) -> int | None:
    record = links.get(name)
    return record.pk if record is not None else links.get(f"{name}_id")


def person_create_with_move_in(*, grid: Area, data: PersonInput, room: Room, actor: User,
                               residence_kind: str = ResidenceKind.LIVING,
                               since: date | None = None,
                               source: str = ResidenceSource.VISIT,
                               ) -> tuple[Person, ChangeRequest | None]:
    """A new resident registered into a room (the room page's 登记入住): registering a
    person is never reviewed (the request would have to keep their ID number), so where
    edits wait for review the person is registered in the grid now and their move-in waits
    (checked first, so that a move-in that cannot be made registers nobody)."""
    if not needs_review(grid_code=room.grid_code, actor=actor):
        return person_create(grid=grid, data=data, actor=actor, room=room,
                             residence_kind=residence_kind, since=since, source=source), None
    if not user_can(actor, ChangeRequest, "add"):
        raise PermissionDenied
    when = since or timezone.localdate()
    _check_move_in(actor, room, residence_kind, when, source)
    person = person_create(grid=grid, data=data, actor=actor)
    submitted = change_submit(change=MoveIn(person=person, room=room, kind=residence_kind,
                                            since=when, source=source), actor=actor)
    return person, submitted.request


# --- deciding ---------------------------------------------------------------------------------

def _reviewable(request: ChangeRequest, actor: User) -> None:
    """The actor reviews requests of their jurisdiction, never their own."""
    if not ChangeRequest.objects.restrict(actor, "approve").filter(pk=request.pk).exists():
        raise PermissionDenied
    if request.requested_by_id == actor.pk:
        raise RuleViolation(_("不能审核自己提交的变更。"))


def _locked_pending(request: ChangeRequest) -> ChangeRequest:
    current = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if current.status != PENDING:
        raise RuleViolation(_("该申请已%(s)s,不能再处理。") % {
            "s": current.get_status_display()})
    return current


def _notify(request: ChangeRequest, kind: str, text_key: str, **params: object) -> None:
    """Tell the requester (a notice about the request's grid; delivered after the commit)."""
    notice_send(kind=kind, text_key=text_key, area_id=request.grid_id,
                user_ids=[request.requested_by_id],
                params={"no": request.pk,
                        "kind": each_language(ChangeRequestKind(request.kind).label), **params})


def change_approve(*, request: ChangeRequest, actor: User) -> ChangeRequest:
    """Approve a pending request of the actor's jurisdiction (not their own): its service
    runs now, with the actor as its actor, in the same transaction as the approval. When the
    service refuses (the record changed since), nothing changes: the request stays pending
    and the refusal (a ValidationError) says why."""
    _reviewable(request, actor)
    with transaction.atomic():
        current = _locked_pending(request)
        change = _decode(current)
        try:
            record = _apply(change, actor)
        except PermissionDenied as exc:  # (a record the reviewer may not change)
            raise RuleViolation(_("该变更涉及您辖区以外的记录,您不能审核通过。")) from exc
        now = timezone.now()
        updates: dict[str, Any] = {"status": ChangeRequestStatus.APPROVED, "reviewer": actor,
                                   "reviewed_at": now}
        if isinstance(record, Organisation):
            updates["organisation"] = record
        ChangeRequest.objects.filter(pk=current.pk).update(**updates)
        current.refresh_from_db()
        _audit(actor, AuditEventType.REGISTRY_CHANGE_APPROVED, current,
               {"requested_by": current.requested_by.get_username(),
                "record": f"{record._meta.label_lower}#{record.pk}"})
        _notify(current, NoticeKind.REGISTRY_APPROVED, "registry_change_approved")
    request.refresh_from_db()
    return request


def change_return(*, request: ChangeRequest, reason: str, actor: User) -> ChangeRequest:
    """Return a pending request to its requester with a reason; nothing of it applies."""
    _reviewable(request, actor)
    reason = refuse_longer_than_field(ChangeRequest, "reason", require_reason(reason))
    with transaction.atomic():
        current = _locked_pending(request)
        ChangeRequest.objects.filter(pk=current.pk).update(
            status=ChangeRequestStatus.RETURNED, reviewer=actor, reviewed_at=timezone.now(),
            reason=reason)
        current.refresh_from_db()
        _audit(actor, AuditEventType.REGISTRY_CHANGE_RETURNED, current,
               {"requested_by": current.requested_by.get_username(), "reason": reason})
        _notify(current, NoticeKind.REGISTRY_RETURNED, "registry_change_returned",
                reason=reason)
    request.refresh_from_db()
    return request


def change_withdraw(*, request: ChangeRequest, actor: User) -> ChangeRequest:
    """The requester takes back a request that is still pending."""
    if not ChangeRequest.objects.restrict(actor, "view").filter(pk=request.pk).exists():
        raise PermissionDenied
    if request.requested_by_id != actor.pk:
        raise RuleViolation(_("只有提交人可以撤回申请。"))
    with transaction.atomic():
        current = _locked_pending(request)
        ChangeRequest.objects.filter(pk=current.pk).update(
            status=ChangeRequestStatus.WITHDRAWN, reviewed_at=timezone.now())
        current.refresh_from_db()
        _audit(actor, AuditEventType.REGISTRY_CHANGE_WITHDRAWN, current)
    request.refresh_from_db()
    return request


@dataclass(frozen=True)
class Outcome:
    """One request of a bulk decision: done, or why not (it stays as it was)."""

    request_id: int
    ok: bool
    message: str = ""


def _bulk(requests: Iterable[ChangeRequest],
          decide: Callable[[ChangeRequest], object]) -> list[Outcome]:
    requests = list(requests)
    if len(requests) > BULK_LIMIT:
        raise ValidationError(_("一次最多处理%(n)d项。") % {"n": BULK_LIMIT})
    outcomes = []
    for request in requests:
        try:
            decide(request)
        except PermissionDenied:
            outcomes.append(Outcome(request.pk, False, _("该申请不存在。")))
        except ValidationError as exc:
            outcomes.append(Outcome(request.pk, False, " ".join(exc.messages)))
        else:
            outcomes.append(Outcome(request.pk, True))
    return outcomes


def changes_approve_bulk(*, requests: Iterable[ChangeRequest], actor: User) -> list[Outcome]:
    """Approve each request in its own transaction (`change_approve`): a refusal leaves
    that one pending and undoes none of the others."""
    return _bulk(requests, lambda r: change_approve(request=r, actor=actor))


def changes_return_bulk(*, requests: Iterable[ChangeRequest], reason: str,
                        actor: User) -> list[Outcome]:
    """Return each request with the same reason (`change_return`), one at a time."""
    require_reason(reason)
    return _bulk(requests, lambda r: change_return(request=r, reason=reason, actor=actor))
