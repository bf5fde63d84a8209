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
from civicgrid.reports.services import release_correct, release_publish
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


def test_publish_freezes_both_versions_and_is_audited(office, month, reader):
    county = office.world.county
    expected = release_data(actor=reader, area=county, month=month)
    release = release_publish(district=county, month=month, actor=reader)
    assert (release.district, release.month, release.public, release.published_by) == (
        county, month, True, reader)
    internal = release.snapshot["internal"]
    assert internal["columns"] == expected["columns"]
    assert internal["flags"] == expected["flags"]
    assert release.snapshot["public"] == public_release(expected)
    entry = AuditEntry.objects.get(event_type="report.release_published")
    assert (entry.actor, entry.subject_type, entry.subject_id, entry.success) == (
        reader, "reports.monthlyrelease", str(release.pk), True)
    assert entry.details["district"] == county.code
    assert entry.details["month"] == f"{month:%Y-%m}"
    assert entry.details["counts"]["total"] == 7
    assert audit_verify_chain().ok


def test_later_corrections_do_not_change_what_was_published(office, month, reader):
    county = office.world.county
    client = Client()
    client.force_login(reader)
    urls = (f"/reports/{county.code}/release/?month={month:%Y-%m}",
            f"/reports/{county.code}/release/?month={month:%Y-%m}&version=public",
            f"/reports/public/release/?district={county.code}&month={month:%Y-%m}")

    def shown():
        return [page_numbers(client.get(url).content).rows for url in urls]

    release_publish(district=county, month=month, actor=reader)
    published = shown()
    assert published[0][("release", "total")][0] == "7"
    make_cases(office, 5, at(month.replace(day=9)))  # registered late, in the same month
    assert release_data(actor=reader, area=county, month=month)["columns"]["current"]["counts"][
        "total"] == 12
    assert shown() == published


def test_refusals_change_nothing(office, month, reader):
    w = office.world
    release_publish(district=w.county, month=month, actor=reader)
    before = state()
    this_month = timezone.localdate().replace(day=1)
    refusals = [
        (ValidationError, {"district": w.county, "month": month, "actor": reader}),  # again
        (ValidationError, {"district": w.county, "month": this_month, "actor": reader}),
        (ValidationError, {"district": w.county, "month": this_month + timedelta(days=40),
                               "actor": reader}),
        (ValidationError, {"district": w.street_a, "month": month,
                               "actor": w.users[Role.SUPERVISOR]}),  # not a district
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": w.users[Role.SUPERVISOR]}),  # street scope
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": w.users[Role.LEADER]}),  # reads, does not publish
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": w.users[Role.ADMINISTRATOR]}),
        (PermissionDenied, {"district": w.county, "month": month - timedelta(days=40),
                                "actor": None}),
    ]
    for error, kwargs in refusals:
        with pytest.raises(error):
            release_publish(**kwargs)
        assert state() == before, kwargs


def test_a_city_supervisor_may_publish_a_district(office, month):
    city_supervisor = user_create(username="city_sup", password=PASSWORD, display_name="市",
                                  roles=[Role.SUPERVISOR], area_codes=["3206"], actor=None)
    release = release_publish(district=office.world.county, month=month,
                              actor=city_supervisor, public=False)
    assert release.public is False


# --- corrections (更正) ------------------------------------------------------------------

def test_a_correction_is_the_next_version_with_its_reason_and_is_audited(office, month,
                                                                         reader):
    county = office.world.county
    first = release_publish(district=county, month=month, actor=reader)
    frozen = first.snapshot
    make_cases(office, 5, at(month.replace(day=9)))  # registered late, in the same month
    release = release_correct(district=county, month=month, actor=reader,
                              note="  补录 5 件\n迟报事件 ")
    assert (release.version, release.correction_note, release.public, release.published_by) == (
        2, "补录 5 件 迟报事件", True, reader)
    assert release.snapshot["internal"]["columns"]["current"]["counts"]["total"] == 12
    first.refresh_from_db()
    assert first.snapshot == frozen  # the earlier version is kept as it was
    assert release_published(actor=reader, area=county, month=month) == release
    assert [r.version for r in release_versions(actor=reader, area=county, month=month)] == [2, 1]
    entry = AuditEntry.objects.get(event_type="report.release_corrected")
    assert (entry.actor, entry.subject_id) == (reader, str(release.pk))
    assert (entry.details["version"], entry.details["replaces"], entry.details["note"]) == (
        2, first.pk, "补录 5 件 迟报事件")
    assert (entry.details["counts_before"]["total"], entry.details["counts"]["total"]) == (7, 12)
    assert audit_verify_chain().ok
    # Only the newest version is listed and served, to staff and to the public.
    assert public_releases() == [release]
    assert releases_in_scope(actor=reader) == [release]
    assert public_release_for(district_code=county.code, month=month) == release


def test_a_correction_is_shown_in_place_of_the_published_version(office, month, reader):
    county = office.world.county
    client = Client()
    client.force_login(reader)
    internal = f"/reports/{county.code}/release/?month={month:%Y-%m}"
    public = f"/reports/public/release/?district={county.code}&month={month:%Y-%m}"
    release_publish(district=county, month=month, actor=reader)
    page = client.get(internal).content.decode()
    assert 'data-testid="correction-unchanged"' in page
    assert 'data-testid="correct"' not in page
    make_cases(office, 5, at(month.replace(day=9)))
    page = client.get(internal).content.decode()
    assert 'data-testid="correction-changed"' in page and 'data-testid="correct"' in page
    assert page_numbers(page).rows[("release", "total")][0] == "7"  # still the frozen one
    release_correct(district=county, month=month, actor=reader, note="补录迟报事件")
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
    leader = Client()
    leader.force_login(user_create(username="county_leader", password=PASSWORD,
                                   display_name="区领导", roles=[Role.LEADER],
                                   area_codes=[county.code], actor=None))
    page = leader.get(internal).content.decode()
    assert "补录迟报事件" in page and 'data-testid="correction-card"' not in page


def test_refused_corrections_change_nothing(office, month, reader):
    w = office.world
    earlier = month - timedelta(days=40)
    release_publish(district=w.county, month=month, actor=reader)
    make_cases(office, 2, at(month.replace(day=9)))
    before = state()
    refusals = [
        (ValidationError, {"note": ""}),
        (ValidationError, {"note": " \n "}),
        (ValidationError, {"note": "x" * 501}),
        (ValidationError, {"month": earlier.replace(day=1)}),  # never published
        (PermissionDenied, {"actor": w.users[Role.SUPERVISOR]}),  # street scope
        (PermissionDenied, {"actor": w.users[Role.LEADER]}),
        (PermissionDenied, {"actor": w.users[Role.ADMINISTRATOR]}),
        (PermissionDenied, {"actor": None}),
    ]
    for error, changes in refusals:
        kwargs = {"district": w.county, "month": month, "actor": reader, "note": "更正",
                  **changes}
        with pytest.raises(error):
            release_correct(**kwargs)
        assert state() == before, changes
    # Once corrected, a second correction with nothing new is refused.
    release_correct(district=w.county, month=month, actor=reader, note="补录")
    before = state()
    with pytest.raises(ValidationError, match="相同"):
        release_correct(district=w.county, month=month, actor=reader, note="再次")
    assert state() == before


def test_an_internal_release_stays_internal_when_corrected(office, month, reader):
    county = office.world.county
    release_publish(district=county, month=month, actor=reader, public=False)
    make_cases(office, 1, at(month.replace(day=9)))
    release = release_correct(district=county, month=month, actor=reader, note="补录")
    assert release.public is False
    assert public_release_for(district_code=county.code, month=month) is None
    assert public_releases() == []
