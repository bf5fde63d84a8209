"""What the offline app keeps on the phone: the worker's own grids and nothing more.

`field_bundle` is one answer (`GET /api/v1/field/bundle`) with the grids the user works
(their jurisdiction's grids, at most MAX_GRIDS), each grid's outline simplified to about a
metre, its registered buildings (code, name, address, point — no people) and their rooms (number and
use, with the version an edit is made on), the open cases
placed in those grids (no parties, description cut short with phone and ID numbers masked),
the imported roads around them, the leaf categories with their attributes, and the weekly
checks the user reports with the values on record and their revision (the base of an edit
made offline). Every read goes
through `restrict()`: a grid worker's bundle holds only their grid.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q
from django.utils import timezone
from shapely.geometry import shape

from civicgrid.accounts.models import User
from civicgrid.areas.geometry import centroid, to_geojson
from civicgrid.areas.models import Area, Level
from civicgrid.areas.selectors import roads_in_view
from civicgrid.cases.models import OPEN_STATUSES, Case
from civicgrid.cases.selectors import category_base
from civicgrid.core.masking import mask_personal_data
from civicgrid.core.scope import get_scope
from civicgrid.field.versions import APP_VERSION, OLDEST_ACCEPTED
from civicgrid.registry.models import Building, Room, RoomUse
from civicgrid.warnings import selectors as checks
from civicgrid.warnings.weeks import current_week, due_at

MAX_GRIDS = 30
MAX_CASES = 300
MAX_BUILDINGS = 2000
MAX_ROOMS = 10000
ROADS_ZOOM = 16  # the detail the phone keeps roads at (a grid is read at 15–18)
ROADS_MARGIN = 0.002  # degrees around the grids (about 200 m): the streets that lead in
DESCRIPTION_CHARS = 240
SIMPLIFY_DEGREES = 0.00001  # about a metre
TAIL_DIGITS_RE = re.compile(r"[\d\s+-]*\d{4,}$")  # a number the cut went through


def masked_text(text: str) -> str:
    """Free text as the phone keeps it: personal data masked under the project's one rule
    (core.masking.mask_personal_data: phone and ID numbers, e-mail addresses), then cut
    short (a number the cut goes through is dropped)."""
    text = mask_personal_data(text)
    if len(text) > DESCRIPTION_CHARS:
        text = TAIL_DIGITS_RE.sub("", text[:DESCRIPTION_CHARS]) + "…"
    return text


def own_grids(*, actor: User) -> list[Area]:
    """The grids of the user's jurisdiction, by code (the grids below a community or street
    they hold; a deployment-wide user has none of their own)."""
    scope = get_scope(actor)
    if scope.is_global or not scope.area_codes:
        return []
    grids = Area.objects.restrict(actor).filter(level=Level.GRID)
    q = Q(pk__in=[])
    for code in scope.area_codes:
        q |= Q(code__startswith=code)
    return list(grids.filter(q).order_by("code")[:MAX_GRIDS])


def _label(area: Area) -> list[float] | None:
    """Where the grid's name is written (a point inside it)."""
    if not area.boundary:
        return None
    return list(centroid(shape(area.boundary)))


def _roads(grids: list[Area]) -> dict[str, Any]:
    """The imported roads around the grids (geography, not personal: no scope)."""
    boxes = [shape(g.boundary).bounds for g in grids if g.boundary]
    if not boxes:
        return {"type": "FeatureCollection", "features": []}
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return roads_in_view(bbox=(west - ROADS_MARGIN, south - ROADS_MARGIN, east + ROADS_MARGIN,
                               north + ROADS_MARGIN), zoom=ROADS_ZOOM)


def _outline(area: Area) -> dict[str, Any] | None:
    if not area.boundary:
        return None
    geom = shape(area.boundary).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    data = to_geojson(geom)
    data["coordinates"] = _rounded(data["coordinates"])
    return data


def _rounded(value: Any) -> Any:
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 6)


def _categories(actor: User) -> list[dict[str, Any]]:
    qs = [c for c in category_base(actor=actor).filter(active=True).order_by("code")
          if getattr(c, "is_leaf", False)]  # (annotated by category_base)
    return [{"code": c.code, "name": c.name, "kind": c.kind,
             "attributes": [{"code": a.code, "description": a.description,
                             "datatype": a.datatype, "required": a.required,
                             "values": [[str(k), str(v)] for k, v in a.values or []]}
                            for a in c.attributes.all()]}
            for c in qs]


def field_bundle(*, actor: User) -> dict[str, Any]:
    now = timezone.now()
    grids = own_grids(actor=actor)
    codes = [g.code for g in grids]
    cases = (Case.objects.restrict(actor).filter(area__code__in=codes, status__in=OPEN_STATUSES)
             .select_related("category", "area").defer("area__boundary")
             .order_by("-id")[:MAX_CASES])
    buildings = (Building.objects.restrict(actor).filter(grid_code__in=codes)
                 .order_by("grid_code", "code")[:MAX_BUILDINGS])
    rooms = (Room.objects.restrict(actor).filter(grid_code__in=codes)
             .only("id", "building_id", "unit", "floor", "number", "use", "version")
             .order_by("building_id", "unit", "floor", "number")[:MAX_ROOMS])
    week = current_week(now)
    cfg = checks.check_settings()
    reportable = checks.reportable_areas(actor=actor)
    on_record = {c.area_id: c for c in checks.checks_of_week(actor=actor, areas=reportable,
                                                               week=week)}
    return {
        "app": {"version": APP_VERSION, "oldest_accepted": OLDEST_ACCEPTED},
        "user": {"id": actor.pk, "username": actor.get_username(),
                 "name": getattr(actor, "display_name", "") or actor.get_username()},
        "synced_at": now,
        "grids": [{"code": g.code, "name": g.name, "outline": _outline(g), "label": _label(g),
                   "centre": [g.centroid_lng, g.centroid_lat]} for g in grids],
        "roads": _roads(grids),
        "buildings": [{"id": b.pk, "code": b.code, "grid": b.grid_code, "name": b.name,
                       "address": b.address, "verified_at": b.verified_at,
                       "point": [b.lng, b.lat]
                       if b.lng is not None and b.lat is not None else None}
                      for b in buildings],
        "rooms": [[r.pk, r.building_id, r.unit, r.floor, r.number, r.use, r.version]
                  for r in rooms],  # (rows, not objects: a grid has thousands)
        "room_uses": [[value, str(label)] for value, label in RoomUse.choices],
        "cases": [{"number": c.number, "status": c.status, "status_name": c.get_status_display(),
                   "category": c.category.name, "area": c.area.code, "area_name": c.area.name,
                   "address": c.address, "description": masked_text(c.description),
                   "registered_at": c.registered_at, "due_at": c.stage_due_at,
                   "point": [c.lng, c.lat] if c.lng is not None and c.lat is not None
                   else None}
                  for c in cases],
        "categories": _categories(actor),
        "checks": [{"area": a.code, "area_name": a.name, "week": week,
                    "due_at": due_at(week, cfg),
                    "revision": on_record[a.pk].revision if a.pk in on_record else None,
                    "values": ({f: getattr(on_record[a.pk], f) for f in
                                ("disputes_found", "resolved_on_spot", "risk_points", "notes",
                                 "is_zero")} if a.pk in on_record else None)}
                   for a in reportable],
    }
