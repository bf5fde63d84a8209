"""core/transactions.py: a service takes a savepoint where its caller can go on after a
refusal, and none inside the API's all-or-nothing request transaction (issue 14)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, Status
from civicgrid.cases.services import StaleCase
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.transactions import whole_or_nothing

pytestmark = pytest.mark.django_db


def _verbs(ctx) -> list[str]:
    return [q["sql"].split()[0].upper() for q in ctx.captured_queries]


def test_a_caller_can_go_on_after_a_refusal(office):
    """Outside whole_or_nothing() (a page, a batch, this test's own transaction) the
    service is a savepoint: its refusal is undone alone and the caller's work goes on."""
    case = new_case(office)
    with CaptureQueriesContext(connection) as ctx, pytest.raises(StaleCase):
        svc.case_act("accept", case=case, actor=office.people["dispatcher"],
                     expected_version=case.version + 7)
    assert "SAVEPOINT" in _verbs(ctx)
    assert Case.objects.get(pk=case.pk).status == Status.REGISTERED  # (the connection works)
    svc.case_act("accept", case=case, actor=office.people["dispatcher"],
                 expected_version=case.version)
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_no_savepoint_inside_a_whole_transaction(office):
    case = new_case(office)
    with CaptureQueriesContext(connection) as ctx, whole_or_nothing():
        svc.case_act("accept", case=case, actor=office.people["dispatcher"],
                     expected_version=case.version)
    # One SAVEPOINT/RELEASE pair: whole_or_nothing's own block inside this test's
    # transaction (in a request it is the transaction itself); none of the service's.
    assert _verbs(ctx).count("SAVEPOINT") == 1 and _verbs(ctx).count("RELEASE") == 1
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_a_refusal_inside_rolls_the_whole_transaction_back(office):
    first, second = new_case(office), new_case(office)
    dispatcher = office.people["dispatcher"]
    with pytest.raises(StaleCase), whole_or_nothing():
        svc.case_act("accept", case=first, actor=dispatcher, expected_version=first.version)
        svc.case_act("accept", case=second, actor=dispatcher,
                     expected_version=second.version + 7)
    assert Case.objects.get(pk=first.pk).status == Status.REGISTERED  # undone with the rest
    assert Case.objects.get(pk=second.pk).status == Status.REGISTERED
