"""The organiser's pages of the safety survey: the rounds, a new round, and a round's page
that follows the procedure (design → questionnaire → frame → sample → assignment →
fieldwork → results), with the read-only view for leaders and the auditor.

Every round is read through `restrict()` (selectors.py): out of scope answers 404 like
missing. A round above the reader's jurisdiction (the district's, for a street's centre) is
read but not changed: its writes answer 403. Views parse input and call the services
(services/rounds.py), whose refusals become the form's errors or the page's message;
nothing here decides. No individual answer is ever shown here: only the aggregates that
the close computed (results.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KT
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from civicgrid.core.access import access, has_permission
from civicgrid.core.forms import acted_with, add_service_errors, saved_with
from civicgrid.core.localized import enumeration
from civicgrid.core.pagination import request_page
from civicgrid.core.scope import get_scope
from civicgrid.core.xlsx import cell_text, column_widths, header_row, workbook_bytes
from civicgrid.surveys import design, dispositions, selectors
from civicgrid.surveys.fieldwork_forms import in_language, option_label, question_text
from civicgrid.surveys.fieldwork_views import area_names, unit_name
from civicgrid.surveys.forms import (
    AGE_LABELS,
    SEX_LABELS,
    AssignForm,
    DesignForm,
    DrawForm,
    FrameImportForm,
    MoveForm,
    QuestionForm,
    QuotaForm,
    ReasonForm,
    RoundForm,
    ScheduleForm,
    StatusFilterForm,
    UnitPickForm,
    WebLinksForm,
    cell_label,
    strata_of,
)
from civicgrid.surveys.models import (
    FrameSource,
    Mode,
    Question,
    Round,
    RoundStatus,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services import rounds as services
from civicgrid.surveys.services.rounds import AGE_CODES, SEX_CODES

ROUNDS_PER_PAGE = 30
ROUND_ORDER = ["-year", "-half", "-id"]
PK = {"pk": "pk"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPEN_STATUSES = (RoundStatus.DESIGN, RoundStatus.DRAWN, RoundStatus.FIELDWORK)


def _round(request: HttpRequest, pk: int) -> Round:
    found = selectors.round_for(request.user, pk)
    if found is None:
        raise Http404
    return found


def _covers(request: HttpRequest, round_: Round) -> bool:
    return get_scope(request.user).covers_code(round_.area_code)


def _writable(request: HttpRequest, pk: int) -> Round:
    """The round, for a write: read like any page (404 out of scope); a round the reader
    sees from below (the district's round, for a street's centre) is not theirs to run."""
    round_ = _round(request, pk)
    if not _covers(request, round_):
        raise PermissionDenied
    return round_


def _question(request: HttpRequest, pk: int) -> Question:
    found = (Question.objects.filter(pk=pk, round__in=Round.objects.restrict(request.user))
             .select_related("round__area").first())
    if found is None:
        raise Http404
    if not _covers(request, found.round):
        raise PermissionDenied
    return found


def _round_url(round_: Round, anchor: str = "") -> str:
    return reverse("surveys:round", args=[round_.pk]) + (f"#{anchor}" if anchor else "")


def _pct(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{places}f}%"


# --- the list -----------------------------------------------------------------------------

@access("surveys.round.view")
def round_list_view(request):
    """The rounds of the reader's jurisdiction (and those above it), newest first."""
    filters = StatusFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    qs = (selectors.rounds_for(request.user, status=status)
          .defer("results", "poststrat_totals", "modes")
          .annotate(ci_low=KT("results__index__ci_low"), ci_high=KT("results__index__ci_high")))
    page = request_page(request, qs, ROUND_ORDER, ROUNDS_PER_PAGE)
    rows = []
    for r in page.items:
        row: dict[str, Any] = {"round": r, "index": None}
        if r.status == RoundStatus.CLOSED and r.index_value is not None:
            row["index"] = _pct(float(r.index_value))
            if r.ci_low is not None and r.ci_high is not None:
                row["interval"] = f"{_pct(float(r.ci_low))}–{_pct(float(r.ci_high))}"
        rows.append(row)
    can_add = has_permission(request.user, "surveys.round.add")
    return render(request, "surveys/round_list.html", {
        "page": page, "rows": rows, "filters": filters, "status": status,
        "can_add": can_add,
        "schedule_form": ScheduleForm(user=request.user) if can_add else None,
    })


@access("surveys.round.add")
def round_new_view(request):
    form = RoundForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(data=form.to_input(), actor=request.user,
                                           previous=form.cleaned_data["previous"])
        except PermissionDenied:
            form.add_error("area", _("调查区域不在您的管辖范围内。"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已创建调查 %(no)s。") % {"no": round_.number})
            return redirect(_round_url(round_))
    return render(request, "surveys/round_new.html", {"form": form})


@require_POST
@access("surveys.round.add")
def round_schedule_view(request):
    """The next of the area's two rounds a year, from its latest design."""
    form = ScheduleForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("请选择调查区域。"))
        return redirect("surveys:list")
    try:
        round_ = services.round_schedule_next(area=form.cleaned_data["area"],
                                              actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("surveys:list")
    messages.success(request, _("已安排下一次调查 %(no)s(%(year)s年%(half)s)。") % {
        "no": round_.number, "year": round_.year, "half": round_.get_half_display()})
    return redirect(_round_url(round_))


# --- a round's page -----------------------------------------------------------------------

STEPS = [("design", gettext_lazy("方案设计")), ("frame", gettext_lazy("冻结抽样框")),
         ("draw", gettext_lazy("抽样")), ("assign", gettext_lazy("分派")),
         ("fieldwork", gettext_lazy("调查实施")), ("closed", gettext_lazy("结束与结果"))]


def _steps(round_: Round, assigned: int) -> list[dict[str, Any]]:
    reached = set()
    if round_.frame_frozen_at or round_.drawn_at:
        reached |= {"design", "frame"}
    if round_.drawn_at:
        reached.add("draw")
    if assigned or round_.status == RoundStatus.CLOSED:
        reached.add("assign")
    if round_.opened_at:
        reached.add("fieldwork")
    if round_.status == RoundStatus.CLOSED:
        reached.add("closed")
    cancelled = round_.status == RoundStatus.CANCELLED
    return [{"key": k, "label": label, "done": k in reached,
             "skipped": cancelled and k not in reached} for k, label in STEPS]


def _next_action(round_: Round, assigned: int) -> str:
    if round_.status == RoundStatus.DESIGN:
        if round_.frame_frozen_at is None:
            if round_.frame_source == FrameSource.IMPORTED:
                return _("下一步:确认方案和问卷后,上传名单冻结抽样框。")
            return _("下一步:确认方案和问卷后,从一标三实冻结抽样框。")
        return _("下一步:抽取样本(抽样后方案、问卷和抽样框不能再改)。")
    if round_.status == RoundStatus.DRAWN:
        if not assigned:
            return _("下一步:把样本分派给调查员。")
        return _("下一步:分派完成后开始调查。")
    if round_.status == RoundStatus.FIELDWORK:
        return _("调查进行中:跟进各层进度,完成后结束调查并计算结果。")
    return ""


def _size(round_: Round) -> dict[str, Any]:
    """The sample size from the design, every step with its numbers (design.sample_size)."""
    p, e = float(round_.expected_p), float(round_.margin)
    deff, rate = float(round_.deff), float(round_.response_rate)
    population = round_.frame_size or None
    size = design.sample_size(p=p, margin=e, confidence=float(round_.confidence), deff=deff,
                              response_rate=rate, population=population)
    raw_n0 = size.z ** 2 * p * (1 - p) / e ** 2
    steps: dict[str, Any] = {
        "size": size, "p": f"{p:g}", "q": f"{1 - p:g}", "e": f"{e:g}",
        "z": f"{size.z:.3f}", "z2": f"{size.z ** 2:.4f}", "pq": f"{p * (1 - p):.4f}",
        "e2": f"{e * e:.6f}".rstrip("0"), "raw_n0": f"{raw_n0:.2f}",
        "confidence": _pct(float(round_.confidence), 0), "deff": f"{deff:g}",
        "rate": f"{rate:g}", "raw_design": f"{size.n_fpc * deff:.2f}",
        "raw_issued": f"{size.n_design / rate:.2f}", "population": population,
        "capped": population is not None and size.n_issued > population,
        "n_issued": round_.n_issued if population else size.n_issued,
    }
    if population:
        steps["raw_fpc"] = f"{size.n0 / (1 + (size.n0 - 1) / population):.2f}"
    return steps


def _design_facts(round_: Round) -> list[tuple[str, str]]:
    return [
        (_("抽样框"), round_.get_frame_source_display()),
        (_("分层方式"), round_.get_stratification_display()),
        (_("样本分配"), round_.get_allocation_display()),
        (_("预期比例 p"), _pct(float(round_.expected_p))),
        (_("允许误差 e"), "±" + _pct(float(round_.margin))),
        (_("置信水平"), _pct(float(round_.confidence), 0)),
        (_("设计效应 deff"), f"{round_.deff:g}"),
        (_("预期应答率"), _pct(float(round_.response_rate), 0)),
        (_("备用样本比例"), _pct(float(round_.reserve_ratio), 0)),
        (_("最多联系次数"), str(round_.max_attempts)),
        (_("调查方式"), enumeration(dict(Mode.choices).get(m, m) for m in round_.modes)),
        (_("安全感指数目标"), _pct(float(round_.index_target))),
    ]


def _poststrat(round_: Round) -> list[dict[str, Any]]:
    totals = round_.poststrat_totals or {}
    return [{"age": AGE_LABELS[age],
             "cells": [totals.get(f"{sex}|{age}") for sex in SEX_CODES]}
            for age in AGE_CODES]


def _strata(round_: Round) -> list[dict[str, Any]]:
    progress = selectors.progress(round_) if round_.drawn_at else {}
    rows = []
    for stratum in strata_of(round_):
        done = progress.get(stratum.key, {})
        complete = done.get("complete", 0)
        rows.append({"stratum": stratum, "progress": done,
                     "share": _pct(complete / stratum.allocated if stratum.allocated else None,
                                   0),
                     "bar": f"{min(complete / stratum.allocated, 1) * 100:.1f}"
                     if stratum.allocated else "0"})
    return rows


def _holders(round_: Round) -> list[dict[str, Any]]:
    """Who holds how many released units, finished and completed."""
    rows: Any = (SampleUnit.objects.filter(round=round_, released=True,
                                          interviewer__isnull=False)
                .values("interviewer_id", "interviewer__username",
                        "interviewer__display_name")
                .annotate(units=Count("id"), done=Count("id", filter=Q(status=UnitStatus.DONE)),
                          complete=Count("id", filter=Q(disposition=dispositions.COMPLETE)))
                .order_by("interviewer__username"))
    return list(rows)


def _bar(estimate: dict[str, Any] | None) -> dict[str, Any] | None:
    """An estimate for a horizontal bar: the value and its interval, in percent."""
    if not estimate:
        return None
    low, high = estimate.get("ci_low") or 0.0, estimate.get("ci_high") or 0.0
    return {"value": _pct(estimate.get("value")), "low": _pct(low), "high": _pct(high),
            "width": f"{(estimate.get('value') or 0) * 100:.2f}",
            "ci_left": f"{low * 100:.2f}", "ci_width": f"{max(high - low, 0) * 100:.2f}",
            "n": estimate.get("n"), "suppressed": bool(estimate.get("suppressed"))}


def _results(request: HttpRequest, round_: Round) -> dict[str, Any] | None:
    """What the close computed, ready to show: the index, the domains, the items' shares,
    the response rates and the trend. Aggregates only — never an answer."""
    if round_.status != RoundStatus.CLOSED:
        return None
    results = round_.results or {}
    index = results.get("index") or {}
    target = float(round_.index_target)
    domains = [{"code": d["code"], "name": d["name"],
                "bar": None if not d.get("index") or d["index"].get("suppressed")
                else _bar(d["index"]),
                "n": (d.get("index") or {}).get("n", 0)}
               for d in results.get("domains", [])]
    items = []
    for item in results.get("items", []):
        entry = {"key": item["key"], "text": in_language(item["text"], item.get("text_en")),
                 "kind": item["kind"], "n": item.get("n", 0), "options": []}
        if item["kind"] != "text":
            entry["options"] = [{"label": option_label(o), "bar": _bar(o)}
                                for o in item.get("options", [])]
        items.append(entry)
    rates = results.get("rates") or {}
    by_code = [{"code": code, "label": dispositions.label(code),
                "category": dispositions.category(code) or "UO", "count": count}
               for code, count in (rates.get("by_code") or {}).items()]
    trend = []
    for r in selectors.index_trend(request.user, round_.area):
        estimate = (r.results or {}).get("index") or {}
        bar = _bar(estimate) if estimate else _bar({"value": float(r.index_value or 0)})
        trend.append({"round": r, "bar": bar, "current": r.pk == round_.pk})
    value = index.get("value")
    return {
        "index": _bar(index) if index else None,
        "se": f"{index['se'] * 100:.2f}" if index.get("se") is not None else "",
        "deff": f"{index['deff']:.2f}" if index.get("deff") is not None else "—",
        "method": index.get("method", ""),
        "target": _pct(target), "target_left": f"{target * 100:.2f}",
        "met": value is not None and value >= target,
        "clearly_met": index.get("ci_low") is not None and index["ci_low"] >= target,
        "responses": results.get("responses", 0),
        "poststratified": results.get("poststratified", False),
        "empty_strata": results.get("empty_strata", []),
        "domains": domains, "items": items,
        "rates": [(label, _pct(rates.get(key))) for key, label in (
            ("rr1", "RR1"), ("rr2", "RR2"), ("coop1", "COOP1"), ("ref1", "REF1"),
            ("con1", "CON1"))],
        "by_code": by_code, "trend": trend,
    }


def _detail_context(request: HttpRequest, round_: Round, **forms: Any) -> dict[str, Any]:
    user = request.user
    covers = _covers(request, round_)
    can_change = has_permission(user, "surveys.round.change") and covers
    can_assign = has_permission(user, "surveys.sampleunit.assign") and covers
    status = round_.status
    in_design = status == RoundStatus.DESIGN
    holders = _holders(round_) if round_.drawn_at else []
    assigned = sum(h["units"] for h in holders)
    parts = {"sex": _("性别"), "age": _("年龄")}
    # (in the reader's language where the question has it, as the interview form shows it)
    questions = [{"question": q, "cell_part": parts.get(q.cell_part, ""),
                  "text": question_text(q),
                  "options": [{**o, "label": option_label(o)} for o in q.options]}
                 for q in round_.questions.order_by("position")]
    quotas = [{"quota": q, "cell": cell_label(q.cell)}
              for q in round_.quotas.select_related("stratum__area").defer("stratum__frame")
              .order_by(F("stratum__key").asc(nulls_first=True), "cell")]
    unassigned = 0
    if round_.drawn_at and status in (RoundStatus.DRAWN, RoundStatus.FIELDWORK):
        unassigned = (SampleUnit.objects.filter(round=round_, released=True,
                                                interviewer__isnull=True)
                      .exclude(status=UnitStatus.DONE).count())
    context: dict[str, Any] = {
        "round": round_, "status": status, "in_design": in_design,
        "can_change": can_change, "can_assign": can_assign,
        "can_edit_design": can_change and in_design,
        "steps": _steps(round_, assigned), "next_action": _next_action(round_, assigned)
        if can_change else "",
        "facts": _design_facts(round_), "poststrat": _poststrat(round_),
        "sex_labels": [SEX_LABELS[s] for s in SEX_CODES],
        "size": _size(round_), "questions": questions, "strata": _strata(round_),
        "quotas": quotas, "holders": holders, "assigned": assigned, "unassigned": unassigned,
        "imported": round_.frame_source == FrameSource.IMPORTED,
        "results": _results(request, round_),
        "can_freeze": can_change and in_design,
        "can_draw": can_change and in_design and round_.frame_frozen_at is not None,
        "can_quota": can_change and status in OPEN_STATUSES,
        "can_assign_units": can_assign and status in (RoundStatus.DRAWN, RoundStatus.FIELDWORK),
        "can_web_links": can_assign and status == RoundStatus.FIELDWORK
        and Mode.WEB in round_.modes,
        "can_open": can_change and status == RoundStatus.DRAWN,
        "can_close": can_change and status == RoundStatus.FIELDWORK,
        "can_cancel": can_change and status in OPEN_STATUSES,
    }
    context["import_form"] = forms.get("import_form") or FrameImportForm()
    context["draw_form"] = forms.get("draw_form") or DrawForm()
    if context["can_quota"]:
        context["quota_form"] = forms.get("quota_form") or QuotaForm(round_=round_)
    if context["can_assign_units"]:
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            round_=round_, candidates=services.interviewer_candidates(round_))
    if context["can_web_links"]:
        context["web_links_form"] = forms.get("web_links_form") or WebLinksForm(round_=round_)
    context["cancel_form"] = forms.get("cancel_form") or ReasonForm()
    return context


def _detail(request: HttpRequest, round_: Round, **forms: Any) -> HttpResponse:
    return render(request, "surveys/round.html", _detail_context(request, round_, **forms))


def _pick_units(round_: Round, form: UnitPickForm) -> QuerySet[SampleUnit]:
    """The released, unfinished units of the round that a bulk form picks (by stratum and
    area code prefix), in the call sheet's order; the form's count is applied by
    `_first_units`."""
    d = form.cleaned_data
    units = (SampleUnit.objects.filter(round=round_, released=True)
             .exclude(status=UnitStatus.DONE).order_by("stratum__key", "reserve", "position"))
    if d["stratum"]:
        units = units.filter(stratum=d["stratum"])
    if d["area_prefix"]:
        units = units.filter(area_code__startswith=d["area_prefix"])
    return units


def _first_units(units: QuerySet[SampleUnit], form: UnitPickForm) -> list[SampleUnit]:
    count = form.cleaned_data["count"]
    picked = list(units[:count] if count else units)
    if not picked:
        raise ValidationError(_("没有符合条件的样本。"))
    return picked


@access("surveys.round.view", model=Round, lookup=PK)
def round_view(request, pk: int):
    return _detail(request, _round(request, pk))


def _act(request: HttpRequest, round_: Round, call: Callable[[], object], done: str,
         anchor: str = "") -> HttpResponse:
    """Run a service for a button without a form: its refusal becomes the page's message,
    its success the next page's."""
    acted_with(request, call, done)
    return redirect(_round_url(round_, anchor))


def _form_action(request: HttpRequest, round_: Round, form: Any, form_name: str,
                 call: Callable[[Any], object], done: str, anchor: str) -> HttpResponse:
    """A form on the round's page: a refusal shows the page again with the form's errors
    (nothing typed is lost)."""
    if saved_with(request, form, call, done):
        return redirect(_round_url(round_, anchor))
    return _detail(request, round_, **{form_name: form})


# --- design and questionnaire -------------------------------------------------------------

@access("surveys.round.change", model=Round, lookup=PK)
def design_edit_view(request, pk: int):
    round_ = _writable(request, pk)
    if round_.status != RoundStatus.DESIGN:
        messages.error(request, _("抽样后方案不能再修改。"))
        return redirect(_round_url(round_, "design"))
    form = DesignForm(request.POST or None, initial=DesignForm.initial_for(round_))
    if saved_with(request, form, lambda f: services.round_design_set(
            round_=round_, data=f.to_input(), actor=request.user), _("方案已保存。")):
        return redirect(_round_url(round_, "design"))
    return render(request, "surveys/design_form.html", {"form": form, "round": round_,
                                                         "size": _size(round_)})


@access("surveys.round.change", model=Round, lookup=PK)
def question_new_view(request, pk: int):
    round_ = _writable(request, pk)
    if round_.status != RoundStatus.DESIGN:
        messages.error(request, _("抽样后问卷不能再修改。"))
        return redirect(_round_url(round_, "questions"))
    form = QuestionForm(request.POST or None)
    if saved_with(request, form, lambda f: services.question_save(
            round_=round_, data=f.to_input(), actor=request.user), _("已添加题目。")):
        return redirect(_round_url(round_, "questions"))
    return render(request, "surveys/question_form.html", {"form": form, "round": round_,
                                                           "question": None})


@access("surveys.round.change", model=Question, lookup=PK)
def question_edit_view(request, pk: int):
    question = _question(request, pk)
    round_ = question.round
    if round_.status != RoundStatus.DESIGN:
        messages.error(request, _("抽样后问卷不能再修改。"))
        return redirect(_round_url(round_, "questions"))
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question))
    if saved_with(request, form, lambda f: services.question_save(
            round_=round_, data=f.to_input(), question=question, actor=request.user),
            _("题目已保存。")):
        return redirect(_round_url(round_, "questions"))
    return render(request, "surveys/question_form.html", {"form": form, "round": round_,
                                                           "question": question})


@require_POST
@access("surveys.round.change", model=Question, lookup=PK)
def question_delete_view(request, pk: int):
    question = _question(request, pk)
    return _act(request, question.round, lambda: services.question_delete(
        round_=question.round, question=question, actor=request.user),
        _("已删除题目。"), "questions")


@require_POST
@access("surveys.round.change", model=Question, lookup=PK)
def question_move_view(request, pk: int):
    question = _question(request, pk)
    form = MoveForm(request.POST)
    up = form.is_valid() and form.cleaned_data["direction"] == "up"
    return _act(request, question.round, lambda: services.question_move(
        round_=question.round, question=question, up=up, actor=request.user),
        _("已调整题目顺序。"), "questions")


# --- frame, sample, quotas ----------------------------------------------------------------

@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def frame_freeze_view(request, pk: int):
    round_ = _writable(request, pk)

    def freeze() -> None:
        report = services.frame_freeze_registry(round_=round_, actor=request.user)
        messages.info(request, _("抽样框共 %(units)s 个单位,分为 %(strata)s 层。") % {
            "units": report.units, "strata": report.strata})

    return _act(request, round_, freeze, _("抽样框已冻结。"), "frame")


@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def frame_import_view(request, pk: int):
    round_ = _writable(request, pk)
    form = FrameImportForm(request.POST, request.FILES)

    def store(f: FrameImportForm) -> None:
        upload = f.cleaned_data["file"]
        report = services.frame_import(round_=round_, data=upload.read(),
                                       filename=upload.name, actor=request.user)
        messages.info(request, _("名单共 %(units)s 个单位,分为 %(strata)s 层;"
                                 "重复的电话 %(dup)s 个只保留一次。") % {
            "units": report.units, "strata": report.strata, "dup": report.duplicates})

    return _form_action(request, round_, form, "import_form", store,
                        _("名单已导入,抽样框已冻结。"), "frame")


@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def draw_view(request, pk: int):
    round_ = _writable(request, pk)
    form = DrawForm(request.POST)
    return _form_action(request, round_, form, "draw_form", lambda f: services.sample_draw(
        round_=round_, seed=f.cleaned_data["seed"], actor=request.user),
        _("已抽取样本。"), "sample")


@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def quota_view(request, pk: int):
    round_ = _writable(request, pk)
    form = QuotaForm(request.POST, round_=round_)
    return _form_action(request, round_, form, "quota_form", lambda f: services.quota_set(
        round_=round_, cell=f.cell, target=f.cleaned_data["target"],
        stratum=f.cleaned_data["stratum"], actor=request.user), _("配额已保存。"), "quotas")


# --- assignment and fieldwork -------------------------------------------------------------

@require_POST
@access("surveys.sampleunit.assign", model=Round, lookup=PK)
def assign_view(request, pk: int):
    """Give the released, unfinished units picked by stratum, area and count to an
    interviewer (those nobody holds), or take them back."""
    round_ = _writable(request, pk)
    form = AssignForm(request.POST, round_=round_,
                      candidates=services.interviewer_candidates(round_))

    def assign(f: AssignForm) -> None:
        d = f.cleaned_data
        units = _pick_units(round_, f)
        taking_back = d["action"] == "unassign"
        if taking_back:
            units = units.filter(interviewer=d["interviewer"]) if d["interviewer"] else \
                units.filter(interviewer__isnull=False)
        else:
            units = units.filter(interviewer__isnull=True)
        picked = _first_units(units, f)
        moved = services.units_assign(round_=round_, units=picked,
                                      interviewer=None if taking_back else d["interviewer"],
                                      actor=request.user)
        messages.info(request, _("共 %(n)s 个样本。") % {"n": moved})

    done = _("已收回样本。") if request.POST.get("action") == "unassign" else _("已分派样本。")
    return _form_action(request, round_, form, "assign_form", assign, done, "assign")


def _links_workbook(request: HttpRequest, round_: Round, units: list[SampleUnit],
                    tokens: dict[int, str]) -> HttpResponse:
    """The links just issued, one row a unit in the call sheet's order: how the sheet names
    it, its grid or community, the link. No phone, no name: the organiser adds those when
    sending."""
    grids = area_names(unit.area_code for unit in units)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("网络填答链接")
    header_row(sheet, [_("样本"), _("网格/社区"), _("链接")])
    for unit in units:
        token = tokens[unit.pk]
        sheet.append([cell_text(v) for v in (
            f"{unit.stratum.area.name} · {unit_name(unit)}",
            grids.get(unit.area_code, unit.area_code),
            request.build_absolute_uri(reverse("survey_web:form", args=[token])))])
    column_widths(sheet, [28, 24, 70])
    response = HttpResponse(workbook_bytes(book), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, _("网络填答链接-%(no)s.xlsx") % {"no": round_.number})
    add_never_cache_headers(response)  # (the links open the questionnaires: never kept)
    patch_cache_control(response, no_store=True, private=True)
    return response


@require_POST
@access("surveys.sampleunit.assign", model=Round, lookup=PK)
def web_links_view(request, pk: int):
    """A fresh web link for each unit picked (by stratum, area and count), answered as a
    workbook: the links are shown this once (only their keyed hashes are kept), and a new
    link replaces a unit's earlier one. A refusal shows the round's page with its reason."""
    round_ = _writable(request, pk)
    form = WebLinksForm(request.POST, round_=round_)
    if not form.is_valid():
        return _detail(request, round_, web_links_form=form)
    try:
        units = _first_units(_pick_units(round_, form).select_related("stratum__area"), form)
        issued = fieldwork.web_links_issue(round_=round_, units=units, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, round_, web_links_form=form)
    return _links_workbook(request, round_, units,
                           {unit.pk: token for unit, token in issued})


@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def open_view(request, pk: int):
    round_ = _writable(request, pk)
    return _act(request, round_, lambda: services.fieldwork_open(
        round_=round_, actor=request.user), _("调查已开始,调查员可以在调查任务中看到分派的样本。"))


@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def close_view(request, pk: int):
    round_ = _writable(request, pk)
    return _act(request, round_, lambda: services.round_close(
        round_=round_, actor=request.user),
        _("调查已结束:结果已计算,联系方式和抽样框已删除。"), "results")


@require_POST
@access("surveys.round.change", model=Round, lookup=PK)
def cancel_view(request, pk: int):
    round_ = _writable(request, pk)
    form = ReasonForm(request.POST)
    return _form_action(request, round_, form, "cancel_form", lambda f: services.round_cancel(
        round_=round_, reason=f.cleaned_data["reason"], actor=request.user),
        _("调查已撤销,联系方式和抽样框已删除。"), "")

