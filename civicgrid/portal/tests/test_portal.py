"""The resident portal: report, track, public timeline, rating, abuse limits."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.actors import RESIDENT_ACTOR
from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, CaseEvent, Category, EventType, Outcome, Status
from civicgrid.cases.services import PartyInput
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_workflow import PNG
from civicgrid.cases.workflow import RESIDENT, TRANSITIONS, actor_kinds
from civicgrid.portal.models import ResidentRating
from civicgrid.portal.selectors import case_by_tracking, status_token
from civicgrid.portal.services import portal_rate
from civicgrid.testing import build_office, shared

# --- the module's data: built once, rolled back per test (civicgrid/testing.py) ---

office_once, office = shared(build_office, name="office")

REPORT = "/portal/report/"
TRACK = "/portal/track/"
NOT_FOUND = "未找到,请核对编号和手机号后四位"


def report_data(office, **overrides) -> dict:
    data = {"category": str(office.neighbour.pk),
            "description": "楼上住户每天深夜装修,噪音很大影响休息",
            "lng": "120.82", "lat": "31.92", "community": "", "address": "3号楼",
            "name": "王五", "phone": "13900001234", "website": ""}
    data.update(overrides)
    return data


def test_report_creates_a_portal_case_and_shows_the_tracking_number(office, client):
    data = report_data(office)
    data["photos"] = [SimpleUploadedFile("a.png", PNG, "image/png")]
    response = client.post(REPORT, data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == "portal" and case.reported_by is None
    assert case.area == office.world.grid_a1
    assert case.attachments.count() == 1
    applicant = case.parties.get()
    assert applicant.role == "applicant" and applicant.phone_last4 == "1234"
    audit = AuditEntry.objects.get(event_type="case.intake")
    assert audit.actor_username == "resident"
    done = client.get(response["Location"])
    text = done.content.decode()
    assert case.number in text and "请截图保存" in text
    assert reverse("portal:status", args=[response["Location"].rstrip("/").split("/")[-1]]) \
        in text


def test_report_by_community_and_address(office, client):
    response = client.post(REPORT, report_data(
        office, lng="", lat="", community=str(office.world.community_a.pk)))
    assert response.status_code == 302
    assert Case.objects.get().area == office.world.community_a


def test_validation_error_keeps_values_and_saves_nothing(office, client):
    response = client.post(REPORT, report_data(office, description="短", lng="", lat=""))
    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-error-for="description"' in text
    assert 'data-error-for="community"' in text
    assert "王五" in text and "13900001234" in text and "3号楼" in text
    assert f'value="{office.neighbour.pk}" selected' in text
    assert Case.objects.count() == 0


def test_attribute_errors_keep_values(office, client):
    response = client.post(REPORT, report_data(office, category=str(office.labour.pk),
                                               attribute_amount="很多"))
    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-error-for="attribute_amount"' in text and 'value="很多"' in text
    assert Case.objects.count() == 0


def test_photos_only_images_at_most_three(office, client):
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "application/pdf")
    response = client.post(REPORT, {**report_data(office), "photos": [pdf]})
    assert response.status_code == 400
    assert "不是图片" in response.content.decode()
    photos = [SimpleUploadedFile(f"{i}.png", PNG, "image/png") for i in range(4)]
    response = client.post(REPORT, {**report_data(office), "photos": photos})
    assert response.status_code == 400
    assert "最多上传 3 张照片" in response.content.decode()
    assert Case.objects.count() == 0


def test_emergency_and_petition_categories_are_refused(office, client):
    emergency = Category.objects.create(code="96", name="突发事件(测试)", kind="emergency",
                                        default_level="county")
    page = client.get(REPORT).content.decode()
    assert "110" in page and "119" in page and "120" in page
    assert office.neighbour.name in page
    assert office.petition.name not in page and emergency.name not in page
    for category in (office.petition, emergency):
        response = client.post(REPORT, report_data(office, category=str(category.pk)))
        assert response.status_code == 400
        assert 'data-error-for="category"' in response.content.decode()
    assert Case.objects.count() == 0


def test_honeypot_creates_nothing(office, client):
    response = client.post(REPORT, report_data(office, website="http://spam.example"))
    assert response.status_code == 400
    assert "提交未成功" in response.content.decode()
    assert Case.objects.count() == 0


def test_report_rate_limit(office, client, settings):
    settings.PORTAL_REPORT_LIMIT = 2
    for _ in range(2):
        assert client.post(REPORT, report_data(office)).status_code == 302
    response = client.post(REPORT, report_data(office))
    assert response.status_code == 429
    text = response.content.decode()
    assert re.search(r"请 \d+ 分钟后再试", text)
    assert "王五" in text  # what was typed is still there
    assert Case.objects.count() == 2
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(REPORT, report_data(office)).status_code == 302


def test_grid_geojson_exposes_only_boundaries_and_names(office, client):
    data = client.get("/portal/grids.geojson").json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 3
    for feature in data["features"]:
        assert set(feature["properties"]) == {"code", "name"}
        assert feature["geometry"]["type"] == "Polygon"


def test_attributes_partial(office, client):
    text = client.get("/portal/report/attributes/", {"category": office.labour.pk}).content
    assert b"attribute_amount" in text
    text = client.get("/portal/report/attributes/", {"category": office.petition.pk}).content
    assert b"attribute_" not in text


# --- tracking -----------------------------------------------------------------------------

def test_track_with_right_last4(office, client):
    case = new_case(office)
    response = client.post(TRACK, {"number": case.number, "last4": "5678"})
    assert response.status_code == 302
    token = response["Location"].rstrip("/").split("/")[-1]
    assert str(case.pk) != token and f"/{case.pk}/" not in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert case.number in page.content.decode()


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value)="[^"]+"',
                  rb"\1=''", content)


def test_wrong_last4_answers_like_an_unknown_number(office, client):
    case = new_case(office)
    wrong = client.post(TRACK, {"number": case.number, "last4": "0000"})
    unknown = client.post(TRACK, {"number": "320602-20990101-00001", "last4": "0000"})
    assert wrong.status_code == unknown.status_code == 200
    assert NOT_FOUND in wrong.content.decode()
    wrong_text = _without_csrf(wrong.content).replace(case.number.encode(), b"N")
    unknown_text = _without_csrf(unknown.content).replace(b"320602-20990101-00001", b"N")
    assert wrong_text == unknown_text


@pytest.mark.parametrize("last4", ["4678", "0678", "9678", "6785", "678", "15678"])
def test_right_last_digits_with_a_wrong_one_are_refused(office, client, last4):
    """All four digits are checked: the right last three with a wrong first digit (or a
    shifted, short or long entry) opens nothing."""
    case = new_case(office)  # the applicant's phone is 13812345678
    assert case_by_tracking(number=case.number, last4=last4) is None
    response = client.post(TRACK, {"number": case.number, "last4": last4})
    assert response.status_code == 200
    assert "Location" not in response
    assert NOT_FOUND in response.content.decode() or "last4" in response.context["form"].errors
    assert case_by_tracking(number=case.number, last4="5678") == case


@pytest.mark.parametrize("role", ["respondent", "other"])
def test_another_partys_phone_does_not_open_the_case(office, client, role):
    """Only the reporting applicant's phone opens the case: a respondent's (or any other
    party's) phone number on the same case is refused, exactly like a wrong number."""
    case = new_case(office, parties=[
        PartyInput(role="applicant", name="张三", phone="13812345678"),
        PartyInput(role=role, name="李四", phone="13900004321"),
    ])
    assert case.parties.get(role=role).phone_last4 == "4321"
    assert case_by_tracking(number=case.number, last4="4321") is None
    refused = client.post(TRACK, {"number": case.number, "last4": "4321"})
    unknown = client.post(TRACK, {"number": "320602-20990101-00001", "last4": "4321"})
    assert refused.status_code == unknown.status_code == 200
    assert "Location" not in refused
    assert (_without_csrf(refused.content).replace(case.number.encode(), b"N")
            == _without_csrf(unknown.content).replace(b"320602-20990101-00001", b"N"))
    opened = client.post(TRACK, {"number": case.number, "last4": "5678"})
    assert opened.status_code == 302


def test_lookup_rate_limit(office, client, settings):
    settings.PORTAL_LOOKUP_LIMIT = 3
    case = new_case(office)
    for _ in range(3):
        client.post(TRACK, {"number": case.number, "last4": "0000"})
    response = client.post(TRACK, {"number": case.number, "last4": "5678"})
    assert response.status_code == 429
    assert re.search(r"查询次数过多,请 \d+ 分钟后再试", response.content.decode())


def test_tampered_or_expired_token_is_404(office, client, settings):
    case = new_case(office)
    token = status_token(case)
    assert client.get(f"/portal/track/{token}/").status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/portal/track/{tampered}/").status_code == 404
    forged = signing.dumps(case.pk, salt="another-salt")
    assert client.get(f"/portal/track/{forged}/").status_code == 404
    assert client.get(f"/portal/track/{case.pk}/").status_code == 404
    settings.PORTAL_LINK_MAX_AGE = -1
    assert client.get(f"/portal/track/{token}/").status_code == 404


def _to_verified(office, case: Case) -> Case:
    people = office.people
    svc.case_act("accept", case=case, actor=people["dispatcher"], expected_version=case.version)
    svc.case_act("dispatch", case=case, actor=people["dispatcher"], expected_version=case.version,
                      unit=office.world.unit_a)
    svc.case_act("record_session", case=case, actor=people["mediator"],
                 expected_version=case.version,
                            held_at=case.registered_at, attendees="张三、李四",
                            notes="李四同意晚上十点后停止施工")
    svc.case_act("resolve", case=case, actor=people["mediator"], expected_version=case.version,
                     outcome=Outcome.MEDIATED, note="双方达成口头协议")
    svc.case_act("verify", case=case, actor=people["grid"], expected_version=case.version)
    return case


def test_public_timeline_names_no_person(office, client):
    case = _to_verified(office, new_case(office))
    token = status_token(case)
    text = client.get(f"/portal/track/{token}/").content.decode()
    for line in ("已受理", f"已交由 {office.world.unit_a.name} 办理", "调解中",
                 "已办结:调解成功", "办理结果已核查"):
        assert line in text, line
    assert "已办结,等待回访" in text
    secrets = ["张三", "李四", "13812345678", "5678", "138****5678"]
    secrets += [u.username for u in office.people.values()]
    secrets += [u.display_name for u in office.people.values()]
    secrets += ["李四同意", "双方达成口头协议"]  # staff notes
    for secret in secrets:
        assert secret not in text, secret


# --- rating ---------------------------------------------------------------------------------

def test_resident_actor_kind():
    assert actor_kinds(None, RESIDENT_ACTOR) == frozenset({RESIDENT})
    assert {n for n, t in TRANSITIONS.items() if RESIDENT in t.actors} == {"follow_up"}


def test_rating_feeds_the_follow_up(office, client):
    case = _to_verified(office, new_case(office))
    assert case.status == Status.VERIFIED
    url = f"/portal/track/{status_token(case)}/"
    assert 'data-testid="rating-form"' in client.get(url).content.decode()
    response = client.post(url, {"rating": "4", "comment": "处理及时"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == 4
    event = case.events.get(type=EventType.FOLLOWED_UP)
    assert event.actor is None and event.actor_name == "resident"
    audit = AuditEntry.objects.get(event_type="case.follow_up")
    assert audit.actor is None and audit.actor_username == "resident"
    assert ResidentRating.objects.get(case=case).became_follow_up
    page = client.get(response["Location"]).content.decode()
    assert "感谢您的评价" in page and 'data-testid="rating-form"' not in page


def test_rating_once(office, client):
    case = _to_verified(office, new_case(office))
    portal_rate(case=case, rating=5, comment="", source_ip=None)
    with pytest.raises(Exception, match="已评价"):
        portal_rate(case=case, rating=1, comment="", source_ip=None)
    case.refresh_from_db()
    assert case.satisfaction == 5
    response = client.post(f"/portal/track/{status_token(case)}/", {"rating": "1"})
    assert response.status_code == 200
    assert ResidentRating.objects.get(case=case).rating == 5


def test_rating_after_staff_follow_up_keeps_it(office):
    case = _to_verified(office, new_case(office))
    svc.case_act("follow_up", case=case, actor=office.people["dispatcher"],
                       expected_version=case.version, satisfaction=5)
    portal_rate(case=case, rating=2, comment="还是有噪音", source_ip="10.0.0.1")
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == 5
    event = CaseEvent.objects.get(case=case, type=EventType.RESIDENT_RATING)
    assert event.data == {"satisfaction": 2}
    assert AuditEntry.objects.get(event_type="case.resident_rating").source_ip == "10.0.0.1"


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_rating_range(office, rating):
    case = _to_verified(office, new_case(office))
    with pytest.raises(Exception, match="1至5"):
        portal_rate(case=case, rating=rating, comment="", source_ip=None)


def test_no_rating_before_resolution(office, client):
    case = new_case(office)
    url = f"/portal/track/{status_token(case)}/"
    assert 'data-testid="rating-form"' not in client.get(url).content.decode()
    with pytest.raises(Exception, match="办结后"):
        portal_rate(case=case, rating=5, comment="", source_ip=None)
