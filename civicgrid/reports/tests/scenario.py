"""A month of cases for the report tests: several kinds, channels, grids and statuses,
registered on one day of last month (so the month is complete and can be published), two
of them overdue now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from civicgrid.cases.models import Case, Category, Channel, HandlingLevel, Outcome, Status
from civicgrid.cases.tests.conftest import new_case, sla
from civicgrid.reports.tests.conftest import at, last_month
from civicgrid.stats.rollups import stats_rebuild


def hazard_category() -> Category:
    """A test leaf category of 安全隐患 (codes 9x never meet the built-in taxonomy)."""
    top = Category.objects.create(code="93", name="安全隐患(测试)", kind="hazard",
                                  default_level="street", sla=sla())
    return Category.objects.create(code="9301", name="楼道堆物", parent=top, kind="hazard",
                                   default_level="street", sla=sla())


@dataclass
class Scenario:
    month: date  # last month
    day: date  # the day the cases were registered
    cases: list[Case]


def build(office) -> Scenario:
    w = office.world
    month = last_month()
    day = month.replace(day=10)
    cases: list[Case] = []
    cases += [new_case(office) for _ in range(6)]  # 邻里纠纷, patrol, grid A1
    cases += [new_case(office, area=w.grid_a2, channel=Channel.HOTLINE) for _ in range(2)]
    cases += [new_case(office, category=office.petition, channel=Channel.PETITION_LETTER)
              for _ in range(2)]
    cases += [new_case(office, area=w.grid_b1, channel=Channel.WINDOW) for _ in range(3)]
    cases.append(new_case(office, category=office.labour, attributes={"amount": "5000"}))
    cases.append(new_case(office, category=hazard_category(), area=w.grid_b1))
    when = at(day)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        registered_at=when, stage_started_at=when)
    closed_at = at(day + timedelta(days=2))
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(
        status=Status.CLOSED, outcome=Outcome.MEDIATED, resolved_at=closed_at,
        closed_at=closed_at, closed_on_time=True, closed_level=HandlingLevel.COMMUNITY)
    Case.objects.filter(pk=cases[3].pk).update(status=Status.REJECTED)
    Case.objects.filter(pk=cases[4].pk).update(status=Status.SUSPENDED,
                                               suspended_from=Status.HANDLING)
    now = timezone.now()
    Case.objects.filter(pk__in=[cases[6].pk, cases[10].pk]).update(
        stage_started_at=now - timedelta(days=6), stage_due_at=now - timedelta(days=2))
    stats_rebuild()
    return Scenario(month, day, [Case.objects.get(pk=c.pk) for c in cases])
