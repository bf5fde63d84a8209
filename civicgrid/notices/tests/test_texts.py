"""The sentences of notices (civicgrid/notices/texts.py): each key rendered in Chinese and in
English from stored params, whatever the language the notice was sent in; an unknown key or
params that do not fit refused at send time; old notices shown as stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from civicgrid.accounts.roles import Role
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.notices.services import NoticeDraft, notice_send, notice_send_batch
from civicgrid.notices.texts import TEXTS, each_language, pick, render

NO = "320602-20260506-00001"
CATEGORY = {"zh-hans": "邻里纠纷", "en": "Neighbour disputes"}
COUNTY = {"zh-hans": "区县", "en": "County/district"}
YELLOW_CARD = {"zh-hans": "黄牌督办", "en": "Yellow-card supervision"}
GREEN = {"zh-hans": "绿色", "en": "Green"}
YELLOW = {"zh-hans": "黄色", "en": "Yellow"}
REASONS = {"zh-hans": "未办结的群体性、重大矛盾纠纷 1 件(黄色阈值 1 件)",
           "en": "1 unresolved group or major disputes (Yellow threshold: 1)"}
MOVE_IN = {"zh-hans": "入住", "en": "Move-in"}

# key: (params, Chinese, English). Names people entered (units, areas) and what they wrote
# (reasons, outcomes, a reminder's words) stay as written in both languages.
TABLE: dict[str, tuple[dict, str, str]] = {
    "closed": ({"no": NO}, f"您登记的事件 {NO} 已结案。",
               f"The case {NO} you registered is closed."),
    "rejected": ({"no": NO, "reason": "重复登记"}, f"您登记的事件 {NO} 不予受理:重复登记",
                 f"The case {NO} you registered was rejected: 重复登记"),
    "dispatched": ({"no": NO, "category": CATEGORY}, f"{NO}(邻里纠纷)已交办至本单位,请办理。",
                   f"{NO} (Neighbour disputes) has been dispatched to your unit. "
                   "Please handle it."),
    "returned": ({"unit": "城东调委会", "no": NO, "reason": "不属本单位"},
                 f"城东调委会 退回事件 {NO}:不属本单位",
                 f"城东调委会 returned case {NO}: 不属本单位"),
    "transferred_in": ({"no": NO, "from": "城东调委会", "reason": "属地"},
                       f"{NO} 由 城东调委会 转办至本单位,请办理。原因:属地",
                       f"{NO} was transferred to your unit by 城东调委会. Please handle it. "
                       "Reason: 属地"),
    "transferred_out": ({"no": NO, "to": "城西调委会"},
                        f"{NO} 已转办至 城西调委会,本单位不再承办。",
                        f"{NO} was transferred to 城西调委会; your unit no longer handles it."),
    "escalated_in": ({"no": NO, "level": COUNTY, "reason": "涉及多个街道"},
                     f"{NO} 上报至区县,待受理交办:涉及多个街道",
                     f"{NO} was escalated to the County/district level and waits to be "
                     "accepted and dispatched: 涉及多个街道"),
    "escalated_out": ({"no": NO, "level": COUNTY}, f"{NO} 已上报至区县,本单位不再承办。",
                      f"{NO} was escalated to the County/district level; your unit no longer "
                      "handles it."),
    "extension_requested": ({"no": NO, "d": 5}, f"{NO} 申请延期 5 天,待审批。",
                            f"{NO}: 5-day extension requested, awaiting approval."),
    "supervised": ({"no": NO, "level": YELLOW_CARD, "reason": "群众多次反映"},
                   f"{NO} 被黄牌督办:群众多次反映",
                   f"{NO} — Yellow-card supervision: 群众多次反映"),
    "remind_default": ({"no": NO}, f"请尽快办理事件 {NO}。",
                       f"Please handle case {NO} as soon as possible."),
    "remind_text": ({"text": "今天下班前回复"}, "今天下班前回复", "今天下班前回复"),
    "handed_off": ({"from": "城东调委会", "no": NO}, f"城东调委会 移交对接事件 {NO},请签收。",
                   f"城东调委会 handed off case {NO} to you. Please acknowledge it."),
    "handoff_outcome": ({"to": "城东派出所", "no": NO, "outcome": "已出警"},
                        f"城东派出所 反馈对接事件 {NO} 的结果:已出警",
                        f"城东派出所 reported the outcome of hand-off {NO}: 已出警"),
    "auto_escalated": ({"no": NO}, f"{NO} 超时自动上报至本级。",
                       f"{NO} was overdue and has been escalated to your level automatically."),
    "handoff_overdue": ({"no": NO}, f"对接事件 {NO} 已超过签收时限。",
                        f"Hand-off case {NO} has passed its acknowledgement deadline."),
    "judicial_due": ({"no": "TJ-2026-001", "d": "2026-06-05"},
                     "调解协议 TJ-2026-001 可在 2026-06-05 前由双方共同申请司法确认,请提醒当事人。",
                     "The parties can jointly apply for judicial confirmation of mediation "
                     "agreement TJ-2026-001 until 2026-06-05. Please remind them."),
    "weekly_check_missing": (
        {"area": "桃坞社区", "week": "2026-05-04", "due": "2026-05-08 17:00"},
        "桃坞社区 2026-05-04 当周排查尚未报送(截止 2026-05-08 17:00),请尽快报送;"
        "本周无情况也请作零报告。",
        "桃坞社区 hasn't submitted the weekly check for the week of 2026-05-04 (due "
        "2026-05-08 17:00). Please submit it as soon as possible; if there was nothing this "
        "week, submit a zero report."),
    "area_status_changed": (
        {"area": "桃坞社区", "before": GREEN, "after": YELLOW, "reasons": REASONS},
        "桃坞社区 预警状态由绿色变为黄色:未办结的群体性、重大矛盾纠纷 1 件(黄色阈值 1 件)",
        "桃坞社区: warning status changed from Green to Yellow: 1 unresolved group or major "
        "disputes (Yellow threshold: 1)"),
    "area_status_new": ({"area": "桃坞社区", "after": YELLOW}, "桃坞社区 出现黄色预警",
                        "桃坞社区: new Yellow warning"),
    "registry_change_approved": ({"no": 12, "kind": MOVE_IN},
                                 "您提交的登记变更 12(入住)已审核通过。",
                                 "Your registry change 12 (Move-in) has been approved."),
    "registry_change_returned": ({"no": 12, "kind": MOVE_IN, "reason": "入住日期有误"},
                                 "您提交的登记变更 12(入住)被退回:入住日期有误",
                                 "Your registry change 12 (Move-in) was returned: 入住日期有误"),
    # The reason is stored as the warnings module wrote it (Chinese), like a typed reason.
    "matter_reassessment_suggested": (
        {"no": "ZD-2026-0001", "title": "桃坞加装电梯", "reason": "30日内矛盾纠纷 6 件"},
        "建议对重大事项 ZD-2026-0001(桃坞加装电梯)重新开展风险评估:30日内矛盾纠纷 6 件",
        "A new risk assessment is suggested for major matter ZD-2026-0001 (桃坞加装电梯): "
        "30日内矛盾纠纷 6 件"),
}


def test_every_sentence_has_a_row_in_the_table():
    assert set(TABLE) == set(TEXTS)


@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_sentence_in_chinese_and_in_english(key):
    params, chinese, english = TABLE[key]
    with translation.override("zh-hans"):
        assert render(key, params) == chinese
    with translation.override("en"):
        assert render(key, params) == english


def test_a_translated_word_is_picked_by_language_with_fallbacks():
    assert pick(CATEGORY) == "邻里纠纷"  # tests run in Chinese
    with translation.override("en-gb"):
        assert pick(CATEGORY) == "Neighbour disputes"  # same base language
    with translation.override("fr"):
        assert pick(CATEGORY) == "邻里纠纷"  # the deployment's language
    assert pick({"en": "only English"}) == "only English"


def test_each_language_formats_a_word_once_per_language():
    from civicgrid.cases.models import SupervisionLevel

    with translation.override("en"):  # whatever the sender's language
        assert each_language(SupervisionLevel.YELLOW.label) == YELLOW_CARD


def _send(world, key, params):
    return notice_send(kind=NoticeKind.REMINDER, text_key=key, params=params,
                       area_id=world.grid_a1.pk, user_ids=[world.users[Role.GRID_WORKER].pk])


@pytest.mark.parametrize(("key", "params"), [
    ("no_such_text", {"no": NO}),  # unknown key
    ("dispatched", {"no": NO}),  # a name missing
    ("extension_requested", {"no": NO, "d": "five"}),  # a word where a number is due
])
def test_a_notice_that_cannot_be_rendered_is_refused_and_nothing_is_written(world, key,
                                                                           params):
    with pytest.raises(ValidationError):
        _send(world, key, params)
    with pytest.raises(ValidationError):  # in a batch: none of the batch is written
        notice_send_batch([NoticeDraft(NoticeKind.REMINDER, "remind_default", {"no": NO},
                                       area_id=world.grid_a1.pk,
                                       user_ids=[world.users[Role.GRID_WORKER].pk]),
                           NoticeDraft(NoticeKind.REMINDER, key, params,
                                       area_id=world.grid_a1.pk,
                                       user_ids=[world.users[Role.GRID_WORKER].pk])])
    assert Notice.objects.count() == 0


@pytest.mark.parametrize(("sent_in", "read_in", "expected"), [
    ("en", "zh-hans", f"{NO}(邻里纠纷)已交办至本单位,请办理。"),
    ("zh-hans", "en", f"{NO} (Neighbour disputes) has been dispatched to your unit. "
                      "Please handle it."),
])
def test_a_notice_reads_in_the_readers_language_not_the_senders(world, sent_in, read_in,
                                                                expected):
    with translation.override(sent_in):
        notice = _send(world, "dispatched", {"no": NO, "category": CATEGORY})[0]
    notice = Notice.objects.get(pk=notice.pk)
    with translation.override(read_in):
        assert notice.text == expected
    # The stored message is the Chinese, whoever sent it (the gateway's text).
    assert notice.message == f"{NO}(邻里纠纷)已交办至本单位,请办理。"
    assert (notice.text_key, notice.params) == ("dispatched", {"no": NO, "category": CATEGORY})


def test_a_long_reason_is_stored_and_shown_whole(world):
    reason = "理" * 2000  # ReasonInput's limit
    notice = Notice.objects.get(pk=_send(world, "supervised", {
        "no": NO, "level": YELLOW_CARD, "reason": reason})[0].pk)
    assert notice.message == f"{NO} 被黄牌督办:{reason}"
    with translation.override("en"):
        assert notice.text == f"{NO} — Yellow-card supervision: {reason}"


@pytest.mark.parametrize(("text_key", "params"), [
    ("", {}),  # sent before notices had keys
    ("a_sentence_since_removed", {"no": NO}),
    ("dispatched", {"no": NO}),  # params that no longer fit
])
def test_a_notice_without_a_renderable_key_shows_its_stored_message(world, text_key, params):
    notice = Notice.objects.create(user=world.users[Role.GRID_WORKER], area=world.grid_a1,
                                   kind=NoticeKind.REMINDER, text_key=text_key, params=params,
                                   message="旧的通知", created_at=timezone.now())
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert notice.text == "旧的通知"
