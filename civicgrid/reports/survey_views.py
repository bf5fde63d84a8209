"""The report of a closed safety survey round as a PDF or an XLSX
(/reports/surveys/<pk>.pdf, .xlsx): read through the round's `restrict()` — whoever may view
the round (surveys.round.view, their jurisdiction under or above its area) — and only once
the round is closed; out of scope, or not closed, answers 404 like a missing round."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from civicgrid.core.access import access
from civicgrid.reports.survey_report import (
    XLSX_TYPE,
    survey_report,
    survey_report_pdf,
    survey_report_xlsx,
)
from civicgrid.surveys.models import Round, RoundStatus
from civicgrid.surveys.selectors import round_for


def _closed_round(request: HttpRequest, pk: int) -> Round:
    round_ = round_for(request.user, pk)
    if round_ is None or round_.status != RoundStatus.CLOSED:
        raise Http404
    return round_


def _file(data: bytes, content_type: str, name: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@access("surveys.round.view", model=Round, lookup={"pk": "pk"})
def survey_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _closed_round(request, pk)
    report = survey_report(round_, reader=request.user)
    return _file(survey_report_pdf(report), "application/pdf", f"{round_.number}.pdf",
                 inline=True)


@access("surveys.round.view", model=Round, lookup={"pk": "pk"})
def survey_xlsx_view(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _closed_round(request, pk)
    report = survey_report(round_, reader=request.user)
    return _file(survey_report_xlsx(report), XLSX_TYPE, f"{round_.number}.xlsx",
                 inline=False)
