"""Weekly checks and area warnings for the demo district, made through the real services.

Every street and community files its weekly check for the last eight due weeks (most on
time, many of them zero reports, some late, a few corrected, a few missing), and some
already file the week that is still open. The due job then reminds the missing reporters
of the last due week, and the area statuses are computed for each of the last seven days
and today, so the status pages show history and changes.

The statuses of past days are computed from today's case data (registered before that
day), an approximation good enough for a demo. Idempotent: when the demo district
already has weekly checks nothing is added (today's statuses are computed if missing).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.models import Area, Level
from civicgrid.warnings.models import AreaStatus, WeeklyCheck
from civicgrid.warnings.selectors import check_settings
from civicgrid.warnings.services import (
    CheckInput,
    area_status_evaluate,
    area_status_evaluate_due,
    check_reminders_send,
    rules_ensure_defaults,
    weekly_check_submit,
)
from civicgrid.warnings.weeks import SHANGHAI, WEEK, due_at, last_due_week, local_date

DUE_WEEKS = 8
NOTES = [
    "邻里噪音纠纷一起,已现场调解。",
    "小区停车位争议,已联系物业协商。",
    "排查出租房一处消防通道堵塞,已督促清理。",
    "家庭矛盾一起,社区调委会跟进。",
    "工地欠薪苗头,已报街道劳动保障所。",
    "老旧小区外墙脱落隐患,已设置警示并上报。",
]


def _data(rng: random.Random) -> CheckInput:
    if rng.random() < 0.55:
        return CheckInput(is_zero=True)
    found = rng.choice([0, 1, 1, 2, 2, 3, 4])
    risks = rng.choice([0, 0, 1, 1, 2]) if found else rng.randint(1, 2)
    return CheckInput(disputes_found=found, resolved_on_spot=rng.randint(0, found),
                      risk_points=risks, notes=rng.choice(NOTES) if rng.random() < 0.6 else "")


def _submitter(area: Area, people: dict[str, User]) -> User | None:
    """The community's grid leader (网格长); for the first street its dispatcher; otherwise
    the system (the demo has no named staff there)."""
    if area.level == Level.COMMUNITY:
        return people.get(f"gl{area.code}")
    return people.get(area.code)


@transaction.atomic
def demo_warnings_seed(*, seed: int = 2026, now: datetime | None = None) -> int:
    """Weekly checks for the demo district and its area statuses; returns how many checks
    were created (0 when it has them already)."""
    now = now or timezone.now()
    rules_ensure_defaults()
    if not Area.objects.filter(code=COUNTY_CODE).exists():
        return 0
    if WeeklyCheck.objects.filter(area_code__startswith=COUNTY_CODE).exists():
        area_status_evaluate_due(now=now)
        return 0
    rng = random.Random(seed + 7)  # noqa: S311  (demo data, not security)
    cfg = check_settings()
    reporters = list(Area.objects.filter(code__startswith=COUNTY_CODE,
                                         level__in=cfg.reporter_levels).order_by("code"))
    people: dict[str, User] = {u.username: u for u in User.objects.filter(
        username__in=[f"gl{a.code}" for a in reporters])}
    street1 = User.objects.filter(username="street1").first()
    if street1 is not None:
        area = street1.jurisdictions.select_related("area").first()
        if area is not None:
            people[area.area.code] = street1

    last = last_due_week(now, cfg)
    made = 0
    for age in range(DUE_WEEKS - 1, -1, -1):  # oldest first
        week = last - WEEK * age
        due = due_at(week, cfg)
        missing_rate = 0.12 if age == 0 else 0.05
        for area in reporters:
            roll = rng.random()
            if roll < missing_rate:
                continue
            if roll < missing_rate + 0.12:  # late: up to two days after the due time
                when = due + timedelta(minutes=rng.randint(5, 48 * 60))
            else:  # between Friday afternoon and an hour before the due time
                start = datetime.combine(week + timedelta(days=4), time(14), tzinfo=SHANGHAI)
                span = int((due - start).total_seconds() // 60) - 60
                when = start + timedelta(minutes=rng.randint(0, span))
            if when > now:
                continue
            actor = _submitter(area, people)
            weekly_check_submit(area=area, week=week, data=_data(rng), actor=actor, now=when)
            made += 1
            if rng.random() < 0.05:  # a correction a day later
                later = min(when + timedelta(hours=rng.randint(2, 30)), now)
                weekly_check_submit(area=area, week=week, data=_data(rng), actor=actor,
                                    now=later)
    # The week still open: some have filed already.
    open_week = last + WEEK
    start = datetime.combine(open_week + timedelta(days=4), time(14), tzinfo=SHANGHAI)
    if now > start:
        for area in reporters:
            if rng.random() < 0.45:
                when = start + timedelta(seconds=rng.randint(
                    0, int((now - start).total_seconds())))
                weekly_check_submit(area=area, week=open_week, data=_data(rng),
                                    actor=_submitter(area, people), now=when)
                made += 1

    check_reminders_send(now=min(due_at(last, cfg) + timedelta(hours=1), now))
    if not AreaStatus.objects.filter(area_code__startswith=COUNTY_CODE).exists():
        today = local_date(now)
        for back in range(7, 0, -1):
            day = today - timedelta(days=back)
            area_status_evaluate(now=datetime.combine(day, time(6), tzinfo=SHANGHAI))
    area_status_evaluate_due(now=now)
    return made
