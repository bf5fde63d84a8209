"""The registry's data-quality report in the JSON API (docs/registry.md, "Export and data
quality"): `GET /api/v1/imports/quality/{code}`, an area's grids with their counts, rates
and flag — counts only, never a person. An area outside the caller's scope answers 404 like
a missing one. (The export itself is a page only: a file of personal data is not handed to
API clients.)
"""

# No `from __future__ import annotations`: django-ninja reads the annotations.

from django.http import Http404
from ninja import Router, Schema

from civicgrid.api.auth import token_action
from civicgrid.areas.models import Area
from civicgrid.core.access import access
from civicgrid.core.schemas import ERRORS
from civicgrid.imports.quality import (
    CHECKS,
    PASS_THRESHOLD,
    QUALITY_PERMISSION,
    GridQuality,
    grid_quality,
)

router = Router(tags=["imports"])
READ = "registry:read"  # (as the registry's figures: no token holds it yet)


class GridQualityOut(Schema):
    code: str
    name: str
    people: int
    people_linked: int
    unlinked: int
    linkage_rate: float | None
    records: dict[str, int]
    failing: int
    failing_by_kind: dict[str, int]
    checks: dict[str, int]
    unverified: int
    unverified_by_kind: dict[str, int]
    pass_rate: float | None
    recollect: bool


class QualityOut(Schema):
    code: str
    threshold: int
    checks: dict[str, str]
    total: GridQualityOut
    grids: list[GridQualityOut]


def _grid(g: GridQuality) -> dict[str, object]:
    return {"code": g.code, "name": g.name, "people": g.people,
            "people_linked": g.people_linked, "unlinked": g.unlinked,
            "linkage_rate": g.linkage_rate, "records": g.records, "failing": g.failing,
            "failing_by_kind": g.failing_by_kind, "checks": g.checks,
            "unverified": g.unverified, "unverified_by_kind": g.unverified_by_kind,
            "pass_rate": g.pass_rate, "recollect": g.recollect}


@router.get("/quality/{code}", response={200: QualityOut, **ERRORS},
            url_name="imports_quality")
@access(QUALITY_PERMISSION, model=Area, lookup={"code": "code"}, api=True)
@token_action(READ)
def quality(request, code: str):
    """The data quality of an area's grids: records, failing checks, not verified in 12
    months, linkage and pass rates, and whether the grid's data are to be collected again
    (pass rate under 85%)."""
    area = Area.objects.restrict(request.user, "view").filter(code=code).defer(
        "boundary").first()
    if area is None:
        raise Http404
    report = grid_quality(area=area, actor=request.user)
    return {"code": area.code, "threshold": PASS_THRESHOLD,
            "checks": {c.code: str(c.label) for c in CHECKS},
            "total": _grid(report.total), "grids": [_grid(g) for g in report.grids]}
