"""Writing the audit log: the one function every service calls (Zulip's RealmAuditLog)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone, translation

from civicgrid.audit.context import current_source_ip
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.accounts.actors import Actor
    from civicgrid.accounts.models import User

GENESIS_HASH = "0" * 64
# Serialises appends to the chain on PostgreSQL (any constant works; this one spells "AUDT").
_PG_CHAIN_LOCK = 0x41554454


def _canonical_details(details: Mapping[str, object] | None) -> dict[str, object]:
    """Round-trip through JSON so what is hashed is exactly what the database returns."""
    canonical: dict[str, object] = json.loads(
        json.dumps(details or {}, cls=DjangoJSONEncoder, ensure_ascii=False)
    )
    return canonical


def entry_digest(entry: AuditEntry, prev_hash: str) -> str:
    payload = {
        "time": entry.time.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "source_ip": entry.source_ip,
        "event_type": entry.event_type,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "subject_repr": entry.subject_repr,
        "success": bool(entry.success),
        "details": entry.details,
        "prev_hash": prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def audit_record(
    *,
    actor: Actor | AnonymousUser,
    event_type: AuditEventType,
    subject: Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    subject_repr: str = "",
    success: bool = True,
    details: Mapping[str, object] | None = None,
    source_ip: str | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction (or its own).
    `event_type` must be one of `AuditEventType` (ValueError otherwise)."""
    event_type = AuditEventType(event_type)
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
        if not subject_repr:  # the record names its subject in the deployment's language,
            with translation.override(settings.LANGUAGE_CODE):  # whoever's cookie (ADR 0009)
                subject_repr = str(subject)[:200]
    # Only a User is ever authenticated (the resident and AnonymousUser never are); audit
    # sits below accounts, so it asks the actor rather than importing the user model.
    user = cast("User", actor) if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        time=timezone.now(),
        actor=user,
        actor_username=(user.get_username() if user is not None else username)[:150],
        source_ip=source_ip if source_ip is not None else current_source_ip(),
        event_type=event_type,
        subject_type=subject_type,
        subject_id=str(subject_id)[:64],
        subject_repr=subject_repr[:200],
        success=success,
        details=_canonical_details(details),
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])
        # On SQLite the IMMEDIATE transaction already holds the database's write lock.
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry.prev_hash = last or GENESIS_HASH
        entry.hash = entry_digest(entry, entry.prev_hash)
        entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def audit_verify_chain(*, batch_size: int = 5000) -> ChainReport:
    """Recompute every hash in order; name the first entry that does not match."""
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return ChainReport(checked, None, "")
        for entry in batch:
            if entry.prev_hash != prev:
                return ChainReport(
                    checked, entry.pk, "prev_hash does not match the previous entry's hash "
                    "(an entry before it was removed or changed)"
                )
            if entry_digest(entry, entry.prev_hash) != entry.hash:
                return ChainReport(checked, entry.pk, "content does not match its hash")
            prev = entry.hash
            checked += 1
            last_id = entry.pk
