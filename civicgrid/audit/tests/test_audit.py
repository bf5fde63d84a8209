from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from civicgrid.accounts.models import User
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import GENESIS_HASH, audit_record, audit_seal, audit_verify_chain
from civicgrid.conftest import is_postgres


def _sealed(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The entries as the sealer (the background writer, ADR 0010) leaves them."""
    audit_seal(wait=True)
    for entry in entries:
        entry.refresh_from_db()
    return entries


def _entries(n: int) -> list[AuditEntry]:
    return _sealed([
        audit_record(actor=None, username="system", event_type="demo.seeded",
                     subject_type="x", subject_id=str(i), details={"i": i, "名": "张三"})
        for i in range(n)
    ])


def _tamper(pk: int, sql_set: str, params: list) -> None:
    """Change a row behind the application's back (as an intruder with DB access would)."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER "
                           "audit_auditentry_append_only")
        cursor.execute(f"UPDATE audit_auditentry SET {sql_set} WHERE id = %s",  # noqa: S608
                       [*params, pk])


def test_chain_links_each_entry_to_the_previous(db):
    entries = _entries(3)
    assert entries[0].prev_hash == (
        AuditEntry.objects.filter(seq__lt=entries[0].seq).order_by("-seq")
        .values_list("hash", flat=True).first() or GENESIS_HASH
    )
    assert [e.seq - entries[0].seq for e in entries] == [0, 1, 2]
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3
    report = audit_verify_chain()
    assert report.ok and report.checked == AuditEntry.objects.count()


def test_verify_names_the_changed_row(db):
    entries = _entries(5)
    _tamper(entries[2].pk, "details = %s", ['{"i": 99}'])
    report = audit_verify_chain()
    assert report.broken_id == entries[2].pk
    assert "content" in report.reason
    with pytest.raises(CommandError, match=f"broken at entry {entries[2].pk}"):
        call_command("verify_audit", stdout=StringIO())


# Every column of an entry, written out by hand (not read from the hashing code): changing
# any one of them behind the application's back must break the chain at that entry. Each
# value differs from what `_actor_entries` writes, and a time 1 µs off is enough.
TAMPERED = [
    ("time", lambda e, other: e.time + timedelta(microseconds=1)),
    ("actor_id", lambda e, other: other.pk),
    ("actor_id", lambda e, other: None),
    ("actor_username", lambda e, other: "mallory"),
    ("source_ip", lambda e, other: "10.0.0.99"),
    ("source_ip", lambda e, other: None),
    ("event_type", lambda e, other: "test.harmless"),
    ("subject_type", lambda e, other: "y"),
    ("subject_id", lambda e, other: "999"),
    ("subject_repr", lambda e, other: "某人"),
    ("success", lambda e, other: False),
    ("details", lambda e, other: {"i": 99, "名": "张三"}),
    ("details", lambda e, other: {"i": "2", "名": "张三"}),  # same digits, other type
    ("details", lambda e, other: {"i": 2, "名": "张三", "extra": True}),
    ("prev_hash", lambda e, other: "f" * 64),
    ("hash", lambda e, other: "e" * 64),
    ("seq", lambda e, other: -1),  # moved to the head of the chain
]


def _actor_entries(n: int) -> tuple[list[AuditEntry], User]:
    actor = User.objects.create(username="t_audit_actor")
    other = User.objects.create(username="t_audit_other")
    entries = [
        audit_record(actor=actor, event_type="demo.seeded", subject_type="x",
                     subject_id=str(i), subject_repr=f"对象{i}", source_ip="10.0.0.1",
                     details={"i": i, "名": "张三"})
        for i in range(n)
    ]
    return _sealed(entries), other


def test_the_tamper_list_names_every_column():
    """A column added to AuditEntry must be added to TAMPERED (and so shown to be hashed);
    only the row id is left out: the order it gives is checked through prev_hash."""
    columns = {f.attname for f in AuditEntry._meta.concrete_fields}
    assert columns - {"id"} == {name for name, _value in TAMPERED}


@pytest.mark.parametrize("column, value", TAMPERED,
                         ids=[f"{name}-{i}" for i, (name, _v) in enumerate(TAMPERED)])
def test_changing_any_column_breaks_the_chain_at_that_entry(db, column, value):
    entries, other = _actor_entries(3)
    target = entries[1]
    assert audit_verify_chain().ok
    new = value(target, other)
    assert getattr(target, column) != new
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER "
                           "audit_auditentry_append_only")
    assert AuditEntry.objects.filter(pk=target.pk).update(**{column: new}) == 1
    stored = AuditEntry.objects.get(pk=target.pk)
    assert getattr(stored, column) == new
    report = audit_verify_chain()
    assert report.broken_id == target.pk, (column, report)
    assert report.checked == AuditEntry.objects.filter(seq__lt=stored.seq).count()
    with pytest.raises(CommandError, match=f"broken at entry {target.pk}"):
        call_command("verify_audit", stdout=StringIO())


def test_verify_names_the_row_after_a_deleted_one(db):
    entries = _entries(4)
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER "
                           "audit_auditentry_append_only")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    report = audit_verify_chain()
    assert report.broken_id == entries[2].pk
    assert "prev_hash" in report.reason


def test_verify_command_passes_on_intact_chain(db):
    _entries(2)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()


def test_entry_is_written_in_the_callers_transaction(db):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, username="system", event_type="demo.seeded")
        raise RuntimeError
    assert AuditEntry.objects.count() == before


def test_postgres_refuses_update_and_delete(db):
    if not is_postgres():
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    entry = _entries(1)[0]
    for statement in ("UPDATE audit_auditentry SET success = false WHERE id = %s",
                      "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.success is True


def test_auditor_filters_the_log_in_the_ui(world):
    from django.test import Client

    from civicgrid.accounts.roles import Role

    audit_record(actor=None, username="alice", event_type="auth.login_failed", success=False)
    audit_record(actor=None, username="bob", event_type="auth.login_failed", success=False)
    audit_record(actor=None, username="alice", event_type="demo.seeded")
    client = Client()
    client.force_login(world.users[Role.AUDITOR])
    page = client.get("/audit/", {"event_type": "auth.login_failed", "actor": "alice"})
    rows = page.context["page"].items
    assert [(e.actor_username, e.event_type) for e in rows] == [("alice", "auth.login_failed")]
    failed = client.get("/audit/", {"success": "no"}).context["page"].items
    assert {e.actor_username for e in failed} == {"alice", "bob"}
    bad = client.get("/audit/", {"date_from": "not-a-date"})
    assert bad.status_code == 200 and "date_from" in bad.context["form"].errors
    # The administrator does not read the audit log (separation of duties).
    client.force_login(world.users[Role.ADMINISTRATOR])
    assert client.get("/audit/").status_code == 403


# --- the sealer (ADR 0010): writers take no lock; one background writer chains ------------

def test_a_write_is_one_insert_without_a_lock_or_a_read(db):
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        entry = audit_record(actor=None, username="system", event_type="demo.seeded")
    statements = [q["sql"] for q in ctx.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == 1 and statements[0].startswith('INSERT INTO "audit_auditentry"')
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.seq, stored.prev_hash, stored.hash) == (None, "", "")


def test_the_sealer_chains_in_id_order_after_the_head_once(db):
    head = _entries(1)[0]
    later = [audit_record(actor=None, username="system", event_type="demo.seeded",
                          details={"i": i}) for i in range(3)]
    assert audit_verify_chain().unsealed == 3
    assert audit_seal() == 3
    stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in later]).order_by("id"))
    assert [e.seq for e in stored] == [head.seq + 1, head.seq + 2, head.seq + 3]
    assert [e.prev_hash for e in stored] == [head.hash, stored[0].hash, stored[1].hash]
    assert audit_seal() == 0  # nothing left: sealing again changes nothing
    report = audit_verify_chain()
    assert report.ok and report.unsealed == 0
    assert report.checked == AuditEntry.objects.count()


def test_the_sealer_works_in_batches(db, monkeypatch):
    monkeypatch.setattr("civicgrid.audit.services.SEAL_BATCH", 2)
    for i in range(5):
        audit_record(actor=None, username="system", event_type="demo.seeded", details={"i": i})
    assert audit_seal() == AuditEntry.objects.count()
    assert audit_verify_chain().ok
    assert list(AuditEntry.objects.order_by("id").values_list("seq", flat=True)) == list(
        range(1, AuditEntry.objects.count() + 1))


def test_embedded_set_up_seals_after_commit_once_per_transaction(
        db, settings, django_capture_on_commit_callbacks):
    settings.AUDIT_SEAL_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for i in range(3):
            audit_record(actor=None, username="system", event_type="demo.seeded",
                         details={"i": i})
    assert len(callbacks) == 1
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit_verify_chain().ok


def test_production_leaves_sealing_to_beat(db, settings, django_capture_on_commit_callbacks):
    settings.AUDIT_SEAL_ON_COMMIT = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        audit_record(actor=None, username="system", event_type="demo.seeded")
    assert callbacks == []
    assert settings.CELERY_BEAT_SCHEDULE["audit-seal"]["task"] == "audit.seal"
    from civicgrid.audit.tasks import seal

    assert seal() == 1


def test_an_entry_left_unsealed_too_long_is_named(db, settings):
    entry = audit_record(actor=None, username="system", event_type="demo.seeded")
    assert audit_verify_chain().ok  # recent: the sealer has not come by yet
    settings.AUDIT_SEAL_MAX_DELAY = timedelta(0)
    report = audit_verify_chain()
    assert report.broken_id == entry.pk and "not sealed" in report.reason
    with pytest.raises(CommandError, match=f"broken at entry {entry.pk}"):
        call_command("verify_audit", "--no-seal", stdout=StringIO())
    call_command("verify_audit", stdout=StringIO())  # seals first: intact
    assert AuditEntry.objects.get(pk=entry.pk).seq is not None


def test_postgres_lets_the_sealer_set_a_place_once_and_nothing_else(db):
    if not is_postgres():
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    entry = audit_record(actor=None, username="system", event_type="demo.seeded")
    for statement, params in [
        ("UPDATE audit_auditentry SET success = false WHERE id = %s", []),
        ("UPDATE audit_auditentry SET seq = 999999, details = %s WHERE id = %s", ['{"i": 1}']),
        ("DELETE FROM audit_auditentry WHERE id = %s", []),
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [*params, entry.pk])
    assert audit_seal() == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET seq = seq + 1000, hash = 'x' "
                       "WHERE id = %s", [entry.pk])
    assert audit_verify_chain().ok


def test_postgres_a_sealer_finding_another_at_work_returns(db):
    # (`db`, not `transactional_db`: a transactional test flushes the tables when it ends,
    # taking the data the migrations load from the tests after it, even when it skips.)
    if not is_postgres():
        pytest.skip("the advisory lock exists on PostgreSQL only")
    import psycopg
    from django.db import connections

    audit_record(actor=None, username="system", event_type="demo.seeded")
    params = connections["default"].get_connection_params()
    with psycopg.connect(**params) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [0x41554453])
        assert audit_seal(wait=False) == 0
        other.execute("SELECT pg_advisory_unlock(%s)", [0x41554453])
    assert audit_seal(wait=False) == 1
