"""Hearings in the JSON API (/api/v1/risk/hearings/…): the staff's list and detail (read
through `restrict()`: a hearing outside the caller's scope answers 404 like a missing one),
the lot draw, the comments and their dispositions.

Endpoints only parse input and call a service of civicgrid/risk/services/hearings.py; a
refused rule is 409 `rule_violation`, a malformed field 400, in the API's one error format.
Writes honour Idempotency-Key. A token reaches these endpoints only with a risk action
(none can be granted yet: the session is the way in, as for the registry).
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.risk.models import (
    Comment,
    CommentSource,
    Disposition,
    Hearing,
    HearingStatus,
    ParticipantGroup,
    RegistrationStatus,
)
from civicgrid.risk.services import hearings as services

router = Router(tags=["hearings"])
READ, WRITE = "risk:read", "risk:write"
HEARING = {"model": Hearing, "lookup": {"hearing_id": "pk"}, "api": True}


class QuotaOut(Schema):
    group: ParticipantGroup
    seats: int
    registered: int = Field(..., description="registrations of the group, withdrawn left out")


class HearingOut(Schema):
    id: int
    matter: str = Field(..., description="the matter's number")
    title: str
    status: HearingStatus
    starts_at: datetime
    place: str
    registration_closes_at: datetime
    comments_close_at: datetime
    noticed_at: datetime | None
    registrations_digest: str = Field(..., description=(
        "SHA-256 of the registration list frozen at the close (docs/risk.md, The lot draw)"))
    seed: str = Field(..., description="the seed the lots were drawn from ('' before the draw)")
    drawn_at: datetime | None
    minutes_signed_at: datetime | None
    published_at: datetime | None
    comments: int
    comments_pending: int = Field(..., description="comments without a disposition")

    @staticmethod
    def resolve_matter(obj):
        return obj.matter.number

    @staticmethod
    def resolve_comments(obj):
        return obj.comments_count


class HearingDetailOut(HearingOut):
    agenda: str
    draft_title: str
    chair: str
    minutes: str
    quotas: list[QuotaOut]

    @staticmethod
    def resolve_quotas(obj):
        return obj.quotas_out


class HearingPage(Paged):
    items: list[HearingOut]


class HearingFilters(Schema):
    status: HearingStatus | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class DrawIn(Schema):
    seed: str = Field(..., min_length=1, max_length=services.SEED_MAX, description=(
        "the published seed; the result is reproducible from it and the frozen list"))


class DrawnOut(Schema):
    number: int
    group: ParticipantGroup
    status: RegistrationStatus
    draw_rank: int | None
    draw_key: str
    speaking_order: int | None


class DrawOut(HearingOut):
    result: list[DrawnOut]


class CommentOut(Schema):
    number: int
    passage: int = Field(..., description="the passage's number")
    source: CommentSource
    author: str = Field(..., description="as published (masked)")
    text: str = Field(..., description="as published: personal data masked under the rule")
    masked: bool
    created_at: datetime
    disposition: Disposition | None
    disposition_reason: str
    disposed_at: datetime | None

    @staticmethod
    def resolve_passage(obj):
        return obj.passage.number

    @staticmethod
    def resolve_disposition(obj):
        return obj.disposition or None


class CommentPage(Paged):
    items: list[CommentOut]


class CommentFilters(Schema):
    pending: bool = Field(False, description="only the comments without a disposition")
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


class DispositionIn(Schema):
    comment: int = Field(..., ge=1, description="the comment's number in the hearing")
    disposition: Disposition
    reason: str = Field("", max_length=services.REASON_MAX, description=(
        "required for partly (部分采纳) and not_adopted (未采纳)"))


def _hearings(request):
    return (Hearing.objects.restrict(request.user, "view").select_related("matter")
            .annotate(comments_count=Count("comments", distinct=True),
                      comments_pending=Count("comments", filter=Q(comments__disposition=""),
                                             distinct=True)))


def _hearing(request, hearing_id: int, action: str = "view") -> Hearing:
    qs = _hearings(request)
    if action != "view":
        qs = qs.filter(pk__in=Hearing.objects.restrict(request.user, action).values("pk"))
    return get_object_or_404(qs, pk=hearing_id)


@router.get("", response={200: HearingPage, **ERRORS}, url_name="risk_hearings")
@access("risk.hearing.view", api=True)
@token_action(READ)
def list_hearings(request, filters: Query[HearingFilters]):
    """The hearings of the caller's scope, the latest first; follow `next_cursor`."""
    qs = _hearings(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = keyset_page(qs, ["-starts_at", "-id"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{hearing_id}", response={200: HearingDetailOut, **ERRORS},
            url_name="risk_hearing")
@access("risk.hearing.view", **HEARING)
@token_action(READ)
def get_hearing(request, hearing_id: int):
    """One hearing with its notice, minutes and quotas (registrations counted by group)."""
    hearing = _hearing(request, hearing_id)
    counts = dict(hearing.registrations.exclude(status=RegistrationStatus.WITHDRAWN)
                  .values_list("group").annotate(n=Count("id")))
    hearing.quotas_out = [  # type: ignore[attr-defined]
        {"group": q.group, "seats": q.seats, "registered": counts.get(q.group, 0)}
        for q in hearing.quotas.order_by("group")]
    return hearing


@router.post("/{hearing_id}/draw", response={200: DrawOut, **ERRORS},
             url_name="risk_hearing_draw", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.hearing.change", **HEARING, body={"seed": "20261205-3-17-22-31"})
@token_action(WRITE)
@idempotent(DrawOut)
def draw(request, hearing_id: int, payload: DrawIn):
    """Draw the lots once registration has closed: within each group the registrations are
    ranked by SHA-256("<seed>:<number>"); the first `seats` are selected, the rest
    waitlisted; the speaking order alternates positions (docs/risk.md). Once only."""
    hearing = _hearing(request, hearing_id, "change")
    services.hearing_draw(hearing=hearing, seed=payload.seed, actor=request.user)
    hearing = _hearing(request, hearing_id)
    hearing.result = list(hearing.registrations  # type: ignore[attr-defined]
                          .exclude(status=RegistrationStatus.WITHDRAWN).order_by("number"))
    return hearing


@router.get("/{hearing_id}/comments", response={200: CommentPage, **ERRORS},
            url_name="risk_hearing_comments")
@access("risk.hearing.view", **HEARING)
@token_action(READ)
def list_comments(request, hearing_id: int, filters: Query[CommentFilters]):
    """The hearing's comments by number, as published, with their dispositions."""
    hearing = _hearing(request, hearing_id)
    qs = Comment.objects.filter(hearing=hearing).select_related("passage")
    if filters.pending:
        qs = qs.filter(disposition="")
    page = keyset_page(qs, ["number"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/{hearing_id}/dispositions", response={200: CommentOut, **ERRORS},
             url_name="risk_hearing_dispose", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.hearing.change", **HEARING,
        body={"comment": 1, "disposition": "adopted", "reason": ""})
@token_action(WRITE)
@idempotent(CommentOut)
def dispose(request, hearing_id: int, payload: DispositionIn):
    """Record (or change, until the minutes are published) a comment's disposition:
    adopted (采纳), partly (部分采纳) or not_adopted (未采纳), the last two with a reason."""
    hearing = _hearing(request, hearing_id, "change")
    comment = Comment.objects.filter(hearing=hearing, number=payload.comment) \
        .select_related("passage").first()
    if comment is None:
        raise ValidationError({"comment": "No comment with this number in the hearing."})
    comment.hearing = hearing
    return services.comment_dispose(comment=comment, disposition=payload.disposition,
                                    reason=payload.reason, actor=request.user)
