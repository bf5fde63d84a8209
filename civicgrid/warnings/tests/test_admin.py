"""Administrators set the reporting levels and due time, excuse or add areas and tune the
rules in the admin; every change is audited; invalid rules are refused."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.warnings.models import CheckSettings, ReporterOverride, WarningRule


@pytest.fixture
def admin_client(world):
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    return client


def test_settings_change_is_audited_and_the_row_cannot_be_added_or_deleted(admin_client):
    url = reverse("admin:warnings_checksettings_change", args=[1])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"report_street": "on", "report_community": "on",
                                       "due_weekday": "1", "due_hour": "18"})
    assert response.status_code == 302, response.content.decode()[:2000]
    cfg = CheckSettings.objects.get(pk=1)
    assert (cfg.due_weekday, cfg.due_hour) == (1, 18)
    assert AuditEntry.objects.filter(event_type="admin.change",
                                     subject_type="warnings.checksettings").exists()
    assert admin_client.get(reverse("admin:warnings_checksettings_add")).status_code == 403
    assert admin_client.get(reverse("admin:warnings_checksettings_delete", args=[1])) \
        .status_code == 403
    # An hour out of range is refused.
    response = admin_client.post(url, {"report_street": "on", "due_weekday": "0",
                                       "due_hour": "24"})
    assert response.status_code == 200
    assert CheckSettings.objects.get(pk=1).due_hour == 18


def test_override_weeks_are_moved_to_their_monday(world, admin_client):
    response = admin_client.post(reverse("admin:warnings_reporteroverride_add"), {
        "area": world.community_a.pk, "mode": "excused", "since": "2026-03-04",
        "until": "2026-03-29", "note": "社区合并过渡期"})
    assert response.status_code == 302, response.content.decode()[:2000]
    override = ReporterOverride.objects.get()
    assert (override.since, override.until) == (date(2026, 3, 2), date(2026, 3, 23))
    assert AuditEntry.objects.filter(event_type="admin.add",
                                     subject_type="warnings.reporteroverride").exists()


@pytest.mark.parametrize("data, error", [
    ({"kind": "rise", "measure": "count"}, "这一类规则不能使用该计量方式。"),
    ({"yellow_threshold": "5", "red_threshold": "3"}, "红色阈值不能低于黄色阈值。"),
    ({"yellow_threshold": "", "red_threshold": ""}, "请至少填写黄色或红色阈值之一。"),
    ({"for_county": "", "for_street": "", "for_community": ""}, "请至少选择一个适用层级。"),
])
def test_invalid_rules_are_refused(admin_client, data, error):
    before = WarningRule.objects.count()
    form = {"name": "测试", "kind": "overdue", "measure": "count", "yellow_threshold": "1",
            "red_threshold": "3", "min_count": "0", "for_county": "on", "for_street": "on",
            "for_community": "on", "active": "on"}
    form.update(data)
    form = {k: v for k, v in form.items() if v != ""}
    response = admin_client.post(reverse("admin:warnings_warningrule_add"), form)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert WarningRule.objects.count() == before


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.LEADER, Role.AUDITOR])
def test_only_administrators(world, role):
    client = Client()
    client.force_login(world.users[role])
    assert client.get(reverse("admin:warnings_warningrule_changelist")).status_code == 403
