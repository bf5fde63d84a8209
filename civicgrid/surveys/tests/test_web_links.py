"""The organiser's web links (the round's page → surveys:web_links): the units picked by
stratum, area and count get a fresh link each, answered as a workbook that names each unit as
the call sheet does and holds no phone or name; the links open the resident's form, and a
second issue replaces a unit's earlier link. Whoever may not issue is refused and nothing
changes; a round that cannot have links says why, with no file."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.accounts.roles import Role
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.models import AuditEntry
from civicgrid.surveys.models import Mode, Round, SampleUnit
from civicgrid.surveys.services.rounds import RoundInput, round_create, sample_draw
from civicgrid.surveys.tests.conftest import framed_round
from civicgrid.surveys.tests.samples import sample_round
from civicgrid.surveys.tests.test_fieldwork import calling_round, phone

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def issue(client: Client, round_: Round, **picks):
    data = {f"links-{k}": v for k, v in picks.items()}
    return client.post(reverse("surveys:web_links", args=[round_.pk]), data)


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def hashes(round_: Round) -> dict[int, str]:
    return dict(SampleUnit.objects.filter(round=round_).values_list("pk", "web_token_hash"))


def public_get(link: str):
    return Client(REMOTE_ADDR="203.0.113.7").get(urlsplit(link).path)


def test_the_organiser_downloads_links_that_open_the_form(survey):
    world = survey.world
    round_ = calling_round(survey)
    organiser = client_for(survey.organiser)
    page = organiser.get(reverse("surveys:round", args=[round_.pk])).content.decode()
    assert 'data-testid="web-links-form"' in page
    assert "链接只在这次下载中显示一次" in page and "先前的链接失效" in page

    response = issue(organiser, round_, area_prefix=world.grid_b1.code, count=3)
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and round_.number in disposition
    assert "filename*=utf-8''%E7%BD%91%E7%BB%9C" in disposition  # 网络填答链接-…
    header, *rows = rows_of(response)
    assert header == ("样本", "网格/社区", "链接")
    assert len(rows) == 3
    units = list(SampleUnit.objects.filter(round=round_, released=True,
                                           area_code=world.grid_b1.code)
                 .exclude(web_token_hash="").select_related("stratum__area")
                 .order_by("reserve", "position"))
    assert len(units) == 3
    for (label, grid, link), unit in zip(rows, units, strict=True):
        assert label == f"{unit.stratum.area.name} · 样本 {unit.position + 1}"
        assert grid == world.grid_b1.name
        assert link.startswith("http://testserver/s/")
        assert public_get(link).status_code == 200
    cells = " ".join(str(v) for row in rows for v in row)
    assert "住户" not in cells and not any(phone(i) in cells for i in range(40))
    entry = AuditEntry.objects.get(event_type=AuditEventType.SURVEY_WEB_LINKS_ISSUED)
    assert entry.actor_id == survey.organiser.pk and entry.details["units"] == 3


def test_issuing_again_replaces_the_earlier_links(survey):
    round_ = calling_round(survey)
    organiser = client_for(survey.organiser)
    stratum = round_.strata.order_by("key").first()
    _header, *first = rows_of(issue(organiser, round_, stratum=stratum.pk))
    _header, *second = rows_of(issue(organiser, round_, stratum=stratum.pk))
    assert [r[0] for r in first] == [r[0] for r in second] and first
    assert all(r[0].startswith(stratum.area.name) for r in first)
    for (_l, _g, old), (_l2, _g2, new) in zip(first, second, strict=True):
        assert old != new
        assert public_get(old).status_code == 404
        assert public_get(new).status_code == 200
    # the other stratum's units got none
    assert not SampleUnit.objects.filter(round=round_).exclude(stratum=stratum).exclude(
        web_token_hash="").exists()


def test_who_may_not_issue_is_refused_and_nothing_changes(survey):
    world = survey.world
    county = calling_round(survey)
    street_b = sample_round(world, world.street_b, world.grid_b1, world.outsider)
    before = {r.pk: hashes(r) for r in (county, street_b)}
    for role in (Role.LEADER, Role.GRID_WORKER):
        assert issue(client_for(world.users[role]), county).status_code == 403, role
    street_a = client_for(world.users[Role.SUPERVISOR])
    assert issue(street_a, county).status_code == 403  # the county's: read, not run
    assert issue(street_a, street_b).status_code == 404  # street B's: not there
    page = street_a.get(reverse("surveys:round", args=[county.pk])).content.decode()
    assert 'data-testid="web-links-form"' not in page
    assert {r.pk: hashes(r) for r in (county, street_b)} == before
    assert not AuditEntry.objects.filter(
        event_type=AuditEventType.SURVEY_WEB_LINKS_ISSUED).exists()


@pytest.mark.parametrize(("make", "message"), [
    (lambda s: calling_round(s, modes=(Mode.CATI, Mode.FACE)), "本调查没有网络填答方式。"),
    (lambda s: sample_draw(round_=framed_round(s), seed="drawn", actor=s.organiser),
     "调查不在实施阶段。"),
])
def test_a_round_that_cannot_have_links_says_why_with_no_file(survey, make, message):
    round_ = make(survey)
    organiser = client_for(survey.organiser)
    page = organiser.get(reverse("surveys:round", args=[round_.pk])).content.decode()
    assert 'data-testid="web-links-form"' not in page
    before = hashes(round_)
    response = issue(organiser, round_, count=2)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    assert message in response.content.decode()
    assert hashes(round_) == before and all(not h for h in before.values())
    assert not AuditEntry.objects.filter(
        event_type=AuditEventType.SURVEY_WEB_LINKS_ISSUED).exists()


def test_no_unit_matching_says_so(survey):
    round_ = calling_round(survey)
    response = issue(client_for(survey.organiser), round_, area_prefix="999")
    assert response.status_code == 200 and "Content-Disposition" not in response
    assert "没有符合条件的样本。" in response.content.decode()
    response = issue(client_for(survey.organiser), round_, area_prefix="abc")
    assert "区域代码只能是数字。" in response.content.decode()
    assert all(not h for h in hashes(round_).values())


def test_a_design_round_has_no_units_to_link(survey):
    round_ = round_create(data=RoundInput(area=survey.world.county, year=2026, half=2),
                          actor=survey.organiser)
    response = issue(client_for(survey.organiser), round_)
    assert response.status_code == 200 and "Content-Disposition" not in response
