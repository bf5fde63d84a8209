"""Bulk dispatch (issue 13, point 4): a dispatcher ticks cases in the dispatch queue; each is
accepted if need be and dispatched to its suggested unit through the same services, in its
own transaction; refusals are reported one by one and change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, Status
from civicgrid.cases.services import BATCH_LIMIT, cases_dispatch_batch
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


def test_each_case_goes_to_its_suggested_unit_and_a_refusal_changes_only_itself(office):
    a, b, stale = new_case(office), new_case(office), new_case(office)
    assert a.suggested_unit is not None
    dispatcher = office.people["dispatcher"]
    before_stale = snapshot(stale)["case"], stale.events.count()
    result = cases_dispatch_batch(actor=dispatcher, versions=[
        (a.number, a.version), (b.number, b.version), (stale.number, stale.version + 5),
        ("320602-20990101-99999", 1)])
    assert result.done == [a.number, b.number]
    assert [n for n, _why in result.refused] == [stale.number, "320602-20990101-99999"]
    assert "刷新" in result.refused[0][1] and "未找到" in result.refused[1][1]
    for case in (a, b):
        case.refresh_from_db()
        assert case.status == Status.HANDLING and case.assigned_unit == case.suggested_unit
        assert AuditEntry.objects.filter(subject_id=str(case.pk),
                                         event_type="case.dispatch").count() == 1
    assert (snapshot(stale)["case"], stale.events.count()) == before_stale  # untouched


def test_out_of_scope_and_other_roles_dispatch_nothing(office):
    case = new_case(office)
    before = snapshot(case)
    outsider = cases_dispatch_batch(actor=office.people["outsider"],
                                    versions=[(case.number, case.version)])
    assert outsider.done == [] and "未找到" in outsider.refused[0][1]
    mediator = cases_dispatch_batch(actor=office.people["mediator"],
                                    versions=[(case.number, case.version)])
    assert mediator.done == [] and len(mediator.refused) == 1
    assert snapshot(case) == before


def test_an_empty_or_too_large_batch_is_refused(office):
    with pytest.raises(ValidationError, match="勾选"):
        cases_dispatch_batch(actor=office.people["dispatcher"], versions=[])
    with pytest.raises(ValidationError, match=str(BATCH_LIMIT)):
        cases_dispatch_batch(actor=office.people["dispatcher"],
                             versions=[("x", 1)] * (BATCH_LIMIT + 1))


def test_the_dispatch_queue_page_ticks_and_dispatches(office):
    a, b = new_case(office), new_case(office)
    client = Client()
    client.force_login(office.people["dispatcher"])
    html = client.get(reverse("cases:list"), {"inbox": "dispatch"}).content.decode()
    assert 'data-testid="bulk-dispatch"' in html
    assert f'value="{a.number}:{a.version}"' in html
    response = client.post(reverse("cases:dispatch_batch"),
                           {"case": [f"{a.number}:{a.version}"]}, follow=True)
    assert "已交办 1 件" in response.content.decode()
    assert Case.objects.get(pk=a.pk).status == Status.HANDLING
    assert Case.objects.get(pk=b.pk).status == Status.REGISTERED
    # Other inboxes and other roles have no pick column.
    assert 'data-testid="bulk-dispatch"' not in client.get(
        reverse("cases:list"), {"inbox": "all"}).content.decode()
    mediator = Client()
    mediator.force_login(office.people["mediator"])
    assert mediator.post(reverse("cases:dispatch_batch"),
                         {"case": [f"{b.number}:{b.version}"]}).status_code == 403
    assert Case.objects.get(pk=b.pk).status == Status.REGISTERED
