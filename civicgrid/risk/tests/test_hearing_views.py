"""The staff pages of hearings: the list (a fixed number of queries), drafting, the
hearing's page through the procedure, dispositions with htmx, refusals shown and nothing
changed, out of scope answering like missing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.risk.models import Comment, Hearing, HearingStatus
from civicgrid.risk.services import hearings as services
from civicgrid.risk.services.hearings import RegistrationInput
from civicgrid.risk.tests.test_hearings import (
    SEED,
    hearing_day,
    make_matter,
    noticed_hearing,
    outside_hearing,
    pass_deadline,
    register,
    staff,
)

pytestmark = pytest.mark.django_db
LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def organiser(client, world):
    client.force_login(world.users[Role.SUPERVISOR])
    return client


def public_client_sees(hearing) -> int:
    from django.test import Client

    return Client().get(reverse("consult:hearing", args=[hearing.pk])).status_code


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_shows_the_scope_in_a_fixed_number_of_queries(organiser, world):
    noticed_hearing(world)
    url = reverse("risk:hearing_list")
    one = _queries(organiser, url)
    for _i in range(4):
        hearing = noticed_hearing(world)
        register(hearing, 1)
        services.comment_submit(passage=hearing.passages.first(), text="意见", actor=None)
    assert _queries(organiser, url) == one
    outside_hearing(world)
    html = organiser.get(url).content.decode()
    assert html.count('data-testid="hearing-row"') == 5
    assert "濠西社区听证会" not in html
    assert "1条意见待答复" in html


def test_an_organiser_drafts_a_hearing_on_a_matter(organiser, world):
    matter = make_matter(world)
    url = reverse("risk:hearing_new", args=[matter.pk])
    assert organiser.get(url).status_code == 200
    now = timezone.localtime()
    response = organiser.post(url, {
        "title": "电梯听证会", "starts_at": (now + timedelta(days=20)).strftime(LOCAL),
        "place": "社区会议室", "draft_title": "实施方案", "agenda": "说明、陈述、辩论",
        "seed_source": "报名截止次日福彩3D开奖号码",
        "registration_closes_at": (now + timedelta(days=10)).strftime(LOCAL),
        "comments_close_at": (now + timedelta(days=30)).strftime(LOCAL)})
    assert response.status_code == 400  # comments may not close after the hearing
    assert "意见征集截止时间不能晚于听证会举行时间" in response.content.decode()
    assert not Hearing.objects.filter(matter=matter).exists()
    response = organiser.post(url, {
        "title": "电梯听证会", "starts_at": (now + timedelta(days=20)).strftime(LOCAL),
        "place": "社区会议室", "draft_title": "实施方案", "agenda": "说明、陈述、辩论",
        "seed_source": "报名截止次日福彩3D开奖号码",
        "registration_closes_at": (now + timedelta(days=10)).strftime(LOCAL),
        "comments_close_at": (now + timedelta(days=15)).strftime(LOCAL)})
    hearing = Hearing.objects.get(matter=matter)
    assert response.status_code == 302 and response["Location"] == reverse(
        "risk:hearing", args=[hearing.pk])
    page = reverse("risk:hearing", args=[hearing.pk])
    draft = organiser.get(page).content.decode()
    assert 'data-testid="notice"' in draft and 'data-testid="passages-save"' in draft
    assert public_client_sees(hearing) == 404  # nothing of a draft is public
    organiser.post(reverse("risk:hearing_passages", args=[hearing.pk]), {
        "passages": "【第一条 范围】\n本方案适用于1至12幢。\n\n【第二条 费用】\n按楼层分摊。"})
    organiser.post(reverse("risk:hearing_quotas", args=[hearing.pk]), {
        "resident": "5", "stakeholder": "2", "expert": "", "deputy": "0"})
    assert list(hearing.passages.values_list("heading", "text")) == [
        ("第一条 范围", "本方案适用于1至12幢。"), ("第二条 费用", "按楼层分摊。")]
    assert dict(hearing.quotas.values_list("group", "seats")) == {"resident": 5,
                                                                  "stakeholder": 2}
    response = organiser.post(reverse("risk:hearing_notice", args=[hearing.pk]))
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.NOTICED
    html = organiser.get(page).content.decode()
    assert reverse("consult:hearing", args=[hearing.pk]) in html


def test_readers_see_but_do_not_change_and_out_of_scope_is_missing(client, world):
    hearing = noticed_hearing(world)
    client.force_login(world.users[Role.LEADER])
    page = client.get(reverse("risk:hearing", args=[hearing.pk]))
    assert page.status_code == 200 and 'data-testid="notice"' not in page.content.decode()
    assert client.post(reverse("risk:hearing_close", args=[hearing.pk])).status_code == 403
    client.force_login(world.outsider)  # a grid worker: no hearing permission at all
    assert client.get(reverse("risk:hearing", args=[hearing.pk])).status_code == 403
    other = outside_hearing(world)
    client.force_login(world.users[Role.SUPERVISOR])
    missing = client.get(reverse("risk:hearing", args=[999999]))
    outside = client.get(reverse("risk:hearing", args=[other.pk]))
    assert missing.status_code == outside.status_code == 404
    response = client.post(reverse("risk:hearing_draw", args=[other.pk]), {"seed": SEED})
    assert response.status_code == 404


def test_the_page_shows_registrations_masked(organiser, world):
    hearing = noticed_hearing(world)
    register(hearing, 7, name="欧阳娜娜")
    html = organiser.get(reverse("risk:hearing", args=[hearing.pk])).content.decode()
    assert "欧阳**" in html and "欧阳娜娜" not in html
    assert "139****0007" in html and "13912340007" not in html
    # what the registrant said they would speak about, for the organiser planning the day
    services.registration_submit(hearing=hearing, actor=None, data=RegistrationInput(
        group="resident", name="李四", phone="13912340008", position="oppose",
        affiliation="桃坞新村3幢", statement="一层住户不应分摊费用"))
    html = organiser.get(reverse("risk:hearing", args=[hearing.pk])).content.decode()
    assert "桃坞新村3幢 · 一层住户不应分摊费用" in html


def test_revealing_a_phone_needs_a_reason_and_is_audited(organiser, world):
    from civicgrid.audit.models import AuditEntry

    hearing = noticed_hearing(world)
    registration = register(hearing, 7)
    url = reverse("risk:hearing_reveal", args=[hearing.pk])
    response = organiser.post(url, {"registration": registration.pk, "reason": ""},
                              HTTP_HX_REQUEST="true")
    assert "13912340007" not in response.content.decode()
    assert not AuditEntry.objects.filter(event_type="hearing.particular_revealed").exists()
    response = organiser.post(url, {"registration": registration.pk, "reason": "通知入选"},
                              HTTP_HX_REQUEST="true")
    assert "13912340007" in response.content.decode()
    entry = AuditEntry.objects.get(event_type="hearing.particular_revealed")
    assert entry.details["reason"] == "通知入选"


def test_the_close_and_the_draw_from_the_page(organiser, world):
    hearing = noticed_hearing(world, seats={"resident": 1})
    for i in range(1, 4):
        register(hearing, i)
    response = organiser.post(reverse("risk:hearing_close", args=[hearing.pk]), follow=True)
    assert "报名截止时间未到" in response.content.decode()
    pass_deadline(hearing)
    organiser.post(reverse("risk:hearing_close", args=[hearing.pk]))
    response = organiser.post(reverse("risk:hearing_draw", args=[hearing.pk]), {"seed": ""})
    assert response.status_code == 200
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.CLOSED and hearing.seed == ""
    response = organiser.post(reverse("risk:hearing_draw", args=[hearing.pk]),
                              {"seed": SEED}, follow=True)
    html = response.content.decode()
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.DRAWN
    assert f'data-testid="seed">{SEED}<' in html
    statuses = dict(re.findall(r'data-number="(\d+)" data-status="(\w+)"', html))
    assert sorted(statuses.values()) == ["selected", "waitlisted", "waitlisted"]


def test_dispositions_are_saved_one_by_one_with_htmx(organiser, world):
    hearing = noticed_hearing(world)
    passage = hearing.passages.first()
    first = services.comment_submit(passage=passage, text="建议一", actor=None)
    services.comment_submit(passage=passage, text="建议二", actor=None)
    url = reverse("risk:hearing_dispose", args=[hearing.pk])
    response = organiser.post(url, {"comment": first.pk, "disposition": "partly",
                                    "reason": ""}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="comment-' in html
    assert "请填写理由" in html
    first.refresh_from_db()
    assert first.disposition == ""
    response = organiser.post(url, {"comment": first.pk, "disposition": "partly",
                                    "reason": "部分条款已调整"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "部分采纳" in html and "已保存" in html
    assert re.search(r'id="pending-count" hx-swap-oob="true"[^>]*>1<', html)
    first.refresh_from_db()
    assert (first.disposition, first.disposition_reason) == ("partly", "部分条款已调整")
    page = organiser.get(reverse("risk:hearing", args=[hearing.pk]) + "?pending=1")
    assert page.content.decode().count('data-testid="staff-comment"') == 1


def test_publishing_is_refused_while_a_comment_waits(organiser, world):
    hearing = noticed_hearing(world)
    services.comment_submit(passage=hearing.passages.first(), text="意见", actor=None)
    register(hearing, 1)
    pass_deadline(hearing)
    actor = staff(world)
    services.registration_close(hearing=hearing, actor=actor)
    services.hearing_draw(hearing=hearing, seed=SEED, actor=actor)
    hearing_day(hearing)
    organiser.post(reverse("risk:hearing_held", args=[hearing.pk]),
                   {"chair": "陈主任", "minutes": "笔录正文"})
    organiser.post(reverse("risk:hearing_sign", args=[hearing.pk]), {"signed_by": "陈主任"})
    response = organiser.post(reverse("risk:hearing_publish", args=[hearing.pk]), follow=True)
    assert "还有1条意见没有处理结果" in response.content.decode()
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.HELD and hearing.published_at is None
    assert hearing.minutes_signed_by == "陈主任"
    Comment.objects.filter(hearing=hearing).update(disposition="adopted")
    organiser.post(reverse("risk:hearing_publish", args=[hearing.pk]))
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.PUBLISHED


# --- the JSON API -------------------------------------------------------------------------

def test_the_api_lists_the_scope_in_a_fixed_number_of_queries(organiser, world):
    noticed_hearing(world)
    outside_hearing(world)
    with CaptureQueriesContext(connection) as one:
        body = organiser.get("/api/v1/risk/hearings").json()
    assert [h["title"] for h in body["items"]] == ["加装电梯方案听证会"]
    for _i in range(3):
        hearing = noticed_hearing(world)
        services.comment_submit(passage=hearing.passages.first(), text="意见", actor=None)
    with CaptureQueriesContext(connection) as four:
        body = organiser.get("/api/v1/risk/hearings").json()
    assert len(four) == len(one) and len(body["items"]) == 4
    assert body["items"][0]["comments"] == 1 and body["items"][0]["comments_pending"] == 1


def test_the_api_detail_draw_and_dispositions(organiser, world):
    hearing = noticed_hearing(world, seats={"resident": 1, "expert": 1})
    register(hearing, 1)
    register(hearing, 2)
    comment = services.comment_submit(passage=hearing.passages.first(), text="意见一",
                                      actor=None)
    detail = organiser.get(f"/api/v1/risk/hearings/{hearing.pk}").json()
    assert detail["status"] == "noticed"
    assert detail["quotas"] == [{"group": "expert", "seats": 1, "registered": 0},
                                {"group": "resident", "seats": 1, "registered": 2}]
    url = f"/api/v1/risk/hearings/{hearing.pk}/draw"
    refused = organiser.post(url, {"seed": SEED}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "rule_violation"
    pass_deadline(hearing)
    services.registration_close(hearing=hearing, actor=staff(world))
    drawn = organiser.post(url, {"seed": SEED}, content_type="application/json").json()
    assert drawn["seed"] == SEED and drawn["status"] == "drawn"
    assert sorted(r["status"] for r in drawn["result"]) == ["selected", "waitlisted"]
    dispose = f"/api/v1/risk/hearings/{hearing.pk}/dispositions"
    missing_reason = organiser.post(dispose, {"comment": comment.number,
                                              "disposition": "not_adopted"},
                                    content_type="application/json")
    assert missing_reason.status_code == 400
    done = organiser.post(dispose, {"comment": comment.number, "disposition": "not_adopted",
                                    "reason": "超出本方案范围"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["disposition"] == "not_adopted"
    listed = organiser.get(f"/api/v1/risk/hearings/{hearing.pk}/comments?pending=true").json()
    assert listed["items"] == []
    other = outside_hearing(world)
    assert organiser.get(f"/api/v1/risk/hearings/{other.pk}").status_code == 404
    assert organiser.post(f"/api/v1/risk/hearings/{other.pk}/draw", {"seed": SEED},
                          content_type="application/json").status_code == 404
