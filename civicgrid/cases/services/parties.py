"""Parties' personal data: normalised, encrypted with a keyed hash for exact search and a
mask for display (PIPL Art. 28); shown in clear only with a reason, and audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.documents import PartyInfo
from civicgrid.cases.inputs import PartyInput
from civicgrid.cases.models import Case, Party, PartyRole
from civicgrid.cases.services.common import require_reason
from civicgrid.core.crypto import decrypt_text, encrypt_text, keyed_hash
from civicgrid.core.idnumbers import IDNumberError, id_birth_date, id_sex, normalize_id_number
from civicgrid.core.masking import mask_id_number, mask_phone, phone_last4
from civicgrid.core.scope import get_scope


def normalize_phone(raw: str) -> str:
    """The national number of a phone as digits (no +86/0086), or "" if it is not one."""
    phone = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    digits = phone.removeprefix("+86").removeprefix("0086")
    return digits if digits.isdigit() and 5 <= len(digits) <= 15 else ""


def party_search_hashes(*, phone: str = "", id_number: str = "") -> tuple[str, str]:
    """The keyed hashes intake stores for a phone and an ID number ("" when invalid), for
    exact search such as duplicate suggestions."""
    digits = normalize_phone(phone)
    phone_hash = keyed_hash(digits, "phone") if digits else ""
    try:
        id_hash = (keyed_hash(normalize_id_number(id_number), "id_number")
                   if id_number.strip() else "")
    except IDNumberError:
        id_hash = ""
    return phone_hash, id_hash


def party_row(case: Case, party: PartyInput) -> Party:
    if party.role not in PartyRole.values:
        raise ValidationError({"parties": _("当事人身份无效。")})
    name = party.name.strip()
    if not name:
        raise ValidationError({"parties": _("请填写当事人姓名。")})
    row = Party(case=case, role=party.role, name=name[:60], sex=party.sex,
                ethnicity=party.ethnicity.strip(), birth_date=party.birth_date, age=party.age,
                occupation=party.occupation.strip(), address=party.address.strip())
    id_number = party.id_number.strip()
    if id_number:
        try:
            normalized = normalize_id_number(id_number)
        except IDNumberError as exc:
            raise ValidationError({"parties": _("%(name)s:%(err)s") % {
                "name": name, "err": exc}}) from exc
        row.id_number_encrypted = encrypt_text(normalized)
        row.id_number_hash = keyed_hash(normalized, "id_number")
        row.id_number_masked = mask_id_number(normalized)
        row.birth_date = row.birth_date or id_birth_date(normalized)
        row.sex = row.sex or id_sex(normalized)
    if party.phone.strip():
        digits = normalize_phone(party.phone)
        if not digits:
            raise ValidationError({"parties": _("%(name)s:电话号码无效。") % {"name": name}})
        row.phone_encrypted = encrypt_text(digits)
        row.phone_hash = keyed_hash(digits, "phone")
        row.phone_masked = mask_phone(digits)
        row.phone_last4 = phone_last4(digits)
    if row.age is None and row.birth_date is not None:
        today = timezone.localdate()
        row.age = today.year - row.birth_date.year - (
            (today.month, today.day) < (row.birth_date.month, row.birth_date.day))
    return row



def party_document_info(party: Party, *, clear: bool) -> PartyInfo:
    if clear:
        phone = decrypt_text(party.phone_encrypted) if party.phone_encrypted else ""
        id_number = (decrypt_text(party.id_number_encrypted)
                     if party.id_number_encrypted else "")
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
    token = getattr(party, f"{field_name}_encrypted")
    value = decrypt_text(token) if token else ""
    audit_record(actor=actor, event_type=AuditEventType.PII_REVEALED, subject=party.case,
                 details={"party_id": party.pk, "field": field_name, "reason": reason[:200]})
    return value

