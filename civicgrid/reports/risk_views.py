"""The risk assessment report as a PDF (/reports/assessments/<pk>/report.pdf): read through
the assessment's `restrict()`, out of scope answers 404 like missing."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from civicgrid.core.access import access
from civicgrid.reports.risk_report import render_assessment_report
from civicgrid.risk.models import Assessment


@access("risk.assessment.view", model=Assessment, lookup={"pk": "pk"})
def assessment_pdf_view(request, pk: int):
    assessment = (Assessment.objects.restrict(request.user, "view")
                  .select_related("matter__kind", "matter__area", "matter__responsible_unit",
                                  "assessor_unit", "level_rule")
                  .prefetch_related("activities", "items").filter(pk=pk).first())
    if assessment is None or not assessment.level:
        raise Http404
    response = HttpResponse(render_assessment_report(assessment),
                            content_type="application/pdf")
    name = f"{assessment.matter.number}-{assessment.round}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
