"""Forms of the organiser's survey pages: they parse what people type into the services'
inputs (civicgrid/surveys/services/rounds.py), which hold every rule (bounds, the order of
the questionnaire, the area a round may cover)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.core.forms import StyledForm
from civicgrid.core.scope import get_scope
from civicgrid.surveys.models import (
    MAX_ATTEMPTS_LIMIT,
    Allocation,
    FrameSource,
    Half,
    Mode,
    Question,
    Round,
    RoundStatus,
    Stratification,
    Stratum,
)
from civicgrid.surveys.services.rounds import (
    AGE_CODES,
    ROUND_LEVELS,
    SEX_CODES,
    DesignInput,
    QuestionInput,
    RoundInput,
)

# The age × sex cells of post-stratification and quotas ("sex|age", the option codes of the
# national questions).
SEX_LABELS = {"1": _("男"), "2": _("女")}
AGE_LABELS = {"1": _("18—29岁"), "2": _("30—44岁"), "3": _("45—59岁"), "4": _("60岁及以上")}
CELLS = [(sex, age) for sex in SEX_CODES for age in AGE_CODES]


def cell_label(cell: str) -> str:
    sex, _bar, age = cell.partition("|")
    return f"{SEX_LABELS.get(sex, sex)} · {AGE_LABELS.get(age, age)}"


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def round_areas(user: Any) -> QuerySet[Area]:
    """The areas the organiser may survey: cities, districts and streets in their
    jurisdiction (a round is run by the level that covers its area)."""
    scope = get_scope(user)
    qs = Area.objects.filter(level__in=ROUND_LEVELS).order_by("code")
    if not scope.is_global:
        qs = qs.filter(scope.subtree_q("code"))
    return qs


def _area_label(area: Area) -> str:
    return f"{area.name}({area.get_level_display()})"


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", _("全部状态")),
                                                        *RoundStatus.choices])


class AreaField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return _area_label(obj)


class ScheduleForm(StyledForm):
    area = AreaField(label=_("调查区域"), queryset=Area.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "area").queryset = round_areas(user)


class PreviousField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Round) -> str:
        return f"{obj.number} {obj.title}"


class RoundForm(StyledForm):
    area = AreaField(label=_("调查区域"), queryset=Area.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(label=_("半年"), choices=Half.choices, coerce=int)
    title = forms.CharField(label=_("调查名称"), required=False,
                            max_length=Round._meta.get_field("title").max_length,
                            help_text=_("不填则为“区域+年度+半年+群众安全感调查”"))
    previous = PreviousField(label=_("沿用方案"), required=False, queryset=Round.objects.none(),
                             empty_label=_("不沿用(使用全国通用问卷和默认方案)"),
                             help_text=_("沿用同一区域以往一次调查的问卷、方案、配额和事后分层总体数"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = round_areas(user)
        _choices(self, "area").queryset = areas
        _choices(self, "previous").queryset = (
            Round.objects.restrict(user, "view").filter(area__in=areas)
            .exclude(status=RoundStatus.CANCELLED).select_related("area")
            .order_by("area__code", "-year", "-half"))
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["half"].initial = 1 if today.month <= 6 else 2

    def to_input(self) -> RoundInput:
        d = self.cleaned_data
        return RoundInput(area=d["area"], year=d["year"], half=d["half"], title=d["title"])


def _fraction(label: Any, help_text: Any = "", **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, help_text=help_text, max_digits=5,
                              decimal_places=3, **kwargs)


class DesignForm(StyledForm):
    title = forms.CharField(label=_("调查名称"),
                            max_length=Round._meta.get_field("title").max_length)
    frame_source = forms.ChoiceField(label=_("抽样框"), choices=FrameSource.choices,
                                     widget=forms.RadioSelect)
    stratification = forms.ChoiceField(label=_("分层方式"), choices=Stratification.choices,
                                       widget=forms.RadioSelect)
    allocation = forms.ChoiceField(label=_("样本分配"), choices=Allocation.choices)
    expected_p = _fraction(_("预期比例 p"), _("预计的安全感指数,如 0.9"))
    margin = _fraction(_("允许误差 e"), _("置信区间的半宽,如 0.03 即 ±3 个百分点"))
    confidence = _fraction(_("置信水平"), _("如 0.95"))
    deff = forms.DecimalField(label=_("设计效应 deff"), max_digits=4, decimal_places=2,
                              help_text=_("不小于 1,如 1.5"))
    response_rate = _fraction(_("预期应答率"), _("如 0.6"))
    reserve_ratio = forms.DecimalField(label=_("备用样本比例"), max_digits=4, decimal_places=2,
                                       help_text=_("每层按样本量的这一比例抽取备用样本,如 0.5"))
    max_attempts = forms.IntegerField(label=_("每个样本最多联系次数"), min_value=1,
                                      max_value=MAX_ATTEMPTS_LIMIT)
    modes = forms.MultipleChoiceField(label=_("调查方式"), choices=Mode.choices,
                                      widget=forms.CheckboxSelectMultiple)
    index_target = _fraction(_("安全感指数目标"), _("如 0.9"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for sex, age in CELLS:
            self.fields[f"ps_{sex}_{age}"] = forms.IntegerField(
                label=cell_label(f"{sex}|{age}"), required=False, min_value=1,
                widget=forms.NumberInput(attrs={"class": "form-control",
                                                "inputmode": "numeric"}))

    def poststrat_fields(self) -> list[forms.BoundField]:
        return [self[f"ps_{sex}_{age}"] for sex, age in CELLS]

    def poststrat_rows(self) -> list[dict[str, Any]]:
        """The cells by age (rows) and sex (columns), for the form's table."""
        return [{"age": AGE_LABELS[age], "cells": [self[f"ps_{sex}_{age}"] for sex in SEX_CODES]}
                for age in AGE_CODES]

    def to_input(self) -> DesignInput:
        d = self.cleaned_data
        totals = {f"{sex}|{age}": d[f"ps_{sex}_{age}"] for sex, age in CELLS
                  if d.get(f"ps_{sex}_{age}") is not None}
        return DesignInput(
            title=d["title"], frame_source=d["frame_source"],
            stratification=d["stratification"], allocation=d["allocation"],
            expected_p=d["expected_p"], margin=d["margin"], confidence=d["confidence"],
            deff=d["deff"], response_rate=d["response_rate"], reserve_ratio=d["reserve_ratio"],
            max_attempts=d["max_attempts"], modes=list(d["modes"]),
            index_target=d["index_target"], poststrat_totals=totals)

    @classmethod
    def initial_for(cls, round_: Round) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(round_, name) for name in (
            "title", "frame_source", "stratification", "allocation", "expected_p", "margin",
            "confidence", "deff", "response_rate", "reserve_ratio", "max_attempts", "modes",
            "index_target")}
        for cell, total in (round_.poststrat_totals or {}).items():
            sex, _bar, age = cell.partition("|")
            initial[f"ps_{sex}_{age}"] = total
        return initial


KIND_CHOICES = list(Question._meta.get_field("kind").choices or [])
ROLE_CHOICES = list(Question._meta.get_field("role").choices or [])
CELL_PART_CHOICES = [("", _("无")), ("sex", _("性别")), ("age", _("年龄"))]
SCREEN_OUT_MARK = "x"


class QuestionForm(StyledForm):
    key = forms.SlugField(label=_("题目代码"), max_length=30,
                          help_text=_("英文字母、数字和下划线,如 night"))
    kind = forms.ChoiceField(label=_("题型"), choices=KIND_CHOICES)
    role = forms.ChoiceField(label=_("作用"), choices=ROLE_CHOICES)
    cell_part = forms.ChoiceField(label=_("年龄×性别分组"), choices=CELL_PART_CHOICES,
                                  required=False,
                                  help_text=_("分层题给出受访者的性别或年龄时选择"))
    text = forms.CharField(label=_("题目"), max_length=Question._meta.get_field("text").max_length,
                           widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label=_("英文题目"), required=False,
                              max_length=Question._meta.get_field("text_en").max_length)
    options = forms.CharField(
        label=_("选项"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一个选项:中文|英文|x。第三栏写 x 表示选此项即甄别不符(仅甄别题、分层题);"
                    "文字题不填。"))
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)

    def clean_options(self) -> list[dict[str, Any]]:
        options = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            options.append({"label": parts[0],
                            "label_en": parts[1] if len(parts) > 1 else "",
                            "screen_out": len(parts) > 2 and parts[2].lower() == SCREEN_OUT_MARK})
        return options

    def to_input(self) -> QuestionInput:
        d = self.cleaned_data
        return QuestionInput(key=d["key"], kind=d["kind"], role=d["role"], text=d["text"],
                             text_en=d["text_en"], options=d["options"],
                             required=d["required"], cell_part=d["cell_part"] or "")

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        lines = []
        for option in question.options:
            line = f"{option.get('label', '')}|{option.get('label_en', '')}"
            if option.get("screen_out"):
                line += f"|{SCREEN_OUT_MARK}"
            lines.append(line)
        return {"key": question.key, "kind": question.kind, "role": question.role,
                "cell_part": question.cell_part, "text": question.text,
                "text_en": question.text_en, "options": "\n".join(lines),
                "required": question.required}


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class FrameImportForm(StyledForm):
    file = forms.FileField(label=_("名单文件"),
                           help_text=_("CSV 或 XLSX:区域代码列,以及电话或地址列(可有姓名列)。"
                                       "有一行不合格则整份不导入。"))


class DrawForm(StyledForm):
    seed = forms.CharField(label=_("公开随机种子"), required=False, max_length=64,
                           help_text=_("可填公开可查的数字(如当期福利彩票开奖号码);不填则由系统随机生成。"
                                       "种子和抽样结果摘要一并记录,任何人可复核。"))


def strata_of(round_: Round) -> QuerySet[Stratum]:
    """The round's strata for a choice (without their frozen frame)."""
    return round_.strata.select_related("area").defer("frame").order_by("key")


class StratumField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stratum) -> str:
        return f"{obj.area.name}{'·' + obj.urban_rural_class if obj.urban_rural_class else ''}"


class QuotaForm(StyledForm):
    stratum = StratumField(label=_("范围"), required=False, queryset=Stratum.objects.none(),
                           empty_label=_("全调查"))
    sex = forms.ChoiceField(label=_("性别"), choices=list(SEX_LABELS.items()))
    age = forms.ChoiceField(label=_("年龄"), choices=list(AGE_LABELS.items()))
    target = forms.IntegerField(label=_("配额(完成数上限)"), min_value=0, max_value=1_000_000,
                                help_text=_("填 0 取消该配额"))

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "stratum").queryset = strata_of(round_)

    @property
    def cell(self) -> str:
        return f"{self.cleaned_data['sex']}|{self.cleaned_data['age']}"


class InterviewerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.username)


class UnitPickForm(StyledForm):
    """Which released, unfinished units of a round a bulk action takes: by stratum, by area
    code prefix, how many (the assignment and the web links pick them alike)."""

    stratum = StratumField(label=_("层"), required=False, queryset=Stratum.objects.none(),
                           empty_label=_("全部层"))
    area_prefix = forms.CharField(label=_("区域代码前缀"), required=False, max_length=15,
                                  help_text=_("如某个社区或网格的代码;不填则不限"))
    count = forms.IntegerField(label=_("数量"), required=False, min_value=1,
                               max_value=100_000, help_text=_("不填则为符合条件的全部样本"))

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "stratum").queryset = strata_of(round_)

    def clean_area_prefix(self) -> str:
        prefix = (self.cleaned_data.get("area_prefix") or "").strip()
        if prefix and not prefix.isdigit():
            raise forms.ValidationError(_("区域代码只能是数字。"))
        return prefix


class AssignForm(UnitPickForm):
    action = forms.ChoiceField(label=_("操作"), widget=forms.RadioSelect, initial="assign",
                               choices=[("assign", _("分派给调查员")),
                                        ("unassign", _("收回"))])
    interviewer = InterviewerField(label=_("调查员"), required=False,
                                   queryset=User.objects.none(),
                                   help_text=_("收回时:只收回此人的样本;不选则收回全部"))

    field_order = ["action", "interviewer", "stratum", "area_prefix", "count"]

    def __init__(self, *args: Any, round_: Round, candidates: QuerySet, **kwargs: Any
                 ) -> None:
        super().__init__(*args, round_=round_, **kwargs)
        _choices(self, "interviewer").queryset = candidates

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "assign" and not data.get("interviewer"):
            self.add_error("interviewer", _("请选择调查员。"))
        return data


class WebLinksForm(UnitPickForm):
    """The units to give a web link (a new one replaces a unit's earlier link). Prefixed:
    it sits on the round's page beside the assignment form, with the same fields."""

    prefix = "links"


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("撤销理由"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))

