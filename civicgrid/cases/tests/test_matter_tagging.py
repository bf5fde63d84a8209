"""Cases tagged with a major matter (services/matters.py): who may tag (a hand table),
the matter's scope and status, closed cases, intake from the page and the API, the case
page's form and the list's filter. A refused tag changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.api.services import api_token_create
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.forms import INTAKE_MATTER_CHOICES
from civicgrid.cases.models import Case, CaseEvent, Status
from civicgrid.cases.services import StaleCase, case_tag_matter, taggable_matters
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.core.errors import RuleViolation
from civicgrid.risk.models import MatterStatus
from civicgrid.risk.tests.followup_rows import at, matter
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


@pytest.fixture
def matters(office):
    w = office.world
    return {
        "a": matter(w.community_a, w.unit_a, registered_at=at(2026, 3, 5), title="桃坞加装电梯"),
        "b": matter(w.community_b, w.unit_b, registered_at=at(2026, 3, 5), title="濠西道路改造"),
        "withdrawn": matter(w.community_a, w.unit_a, registered_at=at(2026, 3, 6),
                            status=MatterStatus.WITHDRAWN, title="已撤销事项"),
    }


# Who may tag a case of grid A1 with a matter of community A (both in street A), stated by
# hand: staff who register or handle cases there; not leaders, the administrator or the
# auditor (they read, or hold nothing of cases); not a grid worker of grid B1 (the case is
# out of their scope).
WHO = [
    ("grid_worker", True),
    ("handler", True),
    ("unit_leader", True),
    ("supervisor", True),
    ("leader", False),
    ("administrator", False),
    ("auditor", False),
    ("outsider", False),
]


def _user(office, who):
    return office.world.outsider if who == "outsider" else office.world.users[Role(who)]


@pytest.mark.parametrize(("who", "allowed"), WHO)
def test_who_may_tag(office, matters, who, allowed):
    case = new_case(office)
    user = _user(office, who)
    before = snapshot(case)
    if allowed:
        case_tag_matter(case=case, matter=matters["a"], actor=user)
        assert Case.objects.get(pk=case.pk).matter_id == matters["a"].pk
    else:
        with pytest.raises(PermissionDenied):
            case_tag_matter(case=case, matter=matters["a"], actor=user)
        assert snapshot(case) == before


def test_a_tag_writes_the_timeline_and_the_audit_and_bumps_the_version(office, matters):
    case = new_case(office)
    worker = office.people["grid"]
    version = case.version
    case_tag_matter(case=case, matter=matters["a"], actor=worker, note="居民反映与电梯工程有关")
    case.refresh_from_db()
    assert (case.matter_id, case.version) == (matters["a"].pk, version + 1)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.type, event.actor, event.note) == ("matter_tagged", worker,
                                                     "居民反映与电梯工程有关")
    assert event.data == {"matter": matters["a"].number, "title": "桃坞加装电梯", "previous": ""}
    entry = AuditEntry.objects.filter(event_type="case.matter_tagged").latest("id")
    assert entry.details["matter"] == matters["a"].number
    assert entry.details["previous"] is None
    # cleared: the event names what it was
    case_tag_matter(case=case, matter=None, actor=worker)
    case.refresh_from_db()
    assert case.matter_id is None
    assert CaseEvent.objects.filter(case=case).latest("id").data == {
        "matter": "", "title": "", "previous": matters["a"].number}


def test_a_matter_out_of_scope_is_refused_as_if_it_did_not_exist(office, matters):
    case = new_case(office)
    before = snapshot(case)
    with pytest.raises(ValidationError) as refused:
        case_tag_matter(case=case, matter=matters["b"], actor=office.people["grid"])
    assert refused.value.message_dict == {"matter": ["找不到该重大事项。"]}
    assert snapshot(case) == before
    assert matters["b"] not in taggable_matters(office.people["grid"])


def test_a_withdrawn_matter_cannot_be_tagged_but_its_tag_can_be_cleared(office, matters):
    case = new_case(office)
    before = snapshot(case)
    with pytest.raises(RuleViolation):
        case_tag_matter(case=case, matter=matters["withdrawn"], actor=office.people["grid"])
    assert snapshot(case) == before
    assert set(taggable_matters(office.people["grid"])) == {matters["a"]}
    # a tag made before the withdrawal may be cleared
    Case.objects.filter(pk=case.pk).update(matter=matters["withdrawn"])
    case.refresh_from_db()
    case_tag_matter(case=case, matter=None, actor=office.people["grid"])
    assert Case.objects.get(pk=case.pk).matter_id is None


def test_a_tag_to_a_matter_the_actor_cannot_see_is_not_changed_by_them(office, matters):
    case = new_case(office)
    Case.objects.filter(pk=case.pk).update(matter=matters["b"])  # (tagged by someone else)
    case.refresh_from_db()
    before = snapshot(case)
    for matter_ in (None, matters["a"]):
        with pytest.raises(RuleViolation):
            case_tag_matter(case=case, matter=matter_, actor=office.people["grid"])
    assert snapshot(case) == before
    client = Client()
    client.force_login(office.people["grid"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert matters["b"].number not in page and "已关联(不在您的查看范围内)" in page
    form = client.get(reverse("cases:matter", args=[case.number])).content.decode()
    assert matters["b"].number not in form


def test_the_same_tag_again_is_refused_and_a_stale_version_too(office, matters):
    case = new_case(office)
    worker = office.people["grid"]
    case_tag_matter(case=case, matter=matters["a"], actor=worker)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        case_tag_matter(case=case, matter=matters["a"], actor=worker)
    with pytest.raises(StaleCase):
        case_tag_matter(case=case, matter=None, actor=worker, expected_version=1)
    assert snapshot(case) == before


def test_a_closed_case_can_be_tagged(office, matters):
    case = new_case(office)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    case.refresh_from_db()
    case_tag_matter(case=case, matter=matters["a"], actor=office.people["dispatcher"])
    assert Case.objects.get(pk=case.pk).matter_id == matters["a"].pk


def test_intake_with_a_matter(office, matters):
    case = new_case(office, matter=matters["a"])
    assert case.matter_id == matters["a"].pk
    types = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("type",
                                                                                flat=True))
    assert types == ["registered", "matter_tagged"]
    intake = AuditEntry.objects.filter(event_type="case.intake").latest("id")
    assert intake.details["matter"] == matters["a"].number
    count = Case.objects.count()
    with pytest.raises(ValidationError):
        new_case(office, matter=matters["b"])
    with pytest.raises(RuleViolation):
        new_case(office, matter=matters["withdrawn"])
    assert Case.objects.count() == count


def test_intake_through_the_api_names_the_matter_by_number(office, matters):
    _token, plain = api_token_create(name="t", unit=office.centre_a,
                                     actions=["cases:read", "cases:create", "cases:act"],
                                     actor=None, rate_limit_per_minute=10_000)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    body = {"category": office.neighbour.code, "description": "电梯施工噪音扰民",
            "area": office.world.grid_a1.code}
    response = client.post("/api/v1/cases", {**body, "matter": matters["a"].number},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["matter"] == matters["a"].number
    number = response.json()["number"]
    assert Case.objects.get(number=number).matter_id == matters["a"].pk
    assert client.get(f"/api/v1/cases/{number}").json()["matter"] == matters["a"].number
    count = Case.objects.count()
    for unknown in ("ZD-NONE", matters["b"].number):  # unknown and out of scope alike
        response = client.post("/api/v1/cases", {**body, "matter": unknown},
                               content_type="application/json")
        assert response.status_code == 400, response.content
        assert "matter" in response.content.decode()
    response = client.post("/api/v1/cases", {**body, "matter": matters["withdrawn"].number},
                           content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "rule_violation")
    assert Case.objects.count() == count
    new_case(office)  # not tagged
    listed = client.get(f"/api/v1/cases?matter={matters['a'].number}").json()["items"]
    assert [item["number"] for item in listed] == [number]
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["CaseIn"]
    assert "matter" in schema["properties"]


def test_the_case_page_shows_the_matter_and_sets_it(office, matters):
    case = new_case(office)
    client = Client()
    client.force_login(office.people["grid"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-tag-matter' in page
    form = client.get(reverse("cases:matter", args=[case.number])).content.decode()
    assert matters["a"].number in form and matters["b"].number not in form
    response = client.post(reverse("cases:matter", args=[case.number]),
                           {"version": case.version, "matter": matters["a"].pk})
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert f'data-matter="{matters["a"].number}"' in page
    # a leader reads the case and its matter, and gets no button
    leader = Client()
    leader.force_login(office.people["leader"])
    page = leader.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert f'data-matter="{matters["a"].number}"' in page
    assert 'data-tag-matter' not in page


def test_the_intake_page_offers_the_matters_in_scope(office, matters):
    client = Client()
    client.force_login(office.people["grid"])
    page = client.get(reverse("cases:new")).content.decode()
    assert matters["a"].number in page
    assert matters["b"].number not in page and matters["withdrawn"].number not in page


def test_the_list_filters_by_matter(office, matters):
    tagged = new_case(office, matter=matters["a"])
    new_case(office)
    client = Client()
    client.force_login(office.people["dispatcher"])
    page = client.get(reverse("cases:list") + f"?matter={matters['a'].number}").content.decode()
    assert tagged.number in page
    assert 'data-testid="drill-matter"' in page
    assert page.count('data-testid="drill-total">1<') == 1


def test_the_intake_page_lists_the_newest_matters_and_takes_an_older_one(office):
    w = office.world
    rows = [matter(w.community_a, w.unit_a, registered_at=at(2026, 1, 1 + n % 28, 8 + n // 28))
            for n in range(INTAKE_MATTER_CHOICES + 1)]
    oldest = rows[0]
    client = Client()
    client.force_login(office.people["grid"])
    page = client.get(reverse("cases:new")).content.decode()
    listed = [r.number for r in rows if f">{r.number} " in page]
    assert len(listed) == INTAKE_MATTER_CHOICES and oldest.number not in listed
    response = client.post(reverse("cases:new"), {
        "category": office.neighbour.pk, "description": "电梯施工噪音扰民",
        "area": w.grid_a1.pk, "channel": "patrol", "people_band": "lt50",
        "matter": oldest.pk, "party-TOTAL_FORMS": "0", "party-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Case.objects.latest("id").matter_id == oldest.pk


def test_the_timeline_does_not_name_a_matter_the_reader_cannot_see(office):
    """The county's dispatcher tags a street-A case with a street-B matter; street A's
    supervisor reads the case but not that matter: its number and title are left out of
    the timeline, on the page and in the API (the stored event keeps them)."""
    w = office.world
    other = matter(w.community_b, w.unit_b, registered_at=at(2026, 3, 1), title="濠西道路拓宽")
    case = new_case(office)
    case_tag_matter(case=case, matter=other, actor=office.people["county_dispatcher"])
    reader = Client()
    reader.force_login(w.users[Role.SUPERVISOR])
    api = reader.get(f"/api/v1/cases/{case.number}/timeline").json()
    tagged = [e for e in api["items"] if e["type"] == "matter_tagged"]
    assert len(tagged) == 1 and "濠西道路拓宽" not in str(tagged)
    assert other.number not in str(tagged)
    page = reader.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "濠西道路拓宽" not in page and other.number not in page
    stored = CaseEvent.objects.get(case=case, type="matter_tagged").data
    assert (stored["matter"], stored["title"]) == (other.number, "濠西道路拓宽")
    county = Client()
    county.force_login(office.people["county_dispatcher"])
    assert "濠西道路拓宽" in str(county.get(f"/api/v1/cases/{case.number}/timeline").json())
