"""What every kind of import shares: a checked row, the run's places, the parsing of cells.

A row is checked in two steps: `clean` (the row alone: required fields, code tables,
dates, check digits — the registry services' own rules) and `check` (a batch of rows
against the tables: the natural key found or not, the address found, the record in the
run's area). Messages name the column and the rule, never a cell's value: a report may be
read by someone who may not see the people in it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import Area, Level
from civicgrid.core.crypto import decrypt_text, encrypt_text
from civicgrid.core.idnumbers import clean_code
from civicgrid.imports.models import ImportRun, Outcome


class RowRejected(Exception):  # noqa: N818 (a row's outcome, not an error of the program)
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Checked:
    row_number: int
    outcome: str
    key_hash: str = ""
    target_id: int | None = None
    grid_code: str = ""
    values: dict[str, Any] | None = None  # what applying needs (stored encrypted)
    changes: list[str] = field(default_factory=list)
    reason: str = ""


def rejected(row_number: int, reason: str) -> Checked:
    return Checked(row_number=row_number, outcome=Outcome.REJECTED, reason=reason[:300])


def seal_payload(values: dict[str, Any] | None) -> str:
    return encrypt_text(json.dumps(values, ensure_ascii=False, default=str)) if values else ""


def open_payload(payload: str) -> dict[str, Any]:
    return json.loads(decrypt_text(payload)) if payload else {}


def reason_of(exc: ValidationError, labels: dict[str, str]) -> str:
    """A service's refusal as one line: "列名:规则" for each field."""
    if hasattr(exc, "error_dict"):
        parts = [f"{labels.get(name, name)}:{' '.join(str(m) for m in messages)}"
                 for name, messages in exc.message_dict.items()]
    else:
        parts = [" ".join(str(m) for m in exc.messages)]
    return ";".join(parts)


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(text: str, label: str, *, today: date | None = None) -> date | None:
    """A date in the usual forms of exchange files; not after `today` when given."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return None
    value = value.split("T")[0].split(" ")[0]
    match = _DATE.match(value)
    if match is None and len(value) == 8 and value.isdigit():
        match = re.match(r"^(\d{4})(\d{2})(\d{2})$", value)
    if match is None:
        raise RowRejected(_("%(f)s:日期格式应为 YYYY-MM-DD 或 YYYYMMDD。") % {"f": label})
    try:
        parsed = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise RowRejected(_("%(f)s:不是有效的日期。") % {"f": label}) from exc
    if today is not None and parsed > today:
        raise RowRejected(_("%(f)s:日期不能晚于今天。") % {"f": label})
    return parsed


def parse_int(text: str, label: str, low: int, high: int) -> int | None:
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return None
    try:
        number = int(float(value)) if re.fullmatch(r"-?\d+(\.0+)?", value) else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise RowRejected(_("%(f)s:应为 %(low)d 至 %(high)d 之间的整数。") % {
            "f": label, "low": low, "high": high})
    return number


def coded(text: str, table: dict[str, str], label: str) -> str:
    """A code or label of the source system as the stored value ("" for a blank cell)."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return ""
    for key in (value, value.lower()):
        if key in table:
            return table[key]
    raise RowRejected(_("%(f)s:取值不在代码表中。") % {"f": label})


class Places:
    """The areas of the run's subtree, read once: code → (id, level)."""

    def __init__(self, run: ImportRun) -> None:
        self.root = run.area_code
        self.areas = {code: (pk, level) for pk, code, level in Area.objects.filter(
            code__startswith=run.area_code).values_list("pk", "code", "level")}
        self.grid_ids = {pk: code for code, (pk, level) in self.areas.items()
                         if level == Level.GRID}

    def area(self, code: str, label: str) -> str:
        """A code of the file, known and inside the run's area ("" for a blank cell)."""
        code = unicodedata.normalize("NFKC", code or "").strip()
        if not code:
            return ""
        if code not in self.areas:
            # (the value is not repeated: a shifted column would put an ID number here)
            raise RowRejected(_("%(f)s:代码不存在或不在本次导入的区域内。") % {"f": label})
        return code

    def is_grid(self, code: str) -> bool:
        return code in self.areas and self.areas[code][1] == Level.GRID

    def grid_id(self, code: str) -> int:
        return self.areas[code][0]

    def locate(self, points: list[tuple[float, float]]) -> list[str]:
        """The grid code holding each point, "" outside the run's grids."""
        return [self.grid_ids.get(pk, "") if pk is not None else ""
                for pk in grid_locator.locate_many(points)]


def parse_point(lng: str, lat: str) -> tuple[float, float] | None:
    if not (lng or "").strip() and not (lat or "").strip():
        return None
    try:
        x, y = float(lng), float(lat)
    except ValueError as exc:
        raise RowRejected(_("经纬度:应为数字。")) from exc
    if not (73 <= x <= 136 and 3 <= y <= 54):
        raise RowRejected(_("经纬度:不在中国境内。"))
    return (x, y)


# --- rooms named by a row ---------------------------------------------------------------------

def room_not_found() -> str:  # (translated when the message is needed)
    return _("住址:在本次导入的区域内找不到该房屋(按标准地址或楼栋编码、单元、楼层、室号查找)。")


def ambiguous_address() -> str:
    return _("住址:该标准地址在本次导入的区域内对应多个房屋,请改用楼栋编码、单元、楼层、室号。")


@dataclass(frozen=True)
class RoomRef:
    pk: int
    grid_code: str
    building_id: int


def room_key_of(values: dict[str, str], labels: dict[str, str]) -> tuple[str, ...] | None:
    """How the row names a room: ("code", building code, unit, floor, room number) or
    ("address", standard address); None when it names none."""
    if values.get("building_code"):
        unit = parse_int(values.get("unit", "") or "1", labels["unit"], 1, 50)
        floor = parse_int(values.get("floor", ""), labels["floor"], -10, 200)
        number = clean_code(values.get("room_number", ""))
        if floor is None or not number:
            raise RowRejected(_("住址:填写楼栋编码时须同时填写楼层和室号。"))
        return ("code", clean_code(values["building_code"]), str(unit), str(floor), number)
    if values.get("address"):
        return ("address", " ".join(values["address"].split()))
    return None


def rooms_named(area_code: str, keys: list[tuple[str, ...]]
                ) -> dict[tuple[str, ...], RoomRef | None]:
    """The rooms the keys name, found in the area (None: the address names more than one
    room there). Two queries at most."""
    from civicgrid.registry.models import Room

    found: dict[tuple[str, ...], RoomRef | None] = {}
    area = Q(grid_code__startswith=area_code)
    addresses = [k[1] for k in keys if k[0] == "address"]
    if addresses:
        for pk, address, grid, building in Room.objects.filter(
                area, address__in=addresses).values_list(
                "pk", "address", "grid_code", "building_id"):
            key = ("address", address)
            found[key] = None if key in found else RoomRef(pk, grid, building)
    codes = {k[1] for k in keys if k[0] == "code"}
    if codes:
        wanted = {k for k in keys if k[0] == "code"}
        for pk, grid, building, code, unit, floor, number in Room.objects.filter(
                area, building__code__in=codes).values_list(
                "pk", "grid_code", "building_id", "building__code", "unit", "floor",
                "number").iterator(chunk_size=5000):
            by_code: tuple[str, ...] = ("code", code, str(unit), str(floor), number)
            if by_code in wanted:
                found[by_code] = RoomRef(pk, grid, building)
    return found
