"""Administrators edit the calendar in the admin site, and deadlines follow at once."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.audit.models import AuditEntry
from civicgrid.workcalendar.calendar import Deadline, add_working_days
from civicgrid.workcalendar.models import CalendarDay


@pytest.fixture
def admin_client_(administrator):
    client = Client()
    client.force_login(administrator)
    return client


def test_admin_add_and_delete_move_the_deadline(administrator, admin_client_, settings):
    settings.WORKCALENDAR_RECHECK_SECONDS = 3600
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 13), ())
    response = admin_client_.post(
        reverse("admin:workcalendar_calendarday_add"),
        {"date": "2026-10-12", "kind": "holiday", "name": "测试"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get()
    assert day.created_by == administrator
    assert AuditEntry.objects.filter(event_type="admin.add", subject_id=str(day.pk)).exists()
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 14), ())

    response = admin_client_.post(
        reverse("admin:workcalendar_calendarday_delete", args=[day.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 13), ())


def test_admin_bulk_delete_moves_the_deadline(admin_client_, settings):
    settings.WORKCALENDAR_RECHECK_SECONDS = 3600
    admin_client_.post(reverse("admin:workcalendar_calendarday_add"),
                       {"date": "2026-10-12", "kind": "holiday", "name": ""})
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 14), ())
    day = CalendarDay.objects.get()
    response = admin_client_.post(
        reverse("admin:workcalendar_calendarday_changelist"),
        {"action": "delete_selected", "_selected_action": [day.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 13), ())


def test_changelist_renders_and_is_closed_to_other_roles(admin_client_, grid_worker):
    CalendarDay.objects.create(date=date(2031, 10, 1), kind="holiday", name="国庆节")
    response = admin_client_.get(reverse("admin:workcalendar_calendarday_changelist"))
    assert response.status_code == 200
    assert "国庆节" in response.content.decode()
    other = Client()
    other.force_login(grid_worker)
    response = other.get(reverse("admin:workcalendar_calendarday_changelist"))
    assert response.status_code == 403
