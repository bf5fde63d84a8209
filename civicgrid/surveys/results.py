"""What a round found: weights, the safety index and every item's shares with their 95%
confidence intervals, per area, with the design effect and the response rates.

Weights (docs/surveys.md): w_h = N_h / r_h in each stratum (the design weight N_h/n_h with
the nonresponse adjustment n_h/r_h), then, when the round has age × sex totals, each cell's
weights scaled to its total (post-stratification). The index is the weighted share
answering 很安全, 安全 or 基本安全 among those who answered the safety question (complete
interviews and partial ones that reached it). Standard errors by stratified Taylor
linearisation with the finite population correction (civicgrid/surveys/estimation.py).
Results per area are suppressed when n < 100 or the half-width exceeds 5 points.

Only aggregates leave here: counts, shares and intervals, never an answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from civicgrid.surveys import dispositions, estimation
from civicgrid.surveys.models import (
    Question,
    Response,
    ResponseStatus,
    Round,
    SampleUnit,
    Stratum,
)
from civicgrid.surveys.questionnaire import INDEX_SAFE

COUNTED = (ResponseStatus.COMPLETE, ResponseStatus.PARTIAL)


def _estimate(e: estimation.Estimate) -> dict[str, Any]:
    return {"value": e.value, "se": e.se, "n": e.n, "ci_low": e.ci_low, "ci_high": e.ci_high,
            "half_width": e.half_width, "method": e.method, "deff": e.deff,
            "suppressed": estimation.suppressed(e)}


def response_counts(round_: Round) -> dict[str, Any]:
    """The released units' final dispositions: by code, by AAPOR category, the rates."""
    codes = Counter(SampleUnit.objects.filter(round=round_, released=True)
                    .exclude(disposition="").values_list("disposition", flat=True))
    categories: Counter[str] = Counter()
    for code, count in codes.items():
        categories[dispositions.category(code) or "UO"] += count
    rates = estimation.aapor_rates(dict(categories))
    return {"by_code": dict(sorted(codes.items())), "by_category": dict(categories),
            "rr1": rates.rr1, "rr2": rates.rr2, "coop1": rates.coop1, "ref1": rates.ref1,
            "con1": rates.con1}


def _weights(round_: Round, rows: Sequence[tuple[str, str]], strata: dict[str, Stratum],
             warnings: list[str]) -> list[float]:
    """The final weight of each (stratum key, cell) respondent."""
    per_stratum = Counter(key for key, _cell in rows)
    base = estimation.base_weights(
        population={k: strata[k].population for k in per_stratum},
        respondents_per_stratum=per_stratum)
    weights = [base[key] for key, _cell in rows]
    totals = round_.poststrat_totals or {}
    if totals:
        cells = [cell for _key, cell in rows]
        try:
            weights = estimation.poststratify(weights=weights, cells=cells,
                                              totals={k: float(v) for k, v in totals.items()})
        except ValueError:
            warnings.append("poststrat_skipped")
    return weights


def compute(round_: Round) -> dict[str, Any]:
    strata = {s.key: s for s in round_.strata.all()}
    questions = list(Question.objects.filter(round=round_).order_by("position"))
    index_q = next((q for q in questions if q.role == "index"), None)
    responses = list(Response.objects.filter(round=round_, status__in=COUNTED)
                     .select_related("stratum").order_by("id")
                     .values_list("stratum__key", "cell", "answers"))
    warnings: list[str] = []
    empty = sorted(set(strata) - {key for key, _c, _a in responses})
    if empty:
        warnings.append("strata_without_respondents")
    result: dict[str, Any] = {
        "computed_at": timezone.now().isoformat(),
        "responses": len(responses),
        "rates": response_counts(round_),
        "strata": {},
        "domains": [],
        "items": [],
        "empty_strata": empty,
        "warnings": warnings,
        "poststratified": False,
    }
    if not responses or index_q is None:
        result["index"] = {}
        return result
    weights = _weights(round_, [(key, cell) for key, cell, _a in responses], strata, warnings)
    result["poststratified"] = bool(round_.poststrat_totals) and \
        "poststrat_skipped" not in warnings
    fpc = {key: float(s.population) for key, s in strata.items()}
    confidence = float(round_.confidence)

    def index_of(selected: Sequence[int]) -> estimation.Estimate | None:
        people = [estimation.Respondent(stratum=responses[i][0], weight=weights[i],
                                        value=1.0 if responses[i][2].get(index_q.key)
                                        in INDEX_SAFE else 0.0)
                  for i in selected if index_q.key in responses[i][2]]
        if not people:
            return None
        return estimation.estimate_mean(people, confidence=confidence, fpc=fpc)

    everyone = range(len(responses))
    overall = index_of(everyone)
    result["index"] = _estimate(overall) if overall else {}
    for key, stratum in strata.items():
        mine = [i for i in everyone if responses[i][0] == key]
        estimate = index_of(mine)
        result["strata"][key] = {
            "population": stratum.population, "respondents": len(mine),
            "index": estimate.value if estimate else None}
    for code in sorted({s.area_code for s in strata.values()}):
        area = next(s.area for s in strata.values() if s.area_code == code)
        mine = [i for i in everyone if strata[responses[i][0]].area_code == code]
        estimate = index_of(mine)
        result["domains"].append({"code": code, "name": area.name,
                                  "index": _estimate(estimate) if estimate else None})
    for question in questions:
        result["items"].append(_item(question, responses, weights, confidence, fpc))
    return result


def _item(question: Question, responses: Sequence[tuple[str, str, dict[str, Any]]],
          weights: Sequence[float], confidence: float, fpc: dict[str, float]
          ) -> dict[str, Any]:
    item: dict[str, Any] = {"key": question.key, "kind": question.kind, "role": question.role,
                            "text": question.text, "text_en": question.text_en,
                            "options": []}
    answered = [(responses[i][0], weights[i], responses[i][2][question.key])
                for i in range(len(responses)) if question.key in responses[i][2]]
    item["n"] = len(answered)
    if question.kind == "text" or not answered:
        return item
    codes = [str(o["code"]) for o in question.options]
    if question.kind == "multiple":
        shares = {code: estimation.estimate_mean(
            [estimation.Respondent(stratum=s, weight=w, value=1.0 if code in v else 0.0)
             for s, w, v in answered], confidence=confidence, fpc=fpc) for code in codes}
    else:
        shares = estimation.estimate_shares(
            [estimation.Answer(stratum=s, weight=w, category=str(v)) for s, w, v in answered],
            categories=codes, confidence=confidence, fpc=fpc)
    for option in question.options:
        item["options"].append({"code": option["code"], "label": option["label"],
                                "label_en": option.get("label_en", ""),
                                **_estimate(shares[str(option["code"])])})
    return item
