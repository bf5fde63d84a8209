"""The questionnaire: the national items every round starts from, and the checking of one
interview's answers against the round's questions.

Order rule: the stratification questions (sex, age) come first, then the screening ones
(residence), then the others, so that a respondent screened out or turned away by a full
quota has still given the sex and age the quota needs and the response records them (only
someone under 18, screened out by the age question itself, leaves after their sex). The
safety question (the index) is a five-point scale whose first three options count towards
the index (很安全 / 安全 / 基本安全).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

KINDS = ("single", "multiple", "scale", "text")
ROLES = ("screen", "stratum", "index", "item")
EARLY_ROLES = ("screen", "stratum")
INDEX_OPTIONS = 5
INDEX_SAFE = ("1", "2", "3")  # 很安全, 安全, 基本安全
INDEX_LABELS = ("很安全", "安全", "基本安全", "不太安全", "不安全")
MAX_TEXT_ANSWER = 500


def _options(*pairs: tuple[str, str], screen_out: Sequence[str] = ()) -> list[dict[str, Any]]:
    return [{"code": str(i), "label": zh, "label_en": en, "screen_out": str(i) in screen_out}
            for i, (zh, en) in enumerate(pairs, start=1)]


# The national items (全国公众安全感调查的通用题目), loaded into every new round; the
# strings are Chinese with their English, both stored on the round's questions (what a
# round asked is kept as it was asked, whatever the catalogue later says).
NATIONAL: tuple[dict[str, Any], ...] = (
    {"key": "sex", "kind": "single", "role": "stratum", "cell_part": "sex",
     "text": "您的性别", "text_en": "Sex", "options": _options(("男", "Male"), ("女", "Female"))},
    {"key": "age", "kind": "single", "role": "stratum", "cell_part": "age",
     "text": "请问您的年龄是?", "text_en": "How old are you?",
     "options": _options(("18—29岁", "18–29"), ("30—44岁", "30–44"), ("45—59岁", "45–59"),
                         ("60岁及以上", "60 or over"), ("未满18岁", "Under 18"),
                         screen_out=("5",))},
    {"key": "resident", "kind": "single", "role": "screen", "cell_part": "",
     "text": "您在本区(县)居住是否已满半年?", "text_en": "Have you lived in this district for at "
     "least six months?", "options": _options(("是", "Yes"), ("否", "No"), screen_out=("2",))},
    {"key": "safety", "kind": "scale", "role": "index", "cell_part": "",
     "text": "总体来说,您觉得您所在地区的社会治安状况安全吗?",
     "text_en": "Overall, how safe do you feel in the area where you live?",
     "options": _options(("很安全", "Very safe"), ("安全", "Safe"), ("基本安全", "Fairly safe"),
                         ("不太安全", "Not very safe"), ("不安全", "Unsafe"))},
    {"key": "night", "kind": "scale", "role": "item", "cell_part": "",
     "text": "晚上独自在居住地附近走路,您觉得安全吗?",
     "text_en": "How safe do you feel walking alone near your home after dark?",
     "options": _options(("很安全", "Very safe"), ("安全", "Safe"), ("基本安全", "Fairly safe"),
                         ("不太安全", "Not very safe"), ("不安全", "Unsafe"))},
    {"key": "trend", "kind": "single", "role": "item", "cell_part": "",
     "text": "与一年前相比,您觉得本地治安状况有何变化?",
     "text_en": "Compared with a year ago, has public safety here changed?",
     "options": _options(("变好了", "Better"), ("没有变化", "No change"), ("变差了", "Worse"),
                         ("说不清", "Cannot say"))},
    {"key": "worries", "kind": "multiple", "role": "item", "cell_part": "",
     "text": "您最担心哪些治安问题?(可多选)",
     "text_en": "Which safety problems worry you most? (any number)",
     "options": _options(("入室盗窃", "Burglary"), ("电信网络诈骗", "Telephone and online fraud"),
                         ("抢劫抢夺", "Robbery and snatching"), ("交通安全", "Road safety"),
                         ("黄赌毒", "Prostitution, gambling and drugs"),
                         ("邻里纠纷", "Disputes between neighbours"), ("其他", "Other"))},
    {"key": "satisfaction", "kind": "scale", "role": "item", "cell_part": "",
     "text": "您对本地政法机关维护社会治安的工作满意吗?",
     "text_en": "How satisfied are you with the local justice and police organs' work for "
     "public safety?",
     "options": _options(("很满意", "Very satisfied"), ("满意", "Satisfied"),
                         ("基本满意", "Fairly satisfied"), ("不太满意", "Not very satisfied"),
                         ("不满意", "Dissatisfied"))},
    {"key": "suggestion", "kind": "text", "role": "item", "cell_part": "", "required": False,
     "text": "您对改善本地治安还有什么意见和建议?",
     "text_en": "Any suggestions to improve public safety here?", "options": []},
)


@dataclass
class Checked:
    """One interview's answers, checked: what is kept, and what they mean."""

    answers: dict[str, Any] = field(default_factory=dict)
    screened_out: bool = False
    cell: str = ""  # "sex|age": the option codes, e.g. "2|4"
    index_answered: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def _option_codes(question: Any) -> list[str]:
    return [str(o["code"]) for o in question.options]


def check_answers(questions: Sequence[Any], raw: Mapping[str, Any], *,
                  complete: bool) -> Checked:
    """Check `raw` (question key → answer: an option code, a list of codes, or text)
    against the questions in their order. Answers after a screen-out are dropped. With
    `complete`, every required question up to the end (or the screen-out) must be answered;
    otherwise (a break-off) whatever was answered is kept. Unknown keys are refused."""
    result = Checked()
    known = {q.key for q in questions}
    unknown = sorted(set(raw) - known)
    if unknown:
        result.errors["__all__"] = _("问卷中没有这些题目:%(keys)s") % {
            "keys": ", ".join(unknown[:5])}
        return result
    parts: dict[str, str] = {}
    for question in questions:
        value = raw.get(question.key)
        if value in (None, "", []):
            if complete and question.required:
                result.errors[question.key] = _("请回答这道题。")
            continue
        codes = _option_codes(question)
        if question.kind == "text":
            text = str(value).strip()
            if len(text) > MAX_TEXT_ANSWER:
                result.errors[question.key] = _("回答不能超过 %(n)s 字。") % {
                    "n": MAX_TEXT_ANSWER}
                continue
            result.answers[question.key] = text
        elif question.kind == "multiple":
            chosen = [str(v) for v in (value if isinstance(value, list) else [value])]
            if any(c not in codes for c in chosen) or len(set(chosen)) != len(chosen):
                result.errors[question.key] = _("选项无效。")
                continue
            result.answers[question.key] = sorted(chosen, key=codes.index)
        else:
            code = str(value)
            if isinstance(value, list) or code not in codes:
                result.errors[question.key] = _("选项无效。")
                continue
            result.answers[question.key] = code
            if question.cell_part:
                parts[question.cell_part] = code
            if question.role == "index":
                result.index_answered = True
            option = question.options[codes.index(code)]
            if question.role in EARLY_ROLES and option.get("screen_out"):
                result.screened_out = True
                break
    if "sex" in parts and "age" in parts:
        result.cell = f"{parts['sex']}|{parts['age']}"
    # (after a screen-out nothing more is asked: the loop stopped there, so the errors are
    # those of the questions before it, which were required)
    return result


def order_problem(questions: Sequence[Any]) -> str:
    """"" when the screening and stratification questions all come before the others and
    exactly one index question (a five-point scale) is there; otherwise what is wrong."""
    seen_other = seen_screen = False
    for question in questions:
        if question.role == "stratum" and seen_screen:
            return _("分层题(年龄、性别)必须排在甄别题之前。")
        if question.role in EARLY_ROLES:
            if seen_other:
                return _("甄别题和分层题必须排在其他题目之前。")
            seen_screen = seen_screen or question.role == "screen"
        else:
            seen_other = True
    index = [q for q in questions if q.role == "index"]
    if len(index) != 1:
        return _("问卷必须有且只有一道安全感题。")
    if index[0].kind != "scale" or len(index[0].options) != INDEX_OPTIONS:
        return _("安全感题必须是五级量表。")
    parts = [q.cell_part for q in questions if q.cell_part]
    if len(parts) != len(set(parts)):
        return _("年龄和性别各只能有一道题。")
    return ""
