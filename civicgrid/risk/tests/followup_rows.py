"""Matters and assessments made directly with the models, for the follow-up and figures
tests (the matter services are written apart)."""

from __future__ import annotations

from datetime import date, datetime

from civicgrid.areas.models import Area
from civicgrid.risk.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    DecisionKind,
    ExemptionStatus,
    Matter,
    MatterArea,
    MatterKind,
    MatterStatus,
)
from civicgrid.units.models import Unit
from civicgrid.workcalendar.calendar import SHANGHAI

_numbers = iter(range(1, 100000))


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def matter(area: Area, unit: Unit, *, registered_at: datetime, required: bool = True,
           exemption: str = ExemptionStatus.NONE, status: str = MatterStatus.REGISTERED,
           title: str = "", registered_by=None) -> Matter:
    n = next(_numbers)
    row = Matter.objects.create(
        number=f"ZD-T-{n:04d}", title=title or f"测试事项{n}", summary="概要",
        kind=MatterKind.objects.get(code="urban_construction"), area=area,
        area_code=area.code, responsible_unit=unit, deciding_body="街道党工委会议",
        assessment_required=required, exemption_status=exemption,
        exemption_reason="紧急情况" if exemption else "", status=status,
        registered_at=registered_at, registered_by=registered_by)
    MatterArea.objects.create(matter=row, area=area, area_code=area.code)
    return row


def assess(row: Matter, unit: Unit, *, status: str = AssessmentStatus.RATED,
           level: str = "low", round: int = 1) -> Assessment:  # noqa: A002
    return Assessment.objects.create(
        matter=row, round=round, plan="问卷与座谈", assessor_unit=unit, status=status,
        level=level if status != AssessmentStatus.OPEN else "", started_at=row.registered_at,
        rated_at=None if status == AssessmentStatus.OPEN else row.registered_at)


def figure_rows(world) -> dict[str, Matter]:
    """The matters (A: community A in street A; B: community B in street B):

    | matter | area | registered (Shanghai) | required | exemption / status | assessment | in |
    |---|---|---|---|---|---|---|
    | m1 | A | 03-05 | yes | — | rated, low | Mar num+den |
    | m2 | A | 03-10 | yes | — | open | Mar den |
    | m3 | A | 03-11 | yes | exempted | — | — |
    | m4 | A | 03-12 | yes | withdrawn | rated, low | — |
    | m5 | A | 03-13 | no | — | — | — |
    | m6 | A | 03-14 | yes | — | reported, medium | Mar num+den |
    | m7 | A | 03-31 23:30 | yes | — | — | Mar den |
    | m8 | A | 04-01 00:10 | yes | — | decided, high | Apr num+den |
    | m12 | A | 04-02 | yes | — | round 1 superseded (high), round 2 open | Apr num+den |
    | m9 | B | 03-06 | yes | — | decided, high | Mar num+den |
    | m10 | B | 03-07 | yes | exemption requested (not approved) | — | Mar den |
    | m11 | B | 03-08 | yes | — | rated, low | Mar num+den |
    """
    w = world
    a, b, ua, ub = w.community_a, w.community_b, w.unit_a, w.unit_b
    m = {
        "m1": matter(a, ua, registered_at=at(2026, 3, 5)),
        "m2": matter(a, ua, registered_at=at(2026, 3, 10)),
        "m3": matter(a, ua, registered_at=at(2026, 3, 11), exemption=ExemptionStatus.APPROVED),
        "m4": matter(a, ua, registered_at=at(2026, 3, 12), status=MatterStatus.WITHDRAWN),
        "m5": matter(a, ua, registered_at=at(2026, 3, 13), required=False),
        "m6": matter(a, ua, registered_at=at(2026, 3, 14)),
        "m7": matter(a, ua, registered_at=at(2026, 3, 31, 23).replace(minute=30)),
        "m8": matter(a, ua, registered_at=at(2026, 4, 1, 0).replace(minute=10)),
        "m12": matter(a, ua, registered_at=at(2026, 4, 2)),
        "m9": matter(b, ub, registered_at=at(2026, 3, 6)),
        "m10": matter(b, ub, registered_at=at(2026, 3, 7), exemption=ExemptionStatus.REQUESTED),
        "m11": matter(b, ub, registered_at=at(2026, 3, 8)),
    }
    assess(m["m1"], ua, level="low")
    assess(m["m2"], ua, status=AssessmentStatus.OPEN)
    assess(m["m4"], ua, level="low")
    assess(m["m6"], ua, status=AssessmentStatus.REPORTED, level="medium")
    assess(m["m8"], ua, status=AssessmentStatus.DECIDED, level="high")
    assess(m["m12"], ua, status=AssessmentStatus.SUPERSEDED, level="high")
    assess(m["m12"], ua, status=AssessmentStatus.OPEN, round=2)
    assess(m["m9"], ub, status=AssessmentStatus.DECIDED, level="high")
    assess(m["m11"], ub, level="low")
    decide = {"decided_on": date(2026, 3, 20), "body": "党工委会议", "minutes": "纪要",
              "recorded_at": at(2026, 3, 20)}
    Decision.objects.create(matter=m["m1"], kind=DecisionKind.IMPLEMENT, **decide)
    Decision.objects.create(matter=m["m9"], kind=DecisionKind.POSTPONE, **decide)
    Decision.objects.create(matter=m["m6"], kind=DecisionKind.REJECT, superseded=True, **decide)
    return m


