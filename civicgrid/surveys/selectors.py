"""Reads of the survey pages and API, every one through `restrict()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from civicgrid.core.scope import ancestor_codes
from civicgrid.surveys.models import Round, RoundStatus, SampleUnit, UnitStatus

if TYPE_CHECKING:
    from civicgrid.areas.models import Area
    from civicgrid.core.scope import Reader


def rounds_for(reader: Reader, *, status: str = "") -> QuerySet[Round]:
    """The rounds the reader may see (organisers, leaders, the auditor), newest first."""
    qs = Round.objects.restrict(reader, "view").select_related("area")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "-half", "-id")


def round_for(reader: Reader, pk: int, action: str = "view") -> Round | None:
    return (Round.objects.restrict(reader, action)
            .select_related("area", "previous", "drawn_by", "closed_by", "created_by")
            .filter(pk=pk).first())


def call_sheet(reader: Reader, *, round_id: int | None = None,
               include_done: bool = False) -> QuerySet[SampleUnit]:
    """The units assigned to the reader in rounds in fieldwork, in the sheet's order:
    appointments due first, then the units never tried, then the others least recently
    tried first, future appointments last (each with `sheet_group` 0–3)."""
    user_id = getattr(reader, "pk", None)
    qs = (SampleUnit.objects.restrict(reader, "change")
          .filter(interviewer_id=user_id, released=True,
                  round__status=RoundStatus.FIELDWORK)
          .select_related("round", "stratum"))
    if round_id is not None:
        qs = qs.filter(round_id=round_id)
    if not include_done:
        qs = qs.exclude(status=UnitStatus.DONE)
    group = Case(When(callback_at__lte=timezone.now(), then=Value(0)),
                 When(status=UnitStatus.PENDING, then=Value(1)),
                 When(callback_at__isnull=True, then=Value(2)),
                 default=Value(3), output_field=IntegerField())
    return qs.annotate(sheet_group=group).order_by(
        "sheet_group", F("callback_at").asc(nulls_last=True),
        F("last_attempt_at").asc(nulls_first=True), "round_id", "stratum__key", "reserve",
        "position", "id")


def unit_for(reader: Reader, pk: int, action: str = "view") -> SampleUnit | None:
    return (SampleUnit.objects.restrict(reader, action)
            .select_related("round", "stratum", "interviewer", "replaces")
            .filter(pk=pk).first())


def progress(round_: Round) -> dict[str, dict[str, int]]:
    """Per stratum key: units released, finished, completed, partial, reserves released,
    released units assigned."""
    rows = (SampleUnit.objects.filter(round=round_)
            .values("stratum__key")
            .annotate(n_released=Count("id", filter=Q(released=True)),
                      n_done=Count("id", filter=Q(status=UnitStatus.DONE)),
                      n_complete=Count("id", filter=Q(disposition="1.1")),
                      n_partial=Count("id", filter=Q(disposition="1.2")),
                      n_reserves_used=Count("id", filter=Q(reserve=True, released=True)),
                      n_assigned=Count("id", filter=Q(released=True,
                                                      interviewer__isnull=False)))
            .order_by("stratum__key"))
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        counts: dict[str, Any] = dict(row)
        out[str(counts["stratum__key"])] = {name[2:]: int(value) for name, value in
                                            counts.items() if name.startswith("n_")}
    return out


def index_trend(reader: Reader, area: Area) -> list[Round]:
    """The area's closed rounds with their index, oldest first (the trend over rounds)."""
    return list(rounds_for(reader, status=RoundStatus.CLOSED).filter(area=area)
                .exclude(index_value__isnull=True).order_by("year", "half"))


def latest_index(area_code: str) -> Round | None:
    """The latest closed round of the area or, failing that, of the nearest area above it
    with one — what the KPI page and the release show (aggregates only: no reader check
    is needed beyond the caller's own access to the area's figures)."""
    codes = [area_code, *reversed(ancestor_codes(area_code))]
    for code in codes:
        found = (Round.objects.filter(area_code=code, status=RoundStatus.CLOSED,
                                      index_value__isnull=False)
                 .order_by("-year", "-half", "-id").first())
        if found is not None:
            return found
    return None
