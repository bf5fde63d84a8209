"""The risk module's records for the permission-matrix test (civicgrid.testing.SAMPLES): a
matter of community A (in every street-A user's scope) and one of community B, each with
an assessment, a decision and a hearing."""

from __future__ import annotations

from datetime import date, datetime

from civicgrid.areas.models import Area
from civicgrid.risk.models import (
    ActivityKind,
    Assessment,
    AssessmentStatus,
    ConsultationActivity,
    Decision,
    DecisionKind,
    Dimension,
    Hearing,
    HearingStatus,
    Matter,
    MatterArea,
    MatterKind,
    MatterStatus,
    RiskItem,
    RiskLevel,
)
from civicgrid.testing import register_samples
from civicgrid.units.models import Unit
from civicgrid.workcalendar.calendar import SHANGHAI

MOMENT = datetime(2026, 3, 5, 9, tzinfo=SHANGHAI)


def sample_matter(world, community: Area, unit: Unit) -> Matter:
    number = f"ZD-{community.code}"
    existing = Matter.objects.filter(number=number).first()
    if existing:
        return existing
    matter = Matter.objects.create(
        number=number, title=f"{community.name}老旧小区改造", summary="加装电梯与管网改造",
        kind=MatterKind.objects.get(code="urban_construction"), area=community,
        area_code=community.code, responsible_unit=unit, deciding_body="街道党工委会议",
        assessment_required=True, status=MatterStatus.DECIDED, registered_at=MOMENT)
    MatterArea.objects.create(matter=matter, area=community, area_code=community.code)
    assessment = Assessment.objects.create(
        matter=matter, plan="问卷与座谈", assessor_unit=unit, status=AssessmentStatus.DECIDED,
        level=RiskLevel.LOW, rated_at=MOMENT, reported_at=MOMENT, started_at=MOMENT)
    ConsultationActivity.objects.create(assessment=assessment, kind=ActivityKind.FORUM,
                                        held_on=date(2026, 3, 2), record="居民座谈")
    RiskItem.objects.create(assessment=assessment, dimension=Dimension.FEASIBILITY,
                            description="施工扰民", likelihood=2, impact=2,
                            residual_likelihood=2, residual_impact=2)
    Decision.objects.create(matter=matter, assessment=assessment, kind=DecisionKind.IMPLEMENT,
                            decided_on=date(2026, 3, 6), body="街道党工委会议", minutes="同意实施",
                            recorded_at=MOMENT)
    Hearing.objects.create(
        matter=matter, title=f"{community.name}改造方案听证会", starts_at=MOMENT,
        place="社区会议室",
        agenda="方案说明、陈述意见", draft_title="改造方案", registration_closes_at=MOMENT,
        comments_close_at=MOMENT, status=HearingStatus.NOTICED, noticed_at=MOMENT)
    return matter


def _inside(world) -> Matter:
    return sample_matter(world, world.community_a, world.unit_a)


def _outside(world) -> Matter:
    return sample_matter(world, world.community_b, world.unit_b)


register_samples(Matter, _inside, _outside)
register_samples(Assessment, lambda w: _inside(w).assessments.get(),
                 lambda w: _outside(w).assessments.get())
register_samples(Decision, lambda w: _inside(w).decisions.get(),
                 lambda w: _outside(w).decisions.get())
register_samples(Hearing, lambda w: _inside(w).hearings.get(),
                 lambda w: _outside(w).hearings.get())
register_samples(ConsultationActivity, lambda w: _inside(w).assessments.get().activities.get(),
                 lambda w: _outside(w).assessments.get().activities.get())
register_samples(RiskItem, lambda w: _inside(w).assessments.get().items.get(),
                 lambda w: _outside(w).assessments.get().items.get())
