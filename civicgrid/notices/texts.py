"""The texts of notices: one registry, key → sentence (a gettext msgid with named
parameters), rendered when a notice is shown, in the reader's language (ADR 0009).

A notice stores its `text_key` and `params`, not a finished sentence. Parameters are of
three sorts:

- numbers and language-neutral strings (case numbers, dates, ISO weeks);
- text people wrote (reasons, outcomes, a reminder's words) and names people entered
  (units, areas): stored as written, shown as written in every language;
- words with a translation (a category's name, an enum label such as 市级 or 黄牌督办, the
  reasons of a warning status): stored in every language of settings.LANGUAGES at send
  time, as {"zh-hans": "…", "en": "…"} (`each_language`), so that listing notices needs
  no query per notice and an old notice keeps the names of its day.

`Notice.message` keeps the Chinese rendering made at send time: what the gateway (SMS,
政务微信) sends, and what a notice without a known key (one sent before keys existed) shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _

# What `text_key` may hold (Notice.text_key).
KEY_LENGTH = 40


@dataclass(frozen=True)
class NoticeText:
    """One sentence. `template` is a lazy msgid (or a plain "%(text)s" for words a person
    wrote); `tail`, when given, names a translated parameter appended after a colon only
    when it is present and not empty (the reasons of a warning status)."""

    template: Promise | str
    tail: str = ""


TEXTS: dict[str, NoticeText] = {
    # --- about a case: the transitions (civicgrid/cases/services/) -------------------------
    "closed": NoticeText(gettext_lazy("您登记的事件 %(no)s 已结案。")),
    "rejected": NoticeText(gettext_lazy("您登记的事件 %(no)s 不予受理:%(reason)s")),
    "dispatched": NoticeText(gettext_lazy("%(no)s(%(category)s)已交办至本单位,请办理。")),
    "returned": NoticeText(gettext_lazy("%(unit)s 退回事件 %(no)s:%(reason)s")),
    "transferred_in": NoticeText(
        gettext_lazy("%(no)s 由 %(from)s 转办至本单位,请办理。原因:%(reason)s")),
    "transferred_out": NoticeText(gettext_lazy("%(no)s 已转办至 %(to)s,本单位不再承办。")),
    "escalated_in": NoticeText(gettext_lazy("%(no)s 上报至%(level)s,待受理交办:%(reason)s")),
    "escalated_out": NoticeText(gettext_lazy("%(no)s 已上报至%(level)s,本单位不再承办。")),
    "extension_requested": NoticeText(gettext_lazy("%(no)s 申请延期 %(d)d 天,待审批。")),
    "supervised": NoticeText(gettext_lazy("%(no)s 被%(level)s:%(reason)s")),
    "remind_default": NoticeText(gettext_lazy("请尽快办理事件 %(no)s。")),
    "remind_text": NoticeText("%(text)s"),  # the reminder's words, as the person wrote them
    "handed_off": NoticeText(gettext_lazy("%(from)s 移交对接事件 %(no)s,请签收。")),
    "handoff_outcome": NoticeText(gettext_lazy("%(to)s 反馈对接事件 %(no)s 的结果:%(outcome)s")),
    # --- about a case: the due jobs (civicgrid/cases/services/due_jobs.py) -----------------
    "auto_escalated": NoticeText(gettext_lazy("%(no)s 超时自动上报至本级。")),
    "handoff_overdue": NoticeText(gettext_lazy("对接事件 %(no)s 已超过签收时限。")),
    "judicial_due": NoticeText(
        gettext_lazy("调解协议 %(no)s 可在 %(d)s 前由双方共同申请司法确认,请提醒当事人。")),
    # --- about an area (civicgrid/warnings/services.py) ------------------------------------
    "weekly_check_missing": NoticeText(
        gettext_lazy("%(area)s %(week)s 当周排查尚未报送(截止 %(due)s),请尽快报送;"
              "本周无情况也请作零报告。")),
    "area_status_changed": NoticeText(gettext_lazy("%(area)s 预警状态由%(before)s变为%(after)s"),
                                      tail="reasons"),
    "area_status_new": NoticeText(gettext_lazy("%(area)s 出现%(after)s预警"), tail="reasons"),
    # --- about a major matter's area: its follow-up (civicgrid/risk/services/followup.py) --
    "matter_reassessment_suggested": NoticeText(
        gettext_lazy("建议对重大事项 %(no)s(%(title)s)重新开展风险评估:%(reason)s")),
    # --- about a grid: a registry change reviewed (civicgrid/registry/services/review.py) ---
    "registry_change_approved": NoticeText(
        gettext_lazy("您提交的登记变更 %(no)s(%(kind)s)已审核通过。")),
    "registry_change_returned": NoticeText(
        gettext_lazy("您提交的登记变更 %(no)s(%(kind)s)被退回:%(reason)s")),
}


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def each_language(value: Promise | Callable[[], object]) -> dict[str, str]:
    """A translated word in every language of settings.LANGUAGES, for a notice's params:
    a lazy string (an enum label), or a function called with each language active
    (`lambda: category.display_name()`)."""
    out = {}
    for code in _languages():
        with override(code):
            out[code] = str(value() if callable(value) else value)
    return out


def pick(value: Mapping[str, Any]) -> str:
    """One language out of {language code: text}: the active one, else one with the same
    base language (zh-hans for zh), else the deployment's (LANGUAGE_CODE), else any."""
    active = (get_language() or settings.LANGUAGE_CODE).lower()
    if active in value:
        return str(value[active])
    base = active.split("-")[0]
    for code, text in value.items():
        if str(code).split("-")[0] == base:
            return str(text)
    if settings.LANGUAGE_CODE in value:
        return str(value[settings.LANGUAGE_CODE])
    return str(next(iter(value.values()), ""))


def _resolved(params: Mapping[str, Any]) -> dict[str, Any]:
    return {name: pick(v) if isinstance(v, Mapping) else v for name, v in params.items()}


def render(key: str, params: Mapping[str, Any]) -> str:
    """The sentence of `key` with `params`, in the active language. Raises KeyError for an
    unknown key, and KeyError/TypeError/ValueError when the params do not fit."""
    text = TEXTS[key]
    values = _resolved(params)
    out = str(text.template) % values
    if text.tail and values.get(text.tail):
        out += _(":") + str(values[text.tail])
    return out


def render_or(key: str, params: Mapping[str, Any], fallback: str) -> str:
    """`render`, or `fallback` (the stored Chinese message) for a notice without a known
    key or whose params no longer fit the sentence: a notice is never shown blank."""
    if key not in TEXTS:
        return fallback
    try:
        return render(key, params)
    except (KeyError, TypeError, ValueError):
        return fallback


def validated_message(key: str, params: Mapping[str, Any]) -> str:
    """At send time: the Chinese rendering (Notice.message), or ValidationError for an
    unknown key or params that do not fit the sentence (a missing name, a word where a
    number is due)."""
    if key not in TEXTS:
        raise ValidationError({"text_key": f"unknown notice text {key!r}"})
    try:
        for code in _languages():  # every language must render, not only Chinese
            with override(code):
                render(key, params)
        with override(settings.LANGUAGE_CODE):
            return render(key, params)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError({"params": f"params {sorted(params)} do not fit notice text "
                                         f"{key!r}: {exc!r}"}) from exc
