"""The Chinese admin shows no English headings: every app has a translatable Chinese name
(issue 13, point 8)."""

from __future__ import annotations

import re

from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import translation

from civicgrid.accounts.roles import Role

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_civicgrid_app_has_a_chinese_name():
    with translation.override("zh-hans"):
        names = {config.label: str(config.verbose_name) for config in apps.get_app_configs()
                 if config.name.startswith("civicgrid.")}
    assert len(names) == 21  # (the apps of config/settings/base.py, counted by hand)
    assert {label: name for label, name in names.items() if not CJK.search(name)} == {}


def test_the_chinese_admin_index_has_chinese_headings(world):
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    page = client.get(reverse("admin:index")).content.decode()
    headings = re.findall(r'class="section"[^>]*>([^<]+)</a>', page)
    assert len(headings) >= 8
    assert [h for h in headings if not CJK.search(h)] == []
    assert "区域与网格" in headings and "事件办理" in headings
