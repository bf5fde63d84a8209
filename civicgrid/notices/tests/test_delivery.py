"""Tabs, mark-all-read, the delivery preference, the gateway (off by default) and the daily
digest (civicgrid/notices/services.py, gateways.py)."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from django.utils import translation

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.notices import gateways, sms
from civicgrid.notices.models import (
    KIND_CATEGORY,
    Notice,
    NoticeCategory,
    NoticeKind,
    NoticePreference,
    kinds_of,
)
from civicgrid.notices.selectors import notice_counts, notices_for
from civicgrid.notices.services import (
    SHANGHAI,
    notice_deliver,
    notice_digest_text,
    notice_digests_send,
    notice_mark_all_read,
    notice_preference_set,
    notice_send,
)
from civicgrid.notices.tests import says

SMS_GATEWAY = "civicgrid.notices.gateways.SmsGateway"


@pytest.fixture
def outbox(settings):
    settings.SMS_BACKEND = "civicgrid.notices.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def _phone(user: User, phone: str) -> None:
    User.objects.filter(pk=user.pk).update(phone=phone)
    user.phone = phone


def _mixed(world, *, supervisor_unit=True):
    """For the supervisor (a member of unit A here): 2 case notices (one to the unit, one to
    them), 3 area-status changes and 1 missing weekly check."""
    sup = world.users[Role.SUPERVISOR]
    if supervisor_unit:
        world.unit_a.memberships.create(user=sup)
    notice_send(kind=NoticeKind.DISPATCH, **says("交办 1"), area_id=world.grid_a1.pk,
                unit_ids=[world.unit_a.pk])
    notice_send(kind=NoticeKind.SUPERVISION, **says("督办 1"), area_id=world.grid_a1.pk,
                user_ids=[sup.pk])
    for i in range(3):
        notice_send(kind=NoticeKind.AREA_STATUS, **says(f"状态 {i}"),
                    area_id=world.community_a.pk, user_ids=[sup.pk])
    notice_send(kind=NoticeKind.WEEKLY_CHECK, **says("周排查未报"), area_id=world.grid_a1.pk,
                user_ids=[sup.pk])
    return sup


def test_every_kind_is_placed_in_a_tab_on_purpose():
    assert set(KIND_CATEGORY) == set(NoticeKind.values)
    assert kinds_of(NoticeCategory.WARNINGS) == ["area_status"]
    assert kinds_of(NoticeCategory.CHECKS) == ["weekly_check"]
    assert kinds_of(NoticeCategory.REGISTRY) == ["reg_approved", "reg_returned"]
    assert kinds_of(NoticeCategory.SYSTEM) == []
    assert "dispatch" in kinds_of(NoticeCategory.CASES)


def test_counts_per_tab_and_the_filter(world):
    sup = _mixed(world)
    assert notice_counts(actor=sup) == {"cases": (2, 2), "warnings": (3, 3), "checks": (1, 1),
                                        "registry": (0, 0), "system": (0, 0)}
    assert sorted(n.message for n in notices_for(actor=sup, category="warnings")) == [
        "状态 0", "状态 1", "状态 2"]
    assert [n.message for n in notices_for(actor=sup, category="checks")] == ["周排查未报"]
    assert list(notices_for(actor=sup, category="system")) == []
    # The handler is in unit A too, but the supervisor's own notices are not theirs.
    assert notice_counts(actor=world.users[Role.HANDLER])["cases"] == (1, 1)
    assert notice_counts(actor=world.users[Role.HANDLER])["warnings"] == (0, 0)


def test_mark_all_read_of_one_tab_marks_only_those_and_audits_each(world):
    sup = _mixed(world)
    assert notice_mark_all_read(actor=sup, category="warnings") == 3
    assert notice_counts(actor=sup) == {"cases": (2, 2), "warnings": (0, 3), "checks": (1, 1),
                                        "registry": (0, 0), "system": (0, 0)}
    entries = AuditEntry.objects.filter(event_type="notice.read")
    assert entries.count() == 3
    assert {e.details["kind"] for e in entries} == {"area_status"}
    assert {e.actor_id for e in entries} == {sup.pk}
    # Again: nothing left to mark, nothing recorded.
    assert notice_mark_all_read(actor=sup, category="warnings") == 0
    assert entries.count() == 3


def test_mark_all_read_stops_at_the_newest_notice_on_screen(world):
    sup = _mixed(world)
    shown = notices_for(actor=sup).order_by("-id").first()
    assert shown is not None
    later = notice_send(kind=NoticeKind.AREA_STATUS, **says("新的"), user_ids=[sup.pk],
                        area_id=world.community_a.pk)[0]
    assert notice_mark_all_read(actor=sup, up_to_id=shown.pk) == 6
    assert [n.pk for n in notices_for(actor=sup)] == [later.pk]


def test_mark_all_read_never_reaches_someone_elses_notices(world):
    sup = _mixed(world, supervisor_unit=False)
    outsider = world.outsider
    assert notice_mark_all_read(actor=outsider) == 0
    assert Notice.objects.filter(read_at__isnull=False).count() == 0
    assert not AuditEntry.objects.filter(event_type="notice.read").exists()
    assert notice_counts(actor=sup)["warnings"] == (3, 3)


# --- the gateway ----------------------------------------------------------------------------

def test_the_gateway_is_off_by_default_and_nothing_goes_out(world, settings, outbox,
                                                           django_capture_on_commit_callbacks):
    assert settings.NOTICE_GATEWAY == ""
    handler = world.users[Role.HANDLER]
    _phone(handler, "13812345678")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice_send(kind=NoticeKind.DISPATCH, **says("交办"), area_id=world.grid_a1.pk,
                    unit_ids=[world.unit_a.pk])
    assert callbacks == []  # nothing scheduled
    assert outbox == []
    assert gateways.notice_gateway() is None
    notice_preference_set(actor=handler, daily_digest=True)
    assert notice_digests_send().gateway_off
    assert NoticePreference.objects.get(user=handler).digest_sent_at is None
    assert outbox == []


def test_sms_gateway_tells_each_member_with_a_phone_after_the_commit(
        world, settings, outbox, django_capture_on_commit_callbacks):
    settings.NOTICE_GATEWAY = SMS_GATEWAY
    handler, sup = world.users[Role.HANDLER], world.users[Role.SUPERVISOR]
    world.unit_a.memberships.create(user=sup)  # a member without a phone: skipped
    _phone(handler, "13812345678")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice_send(kind=NoticeKind.DISPATCH, **says("320602-20260506-00001 已交办至本单位"),
                    area_id=world.grid_a1.pk, unit_ids=[world.unit_a.pk])
    assert outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert outbox == [sms.Sms("13812345678", "【新交办】320602-20260506-00001 已交办至本单位")]


def test_the_gateway_sends_chinese_whatever_the_language_the_notice_was_sent_in(
        world, settings, outbox, django_capture_on_commit_callbacks):
    """Accounts have no language preference: phones get the deployment's language, even
    when the write (or the worker delivering it) ran in English."""
    settings.NOTICE_GATEWAY = SMS_GATEWAY
    handler = world.users[Role.HANDLER]
    _phone(handler, "13812345678")
    params = {"no": "320602-20260506-00001", "level": {"zh-hans": "区县", "en": "County"}}
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notice_send(kind=NoticeKind.ESCALATED, text_key="escalated_out", params=params,
                    area_id=world.grid_a1.pk, unit_ids=[world.unit_a.pk])
        notice_send(kind=NoticeKind.REMINDER, text_key="remind_default", params=params,
                    area_id=world.grid_a1.pk, user_ids=[handler.pk])
    assert [(m.phone, m.text) for m in outbox] == [
        ("13812345678", "【上报】320602-20260506-00001 已上报至区县,本单位不再承办。"),
        ("13812345678", "【催办】请尽快办理事件 320602-20260506-00001。")]
    outbox.clear()
    with translation.override("en"):
        assert notice_deliver(list(Notice.objects.values_list("pk", flat=True))) == 1
    assert outbox[0].text == (
        "【新通知】您有 2 条未读通知:事件 2 条。\n"
        "1. 请尽快办理事件 320602-20260506-00001。\n"
        "2. 320602-20260506-00001 已上报至区县,本单位不再承办。\n"
        "请登录系统查看。")


def test_a_digest_line_that_is_cut_says_so(world):
    sup = world.users[Role.SUPERVISOR]
    notice_send(kind=NoticeKind.REMINDER, **says("催" * 100), area_id=world.grid_a1.pk,
                user_ids=[sup.pk])
    text = notice_digest_text(list(Notice.objects.all()), title="每日汇总 2026-05-06")
    assert "1. " + "催" * 79 + "…\n" in text


def test_several_notices_of_one_write_are_one_message_and_digest_users_get_none(
        world, settings, outbox, django_capture_on_commit_callbacks):
    settings.NOTICE_GATEWAY = SMS_GATEWAY
    sup, handler = world.users[Role.SUPERVISOR], world.users[Role.HANDLER]
    _phone(sup, "13900000001")
    _phone(handler, "13900000002")
    notice_preference_set(actor=handler, daily_digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(kind=NoticeKind.AREA_STATUS, **says("桃坞社区 转为红色"),
                    area_id=world.community_a.pk, user_ids=[sup.pk, handler.pk])
        notice_send(kind=NoticeKind.AREA_STATUS, **says("桃坞第1网格 转为黄色"),
                    area_id=world.grid_a1.pk, user_ids=[sup.pk])
    assert [(m.phone, m.text) for m in outbox] == [
        ("13900000001", "【区域预警变化】桃坞社区 转为红色"),
        ("13900000001", "【区域预警变化】桃坞第1网格 转为黄色")]
    outbox.clear()
    ids = list(Notice.objects.filter(user=sup).values_list("pk", flat=True))
    assert notice_deliver(ids) == 1
    assert [(m.phone, m.text) for m in outbox] == [(
        "13900000001",
        "【新通知】您有 2 条未读通知:预警 2 条。\n"
        "1. 桃坞第1网格 转为黄色\n"
        "2. 桃坞社区 转为红色\n"
        "请登录系统查看。")]


def test_a_failing_gateway_does_not_undo_the_write(world, settings, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    settings.NOTICE_GATEWAY = SMS_GATEWAY
    handler = world.users[Role.HANDLER]
    _phone(handler, "13812345678")

    def broken(phone, text):
        raise OSError("gateway down")

    monkeypatch.setattr(gateways, "sms_send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(kind=NoticeKind.REMINDER, **says("催办"), area_id=world.grid_a1.pk,
                    user_ids=[handler.pk])
    assert Notice.objects.filter(user=handler).count() == 1


class FakeTransport:
    def __init__(self):
        self.posts = []

    def post(self, url, payload):
        self.posts.append((url, payload))
        return {"errcode": 0, "errmsg": "ok"}


def test_wecom_adapter_formats_the_message_and_posts_through_its_transport():
    transport = FakeTransport()
    gateway = gateways.WeComGateway(transport=transport, base_url="https://zwwx.example/",
                                    agent_id="1000002",
                                    userid_for=lambda phone: f"u{phone[-4:]}")
    gateway.deliver("13812345678", "【新交办】事件 1")
    assert transport.posts == [("https://zwwx.example/cgi-bin/message/send", {
        "touser": "u5678", "msgtype": "text", "agentid": "1000002",
        "text": {"content": "【新交办】事件 1"}, "safe": 0})]


def test_wecom_default_transport_posts_nothing(settings, caplog):
    settings.NOTICE_WECOM_BASE_URL = "https://zwwx.example"
    gateway = gateways.WeComGateway()
    assert isinstance(gateway.transport, gateways.LogTransport)
    with caplog.at_level(logging.INFO, logger="civicgrid.notices"):
        gateway.deliver("13812345678", "x")
    assert caplog.messages == [
        "WeCom message to 138****5678 via https://zwwx.example/cgi-bin/message/send"]


# --- the daily digest -------------------------------------------------------------------------

def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=SHANGHAI)


def test_the_daily_digest_sends_one_message_a_day(world, settings, outbox):
    settings.NOTICE_GATEWAY = SMS_GATEWAY
    settings.NOTICE_DIGEST_HOUR = 8
    sup, grid = world.users[Role.SUPERVISOR], world.users[Role.GRID_WORKER]
    _phone(sup, "13900000001")
    notice_preference_set(actor=sup, daily_digest=True)
    notice_preference_set(actor=grid, daily_digest=True)  # no phone
    old = notice_send(kind=NoticeKind.REMINDER, **says("前天的"), area_id=world.grid_a1.pk,
                      user_ids=[sup.pk], now=_at(4, 9))[0]
    notice_send(kind=NoticeKind.SUPERVISION, **says("320602-20260505-00003 被红牌督办"),
                area_id=world.grid_a1.pk, user_ids=[sup.pk], now=_at(5, 10))
    for i, when in enumerate([_at(5, 11), _at(5, 12), _at(5, 13)]):
        notice_send(kind=NoticeKind.AREA_STATUS, **says(f"网格{i} 转为黄色"),
                    area_id=world.community_a.pk, user_ids=[sup.pk], now=when)
    read = notice_send(kind=NoticeKind.WEEKLY_CHECK, **says("已读的"), user_ids=[sup.pk],
                       area_id=world.grid_a1.pk, now=_at(5, 14))[0]
    Notice.objects.filter(pk=read.pk).update(read_at=_at(5, 15))
    assert old.pk

    # Before the hour: nothing yet.
    report = notice_digests_send(now=_at(6, 7, 59))
    assert (report.sent, outbox) == (0, [])

    report = notice_digests_send(now=_at(6, 8, 5))
    assert (report.sent, report.without_phone, report.nothing_new) == (1, 1, 0)
    assert [(m.phone, m.text) for m in outbox] == [(
        "13900000001",
        "【每日汇总 2026-05-06】您有 4 条未读通知:事件 1 条、预警 3 条。\n"
        "1. 网格2 转为黄色\n"
        "2. 网格1 转为黄色\n"
        "3. 网格0 转为黄色\n"
        "另有 1 条。\n"
        "请登录系统查看。")]
    assert NoticePreference.objects.get(user=sup).digest_sent_at == _at(6, 8, 5)

    # Run again the same day (cron every few minutes): nothing more.
    assert notice_digests_send(now=_at(6, 17)).sent == 0
    assert len(outbox) == 1
    # The next day: only what came since the last digest.
    notice_send(kind=NoticeKind.DISPATCH, **says("新交办 1"), area_id=world.grid_a1.pk,
                user_ids=[sup.pk], now=_at(6, 9))
    outbox.clear()
    assert notice_digests_send(now=_at(7, 8)).sent == 1
    assert [m.text for m in outbox] == [
        "【每日汇总 2026-05-07】您有 1 条未读通知:事件 1 条。\n1. 新交办 1\n请登录系统查看。"]
    # Nothing new the day after: no message.
    outbox.clear()
    report = notice_digests_send(now=_at(8, 8))
    assert (report.sent, report.nothing_new, outbox) == (0, 1, [])


def test_the_preference_is_each_persons_own(world):
    handler, sup = world.users[Role.HANDLER], world.users[Role.SUPERVISOR]
    notice_preference_set(actor=handler, daily_digest=True)
    assert NoticePreference.objects.get(user=handler).daily_digest is True
    assert not NoticePreference.objects.filter(user=sup).exists()
    notice_preference_set(actor=handler, daily_digest=False)
    assert NoticePreference.objects.get(user=handler).daily_digest is False
