"""Pages of major matters and their assessment: the list, a matter's page with its
procedure (exemption, assessment, decision, implementation), the report as PDF, and the
level rule's versions.

Every matter is read through `restrict()` (selectors.py): out of scope answers 404 like
missing. Views parse input and call the services (services/matters.py), whose refusals
become the form's errors or the page's message; nothing here decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core.access import access, has_permission
from civicgrid.core.forms import acted_with, add_service_errors, saved_with
from civicgrid.core.pagination import request_page
from civicgrid.risk import selectors
from civicgrid.risk.figures import matter_followup
from civicgrid.risk.forms import (
    ActivityForm,
    AssessmentForm,
    DecisionForm,
    ExemptionDecideForm,
    ItemForm,
    LevelRuleForm,
    MatterFilterForm,
    MatterForm,
    RateForm,
    ReasonForm,
)
from civicgrid.risk.levels import clause_text
from civicgrid.risk.models import (
    Assessment,
    AssessmentStatus,
    ConsultationActivity,
    DecisionKind,
    ExemptionStatus,
    LevelRule,
    Matter,
    MatterStatus,
    RiskItem,
)
from civicgrid.risk.services import matters as services

MATTERS_PER_PAGE = 30
MATTER = {"model": Matter, "lookup": {"pk": "pk"}}
ASSESSMENT = {"model": Assessment, "lookup": {"pk": "pk"}}


def _matter(request: HttpRequest, pk: int, action: str = "view") -> Matter:
    matter = selectors.matter_for(request.user, pk, action)
    if matter is None:
        raise Http404
    return matter


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    found = (Assessment.objects.restrict(request.user, "view").select_related("matter")
             .filter(pk=pk).first())
    if found is None:
        raise Http404
    return found


def _matter_url(matter: Matter, anchor: str = "") -> str:
    return reverse("risk:matter", args=[matter.pk]) + (f"#{anchor}" if anchor else "")


# --- list ---------------------------------------------------------------------------------

@access("risk.matter.view")
def matter_list_view(request):
    """The matters of the reader's jurisdiction, newest first, a page at a time."""
    filters = MatterFilterForm(request.GET or None)
    values: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    kind = values.get("kind")
    qs = selectors.matters_for(request.user, q=(values.get("q") or "").strip(),
                               status=values.get("status") or "",
                               kind=kind.pk if kind else None,
                               attention=bool(values.get("attention")))
    page = request_page(request, qs, selectors.MATTER_ORDER, MATTERS_PER_PAGE)
    return render(request, "risk/matter_list.html", {
        "page": page, "filters": filters,
        "can_add": has_permission(request.user, "risk.matter.add"),
        "can_rules": has_permission(request.user, "risk.levelrule.view"),
        # the findings (level, decision) for those who read assessments; the rest see the
        # matters and their status (docs/risk.md, "Who does what")
        "can_read": has_permission(request.user, "risk.assessment.view"),
    })


@access("risk.matter.add")
def matter_new_view(request):
    form = MatterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            matter = services.matter_register(data=form.to_input(), actor=request.user)
        except PermissionDenied:
            form.add_error("area", _("所属区域不在您的管辖范围内。"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记重大事项 %(no)s。") % {"no": matter.number})
            return redirect(_matter_url(matter))
    return render(request, "risk/matter_form.html", {"form": form, "matter": None})


@access("risk.matter.change", **MATTER)
def matter_edit_view(request, pk: int):
    matter = _matter(request, pk, "change")
    form = MatterForm(request.POST or None, user=request.user,
                      initial=MatterForm.initial_for(matter))
    if request.method == "POST" and form.is_valid():
        try:
            services.matter_update(matter=matter, data=form.to_input(), actor=request.user)
        except PermissionDenied:
            form.add_error("area", _("所属区域不在您的管辖范围内。"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(_matter_url(matter))
    return render(request, "risk/matter_form.html", {"form": form, "matter": matter})


# --- a matter's page ----------------------------------------------------------------------

STEPS = [("registered", gettext_lazy("登记")), ("assessing", gettext_lazy("评估")),
         ("rated", gettext_lazy("定级")), ("reported", gettext_lazy("报送")),
         ("decided", gettext_lazy("决策")), ("implemented", gettext_lazy("实施"))]


def _steps(matter: Matter, current: Assessment | None) -> list[dict[str, Any]]:
    """Where the matter stands in the procedure, for the stepper at the top of its page."""
    reached = {"registered"}
    if current is not None:
        reached.add("assessing")
        if current.status in (AssessmentStatus.RATED, AssessmentStatus.REPORTED,
                              AssessmentStatus.DECIDED):
            reached.add("rated")
        if current.status in (AssessmentStatus.REPORTED, AssessmentStatus.DECIDED):
            reached.add("reported")
    if matter.status in (MatterStatus.DECIDED, MatterStatus.IMPLEMENTED):
        reached.add("decided")
    if matter.status == MatterStatus.IMPLEMENTED:
        reached.add("implemented")
    skipped = set()
    if not matter.needs_assessment and current is None:
        skipped = {"assessing", "rated", "reported"}
    return [{"key": k, "label": label, "done": k in reached, "skipped": k in skipped}
            for k, label in STEPS]


def _detail_context(request: HttpRequest, matter: Matter, **forms: Any) -> dict[str, Any]:
    user = request.user
    can = {name: has_permission(user, perm) for name, perm in {
        "change": "risk.matter.change", "assess": "risk.assessment.change",
        "read_assessment": "risk.assessment.view", "decide": "risk.decision.add",
        "approve": "risk.matter.approve", "hearings": "risk.hearing.view",
        "add_hearing": "risk.hearing.add"}.items()}
    current = services.current_assessment(matter)
    if current is not None:
        current = selectors.assessment_detail(current)
    open_matter = matter.status not in (MatterStatus.WITHDRAWN,)
    editable = current is not None and current.status in services.EDITABLE_ASSESSMENT
    standing = services.standing_decision(matter)
    items = list(current.items.all()) if current else []
    context: dict[str, Any] = {
        "matter": matter, "can": can, "current": current, "items": items,
        "activities": list(current.activities.all()) if current else [],
        "reasons": [clause_text(r) for r in current.level_reasons] if current else [],
        "earlier": list(matter.assessments.exclude(pk=getattr(current, "pk", None))
                        .order_by("-round")) if can["read_assessment"] else [],
        "decision": standing,
        "decisions": list(matter.decisions.select_related("recorded_by")
                          .order_by("-recorded_at")) if can["read_assessment"] else [],
        "steps": _steps(matter, current),
        "affected": list(matter.affected.select_related("area")),
        "projects": [p for p in matter.projects.splitlines() if p.strip()],
        "hearings": list(matter.hearings.order_by("-starts_at")) if can["hearings"] else [],
        "editable": editable and can["assess"],
        "can_start": (can["assess"] and open_matter
                      and matter.exemption_status != ExemptionStatus.REQUESTED
                      and (current is None or current.status == AssessmentStatus.DECIDED)),
        "can_request_exemption": (can["change"] and matter.assessment_required
                                  and matter.status == MatterStatus.REGISTERED
                                  and current is None
                                  and matter.exemption_status in ("", "rejected")),
        "can_decide_exemption": (can["approve"]
                                 and matter.exemption_status == ExemptionStatus.REQUESTED
                                 and matter.exemption_requested_by_id != user.pk),
        "can_report": (can["assess"] and current is not None
                       and current.status == AssessmentStatus.RATED),
        "can_record_decision": (can["decide"] and open_matter and (
            (current is not None and current.status == AssessmentStatus.REPORTED)
            or (not matter.needs_assessment and current is None
                and matter.exemption_status != ExemptionStatus.REQUESTED))),
        "can_implement": (can["change"] and matter.status == MatterStatus.DECIDED
                          and standing is not None
                          and standing.kind == DecisionKind.IMPLEMENT),
        "can_withdraw": can["change"] and matter.status not in (
            MatterStatus.IMPLEMENTED, MatterStatus.WITHDRAWN),
        "followup": matter_followup(matter),
        "current_rule": (current.level_rule if current and current.level_rule
                         else LevelRule.objects.order_by("-version").first()),
    }
    context["activity_form"] = forms.get("activity_form") or ActivityForm()
    context["item_form"] = forms.get("item_form") or ItemForm()
    context["rate_form"] = forms.get("rate_form") or RateForm(
        initial={"conclusion": current.conclusion if current else ""})
    context["exemption_form"] = forms.get("exemption_form") or ReasonForm()
    context["exemption_decide_form"] = (forms.get("exemption_decide_form")
                                        or ExemptionDecideForm())
    context["withdraw_form"] = forms.get("withdraw_form") or ReasonForm()
    return context


def _detail(request: HttpRequest, matter: Matter, status: int = 200, **forms: Any
            ) -> HttpResponse:
    return render(request, "risk/matter.html", _detail_context(request, matter, **forms),
                  status=status)


@access("risk.matter.view", **MATTER)
def matter_view(request, pk: int):
    return _detail(request, _matter(request, pk))


def _act(request: HttpRequest, matter: Matter, call: Callable[[], object], done: str,
         anchor: str = "") -> HttpResponse:
    """Run a service for a button without a form: its refusal becomes the page's
    message, its success the next page's."""
    acted_with(request, call, done)
    return redirect(_matter_url(matter, anchor))


def _form_action(request: HttpRequest, matter: Matter, form: Any, form_name: str,
                 call: Callable[[Any], object], done: str, anchor: str) -> HttpResponse:
    """Run a service with a form's input; an invalid form or a refusal shows the matter's
    page again with the form and its errors (nothing typed is lost)."""
    if saved_with(request, form, call, done):
        return redirect(_matter_url(matter, anchor))
    return _detail(request, matter, **{form_name: form})


@require_POST
@access("risk.matter.change", **MATTER)
def exemption_request_view(request, pk: int):
    matter = _matter(request, pk, "change")
    form = ReasonForm(request.POST)
    return _form_action(request, matter, form, "exemption_form", lambda f: (
        services.matter_exemption_request(matter=matter, reason=f.cleaned_data["reason"],
                                          actor=request.user)),
        _("已提交免予评估申请,待领导审批。"), "exemption")


@require_POST
@access("risk.matter.approve", **MATTER)
def exemption_decide_view(request, pk: int):
    matter = _matter(request, pk, "approve")
    form = ExemptionDecideForm(request.POST)
    return _form_action(request, matter, form, "exemption_decide_form", lambda f: (
        services.matter_exemption_decide(
            matter=matter, approve=f.cleaned_data["approve"] == "yes",
            note=f.cleaned_data["note"], actor=request.user)),
        _("已审批免评申请。"), "exemption")


@require_POST
@access("risk.matter.change", **MATTER)
def withdraw_view(request, pk: int):
    matter = _matter(request, pk, "change")
    form = ReasonForm(request.POST)
    return _form_action(request, matter, form, "withdraw_form", lambda f: (
        services.matter_withdraw(matter=matter, reason=f.cleaned_data["reason"],
                                 actor=request.user)),
        _("事项已撤销。"), "")


@require_POST
@access("risk.matter.change", **MATTER)
def implement_view(request, pk: int):
    matter = _matter(request, pk, "change")
    return _act(request, matter, lambda: services.matter_implement(
        matter=matter, actor=request.user), _("已标记为实施。"))


# --- the assessment -----------------------------------------------------------------------

@access("risk.assessment.add", **MATTER)
def assessment_new_view(request, pk: int):
    matter = _matter(request, pk, "change")
    form = AssessmentForm(request.POST or None, user=request.user, initial={
        "assessor_unit": matter.responsible_unit_id})
    if saved_with(request, form, lambda f: services.assessment_start(
            matter=matter, data=f.to_input(), actor=request.user), _("已启动风险评估。")):
        return redirect(_matter_url(matter, "assessment"))
    return render(request, "risk/assessment_form.html", {"form": form, "matter": matter,
                                                         "assessment": None})


@access("risk.assessment.change", **ASSESSMENT)
def assessment_edit_view(request, pk: int):
    assessment = _assessment(request, pk)
    matter = assessment.matter
    form = AssessmentForm(request.POST or None, user=request.user, initial={
        "procedure": assessment.procedure, "simplified_reason": assessment.simplified_reason,
        "assessor_kind": assessment.assessor_kind, "assessor_unit": assessment.assessor_unit_id,
        "assessor_name": assessment.assessor_name, "plan": assessment.plan})
    if saved_with(request, form, lambda f: services.assessment_update(
            assessment=assessment, data=f.to_input(), actor=request.user), _("已保存。")):
        return redirect(_matter_url(matter, "assessment"))
    return render(request, "risk/assessment_form.html", {"form": form, "matter": matter,
                                                         "assessment": assessment})


@require_POST
@access("risk.assessment.change", **ASSESSMENT)
def activity_add_view(request, pk: int):
    assessment = _assessment(request, pk)
    form = ActivityForm(request.POST)
    return _form_action(request, assessment.matter, form, "activity_form", lambda f: (
        services.activity_add(assessment=assessment, data=f.to_input(), actor=request.user)),
        _("已记录征求意见活动。"), "activities")


@require_POST
@access("risk.assessment.change", model=ConsultationActivity, lookup={"pk": "pk"})
def activity_remove_view(request, pk: int):
    activity = ConsultationActivity.objects.filter(
        pk=pk, assessment__in=Assessment.objects.restrict(request.user, "change")).select_related(
        "assessment__matter").first()
    if activity is None:
        raise Http404
    return _act(request, activity.assessment.matter, lambda: services.activity_remove(
        activity=activity, actor=request.user), _("已删除该活动记录。"), "activities")


@require_POST
@access("risk.assessment.change", **ASSESSMENT)
def item_add_view(request, pk: int):
    assessment = _assessment(request, pk)
    form = ItemForm(request.POST)
    return _form_action(request, assessment.matter, form, "item_form", lambda f: (
        services.item_add(assessment=assessment, data=f.to_input(), actor=request.user)),
        _("已添加风险点。"), "items")


def _item(request: HttpRequest, pk: int) -> RiskItem:
    item = RiskItem.objects.filter(
        pk=pk, assessment__in=Assessment.objects.restrict(request.user, "change")).select_related(
        "assessment__matter").first()
    if item is None:
        raise Http404
    return item


@access("risk.assessment.change", model=RiskItem, lookup={"pk": "pk"})
def item_edit_view(request, pk: int):
    item = _item(request, pk)
    matter = item.assessment.matter
    form = ItemForm(request.POST or None, initial=ItemForm.initial_for(item))
    if saved_with(request, form, lambda f: services.item_update(
            item=item, data=f.to_input(), actor=request.user), _("已保存。")):
        return redirect(_matter_url(matter, "items"))
    return render(request, "risk/item_form.html", {"form": form, "matter": matter,
                                                   "item": item})


@require_POST
@access("risk.assessment.change", model=RiskItem, lookup={"pk": "pk"})
def item_remove_view(request, pk: int):
    item = _item(request, pk)
    return _act(request, item.assessment.matter, lambda: services.item_remove(
        item=item, actor=request.user), _("已删除该风险点。"), "items")


@require_POST
@access("risk.assessment.change", **ASSESSMENT)
def rate_view(request, pk: int):
    assessment = _assessment(request, pk)
    form = RateForm(request.POST)
    return _form_action(request, assessment.matter, form, "rate_form", lambda f: (
        services.assessment_rate(assessment=assessment, actor=request.user,
                                 conclusion=f.cleaned_data["conclusion"])),
        _("已按现行规则评定风险等级。"), "level")


@require_POST
@access("risk.assessment.change", **ASSESSMENT)
def report_view(request, pk: int):
    assessment = _assessment(request, pk)
    return _act(request, assessment.matter, lambda: services.assessment_report(
        assessment=assessment, actor=request.user), _("评估报告已报送决策机关。"), "level")


# --- the decision -------------------------------------------------------------------------

@access("risk.decision.add", **MATTER)
def decide_view(request, pk: int):
    matter = _matter(request, pk, "view")
    current = services.current_assessment(matter)
    form = DecisionForm(request.POST or None, initial={"body": matter.deciding_body})
    if saved_with(request, form, lambda f: services.matter_decide(
            matter=matter, data=f.to_input(), actor=request.user), _("已记录决策。")):
        return redirect(_matter_url(matter, "decision"))
    return render(request, "risk/decide.html", {
        "form": form, "matter": matter, "current": current,
        "reasons": [clause_text(r) for r in current.level_reasons] if current else []})


# --- the level rule -----------------------------------------------------------------------

@access(("risk.levelrule.view", "risk.assessment.view"))
def rules_view(request):
    """Every published version of the level rule; the administrator publishes the next."""
    rules = list(LevelRule.objects.select_related("published_by").order_by("-version"))
    can_publish = has_permission(request.user, "risk.levelrule.add")
    form = LevelRuleForm(request.POST or None,
                         initial=LevelRuleForm.initial_for(rules[0] if rules else None))
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                rule = services.level_rule_publish(figures=form.figures(),
                                                   note=form.cleaned_data["note"],
                                                   actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已发布第 %(v)d 版评定规则。") % {"v": rule.version})
                return redirect("risk:rules")
    return render(request, "risk/rules.html", {"rules": rules, "form": form,
                                               "can_publish": can_publish})
