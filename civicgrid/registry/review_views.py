"""Pages of the change review (变更审核): the reviewer's queue with its bulk decision, one
request with its before/after view (approve, return with a reason, withdraw), a grid
worker's own requests, and an area's review setting.

Every request is read through `restrict()` (review_reads.py): out of scope answers 404 like
missing. Views parse input and call the services (registry/services/review.py), whose
refusals become the page's messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area
from civicgrid.areas.readers import area_breadcrumbs
from civicgrid.core.access import access, has_permission
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import request_page
from civicgrid.core.scope import ancestor_codes, get_scope
from civicgrid.registry.models import (
    REVIEW_LEVELS,
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    ReviewRule,
)
from civicgrid.registry.review_forms import DecideManyForm, ReturnForm, RuleForm
from civicgrid.registry.review_reads import (
    my_requests,
    pending_grids,
    review_queue,
    review_rows,
    with_related,
)
from civicgrid.registry.services import (
    change_approve,
    change_return,
    change_withdraw,
    changes_approve_bulk,
    changes_return_bulk,
    review_rule_set,
)
from civicgrid.registry.views import area_or_404

REVIEWS_PER_PAGE = 30
MINE_PER_PAGE = 30


def _digits(value: str, longest: int) -> str:
    """An area code or record number from a URL: ASCII digits only, else nothing."""
    return value if value.isascii() and value.isdigit() and len(value) <= longest else ""


def _request(request: HttpRequest, pk: int, action: str = "view") -> ChangeRequest:
    found = with_related(ChangeRequest.objects.restrict(request.user, action)).filter(
        pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- the reviewer's queue ----------------------------------------------------------------------

@access("registry.changerequest.approve")
def reviews_view(request):
    """The pending requests of the reviewer's jurisdiction, oldest first, a page at a time;
    `?kind=` one kind, `?grid=` one grid. Each row shows its before/after view; the ticked
    ones are approved or returned together."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in ChangeRequestKind.values else ""
    grid = _digits(request.GET.get("grid", ""), 15)
    page = request_page(request, review_queue(reader=request.user, kind=kind, grid=grid),
                        ["created_at", "id"], REVIEWS_PER_PAGE)
    filters = urlencode({k: v for k, v in (("kind", kind), ("grid", grid)) if v})
    context = {"rows": review_rows(page.items, request.user), "page": page,
               "filters": filters, "kind": kind, "grid": grid}
    if is_htmx(request):
        return render(request, "registry/partials/review_rows.html", context)
    return render(request, "registry/reviews.html", {
        **context, "kinds": ChangeRequestKind.choices,
        "grids": pending_grids(reader=request.user),
        "can_set_rules": has_permission(request.user, "registry.reviewrule.change"),
        "rule_area": _first_area(request)})


def _first_area(request: HttpRequest) -> str:
    codes = get_scope(request.user).area_codes
    return codes[0] if codes else ""


def _back_to_queue(request: HttpRequest):
    kind = request.POST.get("kind", "")
    grid = _digits(request.POST.get("grid", ""), 15)
    query = urlencode({k: v for k, v in (("kind", kind if kind in ChangeRequestKind.values
                                          else ""), ("grid", grid)) if v})
    return redirect(reverse("registry:reviews") + (f"?{query}" if query else ""))


def _report(request: HttpRequest, outcomes, done: str) -> None:
    """The bulk decision's outcome: how many went through, and why each other did not."""
    ok = sum(1 for o in outcomes if o.ok)
    if ok:
        messages.success(request, done % {"n": ok})
    for outcome in outcomes:
        if not outcome.ok:
            messages.error(request, _("申请 %(no)s 未处理:%(why)s") % {
                "no": outcome.request_id, "why": outcome.message})


@access("registry.changerequest.approve")
@require_POST
def reviews_decide_view(request):
    """批量通过 / 批量退回 of the ticked requests, each in its own transaction."""
    form = DecideManyForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["ids"]:
        messages.error(request, _("请先勾选要处理的申请。"))
        return _back_to_queue(request)
    ids = form.cleaned_data["ids"]
    found = {r.pk: r for r in ChangeRequest.objects.restrict(request.user, "approve")
             .filter(pk__in=ids)}
    chosen = [found[pk] for pk in dict.fromkeys(ids) if pk in found]
    try:
        if form.cleaned_data["action"] == "return":
            outcomes = changes_return_bulk(requests=chosen, reason=form.cleaned_data["reason"],
                                           actor=request.user)
            _report(request, outcomes, _("已退回 %(n)d 项。"))
        else:
            outcomes = changes_approve_bulk(requests=chosen, actor=request.user)
            _report(request, outcomes, _("已通过 %(n)d 项。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    missing = len(set(ids) - set(found))
    if missing:
        messages.error(request, _("%(n)d 项申请不存在或不在您的辖区。") % {"n": missing})
    return _back_to_queue(request)


# --- one request ---------------------------------------------------------------------------------

@access("registry.changerequest.view", model=ChangeRequest, lookup={"pk": "pk"})
def review_view(request, pk: int):
    """A request: what it would change (before/after), who asked and when, and its outcome;
    the reviewer's approve and return, the requester's withdraw."""
    change = _request(request, pk)
    user = request.user
    pending = change.status == ChangeRequestStatus.PENDING
    may_review = (pending and has_permission(user, "registry.changerequest.approve")
                  and ChangeRequest.objects.restrict(user, "approve").filter(pk=pk).exists())
    row = review_rows([change], user)[0]
    return render(request, "registry/review.html", {
        "change": change, "row": row, "own": change.requested_by_id == user.pk,
        "can_decide": may_review and change.requested_by_id != user.pk,
        "can_withdraw": pending and change.requested_by_id == user.pk,
        "is_reviewer": has_permission(user, "registry.changerequest.approve"),
        "return_form": ReturnForm()})


def _decided(request: HttpRequest, change: ChangeRequest):
    if request.POST.get("next") == "queue":
        return _back_to_queue(request)
    return redirect("registry:review", pk=change.pk)


@access("registry.changerequest.approve", model=ChangeRequest, lookup={"pk": "pk"})
@require_POST
def review_approve_view(request, pk: int):
    """通过: the change applies now, by its service, with the reviewer as its actor."""
    change = _request(request, pk, "approve")
    try:
        change_approve(request=change, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _("未能通过,申请仍待审核:%(why)s") % {
            "why": " ".join(exc.messages)})
    else:
        messages.success(request, _("已通过申请 %(no)s。") % {"no": change.pk})
    return _decided(request, change)


@access("registry.changerequest.approve", model=ChangeRequest, lookup={"pk": "pk"})
@require_POST
def review_return_view(request, pk: int):
    """退回, with a reason the requester reads."""
    change = _request(request, pk, "approve")
    try:
        change_return(request=change, actor=request.user,
                      reason=request.POST.get("reason", ""))
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已退回申请 %(no)s。") % {"no": change.pk})
    return _decided(request, change)


@access("registry.changerequest.add", model=ChangeRequest, lookup={"pk": "pk"})
@require_POST
def review_withdraw_view(request, pk: int):
    """撤回: the requester takes back a request still pending."""
    change = _request(request, pk)
    try:
        change_withdraw(request=change, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已撤回申请 %(no)s。") % {"no": change.pk})
    return redirect("registry:review", pk=change.pk)


# --- a grid worker's own requests ----------------------------------------------------------------

@access("registry.changerequest.view")
def my_reviews_view(request):
    """我的变更申请: the reader's requests, newest first; `?status=` one status."""
    status = request.GET.get("status", "")
    status = status if status in ChangeRequestStatus.values else ""
    page = request_page(request, my_requests(reader=request.user, status=status),
                        ["-created_at", "-id"], MINE_PER_PAGE)
    context = {"rows": review_rows(page.items, request.user), "page": page,
               "status": status, "filters": urlencode({"status": status} if status else {}),
               "mine": True}
    if is_htmx(request):
        return render(request, "registry/partials/review_rows.html", context)
    return render(request, "registry/my_reviews.html", {
        **context, "statuses": ChangeRequestStatus.choices})


# --- an area's setting -------------------------------------------------------------------------

@access("registry.reviewrule.change", model=Area, lookup={"code": "code"})
def review_rule_view(request, code: str):
    """Whether the grid workers' registry changes in this street, community or grid wait
    for review: the area's own setting, the one above it that applies otherwise, and the
    areas below with their own."""
    area = area_or_404(request, code)
    if not get_scope(request.user).covers_code(area.code):
        raise Http404  # (an area above the jurisdiction: shown elsewhere, not set here)
    settable = area.level in REVIEW_LEVELS
    own = ReviewRule.objects.filter(area=area).select_related("set_by").first()
    if request.method == "POST" and settable:
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                review_rule_set(area=area, needs_review=form.value(), actor=request.user)
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("已保存变更审核设置。"))
                return redirect("registry:review_rule", code=area.code)
    else:
        form = RuleForm(initial={"needs_review": "inherit" if own is None
                                 else ("on" if own.needs_review else "off")})
    above = (ReviewRule.objects.filter(area_code__in=ancestor_codes(area.code))
             .select_related("area").order_by("-area_code").first())
    below = list(ReviewRule.objects.restrict(request.user, "change")
                 .filter(area_code__startswith=area.code).exclude(area=area)
                 .select_related("area")[:200])
    return render(request, "registry/review_rule.html", {
        "area": area, "own": own, "above": above, "below": below, "form": form,
        "settable": settable,
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=area)})
