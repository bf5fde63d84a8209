"""Importing organisations (实有单位): matched on the unified social credit code (GB 32100,
check character verified); a 社区社会组织 without one on its name within its grid. The
registry's own rules (`organisation_columns`) check each row; a building named by its code
must stand in the row's grid."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.core.idnumbers import clean_code
from civicgrid.imports.models import ImportRun, Outcome
from civicgrid.imports.profiles import ORGANISATION_CODE_TABLES, YES_NO, Profile
from civicgrid.imports.rows import (
    Checked,
    Places,
    RowRejected,
    coded,
    parse_int,
    parse_point,
    reason_of,
    rejected,
)
from civicgrid.registry.figures import contributions, figures_move
from civicgrid.registry.models import Building, Organisation
from civicgrid.registry.services.organisations import OrganisationInput, organisation_columns

LABELS = {
    "credit_code": _("统一社会信用代码"), "name": _("单位名称"), "kind": _("单位类型"),
    "authority": _("登记管理机关"), "area_code": _("社区(网格)代码"),
    "building_code": _("楼栋编码"), "address": _("单位地址"), "staff_count": _("从业人数"),
    "has_trade_union": _("建立工会"), "has_party_organisation": _("建立党组织"),
    "lng": _("经度"), "lat": _("纬度"),
}
COMPARED = ("name", "kind", "authority", "address", "staff_count", "has_trade_union",
            "has_party_organisation", "building_id")
RESTORED = (*COMPARED, "grid_id", "grid_code", "verified_at", "updated_at", "version",
            "credit_code")


@dataclasses.dataclass
class _Pending:
    row_number: int
    columns: dict[str, Any]
    provided: set[str]
    area_code: str
    building_code: str
    point: tuple[float, float] | None


def _flag(text: str, label: str) -> bool | None:
    value = (text or "").strip().lower()
    if not value:
        return None
    if value not in YES_NO:
        raise RowRejected(_("%(f)s:应填“是”或“否”。") % {"f": label})
    return YES_NO[value]


class OrganisationsImport:
    def __init__(self, run: ImportRun, profile: Profile, actor: User) -> None:
        self.run, self.profile, self.actor = run, profile, actor
        self.places = Places(run)
        self.labels = dict(LABELS)  # (the file's own headers, once read: `name_columns`)

    def name_columns(self, titles: dict[str, str]) -> None:
        """Reasons name a column as the file's header does (title → field)."""
        self.labels.update({name: title for title, name in titles.items()})

    def clean(self, row_number: int, raw: dict[str, str]) -> _Pending | Checked:
        try:
            given = {k: v.strip() for k, v in raw.items() if v and v.strip()}
            values = {**self.profile.defaults, **given}
            for required in self.profile.required:
                if not values.get(required):
                    raise RowRejected(_("%(f)s:必填。") % {"f": self.labels[required]})
            codes = {name: coded(values.get(name, ""), table, self.labels[name])
                     for name, table in ORGANISATION_CODE_TABLES.items()}
            flags = {name: _flag(values.get(name, ""), self.labels[name])
                     for name in ("has_trade_union", "has_party_organisation")}
            data = OrganisationInput(
                name=values.get("name", ""), kind=codes["kind"],
                credit_code=values.get("credit_code", ""), authority=codes["authority"],
                address=values.get("address", ""),
                staff_count=parse_int(values.get("staff_count", ""), self.labels["staff_count"],
                                      0, 10_000_000),
                has_trade_union=bool(flags["has_trade_union"]),
                has_party_organisation=bool(flags["has_party_organisation"]))
            columns = organisation_columns(data)
            provided = {n for n in given if n in COMPARED}
            if "kind" in given and "authority" not in given:
                provided.add("authority")
            return _Pending(
                row_number=row_number, columns=columns, provided=provided,
                area_code=self.places.area(values.get("area_code", ""), self.labels["area_code"]),
                building_code=clean_code(values.get("building_code", "")),
                point=parse_point(values.get("lng", ""), values.get("lat", "")))
        except RowRejected as exc:
            return rejected(row_number, exc.reason)
        except ValidationError as exc:
            return rejected(row_number, reason_of(exc, self.labels))

    @staticmethod
    def _key(columns: dict[str, Any], grid: str) -> str:
        if columns["credit_code"]:
            return hashlib.sha256(f"credit:{columns['credit_code']}".encode()).hexdigest()
        return hashlib.sha256(f"name:{grid}:{columns['name']}".encode()).hexdigest()

    def check(self, pending: list[_Pending]) -> list[Checked]:
        codes = [p.columns["credit_code"] for p in pending if p.columns["credit_code"]]
        by_code = {o.credit_code: o for o in Organisation.objects.filter(credit_code__in=codes)
                   if o.credit_code}
        buildings = {b.code: b for b in Building.objects.filter(
            code__in=[p.building_code for p in pending if p.building_code],
            grid_code__startswith=self.run.area_code)}
        points = [p for p in pending if p.point and not p.building_code]
        located = dict(zip([p.row_number for p in points],
                           self.places.locate([p.point for p in points if p.point]),
                           strict=True))
        names = {(o.grid_code, o.name): o for o in Organisation.objects.filter(
            credit_code__isnull=True, grid_code__startswith=self.run.area_code,
            name__in=[p.columns["name"] for p in pending if not p.columns["credit_code"]])}
        out: list[Checked] = []
        for row in pending:
            try:
                out.append(self._compare(row, by_code, buildings, names,
                                         located.get(row.row_number, "")))
            except RowRejected as exc:
                out.append(rejected(row.row_number, exc.reason))
        return out

    def _compare(self, row: _Pending, by_code: dict[str, Organisation],
                 buildings: dict[str, Building],
                 names: dict[tuple[str, str], Organisation], located: str) -> Checked:
        building = buildings.get(row.building_code) if row.building_code else None
        if row.building_code and building is None:
            raise RowRejected(_("楼栋编码:在本次导入的区域内找不到该楼栋。"))
        if building is not None:
            grid = building.grid_code
            if row.area_code and not grid.startswith(row.area_code):
                raise RowRejected(_("楼栋编码:该楼栋不在所填社区(网格)内。"))
        elif self.places.is_grid(row.area_code):
            grid = row.area_code
        elif located and located.startswith(row.area_code):
            grid = located
        else:
            grid = ""
        columns = {**row.columns, "building_id": building.pk if building else None}
        if building is not None:
            row.provided.add("building_id")
            if not columns["address"]:
                columns["address"] = building.address
        code = columns["credit_code"]
        existing = by_code.get(code) if code else names.get((grid, columns["name"]))
        if existing is None and not grid:
            raise RowRejected(_("无法确定所在网格:请提供网格代码、楼栋编码或网格内的经纬度。"))
        key = self._key(columns, grid or (existing.grid_code if existing else ""))
        checked = Checked(row_number=row.row_number, outcome=Outcome.NEW, key_hash=key,
                          grid_code=grid)
        if existing is None:
            checked.values = {"columns": columns, "grid": grid,
                              "provided": sorted(row.provided | {"credit_code"})}
            return checked
        if not existing.grid_code.startswith(self.run.area_code):
            raise RowRejected(_("该统一社会信用代码已在本次导入区域以外登记。"))
        checked.target_id, checked.grid_code = existing.pk, grid or existing.grid_code
        changes = [c for c in COMPARED if c in row.provided and columns[c] != getattr(
            existing, c)]
        if grid and grid != existing.grid_code:
            changes.append("grid")
        if not changes:
            checked.outcome = Outcome.UNCHANGED
        elif self.run.mode == "add_only":
            checked.outcome, checked.changes = Outcome.EXISTING, changes
        else:
            checked.outcome, checked.changes = Outcome.CHANGED, changes
            written = {c: columns[c] for c in changes if c != "grid"}
            if "grid" in changes and "building_id" not in written and existing.building_id:
                written["building_id"] = None  # (its building stands in the grid it left)
            checked.values = {"columns": written, "grid": checked.grid_code,
                              "credit_code": code, "target": existing.pk}
        return checked

    def apply(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        now = timezone.now()
        codes = [v["columns"].get("credit_code") or v.get("credit_code") for _n, _o, v in rows]
        current = {o.credit_code: o for o in Organisation.objects.select_for_update().filter(
            credit_code__in=[c for c in codes if c])}
        targets = {o.pk: o for o in Organisation.objects.select_for_update().filter(
            pk__in=[v["target"] for _n, _o, v in rows if v.get("target")])}
        new: list[tuple[int, Organisation]] = []
        updates: list[tuple[int, Organisation, dict[str, Any]]] = []
        for number, _outcome, values in rows:
            columns, grid = values["columns"], values["grid"]
            code = columns.get("credit_code") or values.get("credit_code")
            existing = (current.get(code) if code else None) or targets.get(
                values.get("target") or 0)
            if existing is None:
                new.append((number, Organisation(grid_id=self.places.grid_id(grid),
                                                 grid_code=grid, verified_at=now, **columns)))
                continue
            if "provided" in values:  # (registered since the check: what the file gives)
                columns = {c: v for c, v in columns.items() if c in values["provided"]}
            changed = {c: v for c, v in columns.items()
                       if c in RESTORED and getattr(existing, c) != v}
            if grid != existing.grid_code:
                changed.update(grid_id=self.places.grid_id(grid), grid_code=grid)
            if changed:
                updates.append((number, existing, changed))
        before = contributions(organisations=[o.pk for _n, o, _c in updates])
        created = Organisation.objects.bulk_create([o for _n, o in new], batch_size=1000)
        changes: list[dict[str, Any]] = [
            {"model": "registry.organisation", "object_id": o.pk, "created": True,
             "version_after": 1, "row_number": n} for (n, _o), o in zip(new, created, strict=True)]
        for number, organisation, changed in updates:
            previous = {c: _json(getattr(organisation, c)) for c in RESTORED}
            Organisation.objects.filter(pk=organisation.pk).update(
                **changed, updated_at=now, version=F("version") + 1)
            changes.append({"model": "registry.organisation", "object_id": organisation.pk,
                            "created": False, "before": previous,
                            "version_after": organisation.version + 1, "row_number": number})
        figures_move(before, contributions(
            organisations=[o.pk for _n, o, _c in updates] + [o.pk for o in created]))
        return changes


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
