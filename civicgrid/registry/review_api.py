"""The registry's change review (变更审核) in the JSON API: the requests (a reviewer's
jurisdiction's, or the caller's own), approving, returning with a reason, withdrawing,
approving many at once, and an area's review setting.

A registry edit that waits for review (people, households, organisations, a room's use:
people_api.py, api.py) answers 202 with the request (`ChangeOut`) instead of the record;
`queued_or(schema)` renders either. Out of scope answers 404 like missing; errors come in
the API's one format (a refusal is 409 `rule_violation`, the request then unchanged).
"""

# No `from __future__ import annotations`: django-ninja reads the annotations.

import functools
import json
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, run_idempotent, token_action
from civicgrid.api.rendering import ApiJSONEncoder
from civicgrid.areas.models import Area
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.core.scope import get_scope
from civicgrid.registry import services
from civicgrid.registry.models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    ReviewRule,
)
from civicgrid.registry.review_reads import fact_rows, my_requests, review_queue, with_related
from civicgrid.registry.services import review_rule_for

router = Router(tags=["registry"])
READ, WRITE = "registry:read", "registry:write"  # (see registry/api.py: no token holds them)
CHANGE = {"model": ChangeRequest, "lookup": {"change_id": "pk"}, "api": True}


class FactOut(Schema):
    label: str
    before: str
    after: str
    changed: bool


class ChangeOut(Schema):
    """A registry change waiting for review, or decided."""

    id: int
    kind: ChangeRequestKind
    status: ChangeRequestStatus
    grid_code: str
    requested_by: str = Field(..., description="the requester's username")
    created_at: datetime
    person_id: int | None
    room_id: int | None
    household_id: int | None
    organisation_id: int | None = Field(..., description="the organisation registered by an "
                                                         "approved `organisation` request")
    payload: dict[str, Any] = Field(..., description="the service's input: record numbers, "
                                                     "choices, dates and numbers")
    note: str = Field(..., description="the requester's reason (a move-out's), or what an "
                                       "edit made apart met")
    conflict: bool = Field(..., description="an edit made apart (offline) that met another "
                                            "edit of the same field: approving takes it, "
                                            "returning keeps the record's value")
    facts: list[FactOut] = Field(..., description="the before/after view, in words")
    reviewer: str | None
    reviewed_at: datetime | None = Field(..., description="when approved, returned or "
                                                          "withdrawn")
    reason: str = Field(..., description="why it was returned")

    @staticmethod
    def resolve_requested_by(obj):
        return obj.requested_by.get_username()

    @staticmethod
    def resolve_reviewer(obj):
        return obj.reviewer.get_username() if obj.reviewer_id else None

    @staticmethod
    def resolve_facts(obj):
        return [row.__dict__ for row in fact_rows(obj)]


class ChangePage(Paged):
    items: list[ChangeOut]


class ChangeFilters(Schema):
    mine: bool = Field(False, description="the caller's own requests (any status), newest "
                                          "first; otherwise the pending ones the caller may "
                                          "decide, oldest first")
    status: ChangeRequestStatus | None = Field(None, description="with `mine`: one status")
    kind: ChangeRequestKind | None = None
    grid: str = Field("", max_length=15, description="the requests of this area (code)")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class ReturnIn(Schema):
    reason: str = Field(..., max_length=200)


class ManyIn(Schema):
    ids: list[int] = Field(..., max_length=services.review.BULK_LIMIT)


class OutcomeOut(Schema):
    request_id: int
    ok: bool
    message: str


class ManyOut(Schema):
    outcomes: list[OutcomeOut]


class RuleOut(Schema):
    area_code: str
    own: bool | None = Field(..., description="the area's own setting; null: none")
    needs_review: bool = Field(..., description="what applies to the area's grid workers "
                                                "(its own setting, else the nearest above)")
    decided_by: str | None = Field(..., description="the area code whose setting applies")


class RuleIn(Schema):
    needs_review: bool | None = Field(..., description="null removes the area's own setting")


def _render(schema, result) -> str:
    return json.dumps(schema.model_validate(result).model_dump(), cls=ApiJSONEncoder)


def queued_or(schema, status: int = 200):
    """Like `idempotent(schema, status)`, for an edit that may wait for review: a view that
    returns a ChangeRequest answers 202 with it (`ChangeOut`), anything else `status` with
    `schema`."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            def produce():
                result = view(request, *args, **kwargs)
                if isinstance(result, ChangeRequest):
                    return 202, _render(ChangeOut, result)
                return status, _render(schema, result)
            return run_idempotent(request, produce)
        return wrapper
    return decorator


def _change(request, change_id: int, action: str = "view") -> ChangeRequest:
    found = with_related(ChangeRequest.objects.restrict(request.user, action)).filter(
        pk=change_id).first()
    if found is None:
        raise Http404
    return found


def _fresh(change: ChangeRequest) -> ChangeRequest:
    return with_related(ChangeRequest.objects.all()).get(pk=change.pk)


@router.get("/changes", response={200: ChangePage, **ERRORS}, url_name="registry_changes")
@access("registry.changerequest.view", api=True)
@token_action(READ)
def list_changes(request, filters: Query[ChangeFilters]):
    """The pending changes the caller may decide (a reviewer's jurisdiction), oldest first;
    with `mine`, the caller's own, newest first."""
    if filters.mine:
        rows = my_requests(reader=request.user, status=filters.status or "")
        if filters.kind:
            rows = rows.filter(kind=filters.kind)
        if filters.grid:
            rows = rows.filter(grid_code__startswith=filters.grid)
        page = keyset_page(rows, ["-created_at", "-id"], filters.cursor, filters.limit)
    else:
        rows = review_queue(reader=request.user, kind=filters.kind or "", grid=filters.grid)
        page = keyset_page(rows, ["created_at", "id"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/changes/{int:change_id}", response={200: ChangeOut, **ERRORS},
            url_name="registry_change")
@access("registry.changerequest.view", **CHANGE)
@token_action(READ)
def get_change(request, change_id: int):
    return _change(request, change_id)


@router.post("/changes/{int:change_id}/approve", response={200: ChangeOut, **ERRORS},
             url_name="registry_change_approve", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.changerequest.approve", **CHANGE, body={})
@token_action(WRITE)
@idempotent(ChangeOut)
def approve_change(request, change_id: int):
    """Approve: the change applies now by its service, the caller its actor. Refused (409)
    for one's own request, one decided already, or when the service refuses now (the
    record changed since): the request then stays pending."""
    change = _change(request, change_id, "approve")
    try:
        return _fresh(services.change_approve(request=change, actor=request.user))
    except PermissionDenied as exc:
        raise Http404 from exc


@router.post("/changes/{int:change_id}/return", response={200: ChangeOut, **ERRORS},
             url_name="registry_change_return", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.changerequest.approve", **CHANGE, body={"reason": "请核实入住日期"})
@token_action(WRITE)
@idempotent(ChangeOut)
def return_change(request, change_id: int, payload: ReturnIn):
    """Return to the requester with a reason (told by a notice); nothing of it applies."""
    change = _change(request, change_id, "approve")
    try:
        return _fresh(services.change_return(request=change, reason=payload.reason,
                                             actor=request.user))
    except PermissionDenied as exc:
        raise Http404 from exc


@router.post("/changes/{int:change_id}/withdraw", response={200: ChangeOut, **ERRORS},
             url_name="registry_change_withdraw", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.changerequest.add", **CHANGE, body={})
@token_action(WRITE)
@idempotent(ChangeOut)
def withdraw_change(request, change_id: int):
    """The requester takes back a request still pending."""
    change = _change(request, change_id)
    try:
        return _fresh(services.change_withdraw(request=change, actor=request.user))
    except PermissionDenied as exc:
        raise Http404 from exc


@router.post("/changes/approve", response={200: ManyOut, **ERRORS},
             url_name="registry_changes_approve", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.changerequest.approve", api=True, body={"ids": [1]})
@token_action(WRITE)
@idempotent(ManyOut)
def approve_changes(request, payload: ManyIn):
    """Approve many, each in its own transaction: the outcome of each, in the order given
    (a request missing or out of scope: not ok, "该申请不存在。")."""
    found = {c.pk: c for c in ChangeRequest.objects.restrict(request.user, "approve")
             .filter(pk__in=payload.ids)}
    chosen = [found[pk] for pk in dict.fromkeys(payload.ids) if pk in found]
    done = {o.request_id: o for o in services.changes_approve_bulk(requests=chosen,
                                                                    actor=request.user)}
    return {"outcomes": [done.get(pk) or services.Outcome(pk, False, _("该申请不存在。"))
                         for pk in dict.fromkeys(payload.ids)]}


@router.get("/review-rules/{code}", response={200: RuleOut, **ERRORS},
            url_name="registry_review_rule")
@access("registry.reviewrule.change", model=Area, lookup={"code": "code"}, api=True)
@token_action(READ)
def get_review_rule(request, code: str):
    """Whether the grid workers' registry changes in this area wait for review."""
    return _rule_out(_area(request, code))


@router.post("/review-rules/{code}", response={200: RuleOut, **ERRORS},
             url_name="registry_review_rule_set", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.reviewrule.change", model=Area, lookup={"code": "code"}, api=True,
        body={"needs_review": True})
@token_action(WRITE)
@idempotent(RuleOut)
def set_review_rule(request, code: str, payload: RuleIn):
    """Set (true/false) or remove (null) the area's own setting: a street, community or
    grid of the caller's jurisdiction."""
    area = _area(request, code)
    try:
        services.review_rule_set(area=area, needs_review=payload.needs_review,
                                 actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    return _rule_out(area)


def _area(request, code: str) -> Area:
    area = Area.objects.restrict(request.user, "view").filter(code=code).defer(
        "boundary").first()
    if area is None or not get_scope(request.user).covers_code(area.code):
        raise Http404
    return area


def _rule_out(area: Area) -> dict[str, object]:
    own = ReviewRule.objects.filter(area=area).first()
    applies = review_rule_for(area.code)
    return {"area_code": area.code, "own": own.needs_review if own else None,
            "needs_review": bool(applies and applies.needs_review),
            "decided_by": applies.area_code if applies else None}
