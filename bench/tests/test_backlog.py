"""The backlog of the benchmark (bench/load.py): unaccepted hotline cases that wait in the
dispatch queues of the city's supervisors, and the work-off between two stages."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from bench.city import city_load, city_plan
from bench.load import Timeline, load_backlog, work_off, world_build
from civicgrid.accounts.models import User
from civicgrid.cases.models import Case
from civicgrid.cases.selectors import inbox_counts

NOW = datetime(2026, 12, 5, 2, 30, tzinfo=UTC)  # 10:30 in Asia/Shanghai


@pytest.fixture
def city(db):
    plan = city_plan(grids=300, seed=7)
    world = world_build(plan=plan, index=city_load(plan), seed=7)
    return plan, world


def test_the_backlog_waits_for_dispatch_in_the_queues_of_its_places(city):
    plan, world = city
    timeline = Timeline.build(anchor=NOW, total=2000)
    ids = load_backlog(world, timeline, 200, now=NOW.timestamp())
    assert ids == range(2001, 2201)  # after every id of the timeline
    cases = list(Case.objects.filter(pk__in=ids).select_related("category", "queue_area"))
    assert len(cases) == 200
    statuses = Counter(c.status for c in cases)
    assert statuses.keys() == {"registered", "accepted"} and 130 <= statuses["registered"] <= 190
    boxes = {g.code: g.box for g in plan.grids}
    for case in cases:
        assert case.channel == "hotline" and case.category.kind != "petition"
        assert case.reported_by_id is None and case.assigned_unit_id is None
        assert case.suggested_unit_id is not None
        assert NOW - timedelta(hours=48) <= case.registered_at <= NOW
        assert case.level == case.category.default_level
        queue = case.area_code[:6] if case.level == "county" else case.area_code[:9]
        assert case.queue_area.code == queue
        west, south, east, north = boxes[case.area_code]
        assert west < case.lng < east and south < case.lat < north
        county, day, serial = case.number.split("-")
        local_day = timezone.localtime(case.registered_at).date()
        assert county == case.area_code[:6] and day == f"{local_day:%Y%m%d}"
        assert serial[0] == "9" and len(serial) == 5  # shard 9: intake never numbers so
        assert case.stage_due_at is not None
        if case.status == "accepted":
            assert case.registered_at <= case.accepted_at <= NOW
            assert case.stage_started_at == case.accepted_at and case.handle_due_at
        else:
            assert case.accepted_at is None and case.handle_due_at is None
            assert case.stage_started_at == case.registered_at
    assert len({c.number for c in cases}) == len({c.tracking_code for c in cases}) == 200

    # The benchmark's dispatchers, a street's and a district's supervisors, have it in their
    # dispatch inbox; the work-off between two stages empties it.
    street = Counter(c.queue_area.code for c in cases if c.level != "county").most_common(1)
    street_code, in_street = street[0]
    district = street_code[:6]

    def dispatch(code: str) -> int:
        return inbox_counts(actor=User.objects.get(username=f"zx{code}"), now=NOW)["dispatch"]

    assert dispatch(street_code) == in_street
    assert dispatch(district) == sum(1 for c in cases if c.area_code.startswith(district))
    assert work_off(ids.stop) == 0
    assert work_off(ids.start) == 200
    assert dispatch(district) == 0
