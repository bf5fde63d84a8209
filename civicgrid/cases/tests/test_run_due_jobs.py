"""`manage.py run_due_jobs`: every periodic job of the embedded set-up (no Celery beat)."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from civicgrid.api.models import IdempotencyRecord


def _record(key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        principal="token:1", key=key, method_path="POST /api/v1/cases", body_hash="0" * 64,
        response_status=201, response_body="{}", created_at=timezone.now() - age)


def _run() -> str:
    out = io.StringIO()
    call_command("run_due_jobs", stdout=out)
    return out.getvalue()


def _line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(name + ":"))


def test_purges_idempotency_records_older_than_the_replay_window(db):
    _record("old", timedelta(hours=25))
    _record("older", timedelta(days=30))
    kept = _record("recent", timedelta(hours=23))
    assert _line(_run(), "idempotency records purged") == "idempotency records purged: 2"
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [kept.pk]
    assert _line(_run(), "idempotency records purged") == "idempotency records purged: 0"
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [kept.pk]


def test_reports_every_job(db):
    lines = [line.split(":")[0] for line in _run().splitlines()]
    assert lines == ["escalated", "hand-off receipt notices", "judicial confirmation reminders",
                     "weekly check reminders", "area statuses", "notice digests",
                     "webhook retries delivered", "idempotency records purged",
                     "registry retention", "import files deleted",
                     "unfinished photo uploads given up", "audit entries sealed"]


def test_seals_what_the_jobs_and_earlier_writes_left_unsealed(db):
    from civicgrid.audit.models import AuditEntry
    from civicgrid.audit.services import audit_record, audit_verify_chain

    for i in range(3):
        audit_record(actor=None, username="system", event_type="demo.seeded", details={"i": i})
    sealed_before = AuditEntry.objects.filter(seq__isnull=False).count()
    assert AuditEntry.objects.filter(seq__isnull=True).count() >= 3
    last = _run().splitlines()[-1]  # (the jobs may write entries of their own: sealed too)
    assert last == f"audit entries sealed: {AuditEntry.objects.count() - sealed_before}"
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit_verify_chain().ok
