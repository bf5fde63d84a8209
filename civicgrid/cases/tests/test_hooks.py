"""The case pipeline's ports are filled by the apps that own the work (docs/decisions/0007)."""

from __future__ import annotations

import pytest
from django.db import transaction

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import hooks
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import new_case
from civicgrid.portal.services import rating_link_on_verified
from civicgrid.stats.rollups import rollup_case_changed
from civicgrid.stats.selectors import drilldown
from civicgrid.webhooks.services import webhook_enqueue_for_event


def test_hooks_are_connected():
    assert set(hooks.case_changed.receivers) == {rollup_case_changed, rating_link_on_verified}
    assert hooks.case_event_recorded.receivers == [webhook_enqueue_for_event]
    assert hooks.drilldown.get() is drilldown


def test_a_failing_receiver_rolls_the_write_back(office):
    """A receiver's error is the write's error: the case is not registered at all."""
    def broken(before, after):
        raise RuntimeError("rollup unavailable")

    counts = Case.objects.count(), AuditEntry.objects.count()
    hooks.case_changed.connect(broken)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():  # (the caller's transaction)
            new_case(office)
    finally:
        hooks.case_changed.receivers.remove(broken)
    assert (Case.objects.count(), AuditEntry.objects.count()) == counts


def test_case_fields_are_case_columns():
    """CaseFields (what a transition may write) names only real columns of Case: mypy's
    Django plugin does not check update(**fields) against the model."""
    from civicgrid.cases.services.common import CaseFields

    columns = {f.name for f in Case._meta.concrete_fields}
    assert set(CaseFields.__annotations__) <= columns
