"""Publishing a district's monthly safety data release: who, when, what is frozen, what is
recorded, and that a refused publish changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_verify_chain
from civicgrid.conftest import PASSWORD
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.selectors import (
    public_release,
    public_release_for,
    public_releases,
    release_data,
    release_published,
    release_versions,
    releases_in_scope,
)
from civicgrid.reports.services import release_correct, release_digest, release_publish
from civicgrid.reports.tests.conftest import at, last_month, make_cases, office_parts
from civicgrid.reports.tests.pages import page_numbers

# Every test starts from the bare district: built once for the module, rolled back after
# each test (civicgrid/testing.py).
office, world = office_parts()


@pytest.fixture
def month(office):
    make_cases(office, 7, at(last_month().replace(day=4)))
    return last_month()


def state():
    return (list(MonthlyRelease.objects.values()), AuditEntry.objects.count())


def test_publish_freezes_both_versions_and_is_audited(office, month, reader, publisher):
    county = office.world.county
    expected = release_data(actor=reader, area=county, month=month)
    release = release_publish(district=county, month=month, actor=publisher, public=True)
    assert (release.district, release.month, release.public, release.published_by) == (
        county, month, True, publisher)
    internal = release.snapshot["internal"]
    assert internal["columns"] == expected["columns"]
    assert internal["flags"] == expected["flags"]
    assert release.snapshot["public"] == public_release(expected)
    entry = AuditEntry.objects.get(event_type="report.release_published")
    assert (entry.actor, entry.subject_type, entry.subject_id, entry.success) == (
        publisher, "reports.monthlyrelease", str(release.pk), True)
    assert entry.details["district"] == county.code
    assert entry.details["month"] == f"{month:%Y-%m}"
    assert entry.details["counts"]["total"] == 7
    assert audit_verify_chain().ok


def test_later_corrections_do_not_change_what_was_published(office, month, reader,
                                                            publisher):
    county = office.world.county
    client = Client()
    client.force_login(reader)
    urls = (f"/reports/{county.code}/release/?month={month:%Y-%m}",
            f"/reports/{county.code}/release/?month={month:%Y-%m}&version=public",
            f"/reports/public/release/?district={county.code}&month={month:%Y-%m}")

    def shown():
        return [page_numbers(client.get(url).content).rows for url in urls]

    release_publish(district=county, month=month, actor=publisher, public=True)
    published = shown()
    assert published[0][("release", "total")][0] == "7"
    make_cases(office, 5, at(month.replace(day=9)))  # registered late, in the same month
    assert release_data(actor=reader, area=county, month=month)["columns"]["current"]["counts"][
        "total"] == 12
    assert shown() == published


def test_refusals_change_nothing(office, month, reader, publisher):
    w = office.world
    release_publish(district=w.county, month=month, actor=publisher)
    before = state()
    this_month = timezone.localdate().replace(day=1)
    refusals = [
        (ValidationError, {"district": w.county, "month": month, "actor": publisher}),  # again
        (ValidationError, {"district": w.county, "month": this_month, "actor": publisher}),
        (ValidationError, {"district": w.county, "month": this_month + timedelta(days=40),
                               "actor": publisher}),
        (ValidationError, {"district": w.street_a, "month": month,
                               "actor": w.users[Role.LEADER]}),  # not a district
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": reader}),  # a dispatcher reads, does not publish
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": w.users[Role.SUPERVISOR]}),
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": w.users[Role.LEADER]}),  # street scope
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": w.users[Role.ADMINISTRATOR]}),
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": None}),
    ]
    for error, kwargs in refusals:
        with pytest.raises(error):
            release_publish(**kwargs)
        assert state() == before, kwargs


def test_a_city_leader_may_publish_a_district(office, month):
    city_leader = user_create(username="city_lead", password=PASSWORD, display_name="市",
                              roles=[Role.LEADER], area_codes=["3206"], actor=None)
    release = release_publish(district=office.world.county, month=month, actor=city_leader)
    assert release.public is False  # internal unless asked for


# --- corrections (更正) ------------------------------------------------------------------

def test_a_correction_is_the_next_version_with_its_reason_and_is_audited(office, month,
                                                                         reader, publisher):
    county = office.world.county
    first = release_publish(district=county, month=month, actor=publisher, public=True)
    frozen = first.snapshot
    make_cases(office, 5, at(month.replace(day=9)))  # registered late, in the same month
    release = release_correct(district=county, month=month, actor=publisher,
                              note="  补录 5 件\n迟报事件 ")
    assert (release.version, release.correction_note, release.public, release.published_by) == (
        2, "补录 5 件 迟报事件", True, publisher)
    assert release.snapshot["internal"]["columns"]["current"]["counts"]["total"] == 12
    first.refresh_from_db()
    assert first.snapshot == frozen  # the earlier version is kept as it was
    assert release_published(actor=reader, area=county, month=month) == release
    assert [r.version for r in release_versions(actor=reader, area=county, month=month)] == [2, 1]
    entry = AuditEntry.objects.get(event_type="report.release_corrected")
    assert (entry.actor, entry.subject_id) == (publisher, str(release.pk))
    assert (entry.details["version"], entry.details["replaces"], entry.details["note"]) == (
        2, first.pk, "补录 5 件 迟报事件")
    assert (entry.details["counts_before"]["total"], entry.details["counts"]["total"]) == (7, 12)
    assert audit_verify_chain().ok
    # Only the newest version is listed and served, to staff and to the public.
    assert public_releases() == [release]
    assert releases_in_scope(actor=reader) == [release]
    assert public_release_for(district_code=county.code, month=month) == release


def test_a_correction_is_shown_in_place_of_the_published_version(office, month, reader,
                                                                publisher):
    county = office.world.county
    client = Client()
    client.force_login(publisher)
    internal = f"/reports/{county.code}/release/?month={month:%Y-%m}"
    public = f"/reports/public/release/?district={county.code}&month={month:%Y-%m}"
    release_publish(district=county, month=month, actor=publisher, public=True)
    page = client.get(internal).content.decode()
    assert 'data-testid="correction-unchanged"' in page
    assert 'data-testid="correct"' not in page
    make_cases(office, 5, at(month.replace(day=9)))
    page = client.get(internal).content.decode()
    assert 'data-testid="correction-changed"' in page and 'data-testid="correct"' in page
    assert page_numbers(page).rows[("release", "total")][0] == "7"  # still the frozen one
    release_correct(district=county, month=month, actor=publisher, note="补录迟报事件")
    page = client.get(internal).content.decode()
    assert page_numbers(page).rows[("release", "total")][0] == "12"
    assert 'data-testid="release-version"' in page and "补录迟报事件" in page
    assert 'data-version="2"' in page and 'data-version="1"' in page
    assert 'data-testid="correction-unchanged"' in page
    anonymous = Client().get(public).content.decode()
    assert page_numbers(anonymous).rows[("release", "total")][0] == "12"
    assert "更正版(第2版)" in anonymous and "补录迟报事件" in anonymous
    assert "已更正" in Client().get("/reports/public/").content.decode()
    # Readers who may not publish see the correction, not the form.
    dispatcher = Client()
    dispatcher.force_login(reader)
    page = dispatcher.get(internal).content.decode()
    assert "补录迟报事件" in page and 'data-testid="correction-card"' not in page


def test_refused_corrections_change_nothing(office, month, reader, publisher):
    w = office.world
    earlier = month - timedelta(days=40)
    release_publish(district=w.county, month=month, actor=publisher)
    make_cases(office, 2, at(month.replace(day=9)))
    before = state()
    refusals = [
        (ValidationError, {"note": ""}),
        (ValidationError, {"note": " \n "}),
        (ValidationError, {"note": "x" * 501}),
        (ValidationError, {"month": earlier.replace(day=1)}),  # never published
        (PermissionDenied, {"actor": reader}),  # a dispatcher
        (PermissionDenied, {"actor": w.users[Role.SUPERVISOR]}),
        (PermissionDenied, {"actor": w.users[Role.LEADER]}),  # street scope
        (PermissionDenied, {"actor": w.users[Role.ADMINISTRATOR]}),
        (PermissionDenied, {"actor": None}),
    ]
    for error, changes in refusals:
        kwargs = {"district": w.county, "month": month, "actor": publisher, "note": "更正",
                  **changes}
        with pytest.raises(error):
            release_correct(**kwargs)
        assert state() == before, changes
    # Once corrected, a second correction with nothing new is refused.
    release_correct(district=w.county, month=month, actor=publisher, note="补录")
    before = state()
    with pytest.raises(ValidationError, match="相同"):
        release_correct(district=w.county, month=month, actor=publisher, note="再次")
    assert state() == before


def test_an_internal_release_stays_internal_when_corrected(office, month, publisher):
    county = office.world.county
    release_publish(district=county, month=month, actor=publisher, public=False)
    make_cases(office, 1, at(month.replace(day=9)))
    release = release_correct(district=county, month=month, actor=publisher, note="补录")
    assert release.public is False
    assert public_release_for(district_code=county.code, month=month) is None
    assert public_releases() == []


# --- who publishes, and what they confirmed (issue 13, point 6) ---------------------------

def test_a_dispatcher_may_not_publish_and_nothing_changes(office, month, reader):
    """The district's 指挥调度员 (supervisor role) reads the release but does not publish."""
    before = state()
    with pytest.raises(PermissionDenied):
        release_publish(district=office.world.county, month=month, actor=reader, public=True)
    assert state() == before
    assert MonthlyRelease.objects.count() == 0
    assert not AuditEntry.objects.filter(event_type="report.release_published").exists()


def test_the_districts_leader_publishes_internal_unless_asked(office, month, publisher):
    release = release_publish(district=office.world.county, month=month, actor=publisher)
    assert (release.public, release.published_by) == (False, publisher)
    assert AuditEntry.objects.get(event_type="report.release_published").details["public"] \
        is False
    assert public_releases() == []


def test_publishing_refuses_numbers_that_changed_since_they_were_confirmed(office, month,
                                                                           publisher):
    county = office.world.county
    shown = release_digest(release_data(actor=publisher, area=county, month=month),
                           public=True)
    # The digest binds the choice too: what was confirmed as internal is not made public.
    assert shown != release_digest(release_data(actor=publisher, area=county, month=month),
                                   public=False)
    make_cases(office, 2, at(month.replace(day=9)))  # registered late, after the page
    before = state()
    with pytest.raises(ValidationError, match="重新核对"):
        release_publish(district=county, month=month, actor=publisher, public=True,
                        expected=shown)
    with pytest.raises(ValidationError, match="重新核对"):
        release_publish(district=county, month=month, actor=publisher, public=True,
                        expected="")
    assert state() == before
    confirmed = release_digest(release_data(actor=publisher, area=county, month=month),
                               public=True)
    release = release_publish(district=county, month=month, actor=publisher, public=True,
                              expected=confirmed)
    assert release.snapshot["internal"]["columns"]["current"]["counts"]["total"] == 9  # 7 + 2
