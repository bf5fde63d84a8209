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
from civicgrid.core.rows import insert_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.accounts.actors import Actor
    from civicgrid.accounts.models import User

GENESIS_HASH = "0" * 64
# Held by the one sealer at work on PostgreSQL (any constant works; this one spells "AUDS").
# Writers never take it: an entry is inserted unsealed, without a lock (ADR 0010).
_PG_SEAL_LOCK = 0x41554453
SEAL_BATCH = 1000


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
    """Write one entry, inside the caller's transaction (or its own): one INSERT, without a
    lock or a read; the sealer (`audit_seal`) chains it after the commit. `event_type` must
    be one of `AuditEventType` (ValueError otherwise)."""
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
    insert_rows([entry])  # unsealed: no lock, no read of the chain's head
    if settings.AUDIT_SEAL_ON_COMMIT:
        _seal_after_commit()
    return entry


def _seal_after_commit() -> None:
    """Where no background sealer runs (the embedded set-up, AUDIT_SEAL_ON_COMMIT), seal
    right after this transaction commits: one callback per transaction, however many
    entries it wrote."""
    if any(item[1] is _seal_now for item in connection.run_on_commit):
        return
    transaction.on_commit(_seal_now, robust=True)


def _seal_now() -> None:
    audit_seal(wait=False)


def audit_seal(*, wait: bool = False) -> int:
    """Chain every committed, unsealed entry, in id order, after the chain's last sealed
    entry: each gets the next `seq`, the previous hash and its own hash. One sealer at a
    time (a transaction-scoped advisory lock on PostgreSQL; SQLite's write lock): without
    `wait`, a sealer that finds another at work leaves the entries to it and returns 0.
    Returns how many entries it sealed. Celery beat runs it every AUDIT_SEAL_SECONDS."""
    sealed = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    if wait:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_SEAL_LOCK])
                    else:
                        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_PG_SEAL_LOCK])
                        if not cursor.fetchone()[0]:
                            return sealed
            head = (AuditEntry.objects.filter(seq__isnull=False).order_by("-seq")
                    .values_list("seq", "hash").first())
            seq, prev = (head[0] or 0, head[1]) if head is not None else (0, GENESIS_HASH)
            batch = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:SEAL_BATCH])
            for entry in batch:
                seq += 1
                entry.seq, entry.prev_hash = seq, prev
                entry.hash = prev = entry_digest(entry, entry.prev_hash)
            if batch:
                _write_seals(batch)
        sealed += len(batch)
        if len(batch) < SEAL_BATCH:
            return sealed


def _write_seals(batch: list[AuditEntry]) -> None:
    """Write the batch's places and hashes: on PostgreSQL one UPDATE … FROM (VALUES …) (the
    ORM's bulk_update builds a CASE per row and per column, and compiling it cost nine
    tenths of a seal), elsewhere one prepared UPDATE per row."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    rows = [(e.pk, e.seq, e.prev_hash, e.hash) for e in batch]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(rows))
            cursor.execute(
                f"UPDATE {table} AS a SET seq = v.seq, prev_hash = v.prev_hash, "  # noqa: S608
                f"hash = v.hash FROM (VALUES {values}) AS v(id, seq, prev_hash, hash) "
                f"WHERE a.id = v.id", [value for row in rows for value in row])
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s "  # noqa: S608
                f"WHERE id = %s", [(seq, prev, digest, pk) for pk, seq, prev, digest in rows])


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None
    reason: str
    unsealed: int = 0  # entries written but not sealed yet (recent ones: normal)

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def audit_verify_chain(*, batch_size: int = 5000) -> ChainReport:
    """Recompute every sealed entry's hash in chain order (`seq`); name the first entry
    that does not match. An entry left unsealed longer than AUDIT_SEAL_MAX_DELAY is named
    too: the sealer has stopped, and such entries are not protected by the chain yet."""
    prev = GENESIS_HASH
    checked = 0
    last_seq: int | None = None
    while True:
        sealed = AuditEntry.objects.filter(seq__isnull=False)
        if last_seq is not None:
            sealed = sealed.filter(seq__gt=last_seq)
        batch = list(sealed.order_by("seq")[:batch_size])
        if not batch:
            break
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
            assert entry.seq is not None
            last_seq = entry.seq
    unsealed = AuditEntry.objects.filter(seq__isnull=True)
    stale = (unsealed.filter(time__lt=timezone.now() - settings.AUDIT_SEAL_MAX_DELAY)
             .order_by("id").values_list("id", flat=True).first())
    if stale is not None:
        return ChainReport(checked, stale, "not sealed within AUDIT_SEAL_MAX_DELAY "
                           "(is the sealer running? see docs/operations.md)",
                           unsealed.count())
    return ChainReport(checked, None, "", unsealed.count())
