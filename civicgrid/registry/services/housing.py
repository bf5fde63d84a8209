"""Households (户), residence permits (居住证), rental housing (出租房屋) and concentrated
dormitories (集中居住点).

A rental whose occupants outnumber its limit (限住人数) suggests a safety-hazard case about
the dwelling to the dispatch centre: registered (待受理) under 其他安全隐患 with the room's
address and the counts, naming nobody; one open case per rental.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.privacy import subject_label
from civicgrid.audit.services import audit_record
from civicgrid.cases.models import OPEN_STATUSES, Case, Category
from civicgrid.cases.services import case_intake
from civicgrid.cases.services.common import refuse_longer_than_field
from civicgrid.core.errors import RuleViolation
from civicgrid.core.idnumbers import clean_code
from civicgrid.core.privacy import Sealed, seal_document
from civicgrid.core.scope import user_can
from civicgrid.registry.figures import figures_move, household_counts, rental_counts
from civicgrid.registry.models import (
    Building,
    Dormitory,
    DormitoryService,
    HazardLevel,
    Household,
    HouseholdMember,
    Organisation,
    Person,
    PersonStatus,
    Relation,
    Rental,
    RentalPurpose,
    Residence,
    ResidencePermit,
    Room,
)
from civicgrid.registry.services.common import allowed

# The suggested case of an overcrowded rental: 其他安全隐患, a general hazard.
OVERCROWDING_CATEGORY = "0399"


Named = type[Building] | type[Room] | type[Person] | type[Organisation]


def _visible(actor: User, model: Named, pk: int | None) -> None:
    """A record the actor names must be one they may see (else: as if missing)."""
    if pk is not None and not model.objects.restrict(actor, "view").filter(pk=pk).exists():
        raise PermissionDenied


# --- households ------------------------------------------------------------------------------

AUTOMATIC_NUMBER = re.compile(r"\d{15}H\d+")
MAX_AUTOMATIC_HOUSEHOLDS = 9999  # `<15-digit grid>H<4 digits>`: the column's 20 characters


def _next_household_number(room: Room) -> str:
    """`<grid code>H<4-digit sequence>` when the household has no number from the police,
    taken with the grid's row locked (two registrations in one grid wait for each other; no
    other grid does). Typed numbers never have this form (`household_create`)."""
    Area.objects.select_for_update().filter(pk=room.building.grid_id).values_list("pk").get()
    prefix = f"{room.grid_code}H"
    numbers = Household.objects.filter(number__startswith=prefix).values_list("number",
                                                                                flat=True)
    sequence = max((int(n[len(prefix):]) for n in numbers
                    if AUTOMATIC_NUMBER.fullmatch(n)), default=0) + 1
    if sequence > MAX_AUTOMATIC_HOUSEHOLDS:
        raise RuleViolation({"number": _("该网格的自动户号已用完,请填写户号。")})
    return f"{prefix}{sequence:04d}"


def household_create(*, room: Room, head: Person, actor: User, number: str = "",
                     since: date | None = None) -> Household:
    """A household living in `room`, `head` its head (户主); `number` is its 户号 (generated
    in the grid when not given)."""
    allowed(actor, Household, "add", room.grid_code)
    _visible(actor, Room, room.pk)
    _visible(actor, Person, head.pk)
    if head.status != PersonStatus.ACTIVE:
        raise RuleViolation({"head": _("户主须为在册人员。")})
    number = clean_code(number)
    if number:
        refuse_longer_than_field(Household, "number", number)
        if AUTOMATIC_NUMBER.fullmatch(number):
            raise ValidationError({"number": _(
                "“网格代码+H+序号”形式的户号由系统自动编排,请填写公安机关的户号或留空。")})
    when = since or timezone.localdate()
    try:
        with transaction.atomic():
            if number and Household.objects.filter(number=number).exists():
                raise RuleViolation({"number": _("该户号已登记。")})
            if HouseholdMember.objects.filter(person=head, until__isnull=True).exists():
                raise RuleViolation({"head": _("该人员已是其他户的成员,请先办理离户。")})
            household = Household.objects.create(
                number=number or _next_household_number(room), room=room,
                grid_code=room.grid_code)
            HouseholdMember.objects.create(household=household, person=head,
                                           relation=Relation.HEAD, since=when)
            figures_move({}, household_counts(household))
            audit_record(actor=actor, event_type=AuditEventType.REGISTRY_HOUSEHOLD_CREATED,
                         subject=household, details={"room": room.pk,
                                                     "head": subject_label(head)})
    except IntegrityError as exc:  # (the same number or head registered meanwhile)
        raise RuleViolation(_("该户号或户主刚被他人登记,请刷新后重试。")) from exc
    return household


def _member_busy() -> RuleViolation:
    return RuleViolation({"person": _("该人员已是某户的成员,请先办理离户。")})


def household_add_member_check(*, household: Household, person: Person, relation: str,
                               actor: User) -> None:
    """Every rule of `household_add_member`, checked without writing (the service checks
    the membership again under the household's lock)."""
    allowed(actor, Household, "change", household.grid_code)
    _visible(actor, Person, person.pk)
    if relation not in Relation.values or relation == Relation.HEAD:
        raise ValidationError({"relation": _("请选择与户主的关系。")})
    if person.status != PersonStatus.ACTIVE:
        raise RuleViolation({"person": _("该人员已迁出、死亡或注销。")})
    if HouseholdMember.objects.filter(person=person, until__isnull=True).exists():
        raise _member_busy()


def household_add_member(*, household: Household, person: Person, relation: str,
                         actor: User, since: date | None = None) -> HouseholdMember:
    household_add_member_check(household=household, person=person, relation=relation,
                               actor=actor)
    busy = _member_busy()
    try:
        with transaction.atomic():
            Household.objects.select_for_update().filter(pk=household.pk).get()
            if HouseholdMember.objects.filter(person=person, until__isnull=True).exists():
                raise busy
            member = HouseholdMember.objects.create(household=household, person=person,
                                                    relation=relation,
                                                    since=since or timezone.localdate())
            Household.objects.filter(pk=household.pk).update(version=F("version") + 1)
            audit_record(actor=actor,
                         event_type=AuditEventType.REGISTRY_HOUSEHOLD_MEMBER_ADDED,
                         subject=household, details={"person": subject_label(person),
                                                     "relation": relation})
    except IntegrityError as exc:  # (they joined another household meanwhile)
        raise busy from exc
    return member


# --- residence permits -------------------------------------------------------------------------

def permit_record(*, person: Person, number: str, issued_on: date, expires_on: date,
                  endorsed_until: date, actor: User) -> ResidencePermit:
    """居住证: the number sealed; `endorsed_until` is when the annual 签注 falls due."""
    allowed(actor, Person, "change", person.grid_code)
    number = clean_code(number)
    if not (6 <= len(number) <= 30 and number.isalnum() and number.isascii()):
        raise ValidationError({"number": _("居住证号应为6至30位字母或数字。")})
    if not issued_on <= endorsed_until <= expires_on:
        raise ValidationError({"endorsed_until": _(
            "日期应依次为:签发日期 ≤ 签注有效期至 ≤ 有效期至。")})
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": _("签发日期不能晚于今天。")})
    if person.status != PersonStatus.ACTIVE or person.scrubbed_at is not None:
        raise RuleViolation(_("该人员已迁出、死亡或注销。"))
    sealed = seal_document(number, "residence_permit")
    taken = RuleViolation({"number": _("该居住证号已登记。")})
    if ResidencePermit.objects.filter(number_hash=sealed.hash).exists():
        raise taken
    try:
        return _record_permit(person, sealed, issued_on, expires_on, endorsed_until, actor)
    except IntegrityError as exc:  # (registered meanwhile)
        raise taken from exc


def _record_permit(person: Person, sealed: Sealed, issued_on: date, expires_on: date,
                   endorsed_until: date, actor: User) -> ResidencePermit:
    with transaction.atomic():
        permit = ResidencePermit.objects.create(
            person=person, grid_code=person.grid_code, number_encrypted=sealed.encrypted,
            number_hash=sealed.hash, number_masked=sealed.masked, issued_on=issued_on,
            expires_on=expires_on, endorsed_until=endorsed_until)
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_PERMIT_RECORDED,
                     subject=person, subject_repr=subject_label(person),
                     details={"permit": permit.pk, "endorsed_until": endorsed_until.isoformat()})
    return permit


# --- rentals -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RentalInput:
    occupant_limit: int
    lessor_person: Person | None = None
    lessor_organisation: Organisation | None = None
    filing_number: str = ""
    lease_start: date | None = None
    lease_end: date | None = None
    purpose: str = RentalPurpose.DWELLING
    fire_exits: int = 1
    responsibility_signed_on: date | None = None
    hazard_level: str = HazardLevel.NONE


def rental_columns(data: RentalInput) -> dict[str, object]:
    """A rental's stored columns from the input, every rule checked but who may see the
    lessor (reads nothing): the import's row check applies the same rules."""
    limit = data.occupant_limit
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise ValidationError({"occupant_limit": _("限住人数应在1至500之间。")})
    if isinstance(data.fire_exits, bool) or not 0 <= data.fire_exits <= 20:
        raise ValidationError({"fire_exits": _("安全出口数应在0至20之间。")})
    if data.purpose not in RentalPurpose.values:
        raise ValidationError({"purpose": _("出租用途无效。")})
    if data.hazard_level not in HazardLevel.values:
        raise ValidationError({"hazard_level": _("隐患等级无效。")})
    if (data.lessor_person is None) == (data.lessor_organisation is None):
        raise ValidationError({"lessor_person": _("请填写出租人(个人或单位,二者选一)。")})
    if data.lease_start and data.lease_end and data.lease_end < data.lease_start:
        raise ValidationError({"lease_end": _("租赁截止日期不能早于起始日期。")})
    return {
        "occupant_limit": limit, "lessor_person": data.lessor_person,
        "lessor_organisation": data.lessor_organisation,
        "filing_number": refuse_longer_than_field(Rental, "filing_number",
                                                  clean_code(data.filing_number)),
        "lease_start": data.lease_start, "lease_end": data.lease_end, "purpose": data.purpose,
        "fire_exits": data.fire_exits,
        "responsibility_signed_on": data.responsibility_signed_on,
        "hazard_level": data.hazard_level,
    }


def _clean_rental(actor: User, data: RentalInput) -> dict[str, object]:
    fields = rental_columns(data)
    _visible(actor, Person, data.lessor_person.pk if data.lessor_person else None)
    _visible(actor, Organisation,
             data.lessor_organisation.pk if data.lessor_organisation else None)
    return fields


def rental_record(*, room: Room, data: RentalInput, actor: User,
                  version: int | None = None) -> Rental:
    """Register the room as let out, or update its rental (`version`: the rental's). The
    room's use stays the grid worker's to record (a rental may be a shop). The occupancy is
    checked against the limit."""
    allowed(actor, Rental, "add", room.grid_code)
    _visible(actor, Room, room.pk)
    fields = _clean_rental(actor, data)
    with transaction.atomic():
        # (the room's row first: two first registrations of one room wait for each other)
        Room.objects.select_for_update().filter(pk=room.pk).values_list("pk").get()
        existing = Rental.objects.select_for_update().filter(room=room).first()
        if existing is not None and version is not None and existing.version != version:
            raise RuleViolation({"version": _("该出租房屋信息已被他人修改,请刷新后重试。")})
        before = rental_counts(existing)
        if existing is None:
            rental = Rental.objects.create(room=room, grid_code=room.grid_code, **fields)
        else:
            Rental.objects.filter(pk=existing.pk).update(active=True,
                                                         version=F("version") + 1, **fields)
            rental = Rental.objects.get(pk=existing.pk)
        figures_move(before, rental_counts(rental))
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_RENTAL_RECORDED,
                     subject=rental, details={"room": room.pk,
                                              "occupant_limit": rental.occupant_limit})
        rental_check_occupancy(room=room, actor=actor)
    rental.refresh_from_db()
    return rental


def rental_end(*, rental: Rental, actor: User, version: int) -> Rental:
    """停租: the room is no longer let out (its history stays)."""
    allowed(actor, Rental, "change", rental.grid_code)
    with transaction.atomic():
        current = Rental.objects.select_for_update().get(pk=rental.pk)
        if current.version != version:
            raise RuleViolation({"version": _("该出租房屋信息已被他人修改,请刷新后重试。")})
        if not current.active:
            raise RuleViolation(_("该房屋已停租。"))
        Rental.objects.filter(pk=rental.pk).update(active=False, version=F("version") + 1)
        rental.refresh_from_db()
        figures_move(rental_counts(current), rental_counts(rental))
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_RENTAL_ENDED,
                     subject=rental)
    return rental


def occupants(room: Room) -> int:
    return Residence.objects.filter(room=room, until__isnull=True).count()


def rental_check_occupancy(*, room: Room, actor: User) -> Case | None:
    """Over its limit, an active rental suggests one safety-hazard case about the dwelling
    (unless one is still open); the case names the address and the counts, nobody."""
    rental = Rental.objects.select_for_update().filter(room=room, active=True).first()
    if rental is None:
        return None
    count = occupants(room)
    if count <= rental.occupant_limit:
        return None
    if rental.hazard_case_id is not None and Case.objects.filter(
            pk=rental.hazard_case_id, status__in=OPEN_STATUSES).exists():
        return None
    category = Category.objects.filter(code=OVERCROWDING_CATEGORY, active=True).first()
    if category is None or not user_can(actor, Case, "add"):
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_RENTAL_OVERCROWDED,
                     subject=rental, details={"occupants": count,
                                              "limit": rental.occupant_limit, "case": None})
        return None
    description = _("出租房屋居住人数(%(n)d人)超过限住人数(%(limit)d人),存在安全隐患,"
                    "请核实处置。地址:%(address)s") % {
        "n": count, "limit": rental.occupant_limit, "address": room.address}
    case = case_intake(channel="patrol", category=category, actor=actor,
                       area=room.building.grid, address=room.address, description=description,
                       lng=room.building.lng, lat=room.building.lat,
                       attributes={"hazard_grade": "general"})
    Rental.objects.filter(pk=rental.pk).update(hazard_case=case)
    audit_record(actor=actor, event_type=AuditEventType.REGISTRY_RENTAL_OVERCROWDED,
                 subject=rental, details={"occupants": count, "limit": rental.occupant_limit,
                                          "case": case.number})
    return case


# --- dormitories -------------------------------------------------------------------------------

def dormitory_record(*, building: Building, name: str, operator: Organisation, capacity: int,
                     services: list[str], actor: User) -> Dormitory:
    """A building run as a concentrated dormitory (三集中) by `operator`."""
    allowed(actor, Dormitory, "add", building.grid_code)
    _visible(actor, Building, building.pk)
    _visible(actor, Organisation, operator.pk)
    name = refuse_longer_than_field(Dormitory, "name", (name or "").strip())
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 100_000:
        raise ValidationError({"capacity": _("可容纳人数应在1至100000之间。")})
    if any(s not in DormitoryService.values for s in services):
        raise ValidationError({"services": _("服务内容无效。")})
    try:
        with transaction.atomic():
            dormitory = Dormitory.objects.create(
                building=building, grid_code=building.grid_code, name=name, operator=operator,
                capacity=capacity, services=sorted(set(services)))
            audit_record(actor=actor, event_type=AuditEventType.REGISTRY_DORMITORY_RECORDED,
                         subject=dormitory, details={"building": building.code,
                                                     "capacity": capacity})
    except IntegrityError as exc:
        raise RuleViolation({"building": _("该楼栋已登记为集中居住点。")}) from exc
    return dormitory


# --- owners ---------------------------------------------------------------------------------

def room_set_owner(*, room: Room, actor: User, version: int, person: Person | None = None,
                   organisation: Organisation | None = None) -> Room:
    """产权人: a registered person or an organisation the actor may see, or nobody (both
    None: not known). `version` must be the room's."""
    allowed(actor, Room, "change", room.grid_code)
    if person is not None and organisation is not None:
        raise ValidationError({"owner": _("产权人只能是个人或单位之一。")})
    _visible(actor, Person, person.pk if person else None)
    _visible(actor, Organisation, organisation.pk if organisation else None)
    with transaction.atomic():
        current = Room.objects.select_for_update().get(pk=room.pk)
        if current.version != version:
            raise RuleViolation({"version": _("该房屋已被他人修改,请刷新后重试。")})
        Room.objects.filter(pk=room.pk).update(owner_person=person,
                                               owner_organisation=organisation,
                                               updated_at=timezone.now(),
                                               version=F("version") + 1)
        room.refresh_from_db()
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_ROOM_OWNER_SET,
                     subject=room, details={
                         "person": subject_label(person) if person else None,
                         "organisation": organisation.pk if organisation else None})
    return room
