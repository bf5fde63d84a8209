"""The weekly check in the JSON API: read the check of an area's week, and submit it with
the revision the edit was made on (`base_revision`), so an edit made offline is merged
field by field with what was submitted meanwhile (services.weekly_check_merge)."""

from datetime import date, datetime

from django.http import Http404
from ninja import Field, Router, Schema

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent
from civicgrid.areas.models import Area
from civicgrid.areas.readers import area_for
from civicgrid.core.access import access
from civicgrid.core.schemas import ERRORS
from civicgrid.warnings import selectors
from civicgrid.warnings.services import CheckInput, weekly_check_merge

router = Router(tags=["weekly checks"])
AREA = {"model": Area, "lookup": {"code": "code"}, "api": True}


class ConflictOut(Schema):
    field: str
    kept: object = Field(..., description="the value on record, kept until a supervisor chooses")
    offered: object = Field(..., description="the value of the edit that arrived late")
    resolved: bool


class CheckOut(Schema):
    area: str
    week: date
    revision: int | None
    disputes_found: int
    resolved_on_spot: int
    risk_points: int
    notes: str
    is_zero: bool
    on_time: bool | None
    conflicts: list[ConflictOut]


class CheckIn(Schema):
    base_revision: int | None = Field(None, ge=1, description=(
        "the revision the edit was made on (None: no check was on record then)"))
    disputes_found: int = 0
    resolved_on_spot: int = 0
    risk_points: int = 0
    notes: str = Field("", max_length=4000)
    is_zero: bool = False
    device_id: str = Field("", max_length=64)
    captured_at: datetime | None = None


class MergeOut(CheckOut):
    state: str = Field(..., description="accepted, or conflict (some fields wait for a "
                                        "supervisor; the values shown are those on record)")
    merged: list[str]


def _area(request, code: str) -> Area:
    try:
        return area_for(actor=request.user, code=code)
    except Area.DoesNotExist as exc:
        raise Http404 from exc


def _check_out(area: Area, week: date, check, conflicts) -> dict:
    values = {f: getattr(check, f) for f in ("disputes_found", "resolved_on_spot",
                                             "risk_points", "notes", "is_zero")} \
        if check is not None else {"disputes_found": 0, "resolved_on_spot": 0,
                                   "risk_points": 0, "notes": "", "is_zero": False}
    return {"area": area.code, "week": week,
            "revision": check.revision if check is not None else None,
            "on_time": check.on_time if check is not None else None, **values,
            "conflicts": [{"field": c.field, "kept": c.kept_value, "offered": c.offered_value,
                           "resolved": c.resolved_at is not None} for c in conflicts]}


@router.get("/{code}/{week}", response={200: CheckOut, **ERRORS}, url_name="check_detail")
@access("warnings.weeklycheck.view", **AREA, example={"week": "2026-11-30"})
def get_check(request, code: str, week: date):
    """The area's check of the week starting on `week` (a Monday), with its conflicts."""
    area = _area(request, code)
    check = selectors.weekly_check(actor=request.user, area=area, week=week)
    conflicts = selectors.check_conflicts(actor=request.user, check=check) if check else []
    return _check_out(area, week, check, conflicts)


@router.post("/{code}/{week}", response={200: MergeOut, **ERRORS}, url_name="check_submit",
             openapi_extra=IDEMPOTENCY_OPENAPI)
@access("warnings.weeklycheck.add", **AREA, example={"week": "2026-11-30"},
        body={"is_zero": True})
@idempotent(MergeOut)
def submit_check(request, code: str, week: date, payload: CheckIn):
    """Submit the check, made on `base_revision`. On a stale revision the edit is merged
    field by field; a field both changed differently keeps the value on record and waits
    for a supervisor (`state: conflict`); nothing sent is lost."""
    area = _area(request, code)
    outcome = weekly_check_merge(
        area=area, week=week, base_revision=payload.base_revision, actor=request.user,
        data=CheckInput(disputes_found=payload.disputes_found,
                        resolved_on_spot=payload.resolved_on_spot,
                        risk_points=payload.risk_points, notes=payload.notes,
                        is_zero=payload.is_zero),
        device_id=payload.device_id, captured_at=payload.captured_at)
    conflicts = selectors.check_conflicts(actor=request.user, check=outcome.check)
    return {**_check_out(area, week, outcome.check, conflicts), "state": outcome.state,
            "merged": outcome.merged}
