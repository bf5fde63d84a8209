"""Reads of the risk pages and API, every one through `restrict()`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, QuerySet, Subquery

from civicgrid.risk.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    ExemptionStatus,
    Matter,
)

if TYPE_CHECKING:
    from civicgrid.core.scope import Reader

MATTER_ORDER = ["-registered_at", "-id"]


def matters_for(reader: Reader, *, q: str = "", status: str = "", kind: int | None = None,
                attention: bool = False) -> QuerySet[Matter]:
    """The matters the reader may see, with their current level and standing decision
    (`current_level`, `decision_kind`) for the list."""
    current = (Assessment.objects.filter(matter=OuterRef("pk"))
               .exclude(status=AssessmentStatus.SUPERSEDED).order_by("-round"))
    standing = Decision.objects.filter(matter=OuterRef("pk"), superseded=False)
    qs = (Matter.objects.restrict(reader, "view")
          .select_related("kind", "area", "responsible_unit")
          .annotate(current_level=Subquery(current.values("level")[:1]),
                    current_status=Subquery(current.values("status")[:1]),
                    decision_kind=Subquery(standing.values("kind")[:1])))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number=q.upper()))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind_id=kind)
    if attention:
        qs = qs.filter(Q(reassessment_suggested_at__isnull=False)
                       | Q(exemption_status=ExemptionStatus.REQUESTED))
    return qs


def matter_for(reader: Reader, pk: int, action: str = "view") -> Matter | None:
    return (Matter.objects.restrict(reader, action)
            .select_related("kind", "area", "responsible_unit", "registered_by",
                            "exemption_requested_by", "exemption_decided_by")
            .filter(pk=pk).first())


def assessment_detail(assessment: Assessment) -> Assessment:
    """The assessment with what its page shows, in few queries."""
    return (Assessment.objects.select_related("assessor_unit", "level_rule", "started_by")
            .prefetch_related("activities", "items").get(pk=assessment.pk))
