"""The rule on disputes about one major matter (kind `matter_disputes`): the matter's
owning area gets the warning with a reason naming the matter, and the matter a
re-assessment suggestion, once. Expectations stated by hand."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, Status
from civicgrid.cases.tests.conftest import new_case
from civicgrid.notices.models import Notice
from civicgrid.risk import figures
from civicgrid.risk.models import Assessment, Matter, MatterStatus
from civicgrid.risk.tests.followup_rows import matter
from civicgrid.testing import build_office, shared
from civicgrid.warnings import selectors
from civicgrid.warnings.models import AreaStatus, WarningRule
from civicgrid.warnings.services import area_status_evaluate

office_once, office = shared(build_office, name="office")


@pytest.fixture
def rule(office):
    """Only the matter rule, yellow from 3 disputes, red from 6."""
    WarningRule.objects.exclude(kind="matter_disputes").update(active=False)
    row = WarningRule.objects.get(kind="matter_disputes")  # loaded with the defaults
    assert (row.yellow_threshold, row.red_threshold) == (5, 10)  # the shipped values
    WarningRule.objects.filter(pk=row.pk).update(yellow_threshold=3, red_threshold=6)
    return WarningRule.objects.get(pk=row.pk)


def _status(area, now):
    return AreaStatus.objects.get(area=area, day=timezone.localtime(now).date())


def _disputes(office, row, n):
    return [new_case(office, matter=row) for _ in range(n)]


def test_disputes_over_the_threshold_warn_the_owning_area_and_suggest_once(office, rule):
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now() - timedelta(days=90),
                 title="桃坞加装电梯", registered_by=office.people["dispatcher"])
    counted = _disputes(office, row, 3)
    # Not counted: a petition about it, a rejected and a merged dispute, one from before
    # the window, one not tagged.
    new_case(office, matter=row, category=office.petition, area=w.grid_a1,
             actor=office.people["county_dispatcher"])
    rejected, merged, old = _disputes(office, row, 3)
    Case.objects.filter(pk=rejected.pk).update(status=Status.REJECTED)
    Case.objects.filter(pk=merged.pk).update(status=Status.MERGED, merged_into=counted[0])
    Case.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(days=31))
    new_case(office)
    now = timezone.now()
    found = selectors.matter_disputes(now=now)
    assert [(m.number, m.count) for m in found] == [(row.number, 3)]

    report = area_status_evaluate(now=now)
    status = _status(w.community_a, now)
    assert status.status == "yellow"
    [reason] = status.reasons
    assert (reason["kind"], reason["value"], reason["threshold"]) == ("matter_disputes", 3, 3)
    assert row.number in reason["text"] and "桃坞加装电梯" in reason["text"]
    # The owning area only: the street and the county stay green.
    assert _status(w.street_a, now).status == "green"
    assert _status(w.county, now).status == "green"
    assert report.reassessments == [row.number]
    row.refresh_from_db()
    assert row.reassessment_suggested_at == now
    assert "3 件" in row.reassessment_reason and rule.name in row.reassessment_reason
    entry = AuditEntry.objects.filter(event_type="matter.reassessment_suggested").get()
    assert entry.subject_id == str(row.pk)
    notices = Notice.objects.filter(text_key="matter_reassessment_suggested")
    # the responsible unit (street A committee) and the person who registered the matter
    assert {(n.user_id, n.unit_id) for n in notices} == {
        (office.people["dispatcher"].pk, None), (None, w.unit_a.pk)}
    assert all(n.area_id == w.community_a.pk for n in notices)

    # Still above the next day, and one more dispute: the warning stays, no new suggestion.
    _disputes(office, row, 1)
    later = now + timedelta(days=1)
    report = area_status_evaluate(now=later)
    assert report.reassessments == []
    assert _status(w.community_a, later).reasons[0]["value"] == 4
    row.refresh_from_db()
    assert row.reassessment_suggested_at == now
    assert AuditEntry.objects.filter(event_type="matter.reassessment_suggested").count() == 1
    assert notices.count() == 2


def test_below_the_threshold_nothing_is_suggested_and_red_above_red(office, rule):
    w = office.world
    quiet = matter(w.community_a, w.unit_a, registered_at=timezone.now(), title="安静事项")
    loud = matter(w.community_b, w.unit_b, registered_at=timezone.now(), title="濠西道路改造")
    _disputes(office, quiet, 2)
    for _ in range(6):
        new_case(office, matter=loud, area=w.grid_b1, actor=office.people["county_dispatcher"])
    now = timezone.now()
    report = area_status_evaluate(now=now)
    assert _status(w.community_a, now).status == "green"
    assert _status(w.community_b, now).status == "red"
    assert report.reassessments == [loud.number]
    assert Matter.objects.get(pk=quiet.pk).reassessment_suggested_at is None


def test_a_withdrawn_matter_is_not_followed_up_and_an_inactive_rule_does_nothing(office, rule):
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now())
    _disputes(office, row, 3)
    Matter.objects.filter(pk=row.pk).update(status=MatterStatus.WITHDRAWN)
    now = timezone.now()
    assert area_status_evaluate(now=now).reassessments == []
    assert _status(w.community_a, now).status == "green"
    Matter.objects.filter(pk=row.pk).update(status=MatterStatus.REGISTERED)
    WarningRule.objects.filter(pk=rule.pk).update(active=False)
    assert area_status_evaluate(now=now).reassessments == []
    assert Matter.objects.get(pk=row.pk).reassessment_suggested_at is None


@pytest.mark.parametrize("status", [MatterStatus.ASSESSING, MatterStatus.AWAITING_DECISION])
def test_a_matter_being_assessed_warns_but_is_not_suggested_again(office, rule, status):
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now())
    _disputes(office, row, 3)
    Matter.objects.filter(pk=row.pk).update(status=status)
    now = timezone.now()
    assert area_status_evaluate(now=now).reassessments == []
    assert _status(w.community_a, now).status == "yellow"  # the warning stands
    assert Matter.objects.get(pk=row.pk).reassessment_suggested_at is None


def test_the_followup_figure_uses_the_rule_threshold_and_the_same_window(office, rule):
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now())
    _disputes(office, row, 3)
    new_case(office, matter=row, category=office.petition, area=w.grid_a1,
             actor=office.people["county_dispatcher"])
    assert selectors.matter_dispute_threshold() == 3
    now = timezone.now()
    assert figures.followup_window_start(now) == selectors.matter_window_start(now)
    assert figures.FOLLOWUP_DAYS == selectors.MATTER_WINDOW_DAYS
    followup = figures.matter_followup(row, now=now)
    assert (followup.total, followup.open, followup.closed) == (4, 4, 0)
    assert (followup.disputes_recent, followup.threshold, followup.over) == (3, 3, True)
    assert {k.kind: k.total for k in followup.kinds} == {"dispute": 3, "petition": 1}


def test_the_followup_partial_links_each_count_to_the_same_cases(office, rule):
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now(), title="桃坞加装电梯")
    disputes = _disputes(office, row, 3)
    Case.objects.filter(pk=disputes[0].pk).update(status=Status.CLOSED)
    Case.objects.filter(pk=disputes[1].pk).update(status=Status.REJECTED)
    old = new_case(office, matter=row)
    Case.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(days=40))
    new_case(office, matter=row, category=office.petition, area=w.grid_a1,
             actor=office.people["county_dispatcher"])
    followup = figures.matter_followup(row)
    # valid: 2 disputes in the window (one closed) + the old dispute + the petition = 4;
    # the rejected one is left out; open 3, closed 1; disputes in the window: 2
    assert (followup.total, followup.open, followup.closed, followup.excluded) == (4, 3, 1, 1)
    assert (followup.disputes_recent, followup.threshold, followup.over) == (2, 3, False)
    html = render_to_string("risk/partials/matter_followup.html", {"followup": followup})
    links = dict(re.findall(r'href="([^"]+)" data-count="(\w+)"', html))
    by_count = {name: unescape(url) for url, name in links.items()}
    assert set(by_count) == {"total", "open", "closed", "disputes_recent"}
    client = Client()
    client.force_login(office.people["county_dispatcher"])  # sees every case of the county
    expected = {"total": 4, "open": 3, "closed": 1, "disputes_recent": 2}
    for name, url in by_count.items():
        page = client.get(url).content.decode()
        total = re.search(r'data-testid="drill-total">(\d+)<', page)
        assert total and int(total.group(1)) == expected[name], (name, url)


def test_a_reassessment_that_weighed_the_disputes_is_not_suggested_again_for_them(office, rule):
    """Three disputes, a suggestion; the re-assessment starts and is decided within the
    window: the next evaluation does not suggest again for the same three disputes — only
    three new ones since the assessment began do."""
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now() - timedelta(days=90))
    old = _disputes(office, row, 3)
    ten_days_ago = timezone.now() - timedelta(days=10)
    Case.objects.filter(pk__in=[c.pk for c in old]).update(registered_at=ten_days_ago)
    assert area_status_evaluate(now=timezone.now()).reassessments == [row.number]
    # the re-assessment begins five days ago (the services clear the suggestion) and is
    # decided: the matter is back to 已决策
    Assessment.objects.create(matter=row, round=1, plan="p", assessor_unit=w.unit_a,
                              status="decided", level="low", started_at=ten_days_ago
                              + timedelta(days=5))
    Matter.objects.filter(pk=row.pk).update(status=MatterStatus.DECIDED,
                                            reassessment_suggested_at=None)
    now = timezone.now()
    assert area_status_evaluate(now=now).reassessments == []
    assert _status(w.community_a, now).status == "yellow"  # the area's warning stands
    _disputes(office, row, 3)  # new since the assessment began
    assert area_status_evaluate(now=timezone.now()).reassessments == [row.number]


def test_the_window_is_today_and_the_29_days_before_in_shanghai(office, rule):
    """Evaluated at 2026-06-30 10:00 (Shanghai): a dispute registered at 00:00 on 06-01 is
    counted, one at 23:59 on 05-31 is not (expectations by hand, not from the code)."""
    w = office.world
    row = matter(w.community_a, w.unit_a, registered_at=timezone.now() - timedelta(days=120))
    inside, outside, latest = _disputes(office, row, 3)
    shanghai = timezone.get_fixed_timezone(8 * 60)
    now = datetime(2026, 6, 30, 10, 0, tzinfo=shanghai)
    Case.objects.filter(pk=inside.pk).update(registered_at=datetime(2026, 6, 1, 0, 0,
                                                                    tzinfo=shanghai))
    Case.objects.filter(pk=outside.pk).update(registered_at=datetime(2026, 5, 31, 23, 59,
                                                                     tzinfo=shanghai))
    Case.objects.filter(pk=latest.pk).update(registered_at=datetime(2026, 6, 30, 9, 59,
                                                                    tzinfo=shanghai))
    assert [(m.number, m.count) for m in selectors.matter_disputes(now=now)] == [
        (row.number, 2)]
