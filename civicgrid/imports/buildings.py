"""Importing buildings (楼栋) with their layout tables (楼盘表): a row names its grid (or a
point inside it), the building's name, road and house number, and optionally its use,
floors, units and rooms per floor. It is matched on its standard address (the street's
name, road, house number and name: what `building_create` stores); a new one gets its code
from the grid's sequence and its rooms laid out as the registration page lays them out. A
building found is compared on its use, built year and point; its layout is the grid
worker's to change on the layout table (a file's floors or units are not applied to an
existing building). The registry's own rules check each row (`building_cleaned`)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.imports.bulk import insert_many
from civicgrid.imports.models import ImportRun, Outcome
from civicgrid.imports.profiles import BUILDING_CODE_TABLES, Profile
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
from civicgrid.registry.models import Building, Room
from civicgrid.registry.services.places import (
    BuildingInput,
    building_address,
    building_cleaned,
    lay_out_rooms,
    next_building_codes,
    street_name,
)

LABELS = {
    "area_code": _("网格代码"), "name": _("楼栋名称"), "road": _("街路巷"),
    "house_number": _("门牌号"), "use": _("楼栋用途"), "floors_above": _("地上层数"),
    "floors_below": _("地下层数"), "units": _("单元数"), "rooms_per_floor": _("每层户数"),
    "built_year": _("建成年份"), "lng": _("经度"), "lat": _("纬度"),
    "floors": _("层数"),
}
COMPARED = ("use", "built_year", "lng", "lat")
RESTORED = (*COMPARED, "updated_at", "version")


@dataclasses.dataclass
class _Pending:
    row_number: int
    values: dict[str, Any]
    provided: set[str]
    area_code: str
    point: tuple[float, float] | None


class BuildingsImport:
    def __init__(self, run: ImportRun, profile: Profile, actor: User) -> None:
        self.run, self.profile, self.actor = run, profile, actor
        self.places = Places(run)
        self.labels = dict(LABELS)  # (the file's own headers, once read: `name_columns`)
        self._grids: dict[str, Area] = {}

    def name_columns(self, titles: dict[str, str]) -> None:
        """Reasons name a column as the file's header does (title → field)."""
        self.labels.update({name: title for title, name in titles.items()})

    def _grid(self, code: str) -> Area:
        if code not in self._grids:
            self._grids[code] = Area.objects.get(code=code)
        return self._grids[code]

    def clean(self, row_number: int, raw: dict[str, str]) -> _Pending | Checked:
        try:
            given = {k: v.strip() for k, v in raw.items() if v and v.strip()}
            values: dict[str, Any] = {**self.profile.defaults, **given}
            for required in self.profile.required:
                if not values.get(required):
                    raise RowRejected(_("%(f)s:必填。") % {"f": self.labels[required]})
            values["use"] = coded(values.get("use", ""), BUILDING_CODE_TABLES["use"],
                                  self.labels["use"]) or "residential"
            for name, low, high, default in (("floors_above", 1, 200, 1),
                                             ("floors_below", 0, 10, 0), ("units", 1, 50, 1),
                                             ("rooms_per_floor", 0, 60, 0)):
                number = parse_int(values.get(name, ""), self.labels[name], low, high)
                values[name] = default if number is None else number
            values["built_year"] = parse_int(values.get("built_year", ""),
                                             self.labels["built_year"], 1800,
                                             timezone.localdate().year)
            point = parse_point(values.get("lng", ""), values.get("lat", ""))
            provided = {n for n in given if n in COMPARED}
            if point is not None:
                provided |= {"lng", "lat"}
            return _Pending(row_number=row_number, values=values, provided=provided,
                            area_code=self.places.area(values.get("area_code", ""),
                                                       self.labels["area_code"]), point=point)
        except RowRejected as exc:
            return rejected(row_number, exc.reason)

    def check(self, pending: list[_Pending]) -> list[Checked]:
        points = [p for p in pending if p.point]
        located = dict(zip([p.row_number for p in points],
                           self.places.locate([p.point for p in points if p.point]),
                           strict=True)) if points else {}
        cleaned: list[tuple[_Pending, str, BuildingInput, str] | Checked] = []
        for row in pending:
            try:
                grid = row.area_code if self.places.is_grid(row.area_code) else \
                    located.get(row.row_number, "")
                if not grid or not grid.startswith(row.area_code):
                    raise RowRejected(_("网格代码:请填写楼栋所在网格的代码(15位),或网格内的"
                                        "经纬度。"))
                data = building_cleaned(BuildingInput(
                    name=row.values.get("name", ""), use=row.values["use"],
                    road=row.values.get("road", ""),
                    house_number=row.values.get("house_number", ""),
                    floors_above=row.values["floors_above"],
                    floors_below=row.values["floors_below"], units=row.values["units"],
                    rooms_per_floor=row.values["rooms_per_floor"],
                    lng=row.point[0] if row.point else None,
                    lat=row.point[1] if row.point else None,
                    built_year=row.values["built_year"]), self._grid(grid))
                cleaned.append((row, grid, data, building_address(self._grid(grid), data)))
            except RowRejected as exc:
                cleaned.append(rejected(row.row_number, exc.reason))
            except ValidationError as exc:
                cleaned.append(rejected(row.row_number, reason_of(exc, self.labels)))
        addresses = [c[3] for c in cleaned if not isinstance(c, Checked)]
        found: dict[tuple[str, str], dict[str, Any] | None] = {}
        for b in Building.objects.filter(grid_code__startswith=self.run.area_code,
                                         address__in=addresses).values(
                "pk", "grid_code", "address", *COMPARED):
            place = (b["grid_code"], b["address"])
            found[place] = None if place in found else b
        out: list[Checked] = []
        for item in cleaned:
            if isinstance(item, Checked):
                out.append(item)
                continue
            row, grid, data, address = item
            key = hashlib.sha256(f"building:{grid}:{address}".encode()).hexdigest()
            checked = Checked(row_number=row.row_number, outcome=Outcome.NEW, key_hash=key,
                              grid_code=grid)
            existing = found.get((grid, address))
            if (grid, address) in found and existing is None:
                out.append(rejected(row.row_number, _("该地址在网格内对应多个楼栋。")))
                continue
            columns = {"name": data.name, "road": data.road, "house_number": data.house_number,
                       "use": data.use, "floors_above": data.floors_above,
                       "floors_below": data.floors_below, "units": data.units,
                       "built_year": data.built_year, "lng": data.lng, "lat": data.lat,
                       "address": address}
            if existing is None:
                checked.values = {"columns": columns, "grid": grid,
                                  "rooms_per_floor": data.rooms_per_floor}
            else:
                checked.target_id = existing["pk"]
                changes = [c for c in COMPARED if c in row.provided
                           and columns[c] != existing[c]]
                if not changes:
                    checked.outcome = Outcome.UNCHANGED
                elif self.run.mode == "add_only":
                    checked.outcome, checked.changes = Outcome.EXISTING, changes
                else:
                    checked.outcome, checked.changes = Outcome.CHANGED, changes
                    checked.values = {"columns": {c: columns[c] for c in changes},
                                      "grid": grid, "target": existing["pk"]}
            out.append(checked)
        return out

    def apply(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        now = timezone.now()
        addresses = [v["columns"]["address"] for _n, _o, v in rows if "address" in v["columns"]]
        present = {(b.grid_code, b.address) for b in Building.objects.filter(
            grid_code__startswith=self.run.area_code, address__in=addresses)}
        targets = {b["pk"]: b for b in Building.objects.select_for_update().filter(
            pk__in=[v["target"] for _n, _o, v in rows if v.get("target")]).values(
            "pk", *RESTORED)}
        new_by_grid: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        changes: list[dict[str, Any]] = []
        updated: list[int] = []
        before = contributions(buildings=list(targets))
        for number, _outcome, values in rows:
            if values.get("target"):
                current = targets.get(values["target"])
                if current is None:
                    continue  # (removed since the check)
                changed = {c: v for c, v in values["columns"].items() if current[c] != v}
                if changed:
                    updated.append(current["pk"])
                    changes.append({"model": "registry.building", "object_id": current["pk"],
                                    "created": False, "row_number": number,
                                    "before": {c: _json(current[c]) for c in RESTORED},
                                    "version_after": current["version"] + 1})
                    Building.objects.filter(pk=current["pk"]).update(
                        **changed, updated_at=now, version=F("version") + 1)
            elif (values["grid"], values["columns"]["address"]) not in present:
                present.add((values["grid"], values["columns"]["address"]))
                new_by_grid[values["grid"]].append((number, values))
        created: list[int] = []
        for grid_code, items in sorted(new_by_grid.items()):
            grid = self._grid(grid_code)
            codes = next_building_codes(grid, len(items))
            street = street_name(grid)
            buildings = [Building(code=code, grid=grid, grid_code=grid_code, **values["columns"])
                         for code, (_n, values) in zip(codes, items, strict=True)]
            made = Building.objects.bulk_create(buildings)
            rooms: list[dict[str, Any]] = []
            for building, (number, values) in zip(made, items, strict=True):
                created.append(building.pk)
                changes.append({"model": "registry.building", "object_id": building.pk,
                                "created": True, "version_after": 1, "row_number": number})
                rooms += [{"building_id": building.pk, "grid_code": grid_code, "unit": r.unit,
                           "floor": r.floor, "number": r.number, "address": r.address}
                          for r in lay_out_rooms(building, street, values["rooms_per_floor"])]
            insert_many(Room, rooms, now=now)
        figures_move(before, contributions(
            buildings=updated + created,
            rooms=list(Room.objects.filter(building_id__in=created).values_list("pk", flat=True))))
        return changes


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
