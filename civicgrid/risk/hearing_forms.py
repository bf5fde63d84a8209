"""Forms of the hearing pages (staff and public): they parse what people type; every rule
(statuses, deadlines, quotas, lengths) is the service's (civicgrid/risk/services/
hearings.py), whose refusals land on the fields they name."""

from __future__ import annotations

from dataclasses import fields

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicgrid.risk.models import (
    Disposition,
    Hearing,
    HearingQuota,
    ParticipantGroup,
    Passage,
    Position,
)
from civicgrid.risk.services.hearings import (
    AGENDA_MAX,
    COMMENT_MAX,
    MINUTES_MAX,
    REASON_MAX,
    SEATS_MAX,
    SEED_MAX,
    STATEMENT_MAX,
    HearingInput,
    PassageInput,
    RegistrationInput,
)

# The honeypot of public forms: a field people never see that naive bots fill.
HONEYPOT = "website"
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def counted(widget: forms.Widget, limit: int) -> forms.Widget:
    """A long text with a live counter (core/static/core/counter.js) instead of maxlength,
    with which a browser cuts a pasted text silently: a longer text is refused with its
    limit by the service."""
    widget.attrs.pop("maxlength", None)
    widget.attrs["data-maxlength"] = str(limit)
    widget.attrs["data-over-text"] = _("超出{n}个字,请删减")
    return widget


def textarea(limit: int, rows: int = 4, **attrs: str) -> forms.Widget:
    return counted(forms.Textarea(attrs={"rows": rows, **attrs}), limit)


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class Styled(forms.Form):
    """Tabler classes on every widget; service refusals put on their fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.errors:
            if name in self.fields:
                css = self.fields[name].widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    self.fields[name].widget.attrs["class"] = f"{css} is-invalid".strip()
        return valid


# --- staff -----------------------------------------------------------------------------------

class HearingForm(Styled):
    """The notice, built from HearingInput (the API would take the same fields)."""

    title = forms.CharField(label=_("听证会名称"), max_length=120)
    starts_at = forms.DateTimeField(label=_("举行时间"), widget=DateTimeLocal,
                                    input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("地点"), max_length=200)
    draft_title = forms.CharField(label=_("草案名称"), max_length=120)
    agenda = forms.CharField(label=_("议程"), widget=textarea(AGENDA_MAX, 4))
    registration_closes_at = forms.DateTimeField(
        label=_("报名截止时间"), widget=DateTimeLocal,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"])
    comments_close_at = forms.DateTimeField(
        label=_("意见征集截止时间"), widget=DateTimeLocal,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"])
    seed_source = forms.CharField(
        label=_("抽签种子来源"), max_length=120,
        help_text=_("随公告公布,报名截止后才公开产生,如“报名截止次日的福彩3D开奖号码”;"
                    "抽签时填入该号码,任何人可据此复核。"))

    @classmethod
    def for_hearing(cls, hearing: Hearing) -> HearingForm:
        return cls(initial={f.name: getattr(hearing, f.name) for f in fields(HearingInput)})

    def to_input(self) -> HearingInput:
        return HearingInput(**{f.name: self.cleaned_data[f.name] for f in fields(HearingInput)})


def passages_text(passages: list[Passage]) -> str:
    """The passages as the textarea shows them (the inverse of `parse_passages`)."""
    blocks = []
    for p in passages:
        blocks.append(f"【{p.heading}】\n{p.text}" if p.heading else p.text)
    return "\n\n".join(blocks)


def parse_passages(text: str) -> list[PassageInput]:
    """Passages separated by an empty line; a first line in 【】 is the passage's heading."""
    passages = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        block = block.strip()
        if not block:
            continue
        heading = ""
        first, _sep, rest = block.partition("\n")
        first = first.strip()
        if first.startswith("【") and first.endswith("】") and rest.strip():
            heading, block = first[1:-1].strip(), rest.strip()
        passages.append(PassageInput(heading=heading, text=block))
    return passages


class PassagesForm(Styled):
    passages = forms.CharField(
        label=_("草案全文"), widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("每段(条)之间空一行;段首一行写在【】中的作为该段标题。公告发布后不能修改。"))

    def to_passages(self) -> list[PassageInput]:
        return parse_passages(self.cleaned_data["passages"])


class QuotaForm(Styled):
    def __init__(self, *args, quotas: list[HearingQuota] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        seats = {q.group: q.seats for q in quotas or []}
        for value, label in ParticipantGroup.choices:
            self.fields[value] = forms.IntegerField(
                label=label, min_value=0, max_value=SEATS_MAX, required=False,
                initial=seats.get(value, 0),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def to_seats(self) -> dict[str, int]:
        return {g: self.cleaned_data.get(g) or 0 for g in ParticipantGroup.values}


class DrawForm(Styled):
    seed = forms.CharField(
        label=_("抽签种子"), max_length=SEED_MAX,
        help_text=_("事先公布的取得方式所得的值,如某日公开开奖号码;抽签后与结果一并公布。"))


class HeldForm(Styled):
    chair = forms.CharField(label=_("主持人"), max_length=60)
    minutes = forms.CharField(label=_("听证笔录"), widget=textarea(MINUTES_MAX, 10))


class SignForm(Styled):
    signed_by = forms.CharField(label=_("签字人(主持人姓名)"), max_length=60)


class DispositionForm(Styled):
    comment = forms.IntegerField(widget=forms.HiddenInput)
    disposition = forms.ChoiceField(label=_("处理结果"), choices=Disposition.choices,
                                    widget=forms.RadioSelect)
    reason = forms.CharField(label=_("理由(部分采纳、未采纳时必填)"), required=False,
                             widget=textarea(REASON_MAX, 2))


class WithdrawForm(Styled):
    registration = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("撤回原因"), max_length=REASON_MAX)


class RevealForm(Styled):
    registration = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("查看原因"), max_length=REASON_MAX)


# --- public (and the desk) ----------------------------------------------------------------

class RegistrationForm(Styled):
    group = forms.ChoiceField(
        label=_("报名类别"), choices=(),
        error_messages={"required": _("请选择报名类别。"),
                        "invalid_choice": _("请选择本次听证设有名额的类别。")})
    name = forms.CharField(label=_("姓名"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}),
                           error_messages={"required": _("请填写姓名。")})
    phone = forms.CharField(label=_("联系电话"), max_length=20,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                                          "autocomplete": "tel"}),
                            error_messages={"required": _("请填写联系电话。")})
    affiliation = forms.CharField(label=_("单位/住址(小区)"), max_length=120, required=False)
    position = forms.ChoiceField(label=_("对草案的基本观点"), choices=Position.choices,
                                 widget=forms.RadioSelect,
                                 error_messages={"required": _("请选择您的基本观点。")})
    wants_to_speak = forms.BooleanField(label=_("申请在听证会上发言"), required=False,
                                        initial=True)
    statement = forms.CharField(label=_("发言要点(可选)"), required=False,
                                widget=textarea(STATEMENT_MAX, 3))
    website = forms.CharField(required=False, max_length=200)  # the honeypot

    def __init__(self, *args, quotas: list[HearingQuota] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("请选择"))] + [
            (q.group, q.get_group_display()) for q in quotas or [] if q.seats]

    def to_input(self) -> RegistrationInput:
        data = self.cleaned_data
        return RegistrationInput(group=data["group"], name=data["name"], phone=data["phone"],
                                 position=data["position"], affiliation=data["affiliation"],
                                 wants_to_speak=data["wants_to_speak"],
                                 statement=data["statement"])


class CommentForm(Styled):
    passage = forms.IntegerField(widget=forms.HiddenInput)
    author = forms.CharField(label=_("署名(可选,公布时遮蔽)"), max_length=60, required=False)
    text = forms.CharField(label=_("意见内容"), widget=textarea(COMMENT_MAX, 3),
                           error_messages={"required": _("请填写意见内容。")})
    website = forms.CharField(required=False, max_length=200)  # the honeypot

