"""Parties' personal data: normalised, encrypted with a keyed hash for exact search and a
mask for display (PIPL Art. 28); shown in clear only with a reason, and audited. And the
parties after intake: 补录 (add), 更正 (update), 移除 (remove).

Who and when (also for correcting the case's facts, services/facts.py), decided by
`case_edit_check`:
- who: whoever handles the case — a member of the assigned unit with the handle permission
  (the workflow's *assignee*) or the dispatch centre whose jurisdiction holds the case's
  queue (*dispatcher*); anyone else is refused (PermissionDenied);
- when: while the case is open and not yet resolved (待受理, 待派遣, 办理中, 对接中, 缓办).
  From 办结 on, the result has been reported on these facts and is being checked: a
  verifier who finds them wrong sends the case back (返工), which opens them again.
- parties, besides: not once a mediation agreement exists (the agreement names its parties
  and its number of copies is theirs plus one); at most MAX_PARTIES; and a case that has
  an applicant keeps one (the applicant is whom the case answers to: follow-up, the
  portal's phone check, repeat petitions) — the last applicant cannot be removed or given
  another role; correct their particulars instead.
Every change needs the case's version (optimistic locking), writes one timeline event and
one audit entry in the same transaction; on refusal nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.privacy import reveal_sealed
from civicgrid.audit.services import audit_record
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases.documents import PartyInfo
from civicgrid.cases.inputs import PartyInput, PartyUpdateInput
from civicgrid.cases.models import Agreement, Case, Party, PartyRole, Status
from civicgrid.cases.services.common import (
    record_event,
    refuse_longer_than_field,
    refuse_too_long,
    require_reason,
    save_case,
)
from civicgrid.cases.workflow import ASSIGNEE, DISPATCHER, actor_kinds
from civicgrid.core.errors import RuleViolation
from civicgrid.core.idnumbers import IDNumberError, id_birth_date, id_sex, normalize_id_number

# The phone rule lives in the kernel (civicgrid/core/phones.py); re-exported here for the
# case pages, the portal and the API, which import it from the cases' services.
from civicgrid.core.phones import PHONE_RULE as PHONE_RULE  # noqa: E402
from civicgrid.core.phones import normalize_phone as normalize_phone  # noqa: E402
from civicgrid.core.privacy import seal_document, seal_phone, unseal
from civicgrid.core.scope import get_scope
from civicgrid.core.transactions import service_atomic


def phone_error(name: str = "") -> str:
    """The refusal of a phone number that is not one (the same text on every page)."""
    if name:
        return _("%(name)s:电话号码无效。%(rule)s。") % {"name": name, "rule": PHONE_RULE}
    return _("电话号码无效。%(rule)s。") % {"rule": PHONE_RULE}


def party_search_hashes(*, phone: str = "", id_number: str = "") -> tuple[str, str]:
    """The keyed hashes intake stores for a phone and an ID number ("" when invalid), for
    exact search such as duplicate suggestions."""
    phone_hash = seal_phone(normalize_phone(phone)).hash
    try:
        id_hash = seal_document(normalize_id_number(id_number)).hash if id_number.strip() else ""
    except IDNumberError:
        id_hash = ""
    return phone_hash, id_hash


def party_row(case: Case, party: PartyInput) -> Party:
    if party.role not in PartyRole.values:
        raise ValidationError({"parties": _("当事人身份无效。")})
    name = party.name.strip()
    if not name:
        raise ValidationError({"parties": _("请填写当事人姓名。")})
    texts = {"name": name, "ethnicity": party.ethnicity.strip(),
             "occupation": party.occupation.strip(), "address": party.address.strip()}
    for field, text in texts.items():
        refuse_longer_than_field(Party, field, text, "parties")
    row = Party(case=case, role=party.role, sex=party.sex, birth_date=party.birth_date,
                age=party.age, **texts)
    id_number = party.id_number.strip()
    if id_number:
        try:
            normalized = normalize_id_number(id_number)
        except IDNumberError as exc:
            raise ValidationError({"parties": _("%(name)s:%(err)s") % {
                "name": name, "err": exc}}) from exc
        sealed = seal_document(normalized)
        row.id_number_encrypted, row.id_number_hash = sealed.encrypted, sealed.hash
        row.id_number_masked = sealed.masked
        row.birth_date = row.birth_date or id_birth_date(normalized)
        row.sex = row.sex or id_sex(normalized)
    if party.phone.strip():
        digits = normalize_phone(party.phone)
        if not digits:
            raise ValidationError({"parties": phone_error(name)})
        sealed = seal_phone(digits)
        row.phone_encrypted, row.phone_hash = sealed.encrypted, sealed.hash
        row.phone_masked, row.phone_last4 = sealed.masked, sealed.last4
    if row.age is None and row.birth_date is not None:
        today = timezone.localdate()
        row.age = today.year - row.birth_date.year - (
            (today.month, today.day) < (row.birth_date.month, row.birth_date.day))
    return row



def party_document_info(party: Party, *, clear: bool) -> PartyInfo:
    if clear:
        phone, id_number = unseal(party.phone_encrypted), unseal(party.id_number_encrypted)
    else:
        phone, id_number = party.phone_masked, party.id_number_masked
    return PartyInfo(role=party.get_role_display(), name=party.name,
                     sex=party.get_sex_display() if party.sex else "",
                     ethnicity=party.ethnicity, age=party.age, occupation=party.occupation,
                     phone=phone, address=party.address, id_number=id_number)



def party_reveal(*, party: Party, field_name: str, reason: str, actor: User) -> str:
    """Show a party's ID number or phone in clear: needs the permission and a stated
    reason, and is audited (PIPL)."""
    if field_name not in ("id_number", "phone"):
        raise ValidationError(_("字段无效。"))
    if not get_scope(actor).can("cases.party.reveal") and not actor.is_superuser:
        raise PermissionDenied
    if not Case.objects.restrict(actor, "view").filter(pk=party.case_id).exists():
        raise PermissionDenied
    reason = require_reason(reason)
    return reveal_sealed(subject=party.case, subject_repr=party.case.number,
                         field_name=field_name, encrypted=getattr(party, f"{field_name}_encrypted"),
                         reason=reason, actor=actor, details={"party_id": party.pk})


# --- parties after intake ------------------------------------------------------------------

# Open and not yet resolved: the statuses in which parties and facts may change.
EDITABLE_STATUSES = frozenset({Status.REGISTERED, Status.ACCEPTED, Status.HANDLING,
                               Status.HANDED_OFF, Status.SUSPENDED})
EDITORS = frozenset({DISPATCHER, ASSIGNEE})
MAX_PARTIES = 20  # as many as the intake form takes
PARTY_NOTE_MAX_LENGTH = 2000  # the note of 补录 (the page's field says it too)


def case_edit_check(case: Case, actor: User) -> None:
    """Refuse unless `actor` handles `case` (assigned unit or dispatch centre) and the case
    is open and not yet resolved (the module's docstring says why)."""
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise PermissionDenied
    if not EDITORS & actor_kinds(case, actor):
        raise PermissionDenied
    if case.status not in EDITABLE_STATUSES:
        raise RuleViolation(_("该事件当前状态为“%(status)s”,不能再更改当事人和事件信息。")
                            % {"status": case.get_status_display()})


def may_edit_case(case: Case, actor: User) -> bool:
    """Would `case_edit_check` let `actor` change this case's parties and facts now (the
    buttons of the case page)."""
    try:
        case_edit_check(case, actor)
    except (PermissionDenied, ValidationError):
        return False
    return True


def _parties_check(case: Case, actor: User) -> None:
    case_edit_check(case, actor)
    if Agreement.objects.filter(case=case).exists():
        raise RuleViolation(_("已制作人民调解协议书,当事人不能再更改。"))


def _last_applicant(party: Party) -> bool:
    return (party.role == PartyRole.APPLICANT and not Party.objects.filter(
        case_id=party.case_id, role=PartyRole.APPLICANT).exclude(pk=party.pk).exists())


def _record(case: Case, actor: User, payload: E.EventData, event_type: AuditEventType,
            party: Party, note: str, extra: dict[str, object] | None = None) -> None:
    record_event(case, payload, actor, note=note)
    # No names, phones or ID numbers in the audit details: the party's id says who.
    audit_record(actor=actor, event_type=event_type, subject=case,
                 details={"party_id": party.pk, "role": party.role, **(extra or {}),
                          **({"reason": note[:200]} if note else {})})


@service_atomic
def party_add(*, case: Case, data: PartyInput, actor: User, expected_version: int,
              note: str = "") -> Party:
    """补录当事人: the same checks and encryption as at intake (`party_row`)."""
    _parties_check(case, actor)
    note = refuse_too_long((note or "").strip(), PARTY_NOTE_MAX_LENGTH, "note", _("说明"))
    if Party.objects.filter(case=case).count() >= MAX_PARTIES:
        raise RuleViolation({"parties": _("当事人最多%(n)d人。") % {"n": MAX_PARTIES}})
    row = party_row(case, data)
    save_case(case, expected_version, {})
    row.save()
    _record(case, actor, E.PartyAdded(party_id=row.pk, role=row.role, name=row.name),
            AuditEventType.CASE_PARTY_ADDED, row, note)
    return row


# The columns an update may change, and the name the timeline and audit give each.
_PARTY_FIELDS = {"role": "role", "name": "name", "sex": "sex", "ethnicity": "ethnicity",
                 "birth_date": "birth_date", "age": "age", "occupation": "occupation",
                 "address": "address", "phone_hash": "phone", "id_number_hash": "id_number"}
_SECRET_COLUMNS = {
    "phone": ("phone_encrypted", "phone_hash", "phone_masked", "phone_last4"),
    "id_number": ("id_number_encrypted", "id_number_hash", "id_number_masked"),
}


@service_atomic
def party_update(*, party: Party, data: PartyUpdateInput, actor: User,
                 expected_version: int) -> Party:
    """更正当事人: the particulars given replace the stored ones, checked and encrypted as
    at intake; a blank phone or ID number keeps the stored one (pages show it masked)
    unless `clear_*` says to remove it. Nothing changed is refused."""
    case = party.case
    _parties_check(case, actor)
    reason = require_reason(data.reason)
    given = data.party
    keep_id = not given.id_number.strip() and not data.clear_id_number
    if keep_id and party.id_number_hash:
        # What intake derived from the ID number stays unless given again.
        given = replace(given, birth_date=given.birth_date or party.birth_date,
                        sex=given.sex or party.sex)
    new = party_row(case, given)
    for field, columns in _SECRET_COLUMNS.items():
        blank = not getattr(given, field).strip()
        if blank and not getattr(data, f"clear_{field}"):
            for column in columns:
                setattr(new, column, getattr(party, column))
    if (party.role == PartyRole.APPLICANT and new.role != PartyRole.APPLICANT
            and _last_applicant(party)):
        raise RuleViolation({"role": _("事件须保留一名申请人:请更正其信息,不要改为其他身份。")})
    changed = [label for column, label in _PARTY_FIELDS.items()
               if getattr(new, column) != getattr(party, column)]
    if not changed:
        raise ValidationError(_("没有要更正的内容。"))
    save_case(case, expected_version, {})
    for column in (*_PARTY_FIELDS, *(c for cs in _SECRET_COLUMNS.values() for c in cs)):
        setattr(party, column, getattr(new, column))
    party.save()
    _record(case, actor, E.PartyUpdated(party_id=party.pk, role=party.role, name=party.name,
                                        fields=changed),
            AuditEventType.CASE_PARTY_UPDATED, party, reason, {"fields": changed})
    return party


@service_atomic
def party_remove(*, party: Party, reason: str, actor: User, expected_version: int) -> None:
    """移除当事人 (entered by mistake, or not a party after all), with a reason. The last
    applicant stays."""
    case = party.case
    _parties_check(case, actor)
    reason = require_reason(reason)
    if _last_applicant(party):
        raise RuleViolation(_("事件须保留一名申请人:不能移除唯一的申请人,可更正其信息。"))
    save_case(case, expected_version, {})
    payload = E.PartyRemoved(party_id=party.pk, role=party.role, name=party.name)
    removed = Party(pk=party.pk, case=case, role=party.role)
    party.delete()
    _record(case, actor, payload, AuditEventType.CASE_PARTY_REMOVED, removed, reason)
