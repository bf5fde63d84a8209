"""The privacy layer's record of access (PIPL Art. 45 and 51): every module that holds
personal data shows it in clear through `reveal_sealed`, which writes the access record —
who, when, which record, which field, why — as an entry of the tamper-evident audit chain
with the record as its subject. `access_log` lists every entry about one record (reveals,
views of its page, changes), for the auditor to answer a data subject's request.

The caller decides whether the reader may reveal (its permission and scope) and requires the
reason (cases.services.common.require_reason); this module decrypts and records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db.models import Model, QuerySet

from civicgrid.audit.events import AuditEventType
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record
from civicgrid.core.privacy import unseal

if TYPE_CHECKING:
    from civicgrid.accounts.models import User

REASON_LIMIT = 200  # characters of the reason kept in the record


def subject_label(subject: Model) -> str:
    """How a record of a person is named in the audit log: by its type and number, never
    by the person's name (which the retention job removes; the log is kept)."""
    return f"{subject._meta.label_lower}#{subject.pk}"


def reveal_sealed(*, subject: Model, field_name: str, encrypted: str, reason: str,
                  actor: User, details: Mapping[str, object] | None = None,
                  subject_repr: str = "") -> str:
    """The clear value of one sealed field of `subject`, recorded (`subject_repr`: how the
    log names the subject when it is not a person's record, e.g. a case's number)."""
    if not reason.strip():
        raise ValueError("a reveal needs the reason the caller required")
    value = unseal(encrypted)
    audit_record(actor=actor, event_type=AuditEventType.PII_REVEALED, subject=subject,
                 subject_repr=subject_repr or subject_label(subject),
                 details={"field": field_name, "reason": reason.strip()[:REASON_LIMIT],
                          **(details or {})})
    return value


def record_viewed(*, subject: Model, actor: User, event_type: AuditEventType) -> None:
    """A reader opened the record's own page (its particulars masked): an access too."""
    audit_record(actor=actor, event_type=event_type, subject=subject,
                 subject_repr=subject_label(subject))


def access_log(*, subject_type: str, subject_id: str, reader: User) -> QuerySet[AuditEntry]:
    """Every audit entry about one record, newest first, as far as `reader` may read the
    audit log (auditors; anyone else sees none)."""
    return (AuditEntry.objects.restrict(reader, "view")
            .filter(subject_type=subject_type, subject_id=subject_id).order_by("-id"))
