"""The public consultation pages (/consult/…): no sign-in, phone first.

Only hearings whose notice has been published are shown; a draft hearing answers 404 like
one that does not exist, and nothing of it appears anywhere. What is shown of people is
masked: registrants by their number and masked name, comments with personal data masked
under the published rule (civicgrid/core/masking.py, docs/risk.md) and the author's name
masked. Dispositions and the minutes appear when the organiser publishes them.

Writes (registration, a comment) go through the services like the staff's; abuse is held
off as on the resident portal: a limit per client address and one for everyone, checked and
counted in one step before the work (the cache's atomic add + incr), a honeypot field, the
CSRF token, lengths refused with their limit, text no database can store refused at the edge
(civicgrid/core/middleware.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from civicgrid.audit.context import client_ip
from civicgrid.core import limits
from civicgrid.core.access import access
from civicgrid.core.masking import mask_name
from civicgrid.risk import lots
from civicgrid.risk.hearing_forms import HONEYPOT, CommentForm, RegistrationForm
from civicgrid.risk.hearing_views import draw_groups
from civicgrid.risk.models import (
    Comment,
    Hearing,
    HearingQuota,
    HearingStatus,
    ParticipantGroup,
    Passage,
    Registration,
    RegistrationStatus,
)
from civicgrid.risk.services import hearings as services

# Limits per client address (an IPv6 address by its /64) and for everyone; settings win.
LIMITS = {
    "register": ("CONSULT_REGISTER_LIMIT", 10, 3600),
    "comment": ("CONSULT_COMMENT_LIMIT", 30, 3600),
    "all": ("CONSULT_GLOBAL_LIMIT", 2000, 600),
}
OPEN_STATUSES = (HearingStatus.NOTICED, HearingStatus.CLOSED, HearingStatus.DRAWN,
                 HearingStatus.HELD)


def _count(scope: str, key: str) -> int:
    """Count one attempt in the window of `scope` (core/limits.py); 0 if allowed, else the
    minutes to wait."""
    setting, default, window = LIMITS[scope]
    counted = limits.count(f"consult-{scope}", key,
                           limit=getattr(settings, setting, default), window=window)
    return 0 if counted.allowed else counted.retry_minutes


def _refusal(request: HttpRequest, scope: str) -> str:
    """The refusal message when this attempt is over a limit (counted either way)."""
    wait = _count(scope, limits.address_key(client_ip(request)))
    if wait:
        return _("从您的网络提交过于频繁,请 %(n)d 分钟后再试。") % {"n": wait}
    wait = _count("all", "all")
    if wait:
        return _("系统繁忙,请 %(n)d 分钟后再试。") % {"n": wait}
    return ""


def _private(response: HttpResponse) -> HttpResponse:
    """Nothing a resident typed or saw is kept by shared caches."""
    add_never_cache_headers(response)
    return response


def ordered_quotas(hearing: Hearing) -> list[HearingQuota]:
    """The hearing's quotas in the groups' order (residents first)."""
    order = {g: i for i, g in enumerate(ParticipantGroup.values)}
    return sorted(HearingQuota.objects.filter(hearing=hearing), key=lambda q: order[q.group])


def _public_hearing(pk: int) -> Hearing:
    hearing = (Hearing.objects.filter(pk=pk, status__in=services.PUBLIC_STATUSES)
               .select_related("matter").first())
    if hearing is None:
        raise Http404
    return hearing


@access(public=True)
def consult_home_view(request: HttpRequest) -> HttpResponse:
    """Matters under consultation (hearings noticed and not yet published) and the
    published ones, each with its counts."""
    hearings = list(Hearing.objects.filter(status__in=services.PUBLIC_STATUSES)
                    .select_related("matter")
                    .annotate(comments_count=Count("comments", distinct=True),
                              registrations_count=Count(
                                  "registrations", filter=~Q(
                                      registrations__status=RegistrationStatus.WITHDRAWN),
                                  distinct=True))
                    .order_by("-starts_at", "-id")[:200])
    return render(request, "risk/public/home.html", {
        "open": [h for h in hearings if h.status in OPEN_STATUSES],
        "published": [h for h in hearings if h.status == HearingStatus.PUBLISHED],
        "now": timezone.now()})


def _number_param(request: HttpRequest, name: str) -> str:
    """A number the page was sent back with after a write (digits only)."""
    value = request.GET.get(name, "")[:6]
    return value if value.isdigit() else ""


def _page(request: HttpRequest, hearing: Hearing, *, register_form: RegistrationForm | None
          = None, comment_form: CommentForm | None = None,
          comment_passage: int | None = None) -> dict[str, Any]:
    now = timezone.now()
    quotas = ordered_quotas(hearing)
    passages = list(Passage.objects.filter(hearing=hearing).order_by("number"))
    comments = list(Comment.objects.filter(hearing=hearing).order_by("number"))
    by_passage: dict[int, list[Comment]] = {p.pk: [] for p in passages}
    for comment in comments:
        by_passage[comment.passage_id].append(comment)
    registrations = list(Registration.objects.filter(hearing=hearing).order_by("number"))
    for row in registrations:
        row.masked_name = mask_name(row.name)  # type: ignore[attr-defined]
    active = [r for r in registrations if r.status != RegistrationStatus.WITHDRAWN]
    seats = {q.group: q.seats for q in quotas}
    labels = dict(ParticipantGroup.choices)
    status = hearing.status
    registering = status == HearingStatus.NOTICED and now < hearing.registration_closes_at
    commenting = (status in services.ONLINE_COMMENT_STATUSES
                  and now < hearing.comments_close_at)
    published = status == HearingStatus.PUBLISHED
    drawn = bool(hearing.seed)
    return {
        "hearing": hearing, "matter": hearing.matter, "published": published, "drawn": drawn,
        "passages": [(p, by_passage[p.pk]) for p in passages],
        "comments_total": len(comments),
        "comments_masked": sum(1 for c in comments if c.masked),
        "quota_rows": [(labels[q.group], q.seats,
                        sum(1 for r in active if r.group == q.group)) for q in quotas],
        "registering": registering, "commenting": commenting,
        "register_form": register_form or (RegistrationForm(quotas=quotas)
                                           if registering else None),
        "comment_form": comment_form, "comment_passage": comment_passage,
        "groups": draw_groups(registrations, seats) if drawn else [],
        "speakers": sorted((r for r in registrations if r.speaking_order),
                           key=lambda r: r.speaking_order or 0) if drawn else [],
        "registered": _number_param(request, "registered"),
        "commented": _number_param(request, "commented"),
        "list_url": reverse("consult:list", args=[hearing.pk]),
    }


@access(public=True)
def consult_hearing_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice, the agenda, the draft passage by passage with its comments and a form to
    comment on each, the registration form; after the draw its result and how to check it;
    after publication the minutes and every comment's disposition."""
    hearing = _public_hearing(pk)
    return _private(render(request, "risk/public/hearing.html", _page(request, hearing)))


@access(public=True)
def consult_register_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _public_hearing(pk)
    if request.method != "POST":
        return redirect(reverse("consult:hearing", args=[pk]) + "#register")
    form = RegistrationForm(request.POST, quotas=ordered_quotas(hearing))
    refusal = _refusal(request, "register")
    status = 400
    if refusal:
        status = 429
        form.is_valid()
        form.errors.clear()
        form.add_error(None, refusal)
    elif request.POST.get(HONEYPOT, "").strip():
        form.is_valid()
        form.errors.clear()
        form.add_error(None, _("提交未成功,请检查后重试。"))
    elif form.is_valid():
        try:
            registration = services.registration_submit(hearing=hearing,
                                                        data=form.to_input(), actor=None)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return redirect(reverse("consult:hearing", args=[pk])
                            + f"?registered={registration.number}#register")
    context = _page(request, hearing, register_form=form)
    return _private(render(request, "risk/public/hearing.html", context, status=status))


@access(public=True)
def consult_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _public_hearing(pk)
    if request.method != "POST":
        return redirect("consult:hearing", pk=pk)
    form = CommentForm(request.POST)
    raw = request.POST.get("passage", "")
    passage = (Passage.objects.filter(hearing=hearing, pk=int(raw)).first()
               if raw.isdigit() else None)
    refusal = _refusal(request, "comment")
    status = 400
    if refusal:
        status = 429
        form.is_valid()
        form.errors.clear()
        form.add_error(None, refusal)
    elif passage is None:
        form.is_valid()
        form.add_error(None, _("请选择要提意见的草案段落。"))
    elif request.POST.get(HONEYPOT, "").strip():
        form.is_valid()
        form.errors.clear()
        form.add_error(None, _("提交未成功,请检查后重试。"))
    elif form.is_valid():
        passage.hearing = hearing
        try:
            comment = services.comment_submit(passage=passage, text=form.cleaned_data["text"],
                                              author=form.cleaned_data["author"], actor=None)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return redirect(reverse("consult:hearing", args=[pk])
                            + f"?commented={comment.number}#comment-{comment.number}")
    context = _page(request, hearing, comment_form=form,
                    comment_passage=passage.pk if passage else None)
    return _private(render(request, "risk/public/hearing.html", context, status=status))


@access(public=True)
def consult_list_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The frozen registration list (docs/risk.md, "The lot draw"): the text whose SHA-256
    was published at the close; with the seed, anyone can recompute the draw. Before the
    close there is no frozen list: the hearing's page says when there will be."""
    hearing = _public_hearing(pk)
    if not hearing.registrations_digest:
        return redirect("consult:hearing", pk=pk)
    text = lots.canonical_list(services.frozen_entries(hearing))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="hearing-{hearing.pk}-list.txt"'
    return response
