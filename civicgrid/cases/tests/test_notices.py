"""Who is told what when a case moves (issue 13 point 3): each transition that gives a case
to someone, or takes it away, sends a notice to the units and people concerned — in the
same transaction as the write — and the notices page shows them in tabs."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, Category, Outcome
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.tests.test_views import client_for
from civicgrid.notices.models import Notice, NoticeKind, NoticePreference
from civicgrid.notices.selectors import notices_for
from civicgrid.notices.services import NoticeDraft, notice_send, notice_send_batch
from civicgrid.notices.tests import says
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


def go(case, name, actor, **kw):
    return svc.case_act(name, case=case, actor=actor, expected_version=case.version, **kw)


def accepted(office, **kw):
    case = new_case(office, **kw)
    go(case, "accept", office.people["dispatcher"])
    return case


def told(kind, case):
    """(unit or user, message) of each notice of `kind` about `case`."""
    return sorted((n.unit_id or f"user {n.user_id}", n.message)
                  for n in Notice.objects.filter(kind=kind, case=case))


def test_a_dispatch_tells_the_receiving_units_handlers_and_no_one_else(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    assert told(NoticeKind.DISPATCH, case) == [
        (office.world.unit_a.pk, f"{case.number}(邻里纠纷)已交办至本单位,请办理。")]
    mediator = office.people["mediator"]  # a member of unit A
    assert [n.kind for n in notices_for(actor=mediator)] == ["dispatch"]
    for other in ("dispatcher", "community_mediator", "police", "grid", "outsider"):
        assert list(notices_for(actor=office.people[other])) == [], other


def test_a_refused_dispatch_tells_nobody(office):
    case = accepted(office)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_b)
    assert snapshot(case) == before
    assert not Notice.objects.filter(case=case).exists()


def test_a_transfer_tells_the_new_unit_and_the_one_that_had_it(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "transfer", office.people["dispatcher"], unit=office.community_committee,
       reason="属社区调解范围")
    assert told(NoticeKind.TRANSFER, case) == sorted([
        (office.community_committee.pk,
         f"{case.number} 由 城东街道人民调解委员会 转办至本单位,请办理。原因:属社区调解范围"),
        (office.world.unit_a.pk, f"{case.number} 已转办至 桃坞社区人民调解委员会,本单位不再承办。"),
    ])
    assert [n.kind for n in notices_for(actor=office.people["community_mediator"])] == [
        "transfer"]


def test_an_escalation_by_a_person_tells_the_higher_centre_and_the_unit_it_leaves(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "escalate", office.people["mediator"], reason="涉及面广")
    assert case.level == "street" and case.queue_area == office.world.street_a
    assert told(NoticeKind.ESCALATED, case) == sorted([
        (office.centre_a.pk, f"{case.number} 上报至镇(街道),待受理交办:涉及面广"),
        (office.world.unit_a.pk, f"{case.number} 已上报至镇(街道),本单位不再承办。"),
    ])
    assert list(notices_for(actor=office.people["county_dispatcher"])) == []


def test_an_escalation_by_the_due_jobs_sends_only_its_own_notice(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    far = case.stage_started_at + (case.stage_due_at - case.stage_started_at) * 2.5
    svc.due_jobs_run(now=far)
    assert told(NoticeKind.ESCALATED, case) == []
    assert [n.unit_id for n in Notice.objects.filter(case=case, kind=NoticeKind.ESCALATION)
            ] == [office.centre_a.pk]


def test_a_return_tells_the_dispatch_centre(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "return", office.people["mediator"], reason="不属本单位职责")
    assert told(NoticeKind.RETURNED, case) == [
        (office.centre_a.pk, f"城东街道人民调解委员会 退回事件 {case.number}:不属本单位职责")]


def test_a_hand_off_tells_the_institution_and_its_outcome_comes_back(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "hand_off", office.people["mediator"], kind="police", to_unit=office.police,
       note="涉嫌治安案件")
    assert told(NoticeKind.HANDOFF, case) == [
        (office.police.pk, f"城东街道人民调解委员会 移交对接事件 {case.number},请签收。")]
    go(case, "handoff_outcome", office.people["police"], outcome="已调解处理")
    assert told(NoticeKind.HANDOFF_BACK, case) == [
        (office.world.unit_a.pk, f"城东派出所 反馈对接事件 {case.number} 的结果:已调解处理")]


def test_a_supervision_tells_the_assigned_unit(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "supervise", office.people["dispatcher"], level="red", reason="群众反映强烈")
    assert told(NoticeKind.SUPERVISION, case) == [
        (office.world.unit_a.pk, f"{case.number} 被红牌督办(挂牌督办):群众反映强烈")]


def test_the_reporter_learns_of_a_rejection_and_of_the_close(office):
    grid = office.people["grid"]
    rejected = new_case(office)  # reported by the grid worker
    go(rejected, "reject", office.people["dispatcher"], reason="不属于受理范围")
    assert told(NoticeKind.PROGRESS, rejected) == [
        (f"user {grid.pk}", f"您登记的事件 {rejected.number} 不予受理:不属于受理范围")]

    case = accepted(office)
    dispatcher = office.people["dispatcher"]
    go(case, "dispatch", dispatcher, unit=office.world.unit_a)
    go(case, "resolve", office.people["mediator"], outcome=Outcome.MEDIATED, note="调解成功")
    go(case, "verify", dispatcher)
    go(case, "follow_up", dispatcher, satisfaction=5)
    assert told(NoticeKind.PROGRESS, case) == []
    go(case, "close", dispatcher)
    assert told(NoticeKind.PROGRESS, case) == [
        (f"user {grid.pk}", f"您登记的事件 {case.number} 已结案。")]


def test_who_rejects_their_own_report_is_not_told(office):
    dispatcher = office.people["county_dispatcher"]
    case = new_case(office, area=office.world.grid_b1, actor=dispatcher)
    go(case, "reject", dispatcher, reason="重复登记")
    assert told(NoticeKind.PROGRESS, case) == []


# --- the notices page -------------------------------------------------------------------------

def _page(client, **params):
    return client.get(reverse("cases:notices"), params).content.decode()


def test_the_page_has_tabs_with_unread_counts_and_filters(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    mediator = office.people["mediator"]
    for i in range(2):
        notice_send(kind=NoticeKind.AREA_STATUS, **says(f"状态变化 {i}"),
                    area_id=office.world.community_a.pk, user_ids=[mediator.pk])
    client = client_for(mediator)
    html = _page(client)
    assert 'data-tab="all"' in html and 'data-tab="cases"' in html
    assert 'data-tab="warnings"' in html
    assert 'data-tab="checks"' not in html and 'data-tab="system"' not in html  # empty: left out
    assert 'data-testid="unread-count">3<' in html
    assert html.count("data-notice=") == 3
    html = _page(client, tab="warnings")
    assert html.count('data-kind="area_status"') == 2 and 'data-kind="dispatch"' not in html
    assert 'data-testid="unread-count">2<' in html
    html = _page(client, tab="cases")
    assert html.count("data-notice=") == 1 and 'data-kind="dispatch"' in html
    # An unknown tab shows everything.
    assert _page(client, tab="nonsense").count("data-notice=") == 3


def test_mark_all_read_of_a_tab_leaves_the_other_tabs_unread(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    mediator = office.people["mediator"]
    for i in range(2):
        notice_send(kind=NoticeKind.AREA_STATUS, **says(f"状态变化 {i}"),
                    area_id=office.world.community_a.pk, user_ids=[mediator.pk])
    client = client_for(mediator)
    newest = Notice.objects.order_by("-id").first()
    response = client.post(reverse("cases:notices"),
                           {"action": "all", "tab": "warnings", "up_to": newest.pk})
    assert response.status_code == 302 and response["Location"].endswith("?tab=warnings")
    assert [n.kind for n in notices_for(actor=mediator)] == ["dispatch"]
    assert AuditEntry.objects.filter(event_type="notice.read", actor=mediator).count() == 2
    html = _page(client, tab="warnings")
    assert 'data-testid="unread-count">0<' in html and html.count("data-notice=") == 2


def test_the_read_list_pages_with_a_cursor(office):
    mediator = office.people["mediator"]
    for i in range(35):
        notice_send(kind=NoticeKind.AREA_STATUS, **says(f"状态变化 {i}"),
                    area_id=office.world.community_a.pk, user_ids=[mediator.pk])
    Notice.objects.update(read_at=Notice.objects.first().created_at)
    client = client_for(mediator)
    html = _page(client)
    assert html.count("data-notice=") == 30 and 'data-testid="older"' in html
    cursor = html.split("&cursor=")[1].split('"')[0]
    older = _page(client, cursor=cursor)
    assert older.count("data-notice=") == 5 and 'data-testid="older"' not in older


def test_the_daily_digest_preference_is_saved_from_the_page(office):
    mediator = office.people["mediator"]
    client = client_for(mediator)
    html = _page(client)
    assert "本系统未开通短信或政务微信推送" in html  # the gateway is off by default
    client.post(reverse("cases:notices"), {"action": "digest", "daily_digest": "on"})
    assert NoticePreference.objects.get(user=mediator).daily_digest is True
    assert 'name="daily_digest" checked' in _page(client)
    client.post(reverse("cases:notices"), {"action": "digest"})
    assert NoticePreference.objects.get(user=mediator).daily_digest is False


def test_marking_someone_elses_notice_answers_404_and_changes_nothing(office):
    other = notice_send(kind=NoticeKind.REMINDER, **says("x"), user_ids=[office.people["grid"].pk],
                        area_id=office.world.grid_a1.pk)[0]
    client = client_for(office.people["mediator"])
    assert client.post(reverse("cases:notices"), {"item": other.pk}).status_code == 404
    assert client.post(reverse("cases:notices"), {"item": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert not AuditEntry.objects.filter(event_type="notice.read").exists()


# --- the reader's language (issue 13 point 8) -------------------------------------------------

def _in_english(office):
    """An accepted case whose category has an English name, reloaded so that the
    transitions read that name."""
    Category.objects.filter(pk=office.neighbour.pk).update(name_en="Neighbour disputes")
    case = accepted(office)
    return Case.objects.get(pk=case.pk)


def texts(kind, case, language):
    with translation.override(language):
        return sorted(n.text for n in Notice.objects.filter(kind=kind, case=case))


def test_notices_sent_from_an_english_page_are_read_in_each_readers_language(office):
    case = _in_english(office)
    with translation.override("en"):  # the dispatcher and the mediator work in English
        go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
        go(case, "supervise", office.people["dispatcher"], level="yellow", reason="群众反映强烈")
        go(case, "escalate", office.people["mediator"], reason="涉及面广")
    no = case.number
    # Stored: the Chinese sentence (the gateway's text), whoever sent it.
    assert told(NoticeKind.DISPATCH, case) == [
        (office.world.unit_a.pk, f"{no}(邻里纠纷)已交办至本单位,请办理。")]
    assert told(NoticeKind.SUPERVISION, case) == [
        (office.world.unit_a.pk, f"{no} 被黄牌督办:群众反映强烈")]
    # Shown: in the reader's language — the category's English name, the labels' English.
    assert texts(NoticeKind.DISPATCH, case, "zh-hans") == [
        f"{no}(邻里纠纷)已交办至本单位,请办理。"]
    assert texts(NoticeKind.DISPATCH, case, "en") == [
        f"{no} (Neighbour disputes) has been dispatched to your unit. Please handle it."]
    assert texts(NoticeKind.SUPERVISION, case, "en") == [
        f"{no} — Yellow-card supervision: 群众反映强烈"]
    assert texts(NoticeKind.ESCALATED, case, "zh-hans") == sorted([
        f"{no} 上报至镇(街道),待受理交办:涉及面广", f"{no} 已上报至镇(街道),本单位不再承办。"])
    assert texts(NoticeKind.ESCALATED, case, "en") == sorted([
        f"{no} was escalated to the Street/town level and waits to be accepted and "
        "dispatched: 涉及面广",
        f"{no} was escalated to the Street/town level; your unit no longer handles it."])


def test_notices_sent_in_chinese_are_read_in_english(office):
    case = _in_english(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "remind", office.people["dispatcher"])
    assert texts(NoticeKind.REMINDER, case, "en") == [
        f"Please handle case {case.number} as soon as possible."]
    assert texts(NoticeKind.REMINDER, case, "zh-hans") == [f"请尽快办理事件 {case.number}。"]


def test_a_reminders_own_words_are_shown_as_written_in_every_language(office):
    case = accepted(office)
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    go(case, "remind", office.people["dispatcher"], message="今天下班前回复")
    assert texts(NoticeKind.REMINDER, case, "en") == ["今天下班前回复"]
    assert texts(NoticeKind.REMINDER, case, "zh-hans") == ["今天下班前回复"]


def test_the_page_shows_each_notice_in_the_requests_language(office):
    case = _in_english(office)
    with translation.override("en"):
        go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    Notice.objects.create(unit=office.world.unit_a, case=case, kind=NoticeKind.REMINDER,
                                message="旧的催办", created_at=timezone.now())
    client = client_for(office.people["mediator"])
    chinese = _page(client)
    assert f"{case.number}(邻里纠纷)已交办至本单位,请办理。" in chinese
    assert "旧的催办" in chinese  # a notice from before keys: as stored
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _page(client)
    assert (f"{case.number} (Neighbour disputes) has been dispatched to your unit. "
            "Please handle it.") in english
    assert "已交办至本单位" not in english
    assert "旧的催办" in english
    Notice.objects.update(read_at=timezone.now())  # the read list renders the same way
    english = _page(client)
    assert "Neighbour disputes" in english and "已交办至本单位" not in english


def test_the_page_in_english_queries_the_same_for_3_or_33_keyed_notices(office):
    case = _in_english(office)
    client = client_for(office.people["mediator"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    params = {"no": case.number, "category": {"zh-hans": "邻里纠纷", "en": "Neighbour disputes"}}

    def count(n):
        notice_send_batch([NoticeDraft(NoticeKind.DISPATCH, "dispatched", params,
                                       case_id=case.pk, unit_ids=[office.world.unit_a.pk])
                           for _i in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            html = _page(client)
        assert "Neighbour disputes" in html
        return len(ctx.captured_queries)

    assert count(3) == count(30)
