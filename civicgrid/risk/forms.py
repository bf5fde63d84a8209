"""Forms of the risk pages: they parse what people type into the services' inputs
(civicgrid/risk/services/matters.py), which hold every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area
from civicgrid.core.bands import PeopleBand
from civicgrid.core.forms import DateInput, StyledForm
from civicgrid.core.scope import get_scope
from civicgrid.risk.models import (
    SCORE_MAX,
    SCORE_MIN,
    ActivityKind,
    Assessment,
    AssessorKind,
    ConsultationActivity,
    Decision,
    DecisionKind,
    Dimension,
    LevelRule,
    Matter,
    MatterKind,
    MatterStatus,
    Procedure,
    RiskItem,
)
from civicgrid.risk.services.matters import (
    RULE_FIELDS,
    ActivityInput,
    AssessmentInput,
    DecisionInput,
    ItemInput,
    MatterInput,
)
from civicgrid.units.models import Unit

MANDATORY = _("(必须评估)")
SCORES = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length or 10_000


def areas_for(user) -> forms.ModelChoiceField:
    """Areas down to communities in the user's jurisdiction (a matter is owned by a
    community, street or district, not by one grid)."""
    scope = get_scope(user)
    qs = Area.objects.filter(code__regex=r"^\d{6}(\d{3}(\d{3})?)?$").order_by("code")
    if not scope.is_global:
        qs = qs.filter(scope.subtree_q("code"))
    return qs


def _area_label(area: Area) -> str:
    """The area's name, indented by its level (district, street, community)."""
    depth = {6: 0, 9: 1, 12: 2}.get(len(area.code), 0)
    return "\u3000" * depth + area.name


class MatterForm(StyledForm):
    title = forms.CharField(label=_("事项名称"), max_length=_max(Matter, "title"))
    kind = forms.ModelChoiceField(label=_("类别"), queryset=MatterKind.objects.none())
    summary = forms.CharField(label=_("事项概要"), max_length=4000, widget=forms.Textarea(
        attrs={"rows": 4}))
    area = forms.ModelChoiceField(label=_("所属区域"), queryset=Area.objects.none())
    areas = forms.ModelMultipleChoiceField(
        label=_("涉及区域"), queryset=Area.objects.none(), required=False,
        help_text=_("不选则为所属区域本身"), widget=forms.SelectMultiple(attrs={"size": 4}))
    responsible_unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    deciding_body = forms.CharField(label=_("决策机关"), max_length=_max(Matter, "deciding_body"),
                                    help_text=_("如:区政府常务会议、街道党工委会议"))
    people_band = forms.ChoiceField(label=_("涉及人数"), choices=PeopleBand.choices)
    people_count = forms.IntegerField(label=_("涉及人数(估计)"), required=False, min_value=0,
                                      max_value=100_000_000)
    projects = forms.CharField(label=_("关联项目"), required=False, max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("每行一个项目名称或编号"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = MatterKind.objects.filter(active=True)
        self.fields["kind"].label_from_instance = lambda k: (
            f"{k}{MANDATORY if k.mandatory else ''}")
        areas = areas_for(user)
        for name in ("area", "areas"):
            self.fields[name].queryset = areas
            self.fields[name].label_from_instance = _area_label
        self.fields["responsible_unit"].queryset = Unit.objects.restrict(user, "view").order_by(
            "area__code", "name")

    def to_input(self) -> MatterInput:
        d = self.cleaned_data
        return MatterInput(title=d["title"], summary=d["summary"], kind=d["kind"],
                           area=d["area"], areas=list(d["areas"]),
                           responsible_unit=d["responsible_unit"],
                           deciding_body=d["deciding_body"], people_band=d["people_band"],
                           people_count=d["people_count"], projects=d["projects"])

    @classmethod
    def initial_for(cls, matter: Matter) -> dict:
        return {"title": matter.title, "kind": matter.kind_id, "summary": matter.summary,
                "area": matter.area_id,
                "areas": [a.area_id for a in matter.affected.all()],
                "responsible_unit": matter.responsible_unit_id,
                "deciding_body": matter.deciding_body, "people_band": matter.people_band,
                "people_count": matter.people_count, "projects": matter.projects}


class MatterFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=60)
    status = forms.ChoiceField(required=False, choices=[("", _("全部状态")),
                                                        *MatterStatus.choices])
    kind = forms.ModelChoiceField(required=False, queryset=MatterKind.objects.all(),
                                  empty_label=_("全部类别"), widget=forms.Select(attrs={
                                      "class": "form-select", "aria-label": _("类别")}))
    attention = forms.BooleanField(required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ExemptionDecideForm(StyledForm):
    approve = forms.ChoiceField(label=_("审批意见"), choices=[
        ("yes", _("同意免予评估")), ("no", _("不同意,须评估"))], widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明"), required=False,
                           max_length=_max(Matter, "exemption_note"))


class AssessmentForm(StyledForm):
    procedure = forms.ChoiceField(label=_("评估程序"), choices=Procedure.choices,
                                  widget=forms.RadioSelect, initial=Procedure.ORDINARY)
    simplified_reason = forms.CharField(
        label=_("适用简易程序理由"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}))
    assessor_kind = forms.ChoiceField(label=_("评估主体"), choices=AssessorKind.choices,
                                      widget=forms.RadioSelect, initial=AssessorKind.UNIT)
    assessor_unit = forms.ModelChoiceField(label=_("评估单位"), required=False,
                                           queryset=Unit.objects.none())
    assessor_name = forms.CharField(label=_("第三方机构名称"), required=False,
                                    max_length=_max(Assessment, "assessor_name"))
    plan = forms.CharField(label=_("评估方案"), max_length=4000, widget=forms.Textarea(
        attrs={"rows": 4}), help_text=_("评估范围、方法、步骤和时间安排"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessor_unit"].queryset = Unit.objects.restrict(user, "view").order_by(
            "area__code", "name")

    def to_input(self) -> AssessmentInput:
        d = self.cleaned_data
        return AssessmentInput(plan=d["plan"], procedure=d["procedure"],
                               simplified_reason=d["simplified_reason"],
                               assessor_kind=d["assessor_kind"],
                               assessor_unit=d["assessor_unit"],
                               assessor_name=d["assessor_name"])


class ActivityForm(StyledForm):
    kind = forms.ChoiceField(label=_("方式"), choices=ActivityKind.choices)
    held_on = forms.DateField(label=_("日期"), widget=DateInput)
    place = forms.CharField(label=_("地点"), required=False,
                            max_length=_max(ConsultationActivity, "place"))
    participants = forms.IntegerField(label=_("参与人数"), min_value=0, initial=0)
    record = forms.CharField(label=_("情况记录"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    answered = forms.IntegerField(label=_("有效问卷"), min_value=0, initial=0, required=False)
    support = forms.IntegerField(label=_("支持"), min_value=0, initial=0, required=False)
    oppose = forms.IntegerField(label=_("反对"), min_value=0, initial=0, required=False)
    neutral = forms.IntegerField(label=_("无所谓/不清楚"), min_value=0, initial=0,
                                 required=False)

    def to_input(self) -> ActivityInput:
        d = self.cleaned_data
        return ActivityInput(kind=d["kind"], held_on=d["held_on"], record=d["record"],
                             place=d["place"], participants=d["participants"],
                             answered=d["answered"] or 0, support=d["support"] or 0,
                             oppose=d["oppose"] or 0, neutral=d["neutral"] or 0)


class ItemForm(StyledForm):
    dimension = forms.ChoiceField(label=_("评估维度"), choices=Dimension.choices)
    description = forms.CharField(label=_("风险描述"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    likelihood = forms.TypedChoiceField(label=_("可能性"), choices=SCORES, coerce=int)
    impact = forms.TypedChoiceField(label=_("影响程度"), choices=SCORES, coerce=int)
    people_affected = forms.IntegerField(label=_("影响人数"), min_value=0, initial=0)
    mitigation = forms.CharField(label=_("防范化解措施"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("责任单位/责任人"), required=False,
                            max_length=_max(RiskItem, "owner"))
    residual_likelihood = forms.TypedChoiceField(label=_("措施后可能性"), choices=SCORES,
                                                 coerce=int)
    residual_impact = forms.TypedChoiceField(label=_("措施后影响程度"), choices=SCORES,
                                             coerce=int)

    def to_input(self) -> ItemInput:
        d = self.cleaned_data
        return ItemInput(**{k: d[k] for k in (
            "dimension", "description", "likelihood", "impact", "residual_likelihood",
            "residual_impact", "people_affected", "mitigation", "owner")})

    @classmethod
    def initial_for(cls, item: RiskItem) -> dict:
        return {k: getattr(item, k) for k in cls.base_fields}


class RateForm(StyledForm):
    conclusion = forms.CharField(label=_("评估结论与建议"), max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(StyledForm):
    kind = forms.ChoiceField(label=_("决策结果"), choices=DecisionKind.choices,
                             widget=forms.RadioSelect)
    decided_on = forms.DateField(label=_("决策日期"), widget=DateInput)
    body = forms.CharField(label=_("决策机关/会议"), max_length=_max(Decision, "body"))
    minutes = forms.CharField(label=_("会议纪要"), max_length=8000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    override = forms.BooleanField(label=_("高风险事项经集体决策同意实施"), required=False)
    override_reason = forms.CharField(label=_("同意实施的理由"), required=False, max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    mitigation_plan = forms.CharField(label=_("风险防范化解方案"), required=False,
                                      max_length=4000,
                                      widget=forms.Textarea(attrs={"rows": 3}))

    def to_input(self) -> DecisionInput:
        d = self.cleaned_data
        return DecisionInput(kind=d["kind"], decided_on=d["decided_on"], body=d["body"],
                             minutes=d["minutes"], override=d["override"],
                             override_reason=d["override_reason"],
                             mitigation_plan=d["mitigation_plan"])


class LevelRuleForm(StyledForm):
    high_item_score = forms.IntegerField(label=LevelRule._meta.get_field(
        "high_item_score").verbose_name, min_value=1, max_value=25)
    medium_item_score = forms.IntegerField(label=LevelRule._meta.get_field(
        "medium_item_score").verbose_name, min_value=1, max_value=25)
    high_medium_items = forms.IntegerField(label=LevelRule._meta.get_field(
        "high_medium_items").verbose_name, min_value=1, max_value=100)
    high_oppose_percent = forms.IntegerField(label=LevelRule._meta.get_field(
        "high_oppose_percent").verbose_name, min_value=1, max_value=100)
    medium_oppose_percent = forms.IntegerField(label=LevelRule._meta.get_field(
        "medium_oppose_percent").verbose_name, min_value=0, max_value=100)
    people_floor_medium = forms.IntegerField(label=LevelRule._meta.get_field(
        "people_floor_medium").verbose_name, min_value=0, max_value=100_000_000)
    note = forms.CharField(label=_("修订说明"), max_length=_max(LevelRule, "note"))

    def figures(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in RULE_FIELDS}

    @classmethod
    def initial_for(cls, rule: LevelRule | None) -> dict:
        return {name: getattr(rule, name) for name in RULE_FIELDS} if rule else {}
