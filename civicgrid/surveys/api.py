"""The safety survey in the JSON API (/api/v1/surveys/…).

Reads go through `restrict()`: a round outside the caller's jurisdiction (neither under nor
above it) answers 404 like a missing one, and so does a sampled unit that is neither in the
caller's area nor on their call sheet. A round's figures are aggregates only — counts,
shares and their intervals — never an answer, a contact or a person: an area's figures
that fail the publication rule (fewer than 100 respondents, or an interval wider than ±5
points) are given as `suppressed` with no value, and a stratum's own estimate is not given
at all (a stratum can hold a single respondent).

Writes (an interviewer's call sheet) parse the body and call civicgrid/surveys/services/
fieldwork.py, whose refusals answer 400 `invalid` (bad input), 409 `rule_violation` (the
round is not in fieldwork, the unit has ended) or 403 (the unit is not on the caller's
call sheet).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models.fields.json import KeyTransform
from django.http import Http404
from ninja import Field, Query, Router, Schema

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.surveys import selectors
from civicgrid.surveys.models import (
    Allocation,
    FrameSource,
    Half,
    Mode,
    Round,
    RoundStatus,
    SampleUnit,
    Stratification,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork

router = Router(tags=["safety survey"])
READ, WRITE = "read", "write"
ROUND_ORDER = ["-year", "-half", "-id"]
CALL_ORDER = ["status", "id"]  # pending (never tried) before working; then as drawn


# --- output -------------------------------------------------------------------------------

class EstimateOut(Schema):
    """A weighted share with its confidence interval (fractions: 0.9231 = 92.31%)."""

    value: float | None = Field(None, description="the share; null when suppressed")
    ci_low: float | None = None
    ci_high: float | None = None
    half_width: float | None = None
    se: float | None = Field(None, description="Taylor-linearised standard error")
    n: int = Field(..., description="respondents who answered")
    deff: float | None = Field(None, description="design effect (Kish), for a 0/1 variable")
    method: str = Field("", description="how the interval was made: wald, logit or wilson")
    suppressed: bool = Field(..., description=(
        "fewer than 100 respondents or a half-width above 5 points: an area's figure is "
        "then withheld (value null); a round's own figure is given, flagged"))


class IndexOut(EstimateOut):
    target: float = Field(..., description="the round's target (0.9 = 90%)")
    met: bool | None = Field(None, description="the estimate is at least the target")


class RoundOut(Schema):
    id: int
    number: str
    title: str
    area: str = Field(..., description="the surveyed area's code")
    area_name: str
    year: int
    half: Half = Field(..., description="1 first half, 2 second half of the year")
    status: RoundStatus
    index: IndexOut | None = Field(None, description="the safety index (share answering "
                                                     "很安全/安全/基本安全), once closed")


class RoundPage(Paged):
    items: list[RoundOut]


class DesignOut(Schema):
    frame_source: FrameSource
    stratification: Stratification
    allocation: Allocation
    expected_p: Decimal
    margin: Decimal
    confidence: Decimal
    deff: Decimal
    response_rate: Decimal
    reserve_ratio: Decimal
    max_attempts: int
    modes: list[Mode]
    index_target: Decimal
    n_complete: int = Field(..., description="completed interviews the design needs")
    n_issued: int = Field(..., description="units drawn (before reserves)")


class FrameOut(Schema):
    size: int = Field(..., description="units in the frozen frame")
    digest: str = Field(..., description="SHA-256 of the frozen frame (docs/surveys.md)")
    frozen_at: datetime | None


class DrawOut(Schema):
    seed: str
    digest: str = Field(..., description="SHA-256 of the drawn sample")
    drawn_at: datetime | None


class ProgressOut(Schema):
    released: int = 0
    done: int = 0
    complete: int = 0
    partial: int = 0
    reserves_used: int = 0
    assigned: int = 0


class StratumOut(Schema):
    key: str
    area: str = Field(..., description="the stratum's area code")
    area_name: str
    urban_rural_class: str
    population: int = Field(..., description="N_h, units of the frame")
    allocated: int = Field(..., description="n_h, units drawn")
    reserves: int
    interval: float | None = Field(None, description="the sampling interval k = N_h/n_h")
    start: float | None = Field(None, description="the random start in [0, k)")
    progress: ProgressOut
    respondents: int | None = Field(None, description="counted interviews (closed round)")


class DomainOut(Schema):
    code: str
    name: str
    index: EstimateOut | None


class OptionOut(EstimateOut):
    code: str
    label: str
    label_en: str


class ItemOut(Schema):
    key: str
    kind: str
    role: str
    text: str
    text_en: str
    n: int
    options: list[OptionOut] = Field(..., description="shares with intervals (none for a "
                                                      "text question: its answers stay out)")


class RatesOut(Schema):
    rr1: float | None
    rr2: float | None
    coop1: float | None
    ref1: float | None
    con1: float | None
    by_code: dict[str, int] = Field(..., description="final AAPOR disposition → units")
    by_category: dict[str, int] = Field(..., description="AAPOR category → units")


class ResultsOut(Schema):
    computed_at: str
    responses: int
    index: IndexOut | None
    domains: list[DomainOut]
    items: list[ItemOut]
    rates: RatesOut
    poststratified: bool
    warnings: list[str]


class RoundDetailOut(RoundOut):
    design: DesignOut
    frame: FrameOut
    draw: DrawOut
    strata: list[StratumOut]
    opened_at: datetime | None
    closed_at: datetime | None
    results: ResultsOut | None = Field(None, description="aggregates, once closed")


class CallOut(Schema):
    id: int = Field(..., description="the sampled unit")
    round: int
    round_number: str
    stratum: str
    area: str = Field(..., description="the grid (or community) the unit lies in")
    reserve: bool
    attempts: int
    max_attempts: int
    status: UnitStatus
    disposition: str = Field(..., description="final AAPOR code once the unit has ended")
    last_attempt_at: datetime | None
    callback_at: datetime | None = Field(None, description="the appointment agreed")


class CallPage(Paged):
    items: list[CallOut]


class CallResultOut(Schema):
    unit: CallOut
    released: CallOut | None = Field(None, description=(
        "the reserve released to the caller when the unit ended without an interview"))


class InterviewResultOut(CallResultOut):
    code: str = Field(..., description="the unit's final code (1.1, 1.2, 2.12, 4.7, 4.8)")
    counted: bool = Field(..., description="a complete or partial interview was kept")


# --- building the output ------------------------------------------------------------------

def _estimate(data: dict[str, Any] | None, *, withhold: bool) -> dict[str, Any] | None:
    """An estimate of civicgrid/surveys/results.py; `withhold`: a suppressed one keeps
    only its n."""
    if not data:
        return None
    out = {k: data.get(k) for k in ("value", "ci_low", "ci_high", "half_width", "se", "n",
                                    "deff", "method", "suppressed")}
    out["method"] = out["method"] or ""
    if withhold and out["suppressed"]:
        for key in ("value", "ci_low", "ci_high", "half_width", "se", "deff"):
            out[key] = None
    return out


def _index(round_: Round) -> dict[str, Any] | None:
    if round_.status != RoundStatus.CLOSED:
        return None
    data = getattr(round_, "index_data", None) if "results" in round_.get_deferred_fields() \
        else (round_.results or {}).get("index")
    out = _estimate(data, withhold=False)
    if out is None:
        return None
    target = float(round_.index_target)
    out["target"] = target
    out["met"] = None if out["value"] is None else out["value"] >= target
    return out


def _round(round_: Round) -> dict[str, Any]:
    return {"id": round_.pk, "number": round_.number, "title": round_.title,
            "area": round_.area_code, "area_name": round_.area.name, "year": round_.year,
            "half": round_.half, "status": round_.status, "index": _index(round_)}


def results_out(round_: Round) -> dict[str, Any] | None:
    """A closed round's results as the API gives them (aggregates only)."""
    if round_.status != RoundStatus.CLOSED or not round_.results:
        return None
    data = round_.results
    items = []
    for item in data.get("items", []):
        options = []
        for option in item.get("options", []):
            estimate = _estimate(option, withhold=False) or {}
            options.append({**estimate, "code": str(option["code"]),
                            "label": option.get("label", ""),
                            "label_en": option.get("label_en", "")})
        items.append({"key": item["key"], "kind": item["kind"], "role": item.get("role", ""),
                      "text": item.get("text", ""), "text_en": item.get("text_en", ""),
                      "n": item.get("n", 0), "options": options})
    rates = data.get("rates", {})
    return {
        "computed_at": data.get("computed_at", ""),
        "responses": data.get("responses", 0),
        "index": _index(round_),
        "domains": [{"code": d["code"], "name": d["name"],
                     "index": _estimate(d.get("index"), withhold=True)}
                    for d in data.get("domains", [])],
        "items": items,
        "rates": {**{k: rates.get(k) for k in ("rr1", "rr2", "coop1", "ref1", "con1")},
                  "by_code": rates.get("by_code", {}),
                  "by_category": rates.get("by_category", {})},
        "poststratified": bool(data.get("poststratified")),
        "warnings": list(data.get("warnings", [])),
    }


def _detail(round_: Round) -> dict[str, Any]:
    progress = selectors.progress(round_)
    respondents = (round_.results or {}).get("strata", {})
    return {
        **_round(round_),
        "design": {name: getattr(round_, name) for name in (
            "frame_source", "stratification", "allocation", "expected_p", "margin",
            "confidence", "deff", "response_rate", "reserve_ratio", "max_attempts", "modes",
            "index_target", "n_complete", "n_issued")},
        "frame": {"size": round_.frame_size, "digest": round_.frame_digest,
                  "frozen_at": round_.frame_frozen_at},
        "draw": {"seed": round_.seed, "digest": round_.draw_digest,
                 "drawn_at": round_.drawn_at},
        "strata": [{
            "key": s.key, "area": s.area_code, "area_name": s.area.name,
            "urban_rural_class": s.urban_rural_class, "population": s.population,
            "allocated": s.allocated, "reserves": s.reserves, "interval": s.interval,
            "start": s.start, "progress": progress.get(s.key, {}),
            "respondents": respondents.get(s.key, {}).get("respondents"),
        } for s in round_.strata.select_related("area").order_by("key")],
        "opened_at": round_.opened_at,
        "closed_at": round_.closed_at,
        "results": results_out(round_),
    }


def _call(unit: SampleUnit) -> dict[str, Any]:
    return {"id": unit.pk, "round": unit.round_id, "round_number": unit.round.number,
            "stratum": unit.stratum.key, "area": unit.area_code, "reserve": unit.reserve,
            "attempts": unit.attempts, "max_attempts": unit.round.max_attempts,
            "status": unit.status, "disposition": unit.disposition,
            "last_attempt_at": unit.last_attempt_at, "callback_at": unit.callback_at}


def _round_for(request, round_id: int) -> Round:
    found = selectors.round_for(request.user, round_id)
    if found is None:
        raise Http404
    return found


def _unit_for(request, unit_id: int) -> SampleUnit:
    """A unit the caller may work on (their area's, or on their call sheet): others answer
    404 like a missing one; the service then refuses one not on the caller's sheet."""
    found = selectors.unit_for(request.user, unit_id, "change")
    if found is None:
        raise Http404
    return found


# --- input --------------------------------------------------------------------------------

class RoundFilters(Schema):
    status: RoundStatus | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class CallFilters(Schema):
    round: int | None = Field(None, description="only this round's units")
    include_done: bool = Field(False, description="also the units that have ended")
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


class AttemptIn(Schema):
    code: str = Field(..., max_length=12, description=(
        "the outcome: an interim one (no_answer, busy, callback, not_home) or a final AAPOR "
        "code recordable in the mode (e.g. 2.11 refusal, 4.32 number not in service)"))
    mode: Mode = Field(..., description="cati or face (web answers come by their link)")
    note: str = Field("", max_length=200)
    callback_at: datetime | None = Field(None, description="for `callback`: the appointment, "
                                                           "within the next 60 days")


class InterviewIn(Schema):
    mode: Mode
    answers: dict[str, str | list[str]] = Field(..., description=(
        "question key → an option code, a list of codes (multiple choice) or text"))
    breakoff: bool = Field(False, description="the respondent stopped before the end")


# --- rounds -------------------------------------------------------------------------------

@router.get("/rounds", response={200: RoundPage, **ERRORS}, url_name="survey_rounds")
@access("surveys.round.view", api=True)
@token_action(READ)
def list_rounds(request, filters: Query[RoundFilters]):
    """The rounds of the caller's jurisdiction (in it or above it), newest first, with the
    safety index and its 95% interval once closed; follow `next_cursor`."""
    # (the index only, read out of the results in the database: not every row's items)
    qs = (selectors.rounds_for(request.user, status=filters.status or "")
          .annotate(index_data=KeyTransform("index", "results"))
          .only("id", "number", "title", "area", "area_code", "area__name", "year", "half",
                "status", "index_target"))
    page = keyset_page(qs, ROUND_ORDER, filters.cursor, filters.limit)
    return {"items": [_round(r) for r in page.items], "next_cursor": page.next_cursor}


@router.get("/rounds/{round_id}", response={200: RoundDetailOut, **ERRORS},
            url_name="survey_round")
@access("surveys.round.view", model=Round, lookup={"round_id": "pk"}, api=True)
@token_action(READ)
def get_round(request, round_id: int):
    """One round: its design, the frozen frame's digest, the seed and the draw's digest, the
    strata (N_h, n_h, interval, start) with the fieldwork's progress; once closed, its
    results (aggregates only)."""
    return _detail(_round_for(request, round_id))


@router.get("/rounds/{round_id}/results", response={200: ResultsOut, **ERRORS},
            url_name="survey_round_results")
@access("surveys.round.view", model=Round, lookup={"round_id": "pk"}, api=True)
@token_action(READ)
def get_results(request, round_id: int):
    """A closed round's results: the index with its interval, per area (withheld where too
    few answered), every item's shares, the response rates (AAPOR). 404 before the close."""
    results = results_out(_round_for(request, round_id))
    if results is None:
        raise Http404
    return results


# --- the call sheet -----------------------------------------------------------------------

@router.get("/calls", response={200: CallPage, **ERRORS}, url_name="survey_calls")
@access("surveys.sampleunit.change", api=True)
@token_action(READ)
def list_calls(request, filters: Query[CallFilters]):
    """The caller's call sheet: units assigned to them in rounds in fieldwork, those never
    tried first. No phone, name or address: those are revealed one at a time on the call
    sheet page, each reveal audited."""
    qs = selectors.call_sheet(request.user, round_id=filters.round,
                              include_done=filters.include_done)
    page = keyset_page(qs, CALL_ORDER, filters.cursor, filters.limit)
    return {"items": [_call(u) for u in page.items], "next_cursor": page.next_cursor}


@router.post("/calls/{unit_id}/attempts", response={201: CallResultOut, **ERRORS},
             url_name="survey_call_attempt", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("surveys.sampleunit.change", model=SampleUnit, lookup={"unit_id": "pk"}, api=True,
        body={"code": "no_answer", "mode": "cati"})
@token_action(WRITE)
@idempotent(CallResultOut, status=201)
def record_attempt(request, unit_id: int, payload: AttemptIn):
    """Record one call or visit on a unit of the caller's call sheet. A final outcome ends
    the unit (and releases the stratum's next reserve to the caller); after the round's cap
    on attempts an interim one ends it too."""
    result = fieldwork.call_record(unit=_unit_for(request, unit_id), code=payload.code,
                                   mode=payload.mode, note=payload.note,
                                   callback_at=payload.callback_at, actor=request.user)
    return {"unit": _call(result.unit),
            "released": _call(result.released) if result.released else None}


@router.post("/calls/{unit_id}/interview", response={201: InterviewResultOut, **ERRORS},
             url_name="survey_call_interview", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("surveys.sampleunit.change", model=SampleUnit, lookup={"unit_id": "pk"}, api=True,
        body={"mode": "cati", "answers": {}})
@token_action(WRITE)
@idempotent(InterviewResultOut, status=201)
def record_interview(request, unit_id: int, payload: InterviewIn):
    """Record an interview held by telephone or face to face: the questionnaire's answers,
    checked against the round's questions (400 with the question keys when they do not
    fit). The unit ends as complete, partial, break-off, screened out or quota full."""
    result = fieldwork.interview_record(unit=_unit_for(request, unit_id),
                                        answers=payload.answers, mode=payload.mode,
                                        breakoff=payload.breakoff, actor=request.user)
    return {"unit": _call(result.unit),
            "released": _call(result.released) if result.released else None,
            "code": result.code, "counted": result.response is not None}
