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
from civicgrid.reports.selectors import public_release, release_data
from civicgrid.reports.services import release_publish
from civicgrid.reports.tests.conftest import at, last_month, make_cases
from civicgrid.reports.tests.pages import page_numbers


@pytest.fixture
def month(office):
    make_cases(office, 7, at(last_month().replace(day=4)))
    return last_month()


def state():
    return (list(MonthlyRelease.objects.values()), AuditEntry.objects.count())


def test_publish_freezes_both_versions_and_is_audited(office, month, reader):
    county = office.world.county
    expected = release_data(area=county, month=month)
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
    assert release_data(area=county, month=month)["columns"]["current"]["counts"][
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
