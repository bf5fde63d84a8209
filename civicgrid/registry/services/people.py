"""The registry's people (实有人口): registering a person, where they live (入住/搬离), their
leaving (迁出/死亡/注销) — each undoable — an ID correction that keeps the old number, the
reveal of a sealed particular, households (户) and residence permits (居住证).

One person per keyed document hash: a second registration of the same ID is refused with the
existing person's number (`DuplicatePerson`). Personal data is sealed by `core.privacy` (the
same functions as the case module's parties), shown in clear only through `person_reveal`.
The audit log names a person by record number, never by name (`audit.privacy.subject_label`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.privacy import reveal_sealed, subject_label
from civicgrid.audit.services import audit_record
from civicgrid.cases.inputs import PartyInput
from civicgrid.cases.models import Case
from civicgrid.cases.services.common import refuse_longer_than_field, require_reason
from civicgrid.cases.services.parties import normalize_phone, phone_error
from civicgrid.core.errors import RuleViolation
from civicgrid.core.idnumbers import IDNumberError, clean_code, id_birth_date, id_sex
from civicgrid.core.idnumbers import normalize_id_number as _normalize_citizen_id
from civicgrid.core.privacy import (
    document_hash,
    phone_hash,
    seal_document,
    seal_phone,
    unseal,
)
from civicgrid.core.scope import get_scope, user_can
from civicgrid.registry.figures import figures_move, person_counts, person_facts
from civicgrid.registry.models import (
    ChangeKind,
    DocumentType,
    Education,
    HouseholdMember,
    Organisation,
    Person,
    PersonChange,
    PersonIdHistory,
    PersonKind,
    PersonStatus,
    Residence,
    ResidenceKind,
    ResidenceSource,
    Room,
    Sex,
    StayPurpose,
)
from civicgrid.registry.services.common import allowed
from civicgrid.registry.services.places import room_occupied

REVEALABLE = ("id_number", "phone")
MAX_DOCUMENT_LENGTH = 30
EARLIEST_RESIDENCE = date(1900, 1, 1)


class DuplicatePerson(RuleViolation):
    """The document number is already registered. `existing_id` is that person's record when
    the actor may see them (the message names it, pages link to it); otherwise None, and the
    message only says that someone elsewhere holds it — a registration is no look-up of who
    lives where in the district."""

    def __init__(self, existing_id: int | None) -> None:
        if existing_id is not None:
            message = _("该证件号码已登记(实有人口编号 %(n)d),请勿重复登记。") % {
                "n": existing_id}
        else:
            message = _("该证件号码已在其他辖区登记,请勿重复登记;如需迁入,请联系该人员现居住地"
                        "的网格员办理。")
        super().__init__({"id_number": message}, code="duplicate")
        self.existing_id = existing_id


@dataclass(frozen=True)
class PersonInput:
    name: str
    kind: str
    sex: str = ""
    birth_date: date | None = None
    ethnicity: str = ""
    document_type: str = DocumentType.ID_CARD
    id_number: str = ""
    phone: str = ""
    hukou_code: str = ""
    nationality: str = ""
    stay_purpose: str = ""
    education: str = ""
    occupation: str = ""
    employer: Organisation | None = None


def _audit(actor: User, event: AuditEventType, person: Person,
           details: dict[str, object] | None = None) -> None:
    audit_record(actor=actor, event_type=event, subject=person,
                 subject_repr=subject_label(person), details=details or {})


def normalize_document(document_type: str, raw: str, *, today: date | None = None) -> str:
    """A document number in its stored form: a citizen ID checked (GB 11643, the case
    module's function); any other document as capital letters and digits, 4–30 of them."""
    if document_type not in _values(DocumentType):
        raise ValidationError({"document_type": _("证件类型无效。")})
    if document_type == DocumentType.ID_CARD:
        try:
            return _normalize_citizen_id(raw, today=today)
        except IDNumberError as exc:
            raise ValidationError({"id_number": str(exc)}) from exc
    text = clean_code(raw)
    if not (4 <= len(text) <= MAX_DOCUMENT_LENGTH and text.isalnum() and text.isascii()):
        raise ValidationError({"id_number": _("证件号码应为4至30位字母或数字。")})
    if len(text) == 18:  # (one person per citizen ID: never under another document's name)
        with contextlib.suppress(IDNumberError):
            _normalize_citizen_id(text)
            raise ValidationError({"document_type": _(
                "这是居民身份证号码,证件类型请选择“居民身份证”。")})
    return text


@functools.cache
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    return frozenset(choices.values)  # (`.values` builds a new list at every call)


def _choice(value: str, choices: type[models.TextChoices], field: str) -> str:
    if value and value not in _values(choices):
        raise ValidationError({field: _("取值无效。")})
    return value


def _clean_particulars(data: PersonInput, *, document_kept: bool = False,
                       seal: bool = True) -> dict[str, Any]:
    """The person's columns from the input, every rule checked; the document and phone
    sealed. Reads nothing. `document_kept`: the stored document stays (an update), so none
    is required here. Without `seal`, the normalised document and phone come back in clear
    as "id_number" and "phone" beside their keyed hashes (`seal_columns` seals them)."""
    name = refuse_longer_than_field(Person, "name", (data.name or "").strip())
    if not name:
        raise ValidationError({"name": _("请填写姓名。")})
    if data.kind not in _values(PersonKind):
        raise ValidationError({"kind": _("请选择人口类型。")})
    _choice(data.sex, Sex, "sex")
    _choice(data.stay_purpose, StayPurpose, "stay_purpose")
    _choice(data.education, Education, "education")
    hukou = (data.hukou_code or "").strip()
    if hukou and not (len(hukou) == 6 and hukou.isdigit()):
        raise ValidationError({"hukou_code": _("户籍地代码应为6位行政区划代码。")})
    nationality = (data.nationality or "").strip().upper()
    if data.kind == PersonKind.FOREIGN:
        if not (len(nationality) == 3 and nationality.isalpha() and nationality.isascii()):
            raise ValidationError({"nationality": _("境外人员请填写国籍(三位字母代码,如 KOR)。")})
        if data.document_type == DocumentType.ID_CARD:
            raise ValidationError({"document_type": _("境外人员请选择护照等证件。")})
    elif nationality and nationality != "CHN":
        raise ValidationError({"nationality": _("国籍与人口类型不符。")})
    today = timezone.localdate()
    if data.birth_date is not None and data.birth_date > today:
        raise ValidationError({"birth_date": _("出生日期不能晚于今天。")})
    fields: dict[str, Any] = {
        "name": name, "kind": data.kind, "sex": data.sex, "birth_date": data.birth_date,
        "ethnicity": refuse_longer_than_field(Person, "ethnicity", data.ethnicity.strip()),
        "hukou_code": hukou, "nationality": nationality if data.kind == PersonKind.FOREIGN else "",
        "stay_purpose": data.stay_purpose, "education": data.education,
        "occupation": refuse_longer_than_field(Person, "occupation", data.occupation.strip()),
        "employer": data.employer, "document_type": data.document_type,
    }
    raw_id = (data.id_number or "").strip()
    if raw_id:
        normalized = normalize_document(data.document_type, raw_id, today=today)
        if seal:
            sealed = seal_document(normalized, data.document_type)
            fields.update(id_number_encrypted=sealed.encrypted, id_number_hash=sealed.hash,
                          id_number_masked=sealed.masked)
        else:
            fields.update(id_number=normalized,
                          id_number_hash=document_hash(normalized, data.document_type))
        if data.document_type == DocumentType.ID_CARD:
            born, sex = id_birth_date(normalized), id_sex(normalized)
            if data.birth_date is not None and data.birth_date != born:
                raise ValidationError({"birth_date": _("出生日期与身份证号码不符。")})
            if data.sex and data.sex != sex:
                raise ValidationError({"sex": _("性别与身份证号码不符。")})
            fields.update(birth_date=born, sex=sex)
    elif (data.kind != PersonKind.FOREIGN and data.document_type != DocumentType.ID_CARD
          and not document_kept):
        raise ValidationError({"id_number": _("请填写证件号码。")})
    fields.update(_phone_fields(data.phone, seal=seal))
    return fields


def person_columns(data: PersonInput, *, seal: bool = True) -> dict[str, Any]:
    """A new person's stored columns from the input, every rule of registration checked
    (reads nothing): the import's row check applies the same rules (civicgrid/imports),
    without sealing (`seal=False`) until a row is written."""
    return _clean_particulars(data, seal=seal)


def seal_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """The columns of `person_columns(seal=False)` with the document and phone sealed."""
    out = dict(columns)
    if "id_number" in out:
        sealed = seal_document(out.pop("id_number"), out.get("document_type", "id_card"))
        out.update(id_number_encrypted=sealed.encrypted, id_number_hash=sealed.hash,
                   id_number_masked=sealed.masked)
    if "phone" in out:
        phone = seal_phone(out.pop("phone"))
        out.update(phone_encrypted=phone.encrypted, phone_hash=phone.hash,
                   phone_masked=phone.masked, phone_last4=phone.last4)
    return out


def _phone_fields(raw: str, *, seal: bool = True) -> dict[str, str]:
    if not (raw or "").strip():
        if not seal:
            return {"phone": "", "phone_hash": ""}
        return {"phone_encrypted": "", "phone_hash": "", "phone_masked": "", "phone_last4": ""}
    digits = normalize_phone(raw)
    if not digits:
        raise ValidationError({"phone": phone_error()})
    if not seal:
        return {"phone": digits, "phone_hash": phone_hash(digits)}
    sealed = seal_phone(digits)
    return {"phone_encrypted": sealed.encrypted, "phone_hash": sealed.hash,
            "phone_masked": sealed.masked, "phone_last4": sealed.last4}


def _refuse_duplicate(id_hash: str, actor: User, but: int | None = None, *,
                      record: bool = True) -> None:
    """Refuse a document number someone else holds. The refusal names the holder only to an
    actor who may see them; with `record` it is an access to the holder's record (who tried
    to register that number), audited — callers check before their own transaction, so that
    the entry stays although the write is refused."""
    if not id_hash:
        return
    same = Person.objects.filter(id_number_hash=id_hash)
    if but is not None:
        same = same.exclude(pk=but)
    holder = same.first()
    if holder is None:
        return
    if record:
        _audit(actor, AuditEventType.REGISTRY_DUPLICATE_REFUSED, holder)
    visible = Person.objects.restrict(actor, "view").filter(pk=holder.pk).exists()
    raise DuplicatePerson(holder.pk if visible else None)


def _check_employer(actor: User, employer: Organisation | None) -> None:
    if employer is not None and not Organisation.objects.restrict(actor, "view").filter(
            pk=employer.pk).exists():
        raise ValidationError({"employer": _("服务处所不存在。")})


def person_create(*, grid: Area, data: PersonInput, actor: User, room: Room | None = None,
                  residence_kind: str = ResidenceKind.LIVING, since: date | None = None,
                  source: str = ResidenceSource.VISIT) -> Person:
    """Register a person in a grid of the actor's jurisdiction; with `room`, they live there
    from `since` (default today): the usual visit records both at once."""
    allowed(actor, Person, "add", grid.code)
    if grid.level != Level.GRID:
        raise RuleViolation({"grid": _("实有人口只能登记在网格中。")})
    fields = _clean_particulars(data)
    _check_employer(actor, data.employer)
    if room is not None:
        _check_move_in(actor, room, residence_kind, since or timezone.localdate(), source)
    _refuse_duplicate(fields.get("id_number_hash", ""), actor)
    with transaction.atomic():
        now = timezone.now()
        try:
            with transaction.atomic():
                person = Person.objects.create(grid=grid, grid_code=grid.code, verified_at=now,
                                               **fields)
        except IntegrityError:
            # (another registration of the same document won the race: say so)
            _refuse_duplicate(fields.get("id_number_hash", ""), actor, record=False)
            raise
        figures_move({}, person_counts(person_facts(person)))
        _audit(actor, AuditEventType.REGISTRY_PERSON_CREATED, person,
               {"grid": grid.code, "kind": person.kind})
        if room is not None:
            _move_in(person, room, residence_kind, since or timezone.localdate(), source, actor)
    return person


_UPDATABLE = ("name", "kind", "sex", "birth_date", "ethnicity", "hukou_code", "nationality",
              "stay_purpose", "education", "occupation", "employer")


def person_update(*, person: Person, data: PersonInput, actor: User, version: int) -> Person:
    """Correct a person's particulars other than the document number (which
    `person_correct_id` changes, keeping the old): a blank phone keeps the stored one."""
    allowed(actor, Person, "change", person.grid_code)
    _refuse_if_scrubbed(person)
    given = data
    if not data.id_number.strip() and person.document_type == DocumentType.ID_CARD \
            and person.id_number_hash:
        given = PersonInput(**{**data.__dict__, "birth_date": data.birth_date or person.birth_date,
                               "sex": data.sex or person.sex})
    fields = _clean_particulars(PersonInput(**{**given.__dict__, "id_number": "",
                                               "document_type": person.document_type}),
                                document_kept=True)
    if data.document_type != person.document_type or data.id_number.strip():
        raise ValidationError({"id_number": _("证件号码请通过“更正证件号码”修改。")})
    _check_employer(actor, data.employer)
    changes = {k: fields[k] for k in _UPDATABLE if fields[k] != getattr(person, k)}
    if data.phone.strip():
        phone = _phone_fields(data.phone)
        if phone["phone_hash"] != person.phone_hash:
            changes.update(phone)
    if not changes:
        raise ValidationError(_("没有要修改的内容。"))
    with transaction.atomic():
        current = _locked(person, version)
        facts = person_facts(current)
        Person.objects.filter(pk=person.pk).update(version=F("version") + 1, **changes)
        person.refresh_from_db()
        figures_move(person_counts(facts), person_counts(person_facts(person)))
        _audit(actor, AuditEventType.REGISTRY_PERSON_UPDATED, person,
               {"fields": sorted("phone" if k.startswith("phone") else k for k in changes)})
    return person


def _locked(person: Person, version: int | None) -> Person:
    """The person's row, locked for the rest of the (short) transaction; a stale version is
    refused."""
    current = Person.objects.select_for_update().get(pk=person.pk)
    if version is not None and current.version != version:
        raise RuleViolation({"version": _("该人员信息已被他人修改,请刷新后重试。")})
    return current


def _refuse_if_scrubbed(person: Person) -> None:
    if person.scrubbed_at is not None:
        raise RuleViolation(_("该人员的个人信息已按保存期限清除,不能再修改。"))


def person_correct_id(*, person: Person, document_type: str, id_number: str, reason: str,
                      actor: User, version: int) -> Person:
    """更正证件号码: the new number replaces the old, which is kept sealed in the person's
    history with who, when and why. The new number must not belong to another person."""
    allowed(actor, Person, "change", person.grid_code)
    _refuse_if_scrubbed(person)
    reason = refuse_longer_than_field(PersonIdHistory, "reason", require_reason(reason))
    normalized = normalize_document(document_type, id_number)
    if person.kind == PersonKind.FOREIGN and document_type == DocumentType.ID_CARD:
        raise ValidationError({"document_type": _("境外人员请选择护照等证件。")})
    sealed = seal_document(normalized, document_type)
    if sealed.hash == person.id_number_hash:
        raise ValidationError({"id_number": _("新号码与原号码相同。")})
    changes: dict[str, Any] = {"document_type": document_type,
                               "id_number_encrypted": sealed.encrypted,
                               "id_number_hash": sealed.hash, "id_number_masked": sealed.masked}
    if document_type == DocumentType.ID_CARD:
        changes.update(birth_date=id_birth_date(normalized), sex=id_sex(normalized))
    _refuse_duplicate(sealed.hash, actor, but=person.pk)
    try:
        with transaction.atomic():
            current = _locked(person, version)
            _record_correction(person, current, changes, actor, reason)
    except IntegrityError as exc:  # (the number was registered meanwhile)
        raise DuplicatePerson(None) from exc
    return person


def _record_correction(person: Person, current: Person, changes: dict[str, Any], actor: User,
                       reason: str) -> None:
    """The writes of an ID correction: the old number into the history, the new one in."""
    PersonIdHistory.objects.create(
        person=person, document_type=current.document_type,
        id_number_encrypted=current.id_number_encrypted,
        id_number_hash=current.id_number_hash, id_number_masked=current.id_number_masked,
        replaced_at=timezone.now(), replaced_by=actor, reason=reason)
    Person.objects.filter(pk=person.pk).update(version=F("version") + 1, **changes)
    person.refresh_from_db()
    _audit(actor, AuditEventType.REGISTRY_PERSON_ID_CORRECTED, person, {"reason": reason})


def person_reveal(*, person: Person, field_name: str, reason: str, actor: User) -> str:
    """A person's document number or phone in clear: the reveal permission, the person in
    the reader's scope and a stated reason; recorded as an access to this person."""
    if field_name not in REVEALABLE:
        raise ValidationError(_("字段无效。"))
    if not get_scope(actor).can("registry.person.reveal"):
        raise PermissionDenied
    if not Person.objects.restrict(actor, "view").filter(pk=person.pk).exists():
        raise PermissionDenied
    reason = require_reason(reason)
    return reveal_sealed(subject=person, field_name=field_name, reason=reason, actor=actor,
                         encrypted=getattr(person, f"{field_name}_encrypted"))


def person_verify(*, person: Person, actor: User) -> Person:
    """Seen today (核实)."""
    allowed(actor, Person, "change", person.grid_code)
    now = timezone.now()
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(verified_at=now, version=F("version") + 1)
        person.refresh_from_db()
        _audit(actor, AuditEventType.REGISTRY_PERSON_UPDATED, person, {"fields": ["verified"]})
    return person


# --- where they live: move in, move out, leave; undo --------------------------------------

def _check_move_in(actor: User, room: Room, kind: str, since: date, source: str) -> None:
    allowed(actor, Person, "change", room.grid_code)
    if not Room.objects.restrict(actor, "view").filter(pk=room.pk).exists():
        raise PermissionDenied
    if kind not in ResidenceKind.values:
        raise ValidationError({"kind": _("请选择居住方式。")})
    if source not in ResidenceSource.values:
        raise ValidationError({"source": _("信息来源无效。")})
    if not EARLIEST_RESIDENCE <= since <= timezone.localdate():
        raise ValidationError({"since": _("入住日期应在1900年之后且不晚于今天。")})
    if kind == ResidenceKind.DORMITORY and not hasattr(room.building, "dormitory"):
        raise RuleViolation({"kind": _("该楼栋未登记为集中居住点,不能选择“集体宿舍”。")})


def _record_change(person: Person, kind: str, actor: User, residence_ids: list[int],
                   before: dict[str, Any], reason: str = "") -> PersonChange:
    return PersonChange.objects.create(
        person=person, kind=kind, residence_ids=residence_ids, before=before,
        reason=reason, actor=actor, at=timezone.now())


def _move_in(person: Person, room: Room, kind: str, since: date, source: str,
             actor: User) -> Residence:
    """The writes of a move-in, in the caller's transaction: the residence, the person's
    register moved to the room's grid, the figures, the change record, the audit entry,
    and the rental's occupancy checked."""
    current = _locked(person, None)
    if Residence.objects.filter(person=person, room=room, until__isnull=True).exists():
        raise RuleViolation({"room": _("该人员已登记居住在此房屋。")})
    facts = person_facts(current)
    residence = Residence.objects.create(person=person, room=room, grid_code=room.grid_code,
                                         kind=kind, since=since, source=source)
    room_occupied(room=room, residence_kind=kind)
    before = {"grid_id": current.grid_id, "grid_code": current.grid_code}
    Person.objects.filter(pk=person.pk).update(
        grid_id=room.building.grid_id, grid_code=room.grid_code, verified_at=timezone.now(),
        version=F("version") + 1)
    person.refresh_from_db()
    figures_move(person_counts(facts), person_counts(person_facts(person)))
    _record_change(person, ChangeKind.MOVE_IN, actor, [residence.pk], before)
    _audit(actor, AuditEventType.REGISTRY_MOVED_IN, person,
           {"room": room.pk, "kind": kind, "since": since.isoformat()})
    from civicgrid.registry.services.housing import rental_check_occupancy

    rental_check_occupancy(room=room, actor=actor)
    return residence


def person_move_in_check(*, person: Person, room: Room, kind: str, actor: User,
                         since: date | None = None,
                         source: str = ResidenceSource.VISIT) -> date:
    """Every rule of `person_move_in` that holds before the write, checked without writing
    (the change review's submission runs it too): answers the move-in date."""
    _refuse_if_scrubbed(person)
    if person.status != PersonStatus.ACTIVE:
        raise RuleViolation(_("该人员已迁出、死亡或注销,请先撤销该变动。"))
    if not Person.objects.restrict(actor, "view").filter(pk=person.pk).exists():
        raise PermissionDenied
    when = since or timezone.localdate()
    _check_move_in(actor, room, kind, when, source)
    if Residence.objects.filter(person=person, room=room, until__isnull=True).exists():
        raise RuleViolation({"room": _("该人员已登记居住在此房屋。")})
    return when


def person_move_in(*, person: Person, room: Room, kind: str, actor: User,
                   since: date | None = None, source: str = ResidenceSource.VISIT) -> Residence:
    """入住: the person lives in the room from `since` (default today). The person's register
    follows them to the room's grid; another residence they have stays open (a person may
    live in two places). A rental over its limit suggests a safety-hazard case."""
    when = person_move_in_check(person=person, room=room, kind=kind, actor=actor, since=since,
                                source=source)
    with transaction.atomic():
        return _move_in(person, room, kind, when, source, actor)


def person_move_out_check(*, residence: Residence, actor: User, until: date | None = None,
                          reason: str = "") -> tuple[date, str]:
    """Every rule of `person_move_out`, checked without writing (the service checks the
    residence again under its lock): answers the date and the reason as they will be
    stored."""
    allowed(actor, Person, "change", residence.grid_code)
    when = until or timezone.localdate()
    reason = refuse_longer_than_field(Residence, "end_reason", (reason or "").strip())
    since, ended = Residence.objects.filter(pk=residence.pk).values_list("since", "until").get()
    if ended is not None:
        raise RuleViolation(_("该居住信息已登记搬离。"))
    if not since <= when <= timezone.localdate():
        raise ValidationError({"until": _("搬离日期应在入住日期之后且不晚于今天。")})
    return when, reason


def person_move_out(*, residence: Residence, actor: User, until: date | None = None,
                    reason: str = "") -> Residence:
    """搬离: the person no longer lives in this room from `until` (default today)."""
    when, reason = person_move_out_check(residence=residence, actor=actor, until=until,
                                         reason=reason)
    with transaction.atomic():
        person = _locked(residence.person, None)
        current = Residence.objects.select_for_update().get(pk=residence.pk)
        if current.until is not None:
            raise RuleViolation(_("该居住信息已登记搬离。"))
        if not current.since <= when <= timezone.localdate():
            raise ValidationError({"until": _("搬离日期应在入住日期之后且不晚于今天。")})
        facts = person_facts(person)
        Residence.objects.filter(pk=current.pk).update(until=when, end_reason=reason)
        Person.objects.filter(pk=person.pk).update(version=F("version") + 1)
        person.refresh_from_db()
        figures_move(person_counts(facts), person_counts(person_facts(person)))
        _record_change(person, ChangeKind.MOVE_OUT, actor, [current.pk], {}, reason)
        _audit(actor, AuditEventType.REGISTRY_MOVED_OUT, person,
               {"room": current.room_id, "until": when.isoformat(), "reason": reason})
        residence.refresh_from_db()
    return residence


LEAVING = (PersonStatus.MOVED_AWAY, PersonStatus.DECEASED, PersonStatus.DEREGISTERED)


def person_leave(*, person: Person, status: str, reason: str, actor: User,
                 on: date | None = None, version: int | None = None) -> Person:
    """迁出 (moved away from the district), 死亡 or 注销 (deregistered) on `on` (default
    today), with a reason: every open residence and household membership ends that day, and
    the person leaves the figures. Undoable."""
    allowed(actor, Person, "change", person.grid_code)
    if status not in LEAVING:
        raise ValidationError({"status": _("请选择迁出、死亡或注销。")})
    reason = refuse_longer_than_field(Person, "status_reason", require_reason(reason))
    when = on or timezone.localdate()
    if when > timezone.localdate():
        raise ValidationError({"on": _("日期不能晚于今天。")})
    if when < EARLIEST_RESIDENCE or (person.birth_date is not None and when < person.birth_date):
        raise ValidationError({"on": _("日期早于该人员的出生日期或1900年。")})
    _refuse_if_scrubbed(person)
    with transaction.atomic():
        current = _locked(person, version)
        if current.status != PersonStatus.ACTIVE:
            raise RuleViolation(_("该人员已是“%(s)s”状态。") % {"s": current.get_status_display()})
        facts = person_facts(current)
        open_residences = list(Residence.objects.filter(person=person, until__isnull=True)
                               .values_list("pk", flat=True))
        if Residence.objects.filter(pk__in=open_residences, since__gt=when).exists():
            raise ValidationError({"on": _("日期早于该人员的入住日期。")})
        Residence.objects.filter(pk__in=open_residences).update(until=when, end_reason=reason)
        members = list(HouseholdMember.objects.filter(person=person, until__isnull=True)
                       .values_list("pk", flat=True))
        HouseholdMember.objects.filter(pk__in=members).update(until=when)
        Person.objects.filter(pk=person.pk).update(
            status=status, status_date=when, status_reason=reason, version=F("version") + 1)
        person.refresh_from_db()
        figures_move(person_counts(facts), person_counts(person_facts(person)))
        _record_change(person, ChangeKind.LEAVE, actor, open_residences,
                       {"members": members}, reason)
        _audit(actor, AuditEventType.REGISTRY_PERSON_LEFT, person,
               {"status": status, "on": when.isoformat(), "reason": reason})
    return person


def person_change_undo(*, change: PersonChange, reason: str, actor: User) -> Person:
    """Undo a move-in, move-out or leaving recorded by mistake: the person's latest change
    not undone yet (a later one is undone first), while what it did still stands."""
    person = change.person
    allowed(actor, Person, "change", person.grid_code)
    for code in Residence.objects.filter(pk__in=[int(i) for i in change.residence_ids]) \
            .values_list("grid_code", flat=True):
        allowed(actor, Person, "change", code)  # (a residence in another grid is theirs)
    if person.scrubbed_at is not None:
        raise RuleViolation(_("该人员的个人信息已按保存期限清除,变动不能再撤销。"))
    reason = refuse_longer_than_field(PersonChange, "reason", require_reason(reason))
    stale = RuleViolation(_("该变动之后人员信息又有变化,请先撤销后来的变动。"))
    with transaction.atomic():
        current = _locked(person, None)
        latest = PersonChange.objects.filter(person=person, undone_at__isnull=True).first()
        if change.undone_at is not None or latest is None or latest.pk != change.pk:
            raise stale
        facts = person_facts(current)
        residences = Residence.objects.filter(pk__in=[int(i) for i in change.residence_ids])
        if change.kind == ChangeKind.MOVE_IN:
            if residences.filter(until__isnull=True).count() != len(change.residence_ids):
                raise stale
            residences.delete()
            Person.objects.filter(pk=person.pk).update(grid_id=change.before["grid_id"],
                                                       grid_code=change.before["grid_code"])
        elif change.kind == ChangeKind.MOVE_OUT:
            rooms = residences.values_list("room_id", flat=True)
            if Residence.objects.filter(person=person, room_id__in=rooms,
                                        until__isnull=True).exists():
                raise stale
            residences.update(until=None, end_reason="")
            _lived_in_again(residences, actor)
        else:
            if current.status == PersonStatus.ACTIVE:
                raise stale
            residences.update(until=None, end_reason="")
            _lived_in_again(residences, actor)
            HouseholdMember.objects.filter(pk__in=change.before.get("members", [])).update(
                until=None)
            Person.objects.filter(pk=person.pk).update(status=PersonStatus.ACTIVE,
                                                       status_date=None, status_reason="")
        Person.objects.filter(pk=person.pk).update(version=F("version") + 1)
        person.refresh_from_db()
        figures_move(person_counts(facts), person_counts(person_facts(person)))
        PersonChange.objects.filter(pk=change.pk).update(undone_at=timezone.now())
        _audit(actor, AuditEventType.REGISTRY_CHANGE_UNDONE, person,
               {"change": change.pk, "kind": change.kind, "reason": reason})
    return person


def _lived_in_again(residences: models.QuerySet[Residence], actor: User) -> None:
    """Residences reopened by an undo: their rooms are lived in again, as at a move-in (a
    vacant room takes its use; a rental's occupancy is checked)."""
    from civicgrid.registry.services.housing import rental_check_occupancy

    for residence in residences.select_related("room__building__grid"):
        room_occupied(room=residence.room, residence_kind=residence.kind)
        rental_check_occupancy(room=residence.room, actor=actor)


def party_from_person(*, actor: User, person_id: int, given: PartyInput) -> PartyInput:
    """A case party's particulars copied from a registered person the actor may see (at
    intake, `cases.hooks.party_from_registry`): what was typed stays, the rest comes from
    the register — the citizen ID and phone among it, decrypted here and sealed again by the
    case, never shown. Recorded as an access to the person. PermissionDenied when the person
    is missing or out of scope."""
    person = (Person.objects.restrict(actor, "view").filter(pk=person_id,
                                                            scrubbed_at__isnull=True).first())
    if person is None or not user_can(actor, Case, "add"):
        raise PermissionDenied
    home = (Residence.objects.filter(person=person, until__isnull=True)
            .select_related("room").order_by("-since", "-id").first())
    id_number = given.id_number.strip()
    if not id_number and person.document_type == DocumentType.ID_CARD:
        id_number = unseal(person.id_number_encrypted)
    _audit(actor, AuditEventType.REGISTRY_PERSON_USED_AS_PARTY, person, {"role": given.role})
    return dataclasses.replace(
        given, name=given.name.strip() or person.name, sex=given.sex or person.sex,
        ethnicity=given.ethnicity.strip() or person.ethnicity,
        birth_date=given.birth_date or person.birth_date,
        occupation=given.occupation.strip() or person.occupation,
        address=given.address.strip() or (home.room.address if home else ""),
        phone=given.phone.strip() or unseal(person.phone_encrypted), id_number=id_number)
