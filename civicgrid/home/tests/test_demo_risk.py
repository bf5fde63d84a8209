"""The demo's major matters stand where the story says (civicgrid/home/demo_risk.py)."""

from __future__ import annotations

from civicgrid.home.demo import demo_seed
from civicgrid.home.demo_cases import demo_cases_seed
from civicgrid.home.demo_risk import demo_risk_seed
from civicgrid.risk.models import Comment, Hearing, Matter


def test_matters_at_every_stage(db):
    demo_seed()
    demo_cases_seed(count=80)
    assert demo_risk_seed() == 6
    rows = {m.kind.code: m for m in Matter.objects.select_related("kind")}

    def level(code: str) -> str:
        return rows[code].assessments.exclude(status="superseded").get().level

    assert (rows["urban_construction"].status, level("urban_construction")) == (
        "implemented", "medium")  # 860 people: at least medium
    assert (rows["land_acquisition"].status, level("land_acquisition")) == ("decided", "high")
    assert rows["land_acquisition"].decisions.get().kind == "postpone"
    assert (rows["education"].status, level("education")) == ("implemented", "low")
    assert rows["environment"].status == "assessing"
    assert rows["price"].status == "assessing"
    assert (rows["health"].status, rows["health"].exemption_status) == ("registered",
                                                                       "requested")
    published = Hearing.objects.get(matter=rows["urban_construction"])
    assert published.status == "published" and published.minutes_signed_by == "陈建国"
    assert not Comment.objects.filter(hearing=published, disposition="").exists()
    assert Comment.objects.filter(hearing=published, masked=True).count() == 1
    assert "138****5678" in Comment.objects.get(hearing=published, masked=True).text
    selected = published.registrations.filter(status="selected").count()
    assert selected == 7  # 9 registered: 7 residents for 5 seats, 2 in groups with room
    assert published.activities.get().assessment.matter == rows["urban_construction"]
    open_now = Hearing.objects.get(matter=rows["environment"])
    assert open_now.status == "noticed" and open_now.registrations.count() == 7
    assert demo_risk_seed() == 0  # idempotent
