"""Audit event types have labels in both languages (issue 13, point 8)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from civicgrid.accounts.roles import Role
from civicgrid.audit.events import LABELS, AuditEventType, event_label
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record


def test_every_event_type_has_its_own_label():
    assert set(LABELS) == set(AuditEventType)
    with translation.override("zh-hans"):
        chinese = [str(label) for label in LABELS.values()]
    assert len(set(chinese)) == len(chinese)
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in chinese)


def test_the_label_follows_the_language_and_an_unknown_type_shows_as_stored():
    with translation.override("zh-hans"):
        assert event_label("auth.login") == "登录"
    with translation.override("en"):
        assert event_label("auth.login") == translation.gettext("登录") != "登录"
    assert event_label("retired.type") == "retired.type"


def _client(world, language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(world.users[Role.AUDITOR])
    return client


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "登录"), ("en", "Sign in")])
def test_the_audit_pages_show_the_label_with_the_stored_type(world, language, label):
    audit_record(actor=world.users[Role.HANDLER], event_type=AuditEventType.LOGIN)
    entry = AuditEntry.objects.order_by("-id").first()
    client = _client(world, language)
    listing = client.get(reverse("audit:list")).content.decode()
    assert f'<option value="auth.login">{label}</option>' in listing
    assert f'{label} <code class="small text-secondary">auth.login</code>' in listing
    detail = client.get(reverse("audit:detail", args=[entry.pk])).content.decode()
    assert f"<h2 class=\"page-title\">{label}</h2>" in detail
    assert "<code>auth.login</code>" in detail


@pytest.mark.django_db
def test_the_record_names_its_subject_in_chinese_whatever_the_writers_language():
    from civicgrid.cases.models import Category

    category = Category.objects.get(code="0102")  # built in, with an English name
    with translation.override("en"):
        entry = audit_record(actor=None, username="system", event_type=AuditEventType.ADMIN_CHANGE,
                             subject=category)
        assert str(category) == "0102 Neighbour disputes"
    assert entry.subject_repr == "0102 邻里纠纷"


@pytest.mark.parametrize(("language", "label"),
                         [("zh-hans", "登录失败"), ("en", "Failed sign-ins")])
def test_the_auditors_workspace_shows_the_label_of_a_failed_event(world, language, label):
    audit_record(actor=None, username="intruder", event_type=AuditEventType.LOGIN_FAILED,
                 success=False)
    page = _client(world, language).get(reverse("core:home")).content.decode()
    assert re.search(rf"</a></td><td>{re.escape(label)}</td><td>intruder</td>", page), page
