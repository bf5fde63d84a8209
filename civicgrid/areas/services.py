"""Every write to areas: import, boundaries, grid staffing, the roads of the local map."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.ops import unary_union
from shapely.strtree import STRtree

from civicgrid.areas.coords import CoordinateSystem, parse_coordinate_system
from civicgrid.areas.geometry import (
    AREA_TOLERANCE,
    BoundaryError,
    centroid,
    parse_boundary,
)
from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import (
    BUILTIN_POSITIONS,
    CODE_LENGTH,
    LEVEL_BY_LENGTH,
    LEVEL_ORDER,
    Area,
    GeometryRevision,
    GridAssignment,
    Level,
    PositionType,
    Road,
    RoadImport,
    RoadImportMode,
    UrbanRuralClass,
)
from civicgrid.areas.roadfiles import RoadFile, read_road_file
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.refcache import REFERENCE, revision_bump
from civicgrid.core.scope import get_scope, user_can

if TYPE_CHECKING:
    from civicgrid.accounts.models import User

BATCH = 1000


def geometry_revision_bump() -> None:
    """Tell every process that boundaries changed; this process rebuilds on next lookup."""
    updated = GeometryRevision.objects.filter(pk=1).update(revision=F("revision") + 1)
    if not updated:
        GeometryRevision.objects.create(pk=1, revision=1)
    # Drop this process's index now (the rebuild inside this transaction sees the change)
    # and again after commit, in case another thread rebuilt it from committed data.
    grid_locator.invalidate()
    transaction.on_commit(grid_locator.invalidate)


# --- import ------------------------------------------------------------------------------

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)  # code, code, m²
    gaps: list[tuple[str, float]] = field(default_factory=list)  # parent code, m²

    @property
    def ok(self) -> bool:
        return not self.errors


SQ_DEG_TO_M2 = 111_320.0 * 94_000.0  # rough, at ~32°N; only for human-readable reports


@dataclass
class _Row:
    code: str
    name: str
    level: str
    parent_code: str | None
    urban_rural_class: str
    population: int
    households: int
    boundary: dict[str, object] | None
    geom: object


# `feature` is one element of an uploaded file's parsed JSON: its shape is what this checks.
def _parse_feature(i: int, feature: dict[str, Any], errors: list[str]) -> _Row | None:
    props = feature.get("properties") or {}
    where = _("第 %(n)d 个要素") % {"n": i + 1}
    code = str(props.get("code", "")).strip()
    name = str(props.get("name", "")).strip()
    if not code.isdigit() or len(code) not in LEVEL_BY_LENGTH:
        errors.append(
            _("%(where)s:代码 %(code)r 必须是 2/4/6/9/12/15 位数字。")
            % {"where": where, "code": code}
        )
        return None
    level = props.get("level") or LEVEL_BY_LENGTH[len(code)]
    if level not in CODE_LENGTH:
        errors.append(_("%(where)s:未知层级 %(level)r。") % {"where": where, "level": level})
        return None
    if CODE_LENGTH[level] != len(code):
        errors.append(
            _("%(where)s:%(level)s 的代码应为 %(n)d 位,%(code)s 为 %(m)d 位。")
            % {"where": where, "level": level, "n": CODE_LENGTH[level], "code": code,
               "m": len(code)}
        )
        return None
    if not name:
        errors.append(_("%(where)s(%(code)s):缺少名称。") % {"where": where, "code": code})
        return None
    parent_code = props.get("parent_code")
    expected_parent = (
        code[: CODE_LENGTH[LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]]]
        if level != Level.PROVINCE else None
    )
    if parent_code in (None, ""):
        parent_code = expected_parent
    if parent_code != expected_parent:
        errors.append(
            _("%(code)s:上级代码 %(parent)s 不是其代码前缀(应为 %(expected)s)。")
            % {"code": code, "parent": parent_code, "expected": expected_parent}
        )
        return None
    urc = str(props.get("urban_rural_class") or "")
    if urc and urc not in UrbanRuralClass.values:
        errors.append(_("%(code)s:城乡分类代码 %(urc)s 无效。") % {"code": code, "urc": urc})
        return None
    try:
        population = int(props.get("population") or 0)
        households = int(props.get("households") or 0)
        if population < 0 or households < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(_("%(code)s:人口和户数必须是非负整数。") % {"code": code})
        return None
    boundary = feature.get("geometry")
    try:
        geom = parse_boundary(boundary)
    except BoundaryError as exc:
        errors.append(_("%(code)s:边界无效:%(err)s") % {"code": code, "err": exc})
        return None
    return _Row(code, name, level, parent_code, urc, population, households, boundary, geom)


def _check_siblings(rows: dict[str, _Row], report: ImportReport) -> None:
    """Overlaps between sibling grids, and gaps between a parent and its grids."""
    children: dict[str, list[_Row]] = defaultdict(list)
    for row in rows.values():
        if row.level == Level.GRID and row.geom is not None and row.parent_code:
            children[row.parent_code].append(row)
    for parent_code, kids in sorted(children.items()):
        geoms = [k.geom for k in kids]
        tree = STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            if a >= b:
                continue
            overlap = shapely.area(shapely.intersection(geoms[a], geoms[b]))
            if overlap > AREA_TOLERANCE:
                report.overlaps.append((kids[a].code, kids[b].code, overlap * SQ_DEG_TO_M2))
        parent = rows.get(parent_code)
        parent_geom = parent.geom if parent else None
        if parent_geom is None:
            stored = Area.objects.filter(code=parent_code).values_list("boundary", flat=True)
            parent_geom = parse_boundary(stored[0]) if stored and stored[0] else None
        if parent_geom is not None:
            gap = shapely.area(shapely.difference(parent_geom, unary_union(geoms)))
            if gap > AREA_TOLERANCE:
                report.gaps.append((parent_code, gap * SQ_DEG_TO_M2))


def areas_import(*, collection: object, actor: User | None, strict: bool = False) -> ImportReport:
    """Load a GeoJSON FeatureCollection of areas (create or update by code).

    Every code is checked (digits, length for its level, prefix of its parent, parent
    present in the file or the database). Any error changes nothing. Overlaps and gaps
    between sibling grids are reported; with `strict` they also change nothing.
    """
    if actor is not None and not user_can(actor, Area, "add"):
        raise PermissionDenied
    report = ImportReport()
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        report.errors.append(_("文件必须是 GeoJSON FeatureCollection。"))
        return report
    rows: dict[str, _Row] = {}
    for i, feature in enumerate(collection.get("features") or []):
        row = _parse_feature(i, feature, report.errors)
        if row is None:
            continue
        if row.code in rows:
            report.errors.append(_("代码 %(code)s 重复。") % {"code": row.code})
            continue
        rows[row.code] = row
    existing = {
        a.code: a
        for a in Area.objects.filter(
            code__in=set(rows) | {r.parent_code for r in rows.values() if r.parent_code}
        )
    }
    for row in rows.values():
        if row.parent_code and row.parent_code not in rows and row.parent_code not in existing:
            report.errors.append(
                _("%(code)s:上级区域 %(parent)s 不存在。")
                % {"code": row.code, "parent": row.parent_code}
            )
    if report.errors:
        return report
    _check_siblings(rows, report)
    if strict and (report.overlaps or report.gaps):
        report.errors.append(_("严格模式:存在网格重叠或缝隙,未导入。"))
        return report

    with transaction.atomic():
        for level in LEVEL_ORDER:  # parents first
            level_rows = [r for r in rows.values() if r.level == level]
            to_create, to_update = [], []
            for row in sorted(level_rows, key=lambda r: r.code):
                parent = existing.get(row.parent_code) if row.parent_code else None
                lng, lat = centroid(row.geom) if row.geom is not None else (None, None)
                values = {
                    "name": row.name, "level": row.level, "parent": parent,
                    "urban_rural_class": row.urban_rural_class, "population": row.population,
                    "households": row.households, "boundary": row.boundary,
                    "centroid_lng": lng, "centroid_lat": lat,
                }
                area = existing.get(row.code)
                if area is None:
                    area = Area(code=row.code, **values)
                    to_create.append(area)
                else:
                    for k, v in values.items():
                        setattr(area, k, v)
                    to_update.append(area)
            Area.objects.bulk_create(to_create, batch_size=BATCH)
            revision_bump(REFERENCE)  # (bulk writes send no signal)
            if to_update:
                Area.objects.bulk_update(
                    to_update,
                    ["name", "level", "parent", "urban_rural_class", "population", "households",
                     "boundary", "centroid_lng", "centroid_lat"],
                    batch_size=BATCH,
                )
            if to_create:  # fetch ids for the next level's parent links
                for area in Area.objects.filter(code__in=[a.code for a in to_create]):
                    existing[area.code] = area
            report.created += len(to_create)
            report.updated += len(to_update)
        geometry_revision_bump()
        audit_record(
            actor=actor, event_type=AuditEventType.AREA_IMPORTED, subject_type="areas.area",
            username="system" if actor is None else "",
            details={"created": report.created, "updated": report.updated,
                     "overlaps": len(report.overlaps), "gaps": len(report.gaps)},
        )
    return report


def area_set_boundary(*, area: Area, boundary: dict[str, object] | None, actor: User) -> Area:
    if not user_can(actor, Area, "change") or not get_scope(actor).covers_code(area.code):
        raise PermissionDenied
    try:
        geom = parse_boundary(boundary)
    except BoundaryError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        area.boundary = boundary
        area.centroid_lng, area.centroid_lat = centroid(geom) if geom else (None, None)
        area.save(update_fields=["boundary", "centroid_lng", "centroid_lat", "updated_at"])
        geometry_revision_bump()
        audit_record(actor=actor, event_type=AuditEventType.AREA_BOUNDARY_CHANGED, subject=area)
    return area


# --- grid staffing (一格多员) --------------------------------------------------------------



def positions_ensure_builtin() -> None:
    """Create the built-in positions if missing (idempotent; used by migrations and seeds)."""
    for code, name, order in BUILTIN_POSITIONS:
        PositionType.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order, "builtin": True}
        )


def grid_assign(
    *, grid: Area, user: User, position: PositionType, actor: User, since: date | None = None
) -> GridAssignment:
    if not user_can(actor, GridAssignment, "add") or not get_scope(actor).covers_code(grid.code):
        raise PermissionDenied
    if grid.level != Level.GRID:
        raise ValidationError(_("只能给网格配备人员。"))
    with transaction.atomic():
        assignment, created = GridAssignment.objects.get_or_create(
            grid=grid, user=user, position=position, defaults={"since": since}
        )
        if created:
            audit_record(
                actor=actor, event_type=AuditEventType.GRID_STAFF_ASSIGNED, subject=assignment,
                details={"grid": grid.code, "user": user.username, "position": position.code},
            )
    return assignment


def grid_unassign(*, assignment: GridAssignment, actor: User) -> None:
    if not user_can(actor, GridAssignment, "delete") or not get_scope(actor).covers_code(
        assignment.grid.code
    ):
        raise PermissionDenied
    with transaction.atomic():
        details = {"grid": assignment.grid.code, "user": assignment.user.username,
                   "position": assignment.position.code}
        audit_record(
            actor=actor, event_type=AuditEventType.GRID_STAFF_UNASSIGNED, subject=assignment,
            details=details
        )
        assignment.delete()


# --- roads of the local base map -----------------------------------------------------------

def _require_area_admin(actor: User | None) -> None:
    if actor is not None and not user_can(actor, Area, "change"):
        raise PermissionDenied


def roads_import(*, content: bytes, file_name: str, mode: str, actor: User | None,
                 coordinate_system: str = CoordinateSystem.WGS84) -> RoadFile:
    """Import a GeoJSON file of roads (areas/roadfiles.py reads and checks it): `replace`
    removes every road imported before, `add` keeps them (the same file twice is refused).
    Any problem changes nothing; the result lists the problems. Area administrators only
    (`areas.area.change`); `actor` None is the command line (manage.py import_roads)."""
    _require_area_admin(actor)
    system = parse_coordinate_system(coordinate_system)
    result = read_road_file(content, system=system)
    if mode not in RoadImportMode.values:
        result.error(_("导入方式无效。"))
    if not result.ok:
        result.roads = []
        return result
    with transaction.atomic():
        if mode == RoadImportMode.ADD:
            earlier = (RoadImport.objects.select_for_update().filter(sha256=result.sha256)
                       .first())
            if earlier is not None:
                result.roads = []
                result.error(_("同一文件已于 %(when)s 导入(%(name)s),未重复添加。") % {
                    "when": timezone.localtime(earlier.imported_at).strftime("%Y-%m-%d %H:%M"),
                    "name": earlier.file_name})
                return result
        replaced = {"imports": 0, "roads": 0}
        if mode == RoadImportMode.REPLACE:
            replaced["roads"] = Road.objects.all().delete()[0]  # (no cascade: one DELETE)
            replaced["imports"] = RoadImport.objects.all().delete()[0]
        source = RoadImport.objects.create(
            file_name=file_name[:200], sha256=result.sha256, size=result.size, mode=mode,
            roads=len(result.roads), vertices=result.vertices, imported_at=timezone.now(),
            imported_by=actor)
        Road.objects.bulk_create(
            [Road(source=source, name=r.name, kind=r.kind, geometry=r.geometry,
                  west=r.bounds[0], south=r.bounds[1], east=r.bounds[2], north=r.bounds[3],
                  vertices=r.vertices) for r in result.roads],
            batch_size=BATCH)
        audit_record(
            actor=actor, event_type=AuditEventType.ROADS_IMPORTED, subject=source,
            username="system" if actor is None else "",
            details={"file_name": source.file_name, "sha256": result.sha256,
                     "size": result.size, "mode": mode, "coordinate_system": system.value,
                     "roads": source.roads, "vertices": source.vertices,
                     "replaced_imports": replaced["imports"],
                     "replaced_roads": replaced["roads"]})
    return result


def road_import_remove(*, road_import: RoadImport, actor: User | None) -> int:
    """Remove an import and its roads; returns how many roads went."""
    _require_area_admin(actor)
    with transaction.atomic():
        removed = Road.objects.filter(source=road_import).delete()[0]
        audit_record(actor=actor, event_type=AuditEventType.ROADS_REMOVED, subject=road_import,
                     username="system" if actor is None else "",
                     details={"file_name": road_import.file_name,
                              "sha256": road_import.sha256, "roads": removed})
        road_import.delete()
    return removed
