"""The weekly checks' records for the permission-matrix test (civicgrid.testing.SAMPLES): a
conflict between two edits of community A's check (in every street-A user's scope) and one
of community B's, each made by the services as two phones make it."""

from __future__ import annotations

from datetime import date, datetime

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.testing import register_samples
from civicgrid.warnings.models import CheckConflict
from civicgrid.warnings.services import CheckInput, weekly_check_merge, weekly_check_submit
from civicgrid.warnings.weeks import SHANGHAI

WEEK = date(2026, 3, 2)


def sample_conflict(world, community: Area) -> CheckConflict:
    existing = CheckConflict.objects.filter(check_row__area=community).first()
    if existing:
        return existing
    actor = world.users[Role.SUPERVISOR] if community == world.community_a else None
    moment = datetime(2026, 3, 5, 9, tzinfo=SHANGHAI)
    weekly_check_submit(area=community, week=WEEK, data=CheckInput(disputes_found=2),
                        actor=actor, now=moment)
    if actor is None:  # (street B has no supervisor in the world: the system submits)
        weekly_check_submit(area=community, week=WEEK, data=CheckInput(disputes_found=3),
                            actor=None, now=moment)
        check = community.weekly_checks.get(week=WEEK)
        return CheckConflict.objects.create(
            check_row=check, field="disputes_found", base_revision=1, kept_value=3,
            offered_value=4, created_at=moment)
    weekly_check_merge(area=community, week=WEEK, base_revision=1, actor=actor, now=moment,
                       data=CheckInput(disputes_found=3))
    weekly_check_merge(area=community, week=WEEK, base_revision=1, actor=actor, now=moment,
                       data=CheckInput(disputes_found=4))
    return CheckConflict.objects.get(check_row__area=community)


register_samples(CheckConflict, lambda world: sample_conflict(world, world.community_a),
                 lambda world: sample_conflict(world, world.community_b))
