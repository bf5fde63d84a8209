"""Forms of the interviewer's pages and of the resident's web link: they parse what people
type (an attempt's outcome, a questionnaire's answers); every rule — which outcomes a mode
allows, the callback's time, the answers' order, screen-outs and quotas — is the service's
(civicgrid/surveys/services/fieldwork.py, civicgrid/surveys/questionnaire.py), whose
refusals land on the fields they name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicgrid.core.forms import (
    DATETIME_INPUTS,
    DateTimeLocalInput,
    StyledForm,
    add_service_errors,
)
from civicgrid.core.localized import is_english
from civicgrid.surveys import dispositions
from civicgrid.surveys.models import Mode, Question, Round
from civicgrid.surveys.questionnaire import EARLY_ROLES, MAX_TEXT_ANSWER

NOTE_MAX = 200
# The honeypot of the public form: a field people never see that naive bots fill.
HONEYPOT = "website"


def interviewer_modes(round_: Round) -> list[tuple[str, str]]:
    """The round's modes an interviewer records (telephone, face to face), in order."""
    return [(value, str(label)) for value, label in Mode.choices
            if value in round_.modes and value != Mode.WEB]


def english() -> bool:
    return is_english()


def in_language(text: str, text_en: str | None) -> str:
    """A text people wrote in Chinese, or its English when the reader reads English and
    one was written (the national items have both)."""
    return str(text_en) if english() and text_en else str(text)


def question_text(question: Question) -> str:
    return in_language(question.text, question.text_en)


def option_label(option: dict[str, Any]) -> str:
    """An option of a question, or of a question's results (both have label/label_en)."""
    return in_language(option["label"], option.get("label_en"))


# --- one attempt --------------------------------------------------------------------------

class CallForm(StyledForm):
    """One attempt on a unit in one mode: its outcome (the mode's recordable ones, interim
    first), a note, and for "callback" the agreed time."""

    mode = forms.ChoiceField(widget=forms.HiddenInput)
    code = forms.ChoiceField(label=_("联系结果"), widget=forms.RadioSelect,
                             error_messages={"required": _("请选择联系结果。"),
                                             "invalid_choice": _("请选择联系结果。")})
    callback_at = forms.DateTimeField(
        label=_("约定再联系时间"), required=False, widget=DateTimeLocalInput,
        input_formats=DATETIME_INPUTS, help_text=_("选择“约定再联系”时填写,须在今后 60 天内。"))
    note = forms.CharField(label=_("备注"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("如“请晚上七点后再打”。不要记录受访者的回答。"))

    def __init__(self, *args: Any, round_: Round, mode: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round_
        self.mode_value = mode
        cast(forms.ChoiceField, self.fields["mode"]).choices = interviewer_modes(round_)
        self.fields["mode"].initial = mode
        outcomes = dispositions.recordable(mode)
        self.interim = [o for o in outcomes if not o.final]
        self.final = [o for o in outcomes if o.final]
        cast(forms.ChoiceField, self.fields["code"]).choices = [
            (o.code, str(o.label)) for o in self.interim + self.final]

    def code_groups(self) -> list[tuple[str, list[Any]]]:
        """The outcome radios in two groups: not reached yet (interim), and final."""
        subwidgets = {w.data["value"]: w for w in self["code"]}
        return [(str(_("暂未完成,可再联系")), [subwidgets[o.code] for o in self.interim]),
                (str(_("最终结果,样本结束")), [subwidgets[o.code] for o in self.final])]

    def clean_mode(self) -> str:
        mode: str = self.cleaned_data["mode"]
        if mode != self.mode_value:  # the outcomes shown were another mode's
            raise ValidationError(_("请选择本调查的电话或入户方式。"))
        return mode

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


# --- the questionnaire --------------------------------------------------------------------

def field_name(question: Question) -> str:
    return f"q_{question.key}"


@dataclass
class QuestionBlock:
    """One question as the page shows it: its field, its options' screen-out flags."""

    question: Question
    field: forms.BoundField
    text: str
    early: bool
    screen_outs: list[bool]

    @property
    def options(self) -> list[tuple[Any, bool]]:
        return list(zip(self.field.subwidgets, self.screen_outs, strict=False))


class QuestionnaireForm(StyledForm):
    """The round's questions in their order, one field per question (q_<key>). Nothing is
    required here: what must be answered depends on a screen-out and on a break-off, which
    the service decides (`check_answers`)."""

    def __init__(self, *args: Any, questions: Sequence[Question], **kwargs: Any) -> None:
        self.questions = list(questions)
        super().__init__(*args, **kwargs)
        for question in self.questions:
            self.fields[field_name(question)] = self._field(question)
        # (StyledForm gave every widget its class; the scale's radios are buttons)
        for question in self.questions:
            widget = self.fields[field_name(question)].widget
            if question.kind == "scale":
                widget.attrs["class"] = "btn-check"

    def _field(self, question: Question) -> forms.Field:
        label = question_text(question)
        choices = [(str(o["code"]), option_label(o)) for o in question.options]
        if question.kind == "text":
            return forms.CharField(label=label, required=False, max_length=MAX_TEXT_ANSWER,
                                   widget=forms.Textarea(attrs={"rows": 3}))
        if question.kind == "multiple":
            return forms.MultipleChoiceField(label=label, required=False, choices=choices,
                                             widget=forms.CheckboxSelectMultiple)
        return forms.ChoiceField(label=label, required=False, choices=choices,
                                 widget=forms.RadioSelect)

    def blocks(self) -> list[QuestionBlock]:
        return [QuestionBlock(question=q, field=self[field_name(q)], text=question_text(q),
                              early=q.role in EARLY_ROLES,
                              screen_outs=[bool(o.get("screen_out")) for o in q.options])
                for q in self.questions]

    def answers(self) -> dict[str, Any]:
        """The answers given (question key → code, codes or text), unanswered left out."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if value not in (None, "", []):
                answers[question.key] = list(value) if isinstance(value, list | tuple) \
                    else value
        return answers

    def add_service_errors(self, error: ValidationError) -> None:
        """The service names questions by key; each message goes on its question."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        keys = {q.key: field_name(q) for q in self.questions}
        for name, messages in error.message_dict.items():
            target = keys.get(name) or (name if name in self.fields else None)
            for message in messages:
                self.add_error(target, message)


class InterviewForm(QuestionnaireForm):
    """An interview by telephone or face to face: the mode, then the questions."""

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mode"] = forms.ChoiceField(
            label=_("访问方式"), choices=interviewer_modes(round_), widget=forms.RadioSelect,
            error_messages={"required": _("请选择访问方式。")})
        self.fields["mode"].widget.attrs["class"] = "btn-check"
        self.order_fields(["mode"])


class WebForm(QuestionnaireForm):
    """The resident's own answers through the web link, with the honeypot."""

    website = forms.CharField(required=False, label=_("网址"),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))
