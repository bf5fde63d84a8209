"""Forms of the case pages: they parse and validate what people type, nothing more.

Each form ends in the keyword arguments of a service in civicgrid/cases/services.py
(`case_intake`, or `SERVICES[name]` for a workflow transition); the rules themselves
(who may act, limits, required reasons) are the services' and the workflow table's.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Choices, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.coords import CoordinateSystem, parse_coordinate_system
from civicgrid.areas.models import Area, Level
from civicgrid.cases import inputs, services
from civicgrid.cases.inputs import InputField, PartyInput, input_fields
from civicgrid.cases.models import (
    AttributeType,
    Case,
    CaseKind,
    Category,
    Channel,
    Outcome,
    PartyRole,
    PeopleBand,
    Sex,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.selectors import DUPLICATE_REASONS, INBOXES, drill, merge_candidates
from civicgrid.cases.services.intake import ATTRIBUTE_TEXT_MAX_LENGTH
from civicgrid.cases.workflow import Transition
from civicgrid.core.forms import (  # noqa: F401 (re-exported for the other case forms)
    DATETIME_INPUTS,
    DATETIME_LOCAL,
    TOO_LONG,
    DateInput,
    DateTimeLocalInput,
    StyledForm,
    counted,
)
from civicgrid.core.idnumbers import IDNumberError, normalize_id_number
from civicgrid.core.periods import Period
from civicgrid.core.scope import get_scope
from civicgrid.risk.models import Matter
from civicgrid.units.models import Unit

# --- list filters --------------------------------------------------------------------------

INBOX_LABELS = {
    "mine": _("我的待办"),
    "reported": _("我上报的"),
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
        "reported": can("cases.case.add"),
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
    q = forms.CharField(label=_("编号、关键词或当事人"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _(
                            "编号(或后几位)、描述中的词、当事人姓名或电话")}))
    # Drill-down from statistics (hidden: set by the links on dashboards and reports).
    stat = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    period = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    # The list's sort (column headers): newest first (""), oldest first, or by the stage
    # deadline, most overdue first. Each is an index the keyset pages walk.
    ordering = forms.ChoiceField(required=False, choices=[("", ""), ("oldest", "oldest"),
                                                          ("overdue", "overdue")],
                                 widget=forms.HiddenInput)
    # The follow-up of a major matter (hidden: set by the links of its counts).
    matter = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    kind = forms.ChoiceField(required=False, choices=[("", ""), *CaseKind.choices],
                             widget=forms.HiddenInput)
    state = forms.ChoiceField(required=False,
                              choices=[("", ""), ("open", _("未办结")), ("valid", _("有效事件"))],
                              widget=forms.HiddenInput)
    DRILL_FIELDS = ("stat", "period", "from", "to", "matter", "kind", "state")

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
        stat = self.cleaned_data["stat"].strip()
        if stat:
            try:
                drill(stat)
            except KeyError as exc:
                raise forms.ValidationError(_("未知的统计口径:%(s)s") % {"s": stat}) from exc
        return stat

    def clean_period(self):
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

# How many matters the intake page lists (the newest): the page's weight stays bounded
# whatever the number of matters in the user's scope.
INTAKE_MATTER_CHOICES = 30


class MatterField(forms.ModelChoiceField):
    """A major matter, shown by its number and title."""

    def label_from_instance(self, obj: Matter) -> str:
        return f"{obj.number} {obj.title}"


def leaf_categories() -> QuerySet[Category]:
    """Categories a case can be filed under: active and without children."""
    return (Category.objects.filter(active=True, children__isnull=True)
            .select_related("parent").order_by("code"))


class IntakeForm(StyledForm):
    category = forms.ModelChoiceField(
        label=_("事件分类"), queryset=Category.objects.none(),
        error_messages={"required": _("请选择事件分类。"),
                        "invalid_choice": _("请选择最末一级的在用分类。")})
    # No max_length: the limit is case_intake's (one for every channel, with its message);
    # the counter shows it while typing.
    description = forms.CharField(
        label=_("情况描述"),
        widget=counted(forms.Textarea(attrs={"rows": 4, "placeholder": _(
            "发生了什么、涉及哪些人、诉求是什么")}), services.DESCRIPTION_MAX_LENGTH),
        error_messages={"required": _("请描述事件情况。")})
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180,
                           max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90,
                           max_value=90)
    # The system lng/lat are in: wgs84 (the map's and the browser's position, the default),
    # gcj02 or bd09 when a script takes the point from a Chinese map SDK (areas/coords.py).
    coordinate_system = forms.CharField(required=False, max_length=20,
                                        initial=CoordinateSystem.WGS84.value,
                                        widget=forms.HiddenInput)
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
    # The major matter the case is about (civicgrid/risk): offered only when the user can
    # tag one (services.taggable_matters); the service checks it again.
    matter = MatterField(label=_("涉及重大事项"), queryset=Matter.objects.none(),
                         required=False, empty_label=_("— 无 —"),
                         error_messages={"invalid_choice": _("找不到该重大事项。")})

    def __init__(self, *args, grids: QuerySet[Area], matters: QuerySet[Matter] | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        category, area = self.fields["category"], self.fields["area"]
        assert isinstance(category, forms.ModelChoiceField)
        assert isinstance(area, forms.ModelChoiceField)
        category.queryset = leaf_categories()
        area.queryset = grids
        if matters is None or not matters.exists():
            del self.fields["matter"]
        else:
            matter = self.fields["matter"]
            assert isinstance(matter, forms.ModelChoiceField)
            matter.queryset = matters  # what a posted choice is checked against
            # The page lists the newest few (its weight: docs/performance.md); an older
            # matter is tagged on the case page afterwards.
            shown = list(matters[:INTAKE_MATTER_CHOICES])
            matter.widget.choices = [("", matter.empty_label),
                                     *((m.pk, matter.label_from_instance(m)) for m in shown)]
            if len(shown) == INTAKE_MATTER_CHOICES:
                matter.help_text = _("列出最近登记的%(n)d个重大事项;"
                                     "其他事项可在登记后于事件页面关联。") % {
                    "n": INTAKE_MATTER_CHOICES}

    def clean(self):
        data = super().clean() or {}
        try:
            data["coordinate_system"] = parse_coordinate_system(data.get("coordinate_system"))
        except ValidationError as exc:  # a hidden field: said above the form
            self.add_error(None, exc.messages)
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.add_error("area", _("坐标不完整,请重新在地图上选点。"))
        return data


# Every phone field: the phone keypad (inputmode) and the tel type; the rule is the
# services' (`normalize_phone`).
PHONE_ATTRS = {"type": "tel", "inputmode": "tel", "autocomplete": "off"}


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
                            widget=forms.TextInput(attrs=PHONE_ATTRS))
    address = forms.CharField(label=_("住址"), required=False, max_length=200)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=30,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    # A person picked from the registry (实有人口): the particulars left blank are completed
    # from the register when the case is registered (cases.hooks.party_from_registry).
    registry_person = forms.IntegerField(required=False, min_value=1,
                                         widget=forms.HiddenInput)

    OPTIONAL = ("sex", "ethnicity", "age", "occupation", "phone", "address", "id_number")

    def clean_phone(self) -> str:
        """The services' one phone rule (`normalize_phone`), here only to show its message
        on the field; `party_row` checks it again whoever calls."""
        value = self.cleaned_data.get("phone", "").strip()
        if value and not services.normalize_phone(value):
            raise forms.ValidationError(services.phone_error())
        return value

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
        if not (data.get("name") or "").strip() and any(
                data.get(f) for f in (*self.OPTIONAL, "registry_person")):
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
#
# One form class per input type of civicgrid/cases/inputs.py, built from its fields: the
# type says which form field, the field's Spec says the label, limits and widget. Nothing
# here decides whether the action is allowed; the service does, and its message is shown on
# the field it names.

class ActionForm(StyledForm):
    """The form of one transition; `to_input()` is the service's typed input."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    multipart = False
    input_type: type = inputs.NoInput

    def __init__(self, *args, case: Case, user, transition: Transition, files=None,
                 **kwargs):
        self.case, self.user, self.transition = case, user, transition
        self.files_given = files
        kwargs.setdefault("initial", {})["version"] = case.version
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            choices_from = getattr(field, "choices_from", "")
            if choices_from:
                assert isinstance(field, UnitField)
                field.queryset = services.CHOICES[choices_from](case=case, actor=user)
                field.suggested_id = case.suggested_unit_id
                if name == "unit" and case.suggested_unit_id and not self.is_bound:
                    self.initial.setdefault(name, case.suggested_unit_id)

    def to_input(self) -> Any:
        return _build_input(self.input_type, self.cleaned_data, self)


class UnitSelect(forms.Select):
    """Options carry their unit kind (data-kind) and whether they are the suggestion."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-kind"] = instance.kind
        return option


class UnitField(forms.ModelChoiceField):
    """A unit. The select offers what the service lists (its `queryset`, set by the form),
    but any unit is parsed here, so that the service, not the form, refuses one that may
    not take the case, with the same message the API gives."""

    def __init__(self, *, choices_from: str = "", **kwargs):
        kwargs.setdefault("queryset", Unit.objects.none())
        kwargs.setdefault("widget", UnitSelect)
        kwargs.setdefault("error_messages", {"required": _("请选择单位。"),
                                             "invalid_choice": _("没有该单位。")})
        super().__init__(**kwargs)
        self.choices_from = choices_from
        self.suggested_id: int | None = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return Unit.objects.get(pk=int(value))
        except (TypeError, ValueError, Unit.DoesNotExist) as exc:
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice") from exc

    def label_from_instance(self, obj):
        if obj.pk == self.suggested_id:
            return _("%(name)s(建议)") % {"name": obj.name}
        return obj.name


class CaseNumberField(forms.CharField):
    """A case by its number; whether the actor may use it is the service's rule."""

    def clean(self, value):
        number = super().clean(value)
        if not number:
            return None
        case = Case.objects.filter(number=number.strip()).first()
        if case is None:
            raise forms.ValidationError(_("没有找到该编号的事件(或不在您的管辖范围内)。"))
        return case


def _form_field(f: InputField, *, required: bool) -> forms.Field:
    """The form field of one input field, from its type and Spec."""
    s, kind = f.spec, f.kind
    common: dict[str, Any] = {"label": s.label, "required": required}
    if s.help_text:
        common["help_text"] = s.help_text
    if kind is Unit:
        return UnitField(choices_from=s.choices_from, **common)
    if kind is Case:
        return CaseNumberField(max_length=s.max_length, widget=forms.TextInput(
            attrs={"placeholder": s.placeholder}), **common)
    if isinstance(kind, type) and issubclass(kind, Choices):
        return forms.ChoiceField(choices=list(s.choices) or list(kind.choices), **common)
    if kind is bool:
        if s.choices:
            return forms.TypedChoiceField(
                choices=[("true" if v else "false", label) for v, label in s.choices],
                coerce=lambda value: value == "true", widget=forms.RadioSelect,
                error_messages={"required": _("请选择%(label)s。") % {"label": s.label}},
                **common)
        return forms.BooleanField(**{**common, "required": False})
    if kind is int:
        if s.choices:
            return forms.TypedChoiceField(
                choices=[(str(v), label) for v, label in s.choices], coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择%(label)s。") % {"label": s.label}},
                **common)
        return forms.IntegerField(min_value=s.min_value, max_value=s.max_value,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                                  **common)
    if kind is datetime:
        return forms.DateTimeField(input_formats=DATETIME_INPUTS, widget=DateTimeLocalInput(),
                                   **common)
    if kind is date:
        return forms.DateField(widget=DateInput(), **common)
    if kind is str or s.widget == "lines":
        widget: forms.Widget = forms.TextInput()
        if s.widget in ("textarea", "lines"):
            widget = forms.Textarea(attrs={"rows": s.rows or 3})
        if s.placeholder:
            widget.attrs["placeholder"] = s.placeholder
        messages: dict[str, Any] = {"required": _("请填写%(label)s。") % {"label": s.label}}
        if f.name == "reason":
            messages = {"required": _("请填写理由。")}
        return forms.CharField(max_length=s.max_length, widget=widget,
                               error_messages=messages, **common)
    raise TypeError(f"no form field for {f.name}: {kind!r}")


def input_form_class(input_type: type) -> type[ActionForm]:
    """The page form of an input type; an optional nested input (the agreement of 办结)
    becomes a checkbox `with_<name>` and its fields."""
    attrs: dict[str, Any] = {"input_type": input_type, "__module__": __name__}
    for f in input_fields(input_type):
        if f.name == "uploads":
            attrs["multipart"] = True
            continue
        if f.nested is not None:
            attrs[f"with_{f.name}"] = forms.BooleanField(label=f.spec.label, required=False)
            for inner in input_fields(f.nested):
                attrs[inner.name] = _form_field(inner, required=False)
            continue
        attrs[f.name] = _form_field(f, required=f.required)
    return type(f"{input_type.__name__}Form", (ActionForm,), attrs)


def _build_input(input_type: type, data: dict[str, Any], form: ActionForm) -> Any:
    values: dict[str, Any] = {}
    for f in input_fields(input_type):
        if f.name == "uploads":
            values["uploads"] = getattr(form, "uploads", [])
        elif f.nested is not None:
            values[f.name] = (_build_input(f.nested, data, form)
                              if data.get(f"with_{f.name}") else None)
        elif f.spec.widget == "lines":
            values[f.name] = [line.strip() for line in (data.get(f.name) or "").splitlines()
                              if line.strip()]
        elif f.name in data:
            value = data[f.name]
            if value in (None, "") and not f.required:
                value = f.default
            values[f.name] = value
    return input_type(**values)


# Forms whose page needs more than the generated fields (initial values, data attributes
# for the page's script). They add presentation only: no field, no rule.

def _now_local() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class HandOffForm(input_form_class(inputs.HandOffInput)):  # type: ignore[misc]
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].widget.attrs["data-handoff-units"] = ""
        self.fields["kind"].widget.attrs["data-handoff-kind"] = json.dumps(
            {kind: str(unit_kind) for kind, unit_kind in services.HANDOFF_UNIT_KINDS.items()})


class SessionForm(input_form_class(inputs.SessionInput)):  # type: ignore[misc]
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_at", _now_local())
        if not self.is_bound:
            names = [p.name for p in self.case.parties.all()]
            self.initial.setdefault("attendees", "、".join(names))


class ResolveForm(input_form_class(inputs.ResolveInput)):  # type: ignore[misc]
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
        # Whether an agreement may be made is the service's rule; that a ticked agreement
        # has its required particulars filled in is parsing of this page's flat fields.
        data = super().clean() or {}
        if data.get("with_agreement"):
            for name in self.AGREEMENT_REQUIRED:
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("制作协议书时此项必填。"))
        return data


class SuperviseForm(input_form_class(inputs.SuperviseInput)):  # type: ignore[misc]
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("level", self.case.supervision or SupervisionLevel.NORMAL)


class AttachForm(input_form_class(inputs.AttachInput)):  # type: ignore[misc]
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        files = self.files_given
        self.uploads = list(files.getlist("uploads")) if files is not None else []

    def clean(self):
        data = super().clean() or {}
        if not self.uploads:
            raise forms.ValidationError(_("请选择文件。"))
        return data


class MergeForm(input_form_class(inputs.MergeInput)):  # type: ignore[misc]
    """合并: the likely duplicates (`merge_candidates`) offered to pick, each with its
    number, category, place and description; any other number may still be typed. Either
    one becomes the input's master, and the merge service decides whether it may be."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates: list[dict[str, Any]] = [
            {"case": s.case, "reasons": [DUPLICATE_REASONS.get(r, r) for r in s.reasons]}
            for s in merge_candidates(case=self.case, actor=self.user)]
        if not self.candidates:
            return
        self.fields["candidate"] = CaseNumberField(
            label=_("可能重复的事件"), required=False, max_length=24,
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}, choices=[
                (c["case"].number, c["case"].number) for c in self.candidates]))
        master = self.fields["master"]
        master.required = False
        master.label = _("或填写其他事件的编号")

    def clean(self):
        data = super().clean() or {}
        if not self.candidates or self.has_error("master") or self.has_error("candidate"):
            return data
        chosen, typed = data.get("candidate"), data.get("master")
        if chosen is not None and typed is not None and chosen.pk != typed.pk:
            self.add_error("master", _("请只选一个主件:选中建议的事件,或填写编号。"))
        elif chosen is None and typed is None:
            self.add_error("master", _("请选择可能重复的事件,或填写主件编号。"))
        else:
            data["master"] = chosen or typed
        return data


_CUSTOM: dict[type, type[ActionForm]] = {
    inputs.HandOffInput: HandOffForm, inputs.SessionInput: SessionForm,
    inputs.ResolveInput: ResolveForm, inputs.SuperviseInput: SuperviseForm,
    inputs.AttachInput: AttachForm, inputs.MergeInput: MergeForm,
}
_GENERATED: dict[type, type[ActionForm]] = {}


def form_class_for(transition: Transition) -> type[ActionForm]:
    """The page form of a transition, from the input type its row of the table names."""
    input_type = transition.input
    if input_type in _CUSTOM:
        return _CUSTOM[input_type]
    if input_type not in _GENERATED:
        _GENERATED[input_type] = input_form_class(input_type)
    return _GENERATED[input_type]


def action_form(transition: Transition, *, case: Case, user, data=None,
                files=None) -> ActionForm:
    return form_class_for(transition)(data, case=case, user=user, transition=transition,
                                      files=files)



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
                     "choices": [(str(k), str(n)) for k, n in attr.values],
                     "limit": ATTRIBUTE_TEXT_MAX_LENGTH})
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
