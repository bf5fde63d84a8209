from io import StringIO

from django.core.management import call_command
from django.test import Client

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, GridAssignment, Level
from civicgrid.audit.models import AuditEntry
from civicgrid.home.demo import DEMO_PASSWORD, demo_logins
from civicgrid.units.models import Unit, UnitKind, UnitMembership


def counts():
    from civicgrid.cases.models import Case, CaseEvent

    return {m.__name__: m.objects.count()
            for m in (Area, Unit, User, GridAssignment, UnitMembership, AuditEntry, Case,
                      CaseEvent)}


def test_seed_demo_builds_the_district_and_is_idempotent(db):
    out = StringIO()
    call_command("seed_demo", "--cases", "60", "--residents", "0", stdout=out)
    assert "Civicgrid-Demo-2026" in out.getvalue()
    assert "60 demo cases created" in out.getvalue()
    streets = Area.objects.filter(level=Level.STREET, code__startswith="320602")
    assert streets.count() >= 8
    assert Area.objects.filter(level=Level.COMMUNITY).count() >= 60
    assert Area.objects.filter(level=Level.GRID).count() >= 600
    for street in streets:
        assert Unit.objects.filter(area=street, kind=UnitKind.MEDIATION_COMMITTEE).exists()
    assert Unit.objects.filter(kind=UnitKind.SPECIALISED_COMMITTEE).count() == 4
    for kind in (UnitKind.POLICE_STATION, UnitKind.COURT, UnitKind.PROCURATORATE,
                 UnitKind.PETITION_OFFICE, UnitKind.LEGAL_AID, UnitKind.GOVERNANCE_CENTRE):
        assert Unit.objects.filter(kind=kind).exists(), kind
    # Every grid has a grid worker.
    assert GridAssignment.objects.filter(position__code="grid_worker").values("grid").distinct() \
        .count() == Area.objects.filter(level=Level.GRID).count()
    before = counts()
    call_command("seed_demo", "--quiet", "--cases", "60", "--residents", "0", stdout=StringIO())
    assert counts() == before


def test_demo_cases_cover_every_stage_channel_and_kind(demo):
    from django.db.models import Sum

    from civicgrid.cases.models import Case, Channel, HandOff, MediationSession
    from civicgrid.home.demo_cases import demo_cases_seed
    from civicgrid.stats.models import CaseStat
    from civicgrid.stats.rollups import stats_differences

    assert demo_cases_seed(count=400) == 400
    assert set(Case.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert set(Case.objects.values_list("category__kind", flat=True)) == {
        "dispute", "service", "hazard", "emergency", "petition"}
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"registered", "accepted", "handling", "resolved", "verified", "followed_up",
            "closed", "rejected", "suspended"} <= statuses
    assert HandOff.objects.exists() and MediationSession.objects.exists()
    assert Case.objects.exclude(supervision="").exists()
    assert CaseStat.objects.aggregate(n=Sum("registered"))["n"] == Case.objects.count()
    assert stats_differences() == []


def test_every_demo_user_can_sign_in(demo):
    for login in demo_logins():
        client = Client()
        response = client.post("/accounts/login/", {"username": login.username,
                                                     "password": DEMO_PASSWORD})
        assert response.status_code == 302, login.username
        assert client.get("/").status_code == 200, login.username


def test_grid1_and_grid2_are_in_different_streets(demo):
    g1 = User.objects.get(username="grid1").jurisdictions.get().area.code
    g2 = User.objects.get(username="grid2").jurisdictions.get().area.code
    assert len(g1) == len(g2) == 15 and g1[:9] != g2[:9]


def test_grid1_sees_404_for_another_streets_area_unit_and_user(demo):
    grid1 = User.objects.get(username="grid1")
    grid2 = User.objects.get(username="grid2")
    other_street = grid2.jurisdictions.get().area.code[:9]
    other_unit = Unit.objects.filter(area__code=other_street).first()
    client = Client()
    client.force_login(grid1)
    for url in [f"/areas/{other_street}/", f"/units/{other_unit.pk}/",
                f"/accounts/users/{grid2.pk}/", f"/api/v1/areas/{other_street}",
                f"/api/v1/units/{other_unit.pk}", f"/api/v1/users/{grid2.pk}"]:
        assert client.get(url).status_code == 404, url
    own_grid = grid1.jurisdictions.get().area.code
    assert client.get(f"/areas/{own_grid}/").status_code == 200
    # The administrator sees all of it.
    client.force_login(User.objects.get(username="admin"))
    for url in [f"/areas/{other_street}/", f"/units/{other_unit.pk}/",
                f"/accounts/users/{grid2.pk}/", f"/api/v1/areas/{other_street}",
                f"/api/v1/units/{other_unit.pk}", f"/api/v1/users/{grid2.pk}"]:
        assert client.get(url).status_code == 200, url
