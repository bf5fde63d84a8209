"""The staff pages of hearings (/risk/hearings/…): the list, drafting a hearing on a matter,
and one page per hearing that carries it through the procedure (notice, registrations, the
close and the draw, comments and their dispositions, minutes, sign-off, publication).

Every hearing is read through `Hearing.objects.restrict()` first, so one outside the
reader's scope answers 404 like a missing one; every write is a service of
civicgrid/risk/services/hearings.py, whose refusals are shown as messages or on the form.
Dispositions are saved with htmx, one comment at a time, without leaving the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.access import access, has_permission
from civicgrid.core.htmx import is_htmx
from civicgrid.core.masking import mask_name
from civicgrid.core.pagination import request_page
from civicgrid.risk.hearing_forms import (
    CommentForm,
    DispositionForm,
    DrawForm,
    HearingForm,
    HeldForm,
    PassagesForm,
    QuotaForm,
    RegistrationForm,
    RevealForm,
    SignForm,
    WithdrawForm,
    passages_text,
)
from civicgrid.risk.models import (
    Comment,
    Disposition,
    Hearing,
    HearingQuota,
    HearingStatus,
    Matter,
    ParticipantGroup,
    Passage,
    Position,
    Registration,
    RegistrationStatus,
)
from civicgrid.risk.services import hearings as services

HEARINGS_PER_PAGE = 50
VIEW, CHANGE, ADD = "risk.hearing.view", "risk.hearing.change", "risk.hearing.add"
HEARING = {"model": Hearing, "lookup": {"pk": "pk"}}

# The steps of the procedure, as the page's progress line shows them.
STEPS = [HearingStatus.DRAFT, HearingStatus.NOTICED, HearingStatus.CLOSED, HearingStatus.DRAWN,
         HearingStatus.HELD, HearingStatus.PUBLISHED]


def _hearing(request: HttpRequest, pk: int, action: str = "view") -> Hearing:
    return get_object_or_404(Hearing.objects.restrict(request.user, action)
                             .select_related("matter"), pk=pk)


@access(VIEW)
def hearing_list_view(request: HttpRequest) -> HttpResponse:
    """The hearings of the reader's scope, the latest first, with their counts."""
    qs = (Hearing.objects.restrict(request.user, "view").select_related("matter")
          .annotate(registrations_count=Count(
              "registrations", filter=~Q(registrations__status=RegistrationStatus.WITHDRAWN),
              distinct=True),
              comments_count=Count("comments", distinct=True),
              pending_count=Count("comments", filter=Q(comments__disposition=""),
                                  distinct=True)))
    status = request.GET.get("status", "")
    if status in HearingStatus.values:
        qs = qs.filter(status=status)
    page = request_page(request, qs, ["-starts_at", "-id"], HEARINGS_PER_PAGE)
    return render(request, "risk/hearing_list.html", {
        "page": page, "status": status, "statuses": HearingStatus.choices,
        "can_add": has_permission(request.user, ADD)})


@access(ADD, model=Matter, lookup={"matter": "pk"})
def hearing_new_view(request: HttpRequest, matter: int) -> HttpResponse:
    """Draft a hearing on a matter: its notice first; the draft and seats on its page."""
    subject = get_object_or_404(Matter.objects.restrict(request.user, "view"), pk=matter)
    if request.method == "POST":
        form = HearingForm(request.POST)
        if form.is_valid():
            try:
                hearing = services.hearing_create(matter=subject, data=form.to_input(),
                                                  actor=request.user)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("听证会已拟定,请录入草案并设置名额后发布公告。"))
                return redirect("risk:hearing", pk=hearing.pk)
    else:
        form = HearingForm(initial={"title": _("关于《%(t)s》的听证会") % {"t": subject.title},
                                    "draft_title": subject.title})
    return render(request, "risk/hearing_new.html", {"matter": subject, "form": form},
                  status=400 if form.errors else 200)


def _quotas(hearing: Hearing) -> list[HearingQuota]:
    order = {g: i for i, g in enumerate(ParticipantGroup.values)}
    return sorted(hearing.quotas.all(), key=lambda q: order[q.group])


def registrations_shown(hearing: Hearing) -> list[Registration]:
    """The hearing's registrations in number order, each with its name masked."""
    rows = list(Registration.objects.filter(hearing=hearing).order_by("number"))
    for row in rows:
        row.masked_name = mask_name(row.name)  # type: ignore[attr-defined]
    return rows


def _comments_by_passage(hearing: Hearing, pending_only: bool) -> list[tuple[Passage, list]]:
    passages = list(Passage.objects.filter(hearing=hearing).order_by("number"))
    comments = Comment.objects.filter(hearing=hearing).select_related("passage") \
        .order_by("number")
    if pending_only:
        comments = comments.filter(disposition="")
    by_passage: dict[int, list[Comment]] = {p.pk: [] for p in passages}
    for comment in comments:
        by_passage[comment.passage_id].append(comment)
    return [(p, by_passage[p.pk]) for p in passages]


def draw_groups(registrations: list[Registration],
                quotas: dict[str, int]) -> list[dict[str, Any]]:
    """The draw's result by group: seats, the drawn in rank order (the withdrawn left out)."""
    labels = dict(ParticipantGroup.choices)
    groups = []
    for group in ParticipantGroup.values:
        if group not in quotas:
            continue
        rows = [r for r in registrations if r.group == group
                and r.status != RegistrationStatus.WITHDRAWN]
        rows.sort(key=lambda r: (r.draw_rank or 0, r.number))
        groups.append({"group": group, "label": labels[group], "seats": quotas[group],
                       "rows": rows, "lot": len(rows) > quotas[group]})
    return groups


def speakers(registrations: list[Registration]) -> list[Registration]:
    return sorted((r for r in registrations if r.speaking_order),
                  key=lambda r: r.speaking_order or 0)


def _page_context(request: HttpRequest, hearing: Hearing, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_change = has_permission(user, CHANGE)
    registrations = registrations_shown(hearing)
    quotas = dict(hearing.quotas.values_list("group", "seats"))
    pending_only = request.GET.get("pending") == "1"
    by_passage = _comments_by_passage(hearing, pending_only)
    counts = Comment.objects.filter(hearing=hearing).aggregate(
        total=Count("id"), pending=Count("id", filter=Q(disposition="")),
        masked=Count("id", filter=Q(masked=True)))
    now = timezone.now()
    status = hearing.status
    draft = status == HearingStatus.DRAFT
    passages = [p for p, _c in by_passage]
    active = [r for r in registrations if r.status != RegistrationStatus.WITHDRAWN]
    context: dict[str, Any] = {
        "hearing": hearing, "matter": hearing.matter, "can_change": can_change,
        "steps": [(value, label, STEPS.index(value) <= STEPS.index(status))
                  for value, label in HearingStatus.choices],
        "draft": draft, "passages": passages, "by_passage": by_passage,
        "pending_only": pending_only, "counts": counts,
        "quotas": [(label, quotas.get(value, 0)) for value, label in ParticipantGroup.choices
                   if value in quotas],
        "registrations": registrations, "active_count": len(active),
        "by_group": {label: sum(1 for r in active if r.group == value)
                     for value, label in ParticipantGroup.choices if value in quotas},
        "groups": draw_groups(registrations, quotas)
        if status not in (HearingStatus.DRAFT, HearingStatus.NOTICED) else [],
        "speakers": speakers(registrations),
        "deadline_passed": now >= hearing.registration_closes_at,
        "comments_open": (status in services.ONLINE_COMMENT_STATUSES
                          and now < hearing.comments_close_at),
        "public_url": reverse("consult:hearing", args=[hearing.pk])
        if status != HearingStatus.DRAFT else "",
        "dispositions": Disposition.choices, "positions": dict(Position.choices),
    }
    if can_change:
        context.update({
            "hearing_form": HearingForm.for_hearing(hearing) if draft else None,
            "passages_form": PassagesForm(initial={"passages": passages_text(passages)})
            if draft else None,
            "quota_form": QuotaForm(quotas=_quotas(hearing)) if draft else None,
            "register_form": RegistrationForm(quotas=_quotas(hearing))
            if status == HearingStatus.NOTICED else None,
            "draw_form": DrawForm() if status == HearingStatus.CLOSED else None,
            "comment_form": CommentForm()
            if status not in (HearingStatus.DRAFT, HearingStatus.PUBLISHED) else None,
            "held_form": HeldForm(initial={"chair": hearing.chair, "minutes": hearing.minutes})
            if status == HearingStatus.DRAWN
            or (status == HearingStatus.HELD and hearing.minutes_signed_at is None) else None,
            "sign_form": SignForm(initial={"signed_by": hearing.chair})
            if status == HearingStatus.HELD and hearing.minutes_signed_at is None else None,
            "can_dispose": status not in (HearingStatus.DRAFT, HearingStatus.PUBLISHED),
        })
    context.update(forms)
    return context


@access(VIEW, **HEARING)
def hearing_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk)
    return render(request, "risk/hearing.html", _page_context(request, hearing))


# --- writes -------------------------------------------------------------------------------

def _back(hearing: Hearing, anchor: str = "") -> HttpResponse:
    url = reverse("risk:hearing", args=[hearing.pk])
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _run(request: HttpRequest, hearing: Hearing, call: Callable[[], object], done: str,
         anchor: str = "") -> HttpResponse:
    """Run a service; its refusal is shown as a message on the hearing's page."""
    try:
        call()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return _back(hearing, anchor)


def _form_or_page(request: HttpRequest, hearing: Hearing, form: Any, name: str,
                  call: Callable[[], object], done: str, anchor: str) -> HttpResponse:
    """Validate `form` and run the service; on an error the page is shown again with the
    form and its errors (status 200, the rest of the page as it is)."""
    if form.is_valid():
        try:
            call()
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, done)
            return _back(hearing, anchor)
    return render(request, "risk/hearing.html", _page_context(request, hearing, **{name: form}))


@access(CHANGE, **HEARING)
@require_POST
def hearing_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = HearingForm(request.POST)
    return _form_or_page(request, hearing, form, "hearing_form", lambda: services.hearing_update(
        hearing=hearing, data=form.to_input(), actor=request.user), _("公告内容已保存。"),
        "notice")


@access(CHANGE, **HEARING)
@require_POST
def hearing_passages_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = PassagesForm(request.POST)
    return _form_or_page(request, hearing, form, "passages_form",
                         lambda: services.hearing_set_passages(
                             hearing=hearing, passages=form.to_passages(), actor=request.user),
                         _("草案已保存。"), "draft")


@access(CHANGE, **HEARING)
@require_POST
def hearing_quotas_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = QuotaForm(request.POST, quotas=_quotas(hearing))
    return _form_or_page(request, hearing, form, "quota_form", lambda: services.hearing_set_quotas(
        hearing=hearing, seats=form.to_seats(), actor=request.user), _("名额已保存。"), "quotas")


@access(CHANGE, **HEARING)
@require_POST
def hearing_notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    return _run(request, hearing, lambda: services.hearing_notice(
        hearing=hearing, actor=request.user), _("听证公告已发布,公众可以报名和提出意见。"))


@access(CHANGE, **HEARING)
@require_POST
def hearing_register_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A registration taken at the desk (a visit or a call)."""
    hearing = _hearing(request, pk, "change")
    form = RegistrationForm(request.POST, quotas=_quotas(hearing))
    return _form_or_page(request, hearing, form, "register_form",
                         lambda: services.registration_submit(
                             hearing=hearing, data=form.to_input(), actor=request.user),
                         _("报名已登记。"), "registrations")


def _registration(hearing: Hearing, pk: object) -> Registration:
    registration = Registration.objects.filter(hearing=hearing, pk=pk).first() \
        if isinstance(pk, int) else None
    if registration is None:
        raise ValidationError(_("该报名不存在。"))
    registration.hearing = hearing
    return registration


@access(CHANGE, **HEARING)
@require_POST
def hearing_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写撤回原因。"))
        return _back(hearing, "registrations")
    return _run(request, hearing, lambda: services.registration_withdraw(
        registration=_registration(hearing, form.cleaned_data["registration"]),
        reason=form.cleaned_data["reason"], actor=request.user), _("报名已撤回。"),
        "registrations")


@access(CHANGE, **HEARING)
@require_POST
def hearing_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A registrant's phone in clear (htmx partial), with the reason audited."""
    hearing = _hearing(request, pk, "change")
    form = RevealForm(request.POST)
    phone, error = "", ""
    if form.is_valid():
        try:
            phone = services.registration_reveal_phone(
                registration=_registration(hearing, form.cleaned_data["registration"]),
                reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("请填写查看原因。")
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.info(request, _("联系电话:%(phone)s(已记录查看)") % {"phone": phone})
        return _back(hearing, "registrations")
    return render(request, "risk/partials/hearing_reveal.html",
                  {"phone": phone, "error": error})


@access(CHANGE, **HEARING)
@require_POST
def hearing_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    return _run(request, hearing, lambda: services.registration_close(
        hearing=hearing, actor=request.user), _("报名已截止,名单及其摘要已公布。"), "draw")


@access(CHANGE, **HEARING)
@require_POST
def hearing_draw_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = DrawForm(request.POST)
    return _form_or_page(request, hearing, form, "draw_form", lambda: services.hearing_draw(
        hearing=hearing, seed=form.cleaned_data["seed"], actor=request.user),
        _("抽签完成,结果已公布。"), "draw")


@access(CHANGE, **HEARING)
@require_POST
def hearing_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment entered from paper (书面意见)."""
    hearing = _hearing(request, pk, "change")
    form = CommentForm(request.POST)

    def call() -> object:
        passage = Passage.objects.filter(hearing=hearing,
                                         pk=form.cleaned_data["passage"]).first()
        if passage is None:
            raise ValidationError({"passage": _("请选择草案段落。")})
        passage.hearing = hearing
        return services.comment_submit(passage=passage, text=form.cleaned_data["text"],
                                       author=form.cleaned_data["author"], actor=request.user)

    return _form_or_page(request, hearing, form, "comment_form", call, _("书面意见已录入。"),
                         "comments")


@access(CHANGE, **HEARING)
@require_POST
def hearing_dispose_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One comment's disposition; with htmx only the comment's card comes back."""
    hearing = _hearing(request, pk, "change")
    form = DispositionForm(request.POST)
    comment = None
    raw = request.POST.get("comment", "")
    if raw.isdigit():
        comment = Comment.objects.filter(hearing=hearing, pk=int(raw)) \
            .select_related("passage").first()
    if comment is None:
        if is_htmx(request):
            raise Http404
        messages.error(request, _("该意见不存在。"))
        return _back(hearing, "comments")
    comment.hearing = hearing
    saved = False
    if form.is_valid():
        try:
            comment = services.comment_dispose(
                comment=comment, disposition=form.cleaned_data["disposition"],
                reason=form.cleaned_data["reason"], actor=request.user)
            saved = True
        except ValidationError as exc:
            form.add_service_errors(exc)
    if not is_htmx(request):
        if saved:
            messages.success(request, _("第%(n)d条意见的处理结果已保存。") % {"n": comment.number})
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        return _back(hearing, f"comment-{comment.pk}")
    pending = Comment.objects.filter(hearing=hearing, disposition="").count()
    return render(request, "risk/partials/hearing_comment.html", {
        "c": comment, "hearing": hearing, "can_dispose": True, "saved": saved,
        "form_errors": [e for errors in form.errors.values() for e in errors],
        "posted": request.POST, "dispositions": Disposition.choices, "pending": pending,
        "oob_pending": True})


@access(CHANGE, **HEARING)
@require_POST
def hearing_held_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = HeldForm(request.POST)
    return _form_or_page(request, hearing, form, "held_form", lambda: services.hearing_held(
        hearing=hearing, chair=form.cleaned_data["chair"], minutes=form.cleaned_data["minutes"],
        actor=request.user), _("笔录已保存,请主持人签字。"), "minutes")


@access(CHANGE, **HEARING)
@require_POST
def hearing_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    form = SignForm(request.POST)
    return _form_or_page(request, hearing, form, "sign_form", lambda: services.minutes_sign(
        hearing=hearing, signed_by=form.cleaned_data["signed_by"], actor=request.user),
        _("笔录已签字。"), "minutes")


@access(CHANGE, **HEARING)
@require_POST
def hearing_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = _hearing(request, pk, "change")
    return _run(request, hearing, lambda: services.hearing_publish(
        hearing=hearing, actor=request.user), _("笔录和意见处理结果已公布。"), "minutes")

