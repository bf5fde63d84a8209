"""The demo district's weekly checks and statuses: realistic, and loaded only once."""

from __future__ import annotations

from django.utils import timezone

from civicgrid.areas.models import Area, Level
from civicgrid.home.demo_cases import demo_cases_seed
from civicgrid.home.demo_warnings import demo_warnings_seed
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.warnings.models import AreaStatus, WeeklyCheck, WeeklyCheckRevision
from civicgrid.warnings.selectors import check_settings, missing_reporters
from civicgrid.warnings.weeks import last_due_week, local_date


def _counts() -> dict:
    return {m.__name__: m.objects.count()
            for m in (WeeklyCheck, WeeklyCheckRevision, AreaStatus, Notice)}


def test_demo_has_checks_of_every_kind_and_statuses(demo):
    demo_cases_seed(count=60)
    made = demo_warnings_seed()
    assert made > 100
    checks = WeeklyCheck.objects.all()
    assert checks.filter(is_zero=True).exists() and checks.filter(is_zero=False).exists()
    assert checks.filter(on_time=False).exists() and checks.filter(revision__gt=1).exists()
    week = last_due_week(timezone.now(), check_settings())
    assert missing_reporters(prefix="320602", week=week).exists()
    assert Notice.objects.filter(kind=NoticeKind.WEEKLY_CHECK).exists()
    evaluated = Area.objects.filter(level__in=[Level.COUNTY, Level.STREET, Level.COMMUNITY])
    today = local_date()
    assert AreaStatus.objects.filter(day=today).count() == evaluated.count()
    assert AreaStatus.objects.values("day").distinct().count() == 8
    assert AreaStatus.objects.filter(day=today).exclude(status="green").exists()
    before = _counts()
    assert demo_warnings_seed() == 0
    assert _counts() == before
