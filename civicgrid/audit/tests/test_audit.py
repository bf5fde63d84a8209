from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from civicgrid.accounts.models import User
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import GENESIS_HASH, audit_record, audit_verify_chain
from civicgrid.conftest import is_postgres


def _entries(n: int) -> list[AuditEntry]:
    return [
        audit_record(actor=None, username="system", event_type="demo.seeded",
                     subject_type="x", subject_id=str(i), details={"i": i, "名": "张三"})
        for i in range(n)
    ]


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
        AuditEntry.objects.filter(id__lt=entries[0].id).order_by("-id")
        .values_list("hash", flat=True).first() or GENESIS_HASH
    )
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
    return entries, other


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
    assert report.checked == AuditEntry.objects.filter(id__lt=target.pk).count()
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
