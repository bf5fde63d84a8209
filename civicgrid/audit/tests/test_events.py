"""The audit log's closed vocabulary (audit/events.py)."""

from __future__ import annotations

import pytest

from civicgrid.audit.events import AuditEventType, case_transition_event
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record
from civicgrid.cases.workflow import TRANSITIONS


def test_every_transition_has_its_audit_type():
    for name in TRANSITIONS:
        assert case_transition_event(name) == f"case.{name}"


@pytest.mark.django_db
def test_an_unknown_type_is_refused_and_nothing_is_written():
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError, match="not a valid AuditEventType"):
        audit_record(actor=None, username="system", event_type="case.teleport")  # type: ignore[arg-type]
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_the_row_stores_the_value():
    entry = audit_record(actor=None, username="system", event_type=AuditEventType.DEMO_SEEDED)
    entry.refresh_from_db()
    assert entry.event_type == "demo.seeded"
