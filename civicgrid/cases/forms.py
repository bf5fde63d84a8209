"""Forms of the case pages: they parse and validate what people type, nothing more.

Each form ends in the keyword arguments of a service in civicgrid/cases/services.py
(`case_intake`, or `SERVICES[name]` for a workflow transition); the rules themselves
(who may act, limits, required reasons) are the services' and the workflow table's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Case as Conditional
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.scope import get_scope
from civicgrid.areas.models import Area, Level
from civicgrid.cases.models import (
    AttributeType,
    Case,
    Category,
    Channel,
    HandOffKind,
    Outcome,
    PartyRole,
    PeopleBand,
    Sex,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.selectors import INBOXES
from civicgrid.cases.services import HANDOFF_UNIT_KINDS, AgreementInput, PartyInput
from civicgrid.cases.workflow import Transition
from civicgrid.core.idnumbers import IDNumberError, normalize_id_number
from civicgrid.core.widgets import QuickSelect
from civicgrid.units.models import Unit

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class StyledForm(forms.Form):
    """Gives every widget its Tabler/Bootstrap class, and the invalid state after errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect
                          | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
                if type(widget) is forms.Select:  # same HTML, without a template per option
                    widget.__class__ = QuickSelect
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self):
        super().full_clean()
        if self.is_bound:
            for name in self.errors:
                if name in self.fields:
                    widget = self.fields[name].widget
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                    widget.attrs["aria-invalid"] = "true"


# --- list filters --------------------------------------------------------------------------

INBOX_LABELS = {
    "mine": _("我的待办"),
    "dispatch": _("待受理派遣"),
    "unit": _("本单位在办"),
    "handoffs": _("对接待办"),
    "verify": _("待核查回访"),
    "overdue": _("已超时"),
    "supervised": _("督办件"),
}


def visible_inboxes(user) -> list[str]:
    """The inboxes that mean something for the user's permissions, in display order."""
    scope = get_scope(user)
    superuser = bool(getattr(user, "is_superuser", False))

    def can(permission: str) -> bool:
        return superuser or scope.can(permission)

    handles = can("cases.case.handle") and bool(scope.unit_ids)
    shown = {
        "mine": can("cases.case.handle") or can("cases.case.dispatch")
        or can("cases.case.verify"),
        "dispatch": can("cases.case.dispatch"),
        "unit": handles,
        "handoffs": handles,
        "verify": can("cases.case.verify"),
        "overdue": True,
        "supervised": True,
    }
    return [name for name in INBOX_LABELS if name in INBOXES and shown[name]]


class PrefixChoiceField(forms.ChoiceField):
    """A choice list that also accepts any code prefix of the given length range: a number
    on a dashboard may drill down to a district or a grid that the list does not offer.
    The reader's scope still applies to the cases listed."""

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_length = max_length

    def valid_value(self, value) -> bool:
        text = str(value)
        return super().valid_value(value) or (
            text.isdigit() and 2 <= len(text) <= self.max_length)


class CaseFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态")), *Status.choices])
    category = PrefixChoiceField(label=_("分类"), required=False, max_length=12)
    area = PrefixChoiceField(label=_("区域"), required=False, max_length=15)
    channel = forms.ChoiceField(label=_("来源"), required=False,
                                choices=[("", _("全部来源")), *Channel.choices])
    supervision = forms.ChoiceField(
        label=_("督办"), required=False,
        choices=[("", _("全部")), *[(v, label) for v, label in SupervisionLevel.choices if v]])
    q = forms.CharField(label=_("编号或关键词"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("编号或描述中的词")}))
    # Drill-down from statistics (hidden: set by the links on dashboards and reports).
    stat = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    period = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    ordering = forms.ChoiceField(required=False, choices=[("", ""), ("overdue", "overdue")],
                                 widget=forms.HiddenInput)
    DRILL_FIELDS = ("stat", "period", "from", "to")

    def __init__(self, *args, categories: list[tuple[str, str]], areas: list[tuple[str, str]],
                 **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are keywords in Python: declared here rather than as attributes.
        self.fields["from"] = forms.DateField(required=False, widget=forms.HiddenInput)
        self.fields["to"] = forms.DateField(required=False, widget=forms.HiddenInput)
        category, area = self.fields["category"], self.fields["area"]
        assert isinstance(category, forms.ChoiceField) and isinstance(area, forms.ChoiceField)
        category.choices = [("", _("全部分类")), *categories,
                            *self._given("category", categories)]
        area.choices = [("", _("全部区域")), *areas, *self._given("area", areas)]

    def _given(self, name: str, offered: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A drilled-down code that is not in the list, shown as a choice of its own."""
        value = self.data.get(name, "") if self.is_bound else ""
        if value and value not in {code for code, _name in offered}:
            return [(value, value)]
        return []

    def clean_stat(self) -> str:
        from civicgrid.stats.selectors import drilldown

        stat = self.cleaned_data["stat"].strip()
        if stat:
            try:
                drilldown(stat)
            except KeyError as exc:
                raise forms.ValidationError(_("未知的统计口径:%(s)s") % {"s": stat}) from exc
        return stat

    def clean_period(self):
        from civicgrid.stats.selectors import Period

        text = self.cleaned_data["period"].strip()
        if not text:
            return None
        try:
            return Period.parse(text)
        except ValueError as exc:
            raise forms.ValidationError(_("统计期间无效:%(p)s") % {"p": text}) from exc

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", _("结束日期不能早于开始日期。"))
        return cleaned

    @property
    def drilled(self) -> bool:
        """Does the URL ask for the cases behind a statistic?"""
        return self.is_bound and any(self.data.get(name) for name in self.DRILL_FIELDS)

    @property
    def active_count(self) -> int:
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for name, value in self.cleaned_data.items()
                   if value and name not in ("ordering", *self.DRILL_FIELDS))


# --- intake --------------------------------------------------------------------------------

def leaf_categories() -> QuerySet[Category]:
    """Categories a case can be filed under: active and without children."""
    return (Category.objects.filter(active=True, children__isnull=True)
            .select_related("parent").order_by("code"))


class IntakeForm(StyledForm):
    category = forms.ModelChoiceField(
        label=_("事件分类"), queryset=Category.objects.none(),
        error_messages={"required": _("请选择事件分类。"),
                        "invalid_choice": _("请选择最末一级的在用分类。")})
    description = forms.CharField(
        label=_("情况描述"), max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4,
                                     "placeholder": _("发生了什么、涉及哪些人、诉求是什么")}),
        error_messages={"required": _("请描述事件情况。")})
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180,
                           max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90,
                           max_value=90)
    area = forms.ModelChoiceField(label=_("所在网格"), queryset=Area.objects.none(),
                                  required=False, empty_label=_("— 按地图选点确定 —"))
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices)
    address = forms.CharField(label=_("地址"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    happened_at = forms.DateTimeField(label=_("发生时间"), required=False,
                                      input_formats=DATETIME_INPUTS,
                                      widget=DateTimeLocalInput())
    people_band = forms.ChoiceField(label=_("涉及人数"), choices=PeopleBand.choices,
                                    initial=PeopleBand.UNDER_50)
    is_major = forms.BooleanField(label=_("重大矛盾纠纷"), required=False)
    is_group = forms.BooleanField(label=_("群体性"), required=False)

    def __init__(self, *args, grids: QuerySet[Area], **kwargs):
        super().__init__(*args, **kwargs)
        category, area = self.fields["category"], self.fields["area"]
        assert isinstance(category, forms.ModelChoiceField)
        assert isinstance(area, forms.ModelChoiceField)
        category.queryset = leaf_categories()
        area.queryset = grids

    def clean(self):
        data = super().clean() or {}
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.add_error("area", _("坐标不完整,请重新在地图上选点。"))
        return data


class PartyForm(StyledForm):
    role = forms.ChoiceField(label=_("身份"), choices=PartyRole.choices)
    name = forms.CharField(label=_("姓名"), required=False, max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    sex = forms.ChoiceField(label=_("性别"), required=False,
                            choices=[("", "—"), *Sex.choices])
    ethnicity = forms.CharField(label=_("民族"), required=False, max_length=20)
    age = forms.IntegerField(label=_("年龄"), required=False, min_value=0, max_value=150,
                             widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    occupation = forms.CharField(label=_("职业"), required=False, max_length=60)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30,
                            widget=forms.TextInput(attrs={"type": "tel",
                                                          "autocomplete": "off"}))
    address = forms.CharField(label=_("住址"), required=False, max_length=200)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=30,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))

    OPTIONAL = ("sex", "ethnicity", "age", "occupation", "phone", "address", "id_number")

    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number", "").strip()
        if value:
            try:
                return normalize_id_number(value)
            except IDNumberError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return value

    def clean(self):
        data = super().clean() or {}
        if not (data.get("name") or "").strip() and any(data.get(f) for f in self.OPTIONAL):
            self.add_error("name", _("请填写当事人姓名。"))
        return data

    def to_input(self) -> PartyInput | None:
        data = getattr(self, "cleaned_data", None) or {}
        name = (data.get("name") or "").strip()
        if not name:
            return None
        return PartyInput(role=data["role"], name=name, sex=data.get("sex") or "",
                          ethnicity=data.get("ethnicity") or "", age=data.get("age"),
                          occupation=data.get("occupation") or "",
                          phone=data.get("phone") or "", address=data.get("address") or "",
                          id_number=data.get("id_number") or "")


PartyFormSet = forms.formset_factory(PartyForm, extra=0, max_num=20, validate_max=True,
                                     absolute_max=20)
PARTY_PREFIX = "party"


# --- workflow actions ------------------------------------------------------------------------

class ActionForm(StyledForm):
    """The form of one transition; `service_kwargs()` are the service's own arguments."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    multipart = False

    def __init__(self, *args, case: Case, user, transition: Transition, **kwargs):
        self.case, self.user, self.transition = case, user, transition
        kwargs.setdefault("initial", {})["version"] = case.version
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {}


def _reason_field(label=None) -> forms.CharField:
    return forms.CharField(label=label or _("理由"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("请填写理由。")})


def _note_field(label=None) -> forms.CharField:
    return forms.CharField(label=label or _("说明(可选)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(ActionForm):
    note = _note_field()

    def service_kwargs(self):
        return {"note": self.cleaned_data["note"]}


class ReasonForm(ActionForm):
    reason = _reason_field()

    def service_kwargs(self):
        return {"reason": self.cleaned_data["reason"]}


class UnitSelect(forms.Select):
    """Options carry their unit kind (data-kind) and whether they are the suggestion."""

    suggested_id: int | None = None

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-kind"] = instance.kind
        return option


class UnitField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Unit.objects.none())
        kwargs.setdefault("widget", UnitSelect)
        kwargs.setdefault("error_messages", {"required": _("请选择单位。"),
                                             "invalid_choice": _("该单位不可选。")})
        super().__init__(**kwargs)
        self.suggested_id: int | None = None

    def label_from_instance(self, obj):
        if obj.pk == self.suggested_id:
            return _("%(name)s(建议)") % {"name": obj.name}
        return obj.name


def dispatch_units(case: Case, user) -> QuerySet[Unit]:
    """Active units in the dispatch centre's area (its subtree), the suggestion first."""
    suggested = case.suggested_unit_id or 0
    return (Unit.objects.restrict(user, "view").filter(active=True)
            .filter(Q(area__code__startswith=case.queue_area.code) | Q(pk=suggested))
            .select_related("area")
            .annotate(suggested_first=Conditional(When(pk=suggested, then=Value(0)),
                                            default=Value(1), output_field=IntegerField()))
            .order_by("suggested_first", "area__code", "kind", "code"))


class DispatchForm(ActionForm):
    unit = UnitField(label=_("承办单位"))
    note = _note_field(_("交办意见(可选)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitField)
        field.queryset = dispatch_units(self.case, self.user)
        field.suggested_id = self.case.suggested_unit_id
        if self.case.suggested_unit_id and not self.is_bound:
            self.initial.setdefault("unit", self.case.suggested_unit_id)

    def service_kwargs(self):
        return {"unit": self.cleaned_data["unit"], "note": self.cleaned_data["note"]}


class TransferForm(ActionForm):
    unit = UnitField(label=_("转至单位"))
    reason = _reason_field(_("转办理由"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitField)
        field.queryset = dispatch_units(self.case, self.user).exclude(
            pk=self.case.assigned_unit_id or 0)
        field.suggested_id = self.case.suggested_unit_id

    def service_kwargs(self):
        return {"unit": self.cleaned_data["unit"], "reason": self.cleaned_data["reason"]}


class HandOffForm(ActionForm):
    kind = forms.ChoiceField(label=_("对接类型"), choices=HandOffKind.choices)
    to_unit = UnitField(label=_("接收单位"))
    note = _note_field(_("移交说明"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_unit"]
        assert isinstance(field, UnitField)
        field.queryset = (Unit.objects.restrict(self.user, "view")
                          .filter(active=True, kind__in=set(HANDOFF_UNIT_KINDS.values()))
                          .order_by("kind", "area__code", "code"))
        field.widget.attrs["data-handoff-units"] = ""
        self.fields["kind"].widget.attrs["data-handoff-kind"] = json.dumps(
            {kind: str(unit_kind) for kind, unit_kind in HANDOFF_UNIT_KINDS.items()})

    def clean(self):
        data = super().clean() or {}
        kind, unit = data.get("kind"), data.get("to_unit")
        if kind and unit is not None and unit.kind != HANDOFF_UNIT_KINDS.get(kind):
            self.add_error("to_unit", _("接收单位与对接类型不符。"))
        return data

    def service_kwargs(self):
        return {"kind": self.cleaned_data["kind"], "to_unit": self.cleaned_data["to_unit"],
                "note": self.cleaned_data["note"]}


class HandoffOutcomeForm(ActionForm):
    outcome = forms.CharField(label=_("对接结果"), max_length=200,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("请填写对接结果。")})

    def service_kwargs(self):
        return {"outcome": self.cleaned_data["outcome"]}


def _now_local() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class SessionForm(ActionForm):
    held_at = forms.DateTimeField(label=_("调解时间"), input_formats=DATETIME_INPUTS,
                                  widget=DateTimeLocalInput())
    place = forms.CharField(label=_("地点"), required=False, max_length=100)
    attendees = forms.CharField(label=_("参加人员"), max_length=300,
                                error_messages={"required": _("请填写参加人员。")})
    notes = forms.CharField(label=_("调解情况"), max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            error_messages={"required": _("请填写调解情况。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_at", _now_local())
        if not self.is_bound:
            names = [p.name for p in self.case.parties.all()]
            self.initial.setdefault("attendees", "、".join(names))

    def service_kwargs(self):
        data = self.cleaned_data
        return {"held_at": data["held_at"], "place": data["place"],
                "attendees": data["attendees"], "notes": data["notes"]}


class ResolveForm(ActionForm):
    outcome = forms.ChoiceField(label=_("办理结果"), choices=Outcome.choices)
    note = forms.CharField(label=_("办理情况"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("请填写办理情况。")})
    with_agreement = forms.BooleanField(label=_("制作人民调解协议书"), required=False)
    facts = forms.CharField(label=_("纠纷主要事实"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    disputed_matters = forms.CharField(label=_("争议事项"), required=False, max_length=4000,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    responsibilities = forms.CharField(label=_("各方责任"), required=False, max_length=4000,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    terms = forms.CharField(label=_("协议内容(每行一条)"), required=False, max_length=8000,
                            widget=forms.Textarea(attrs={"rows": 4}))
    performance = forms.CharField(label=_("履行方式、期限"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    signed_on = forms.DateField(label=_("生效日期"), required=False, widget=DateInput())
    copies = forms.IntegerField(label=_("份数"), required=False, min_value=3, max_value=50,
                                help_text=_("当事人各一份,另加调委会留存一份。"))

    AGREEMENT_REQUIRED = ("facts", "disputed_matters", "terms", "performance")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parties = self.case.parties.count()
        self.initial.setdefault("copies", max(parties + 1, 3))
        self.initial.setdefault("signed_on", timezone.localdate())
        self.initial.setdefault("outcome", Outcome.MEDIATED)
        self.fields["outcome"].widget.attrs["data-outcome"] = ""
        self.fields["with_agreement"].widget.attrs["data-agreement-toggle"] = ""

    def clean(self):
        data = super().clean() or {}
        if data.get("with_agreement"):
            if data.get("outcome") != Outcome.MEDIATED:
                self.add_error("with_agreement", _("只有调解成功才能制作调解协议书。"))
            for name in self.AGREEMENT_REQUIRED:
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("制作协议书时此项必填。"))
        return data

    def service_kwargs(self):
        data = self.cleaned_data
        agreement = None
        if data.get("with_agreement"):
            agreement = AgreementInput(
                facts=data["facts"], disputed_matters=data["disputed_matters"],
                terms=[line.strip() for line in data["terms"].splitlines() if line.strip()],
                performance=data["performance"], responsibilities=data["responsibilities"],
                signed_on=data.get("signed_on"), copies=data.get("copies"))
        return {"outcome": data["outcome"], "note": data["note"], "agreement": agreement}


SATISFACTION = [("5", _("非常满意")), ("4", _("满意")), ("3", _("基本满意")),
                ("2", _("不满意")), ("1", _("非常不满意"))]


class FollowUpForm(ActionForm):
    satisfaction = forms.TypedChoiceField(label=_("满意度"), coerce=int,
                                          choices=SATISFACTION, widget=forms.RadioSelect,
                                          error_messages={"required": _("请选择满意度。")})
    note = _note_field(_("回访情况(可选)"))

    def service_kwargs(self):
        return {"satisfaction": self.cleaned_data["satisfaction"],
                "note": self.cleaned_data["note"]}


class ExtensionRequestForm(ActionForm):
    days = forms.IntegerField(label=_("延期天数"), min_value=1, max_value=365,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    reason = _reason_field(_("延期理由"))

    def service_kwargs(self):
        return {"days": self.cleaned_data["days"], "reason": self.cleaned_data["reason"]}


class ExtensionDecisionForm(ActionForm):
    decision = forms.ChoiceField(label=_("审批意见"), widget=forms.RadioSelect,
                                 choices=[("approve", _("批准")), ("deny", _("不批准"))])
    note = _note_field()

    def service_kwargs(self):
        return {"approve": self.cleaned_data["decision"] == "approve",
                "note": self.cleaned_data["note"]}


class SuperviseForm(ActionForm):
    level = forms.ChoiceField(label=_("督办级别"), choices=[
        (value, label) if value else (value, _("撤销督办")) for value, label in
        SupervisionLevel.choices])
    reason = _reason_field(_("督办事由"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("level", self.case.supervision or SupervisionLevel.NORMAL)

    def service_kwargs(self):
        return {"level": self.cleaned_data["level"], "reason": self.cleaned_data["reason"]}


class RemindForm(ActionForm):
    message = forms.CharField(label=_("催办内容(可选)"), required=False, max_length=300,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self):
        return {"message": self.cleaned_data["message"]}


class MergeForm(ActionForm):
    master = forms.CharField(label=_("主件编号"), max_length=24,
                             widget=forms.TextInput(attrs={"placeholder": "320602-20260101-00001"}))
    reason = _reason_field(_("合并理由"))

    def clean_master(self) -> Case:
        number = self.cleaned_data["master"].strip()
        master = (Case.objects.restrict(self.user, "view").filter(number=number)
                  .exclude(pk=self.case.pk).first())
        if master is None:
            raise forms.ValidationError(_("没有找到该编号的事件(或不在您的管辖范围内)。"))
        return master

    def service_kwargs(self):
        return {"master": self.cleaned_data["master"], "reason": self.cleaned_data["reason"]}


class AttachForm(ActionForm):
    multipart = True

    def __init__(self, *args, files=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads = list(files.getlist("uploads")) if files is not None else []

    def clean(self):
        data = super().clean() or {}
        if not self.uploads:
            raise forms.ValidationError(_("请选择文件。"))
        return data

    def service_kwargs(self):
        return {"uploads": self.uploads}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": NoteForm,
    "reject": ReasonForm,
    "dispatch": DispatchForm,
    "return": ReasonForm,
    "transfer": TransferForm,
    "escalate": ReasonForm,
    "hand_off": HandOffForm,
    "acknowledge_handoff": ActionForm,
    "handoff_outcome": HandoffOutcomeForm,
    "record_session": SessionForm,
    "resolve": ResolveForm,
    "verify": NoteForm,
    "rework": ReasonForm,
    "follow_up": FollowUpForm,
    "close": NoteForm,
    "reopen": ReasonForm,
    "suspend": ReasonForm,
    "resume": NoteForm,
    "request_extension": ExtensionRequestForm,
    "decide_extension": ExtensionDecisionForm,
    "supervise": SuperviseForm,
    "remind": RemindForm,
    "merge": MergeForm,
    "attach": AttachForm,
}


def action_form(transition: Transition, *, case: Case, user, data=None,
                files=None) -> ActionForm:
    cls = ACTION_FORMS[transition.name]
    kwargs: dict[str, Any] = {"case": case, "user": user, "transition": transition}
    if cls is AttachForm:
        kwargs["files"] = files
    return cls(data, **kwargs)


def grids_in_scope(user) -> QuerySet[Area]:
    return Area.objects.restrict(user, "view").filter(level=Level.GRID).order_by("code")


def attribute_rows(category: Category | None, values: QueryDict | None,
                   errors: dict[str, str]) -> list[dict[str, Any]]:
    """The category's attributes for cases/partials/attributes.html, with posted values."""
    if category is None:
        return []
    rows = []
    for attr in category.attributes.all():
        key = f"attribute_{attr.code}"
        if attr.datatype == AttributeType.MULTI:
            value: Any = values.getlist(key) if values is not None else []
        else:
            value = values.get(key, "") if values is not None else ""
        rows.append({"attr": attr, "name": key, "value": value, "error": errors.get(key, ""),
                     "choices": [(str(k), str(n)) for k, n in attr.values]})
    return rows


def attribute_values(category: Category, values: QueryDict) -> dict[str, Any]:
    """The posted attribute values, as `clean_attributes` expects them."""
    raw: dict[str, Any] = {}
    for attr in category.attributes.all():
        key = f"attribute_{attr.code}"
        if attr.datatype == AttributeType.MULTI:
            raw[attr.code] = [v for v in values.getlist(key) if v]
            continue
        value: Any = values.get(key, "").strip()
        if attr.datatype == AttributeType.DATETIME and value:
            parsed = parse_datetime(value)
            if parsed is not None:
                value = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        raw[attr.code] = value
    return raw
