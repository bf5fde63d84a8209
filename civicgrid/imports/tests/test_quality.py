"""The data-quality report per grid (imports/quality.py): every count and rate computed by
hand for a small street, the 85% line, scope, the fixed number of queries, the page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.conftest import make_area
from civicgrid.core.idnumbers import check_digit
from civicgrid.core.scope import get_scope
from civicgrid.imports.quality import GridQuality, grid_quality
from civicgrid.registry.models import Building, Organisation, Person, Room
from civicgrid.registry.services import (
    BuildingInput,
    OrganisationInput,
    PersonInput,
    building_create,
    organisation_create,
    person_create,
    person_leave,
)

pytestmark = pytest.mark.django_db


def cid(first17: str) -> str:
    return first17 + check_digit(first17)


def _street(world) -> None:
    """Grid A1: building 1幢 with a point and rooms 101 102 201 202 (张三 lives in 101,
    李四 rents 201: those two take a use, 102 and 202 stay 待核实); people 张三, 李四, 无证
    (no document) and 未来 (born after today, as an old system's row might be), and 赵六
    who moved away (not in the register); an enterprise whose credit code is missing.
    Grid A2: a shop with a point and a kiosk without one (no rooms); ALICE (境外, with a
    nationality) and five residents, none in a known room; a 社区社会组织 (no code: fine).
    Grid B1: another street's building, resident and organisation."""
    sup, outsider = world.users[Role.SUPERVISOR], world.outsider
    b1 = building_create(grid=world.grid_a1, actor=sup, data=BuildingInput(
        name="1幢", floors_above=2, rooms_per_floor=2, lng=120.81, lat=31.91))
    building_create(grid=world.grid_a2, actor=sup, data=BuildingInput(
        name="商铺", use="commercial", lng=120.86, lat=31.91))
    building_create(grid=world.grid_a2, actor=sup, data=BuildingInput(name="报亭"))
    b_out = building_create(grid=world.grid_b1, actor=outsider, data=BuildingInput(
        name="外1幢", rooms_per_floor=1, lng=120.91, lat=31.91))
    person_create(grid=world.grid_a1, actor=sup, room=b1.rooms.get(number="101"),
                  data=PersonInput(name="张三", kind="registered",
                                   id_number=cid("32060219800101001")))
    person_create(grid=world.grid_a1, actor=sup, room=b1.rooms.get(number="201"),
                  residence_kind="renting",
                  data=PersonInput(name="李四", kind="floating",
                                   id_number=cid("32060219800101003")))
    person_create(grid=world.grid_a1, actor=sup, data=PersonInput(name="无证", kind="registered"))
    future = person_create(grid=world.grid_a1, actor=sup, data=PersonInput(
        name="未来", kind="floating", document_type="passport", id_number="G1234567"))
    Person.objects.filter(pk=future.pk).update(
        birth_date=timezone.localdate() + timedelta(days=30))
    gone = person_create(grid=world.grid_a1, actor=sup, data=PersonInput(
        name="赵六", kind="registered"))
    person_leave(person=gone, status="moved_away", reason="迁往外地", actor=sup)
    person_create(grid=world.grid_a2, actor=sup, data=PersonInput(
        name="ALICE", kind="foreign", document_type="passport", id_number="E12345678",
        nationality="USA"))
    for n in range(5):
        person_create(grid=world.grid_a2, actor=sup, data=PersonInput(
            name=f"住户{n}", kind="registered", id_number=cid(f"32060219900101{n + 100:03d}")))
    person_create(grid=world.grid_b1, actor=outsider, room=b_out.rooms.get(),
                  data=PersonInput(name="王五", kind="registered",
                                   id_number=cid("32060219700101005")))
    enterprise = organisation_create(grid=world.grid_a1, actor=sup, data=OrganisationInput(
        name="桃坞科技有限公司", kind="enterprise", credit_code="91350100M000100Y43"))
    Organisation.objects.filter(pk=enterprise.pk).update(credit_code=None)  # (legacy row)
    organisation_create(grid=world.grid_a2, actor=sup, data=OrganisationInput(
        name="桃坞书画社", kind="community_group"))
    organisation_create(grid=world.grid_b1, actor=outsider, data=OrganisationInput(
        name="濠西书画社", kind="community_group"))
    # verified: everything today, but 张三 14 months ago, room 202 never, the kiosk 13
    # months ago
    now = timezone.now()
    for model in (Person, Room, Building, Organisation):
        model.objects.update(verified_at=now)
    Person.objects.filter(name="张三").update(verified_at=now - timedelta(days=430))
    Room.objects.filter(building=b1, number="202").update(verified_at=None)
    Building.objects.filter(name="报亭").update(verified_at=now - timedelta(days=400))


@pytest.fixture
def street(world):
    _street(world)
    return world


def _row(g: GridQuality) -> dict[str, object]:
    return {"people": g.people, "linked": g.people_linked, "linkage": g.linkage_rate,
            "unlinked": g.unlinked, "records": g.total, "failing": g.failing,
            "unverified": g.unverified, "pass_rate": g.pass_rate, "recollect": g.recollect,
            "checks": {k: v for k, v in g.checks.items() if v}}


def test_every_count_of_a_street_by_hand(street):
    world = street
    report = grid_quality(area=world.street_a, actor=world.users[Role.LEADER])
    assert [g.code for g in report.grids] == [world.grid_a1.code, world.grid_a2.code]
    a1, a2 = report.grids
    # A1: 4 people + 4 rooms + 1 building + 1 organisation = 10 records; failing: 无证,
    # 未来, rooms 102 and 202, the enterprise = 5 → 50.0%, collect again
    assert _row(a1) == {
        "people": 4, "linked": 2, "linkage": Decimal("50.0"), "unlinked": 2, "records": 10,
        "failing": 5, "unverified": 2, "pass_rate": Decimal("50.0"), "recollect": True,
        "checks": {"person_no_document": 1, "person_future_birth": 1, "room_use_unknown": 2,
                   "organisation_no_credit_code": 1}}
    assert a1.records == {"people": 4, "rooms": 4, "buildings": 1, "organisations": 1}
    assert a1.unverified_by_kind == {"people": 1, "rooms": 1, "buildings": 0,
                                     "organisations": 0}
    # A2: 6 people + 2 buildings + 1 organisation = 9; failing: the kiosk (no point) → 8/9
    assert _row(a2) == {
        "people": 6, "linked": 0, "linkage": Decimal("0.0"), "unlinked": 6, "records": 9,
        "failing": 1, "unverified": 1, "pass_rate": Decimal("88.9"), "recollect": False,
        "checks": {"building_no_point": 1}}
    assert _row(report.total) == {
        "people": 10, "linked": 2, "linkage": Decimal("20.0"), "unlinked": 8, "records": 19,
        "failing": 6, "unverified": 3, "pass_rate": Decimal("68.4"), "recollect": True,
        "checks": {"person_no_document": 1, "person_future_birth": 1, "room_use_unknown": 2,
                   "organisation_no_credit_code": 1, "building_no_point": 1}}
    assert report.recollect == [a1]


def test_each_person_check_and_the_foreign_exceptions(street):
    world = street
    Person.objects.filter(name="ALICE").update(nationality="")
    Person.objects.filter(name="住户0").update(name="")
    a2 = grid_quality(area=world.grid_a2, actor=world.users[Role.SUPERVISOR]).grids[0]
    # ALICE has a passport; without a nationality she fails that check only (a foreign
    # resident without a document would not fail the document check)
    assert {k: v for k, v in a2.checks.items() if v} == {
        "person_foreign_no_nationality": 1, "person_no_name_or_kind": 1,
        "building_no_point": 1}
    assert a2.failing == 3


def test_the_85_percent_line():
    def grid(records: int, failing: int) -> GridQuality:
        g = GridQuality(code="x", name="x")
        g.records["people"], g.failing_by_kind["people"] = records, failing
        return g

    assert (grid(20, 3).pass_rate, grid(20, 3).recollect) == (Decimal("85.0"), False)
    assert (grid(20, 4).pass_rate, grid(20, 4).recollect) == (Decimal("80.0"), True)
    # 84.96%: shown rounded as 85.0, but under the line
    assert (grid(2000, 301).pass_rate, grid(2000, 301).recollect) == (Decimal("85.0"), True)
    assert (grid(0, 0).pass_rate, grid(0, 0).recollect) == (None, False)


def test_scope_and_permission(street):
    world = street
    worker = world.users[Role.GRID_WORKER]
    assert [g.code for g in grid_quality(area=world.grid_a1, actor=worker).grids] == [
        world.grid_a1.code]
    for actor, area in ((worker, world.street_a), (worker, world.grid_a2),
                        (world.users[Role.SUPERVISOR], world.street_b)):
        with pytest.raises(Area.DoesNotExist):
            grid_quality(area=area, actor=actor)
    with pytest.raises(PermissionDenied):
        grid_quality(area=world.street_a, actor=world.users[Role.ADMINISTRATOR])
    # the auditor reads every area, street B's grid with its own records only
    b1 = grid_quality(area=world.street_b, actor=world.users[Role.AUDITOR]).grids[0]
    assert (b1.code, b1.total, b1.failing) == (world.grid_b1.code, 4, 0)


def _queries(actor, area) -> int:
    get_scope(actor)
    with CaptureQueriesContext(connection) as ctx:
        grid_quality(area=area, actor=actor)
    return len(ctx.captured_queries)


def test_a_fixed_number_of_queries_whatever_the_grids(street):
    world = street
    leader = world.users[Role.LEADER]
    one = _queries(leader, world.grid_a1)
    for n in range(3, 8):
        make_area(f"320602001001{n:03d}", f"桃坞第{n}网格", world.community_a)
    assert _queries(leader, world.street_a) == one
    # the area's check, the grids, their figures, one aggregate per kind of record
    assert one == 1 + 1 + 1 + 4


# --- the page --------------------------------------------------------------------------

def test_the_page_for_readers_of_figures_in_scope(street, client):
    world = street
    client.force_login(world.users[Role.LEADER])
    url = reverse("imports:quality", args=[world.street_a.code])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-grid="{world.grid_a1.code}" data-recollect' in html
    assert f'data-grid="{world.grid_a2.code}" data-recollect' not in html
    assert "需重新采集" in html and "88.9%" in html and "50.0%" in html
    assert 'data-testid="export-link"' not in html  # leaders do not export
    assert client.get(reverse("imports:quality", args=[world.street_b.code])).status_code \
        == 404
    assert client.get(reverse("imports:quality", args=["320602999"])).status_code == 404
    home = client.get(reverse("imports:quality_home"))
    assert home.status_code == 302 and home["Location"] == url
    assert client.get(reverse("imports:quality_home") + "?area=320602001001").url == \
        reverse("imports:quality", args=["320602001001"])
    assert client.get(reverse("imports:quality_home") + "?area=a/b").status_code == 404
    client.force_login(world.users[Role.SUPERVISOR])
    assert 'data-testid="export-link"' in client.get(url).content.decode()
    client.force_login(world.users[Role.ADMINISTRATOR])
    assert client.get(url).status_code == 403
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(url).status_code == 404
    assert client.get(reverse("imports:quality", args=[world.grid_a1.code])).status_code \
        == 200


def test_the_page_runs_a_fixed_number_of_queries(street, client):
    world = street
    client.force_login(world.users[Role.LEADER])
    url = reverse("imports:quality", args=[world.street_a.code])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3, 8):
        make_area(f"320602001001{n:03d}", f"桃坞第{n}网格", world.community_a)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)


def test_dates_are_compared_with_today_in_shanghai(street):
    """A birth date of today is no failure (only after today)."""
    world = street
    Person.objects.filter(name="未来").update(birth_date=timezone.localdate())
    a1 = grid_quality(area=world.grid_a1, actor=world.users[Role.LEADER]).grids[0]
    assert a1.checks["person_future_birth"] == 0


def test_the_api_answers_the_same_counts(street, client):
    world = street
    client.force_login(world.users[Role.LEADER])
    response = client.get(f"/api/v1/imports/quality/{world.street_a.code}")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["threshold"]) == ("320602001", 85)
    a1, a2 = body["grids"]
    assert (a1["code"], a1["pass_rate"], a1["recollect"], a1["failing"], a1["records"]) == (
        world.grid_a1.code, 50.0, True, 5,
        {"people": 4, "rooms": 4, "buildings": 1, "organisations": 1})
    assert (a2["pass_rate"], a2["recollect"], a2["linkage_rate"]) == (88.9, False, 0.0)
    assert (body["total"]["pass_rate"], body["total"]["unlinked"]) == (68.4, 8)
    assert body["checks"]["room_use_unknown"] == "房屋用途待核实"
    outside = client.get(f"/api/v1/imports/quality/{world.street_b.code}")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
