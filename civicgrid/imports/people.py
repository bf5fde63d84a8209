"""Importing people (实有人口) with where they live (人房关联).

A row is matched on the keyed hash of its document number (the registry's one person per
document): a row without one is rejected, since a later import could not find the same
person again. A person found is compared field by field on the columns the file has and
fills; a blank cell or a missing column keeps what is stored (another system's blank is no
knowledge). A room named by the row (its standard address, or building code + unit + floor
+ room number) that the person does not live in yet is a move-in: the residence opens, the
person's register follows them to the room's grid, a vacant or unknown room takes the use
its resident shows — as `person_move_in` does — and a rental over its limit suggests the
hazard case. Undo deletes what the import created and puts back what it changed, unless the
record changed since (`version`).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.imports.bulk import insert_many
from civicgrid.imports.models import ImportRun, Outcome
from civicgrid.imports.profiles import CODE_TABLES, Profile
from civicgrid.imports.rows import (
    Checked,
    Places,
    RoomRef,
    RowRejected,
    ambiguous_address,
    coded,
    parse_date,
    parse_point,
    reason_of,
    rejected,
    room_key_of,
    room_not_found,
    rooms_named,
)
from civicgrid.registry.figures import contributions, figures_move
from civicgrid.registry.models import (
    Dormitory,
    Person,
    PersonStatus,
    Rental,
    Residence,
    ResidenceKind,
    ResidenceSource,
    Room,
    RoomUse,
)
from civicgrid.registry.services.housing import rental_check_occupancy
from civicgrid.registry.services.people import PersonInput, person_columns, seal_columns
from civicgrid.registry.services.places import USE_ON_MOVE_IN

LABELS = {
    "id_number": _("公民身份号码"), "document_type": _("证件类型"), "name": _("姓名"),
    "sex": _("性别"), "birth_date": _("出生日期"), "ethnicity": _("民族"),
    "phone": _("联系电话"), "kind": _("人口类型"), "hukou_code": _("户籍地行政区划代码"),
    "nationality": _("国籍"), "stay_purpose": _("来居住地事由"), "education": _("学历"),
    "occupation": _("职业"), "area_code": _("社区(网格)代码"), "address": _("现居住地址"),
    "building_code": _("楼栋编码"), "unit": _("单元"), "floor": _("楼层"),
    "room_number": _("室号"), "residence_kind": _("居住方式"), "since": _("入住日期"),
    "lng": _("经度"), "lat": _("纬度"),
}
# The person's columns compared with a file's row (a sealed phone by its keyed hash).
COMPARED = ("name", "sex", "birth_date", "ethnicity", "kind", "hukou_code", "nationality",
            "stay_purpose", "education", "occupation", "phone_hash")
PHONE_COLUMNS = ("phone_encrypted", "phone_hash", "phone_masked", "phone_last4")
RESTORED = ("name", "sex", "birth_date", "ethnicity", "kind", "hukou_code", "nationality",
            "stay_purpose", "education", "occupation", *PHONE_COLUMNS, "grid_id", "grid_code",
            "verified_at", "updated_at", "version")


@dataclasses.dataclass
class _Pending:
    row_number: int
    columns: dict[str, Any]
    provided: set[str]
    key_hash: str
    area_code: str
    room_key: tuple[str, ...] | None
    point: tuple[float, float] | None
    residence_kind: str
    since: date | None


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _value(column: str, text: Any) -> Any:
    if column in ("birth_date",) and text:
        return date.fromisoformat(text)
    return text


_ATTNAME = {"employer": "employer_id"}


class PeopleImport:
    def __init__(self, run: ImportRun, profile: Profile, actor: User) -> None:
        self.run, self.profile, self.actor = run, profile, actor
        self.places = Places(run)
        self.labels = dict(LABELS)  # (the file's own headers, once read: `name_columns`)
        self.today = timezone.localdate()
        self.conflicts: list[int] = []  # rows not written: the record changed since the check

    # --- a row alone -------------------------------------------------------------------

    def name_columns(self, titles: dict[str, str]) -> None:
        """Reasons name a column as the file's header does (title → field)."""
        self.labels.update({name: title for title, name in titles.items()})

    def clean(self, row_number: int, raw: dict[str, str]) -> _Pending | Checked:
        try:
            return self._clean(row_number, raw)
        except RowRejected as exc:
            return rejected(row_number, exc.reason)
        except ValidationError as exc:
            return rejected(row_number, reason_of(exc, self.labels))

    def _clean(self, row_number: int, raw: dict[str, str]) -> _Pending:
        given = {k: v.strip() for k, v in raw.items() if v and v.strip()}
        values = {**self.profile.defaults, **given}
        for required in self.profile.required:
            if not values.get(required):
                raise RowRejected(_("%(f)s:必填。") % {"f": self.labels[required]})
        if not values.get("id_number"):
            raise RowRejected(_("%(f)s:导入的人员须有证件号码(用于识别同一人)。") % {
                "f": self.labels["id_number"]})
        codes = {name: coded(values.get(name, ""), table, self.labels[name])
                 for name, table in CODE_TABLES.items()}
        document_type = codes["document_type"] or "id_card"
        birth = parse_date(values.get("birth_date", ""), self.labels["birth_date"],
                           today=self.today)
        data = PersonInput(
            name=values.get("name", ""), kind=codes["kind"], sex=codes["sex"],
            birth_date=birth, ethnicity=values.get("ethnicity", ""),
            document_type=document_type, id_number=values["id_number"],
            phone=values.get("phone", ""), hukou_code=values.get("hukou_code", ""),
            nationality=values.get("nationality", ""), stay_purpose=codes["stay_purpose"],
            education=codes["education"], occupation=values.get("occupation", ""))
        columns = person_columns(data, seal=False)
        provided = {name for name in given if name in COMPARED}
        if "phone" in given:
            provided.add("phone_hash")
        if document_type == "id_card":
            provided |= {"birth_date", "sex"}
        room_key = room_key_of(values, self.labels)
        kind = coded(values.get("residence_kind", ""), CODE_TABLES["residence_kind"],
                     self.labels["residence_kind"])
        since = parse_date(values.get("since", ""), self.labels["since"], today=self.today)
        if since is not None and since.year < 1900:
            raise RowRejected(_("%(f)s:应在1900年之后。") % {"f": self.labels["since"]})
        return _Pending(
            row_number=row_number, columns=columns, provided=provided,
            key_hash=columns["id_number_hash"],
            area_code=self.places.area(values.get("area_code", ""), self.labels["area_code"]),
            room_key=room_key, point=parse_point(values.get("lng", ""), values.get("lat", "")),
            residence_kind=kind or ResidenceKind.LIVING, since=since)

    # --- a batch against the tables ----------------------------------------------------------

    def check(self, pending: list[_Pending]) -> list[Checked]:
        # (`exclude` states the unique index's condition: PostgreSQL then uses it)
        people = {p["id_number_hash"]: p for p in Person.objects.exclude(
            id_number_hash="").filter(id_number_hash__in=[r.key_hash for r in pending]).values(
            "pk", "id_number_hash", "grid_code", "status", "scrubbed_at", "version",
            *COMPARED)}
        ids = [p["pk"] for p in people.values()]
        in_area: set[int] = set()
        living: set[tuple[int, int]] = set()
        if ids:
            for person, room, grid in Residence.objects.filter(
                    person_id__in=ids, until__isnull=True).values_list(
                    "person_id", "room_id", "grid_code"):
                living.add((person, room))
                if grid.startswith(self.run.area_code):
                    in_area.add(person)
        rooms = rooms_named(self.run.area_code, [p.room_key for p in pending if p.room_key])
        dormitories = set(Dormitory.objects.filter(
            building_id__in={r.building_id for r in rooms.values() if r}).values_list(
            "building_id", flat=True)) if rooms else set()
        points = [r for r in pending if r.point and not r.room_key]
        located = dict(zip([r.row_number for r in points],
                           self.places.locate([r.point for r in points if r.point]),
                           strict=True)) if points else {}
        out: list[Checked] = []
        for row in pending:
            try:
                out.append(self._compare(row, people.get(row.key_hash), in_area, rooms,
                                         living, dormitories, located.get(row.row_number, "")))
            except RowRejected as exc:
                out.append(rejected(row.row_number, exc.reason))
        return out

    def _grid(self, row: _Pending, room: RoomRef | None, located: str,
              person: dict[str, Any] | None) -> str:
        if room is not None:
            if row.area_code and not room.grid_code.startswith(row.area_code):
                raise RowRejected(_("住址:该房屋不在所填社区(网格)内。"))
            return room.grid_code
        if row.room_key:
            raise RowRejected(room_not_found())
        if self.places.is_grid(row.area_code):
            return row.area_code
        if located and located.startswith(row.area_code):
            return located
        if person is not None:
            return str(person["grid_code"])
        raise RowRejected(_("无法确定所在网格:请提供住址、网格代码或网格内的经纬度。"))

    def _compare(self, row: _Pending, person: dict[str, Any] | None, in_area: set[int],
                 rooms: dict[tuple[str, ...], RoomRef | None], living: set[tuple[int, int]],
                 dormitories: set[int], located: str) -> Checked:
        if row.room_key and row.room_key in rooms and rooms[row.room_key] is None:
            raise RowRejected(ambiguous_address())
        room = rooms.get(row.room_key) if row.room_key else None
        grid = self._grid(row, room, located, person)
        if room is not None and row.residence_kind == ResidenceKind.DORMITORY \
                and room.building_id not in dormitories:
            raise RowRejected(_("居住方式:该楼栋未登记为集中居住点,不能为“集体宿舍”。"))
        residence = None
        if room is not None and (person is None or (person["pk"], room.pk) not in living):
            residence = {"room": room.pk, "kind": row.residence_kind,
                         "since": (row.since or timezone.localdate()).isoformat()}
        base = Checked(row_number=row.row_number, outcome=Outcome.NEW, key_hash=row.key_hash,
                       grid_code=grid)
        if person is None:
            base.values = {"columns": {k: _text(v) for k, v in row.columns.items()},
                           "key": row.key_hash, "grid": grid, "residence": residence,
                           "provided": sorted(row.provided)}
            return base
        if not (person["grid_code"].startswith(self.run.area_code) or person["pk"] in in_area):
            raise RowRejected(_("该证件号码已在本次导入区域以外登记,请联系其现居住地办理。"))
        if person["scrubbed_at"] is not None:
            raise RowRejected(_("该人员的个人信息已按保存期限清除,不能再导入。"))
        base.target_id = person["pk"]
        changes = [c for c in COMPARED if c in row.provided
                   and row.columns.get(c) != person[c]]
        if residence is not None:
            if person["status"] != PersonStatus.ACTIVE:
                raise RowRejected(_("该人员已迁出、死亡或注销,不能登记入住。"))
            changes.append("residence")
        if not changes:
            base.outcome = Outcome.UNCHANGED
            return base
        if self.run.mode == "add_only":
            base.outcome, base.changes = Outcome.EXISTING, changes
            return base
        base.outcome, base.changes = Outcome.CHANGED, changes
        written = {c: _text(row.columns[c]) for c in changes if c != "residence"}
        if "phone_hash" in written:
            written["phone"] = row.columns["phone"]
        base.values = {"columns": written, "key": row.key_hash, "grid": grid,
                       "residence": residence, "version": person["version"]}
        return base

    # --- applying ----------------------------------------------------------------------

    def apply(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Write a batch of checked rows (row number, outcome, values), in the caller's
        transaction; what was written, as ImportChange rows for undo. A row whose person
        was registered since the check is written as a change to them."""
        now = timezone.now()
        current = {p["id_number_hash"]: p for p in Person.objects.select_for_update().exclude(
            id_number_hash="").filter(
            id_number_hash__in=[values["key"] for _n, _o, values in rows]).values(
            "pk", "id_number_hash", "status", "scrubbed_at", *RESTORED)}
        living_here = set(Residence.objects.filter(
            person_id__in=[p["pk"] for p in current.values()], until__isnull=True,
            grid_code__startswith=self.run.area_code).values_list("person_id", flat=True))
        new_people: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        updates: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]] = []
        for number, _outcome, values in rows:
            columns = {_ATTNAME.get(k, k): _value(k, v)
                       for k, v in seal_columns(values["columns"]).items()}
            grid = values["grid"]
            existing = current.get(values["key"])
            if existing is None:
                new_people.append((number, {
                    **columns, "grid_id": self.places.grid_id(grid), "grid_code": grid,
                    "verified_at": now}, values))
                continue
            if self._stale(existing, values, living_here):
                self.conflicts.append(number)
                continue
            if "provided" in values:  # (registered since the check: what the file gives)
                given = set(values["provided"])
                columns = {c: v for c, v in columns.items() if c in given
                           or (c.startswith("phone_") and "phone_hash" in given)}
            changed = {c: v for c, v in columns.items()
                       if c in RESTORED and existing[c] != v}
            updates.append((number, existing, changed, values))
        before = contributions(people=[p["pk"] for _n, p, _c, _v in updates])
        created = insert_many(Person, [p for _n, p, _v in new_people], now=now)
        changes: list[dict[str, Any]] = [
            {"model": "registry.person", "object_id": pk, "created": True,
             "version_after": 1, "row_number": n}
            for (n, _p, _v), pk in zip(new_people, created, strict=True)]
        residences: list[tuple[int, int, dict[str, Any]]] = [
            (n, pk, v["residence"]) for (n, _p, v), pk in zip(new_people, created, strict=True)
            if v["residence"]]
        for number, person, changed, values in updates:
            if values["residence"]:
                residences.append((number, person["pk"], values["residence"]))
                changed.update(grid_id=self.places.grid_id(values["grid"]),
                               grid_code=values["grid"], verified_at=now)
            if not changed:
                continue
            Person.objects.filter(pk=person["pk"]).update(
                **changed, updated_at=now, version=F("version") + 1)
            changes.append({"model": "registry.person", "object_id": person["pk"],
                            "created": False,
                            "before": {c: _text(person[c]) for c in RESTORED},
                            "version_after": person["version"] + 1, "row_number": number})
        changes += self._move_in(residences, now)
        figures_move(before, contributions(
            people=[p["pk"] for _n, p, _c, _v in updates] + created))
        return changes

    def _stale(self, person: dict[str, Any], values: dict[str, Any],
               living_here: set[int]) -> bool:
        """The person changed since the check in a way the row did not see: edited (another
        version), registered since outside the run's area, left, or their details removed.
        Such a row is not written; the run's report lists it."""
        if "version" in values and person["version"] != values["version"]:
            return True
        if not (person["grid_code"].startswith(self.run.area_code)
                or person["pk"] in living_here):
            return True
        if person["scrubbed_at"] is not None:
            return True
        return bool(values["residence"]) and person["status"] != PersonStatus.ACTIVE

    def _move_in(self, residences: list[tuple[int, int, dict[str, Any]]],
                 now: Any) -> list[dict[str, Any]]:
        """The residences of the batch, the rooms' use as `person_move_in` sets it, and
        the occupancy of any let room checked."""
        if not residences:
            return []
        rooms: dict[int, dict[str, Any]] = {
            r["pk"]: dict(r) for r in Room.objects.select_for_update().filter(
            pk__in={spec["room"] for _n, _p, spec in residences}).values(
            "pk", "grid_code", "use", "version", "updated_at")}
        open_now = set(Residence.objects.filter(
            person_id__in=[p for _n, p, _s in residences], until__isnull=True).values_list(
            "person_id", "room_id"))
        made: list[tuple[int, dict[str, Any]]] = []
        for number, person, spec in residences:
            if (person, spec["room"]) in open_now:
                continue
            open_now.add((person, spec["room"]))
            made.append((number, {
                "person_id": person, "room_id": spec["room"],
                "grid_code": rooms[spec["room"]]["grid_code"], "kind": spec["kind"],
                "since": date.fromisoformat(spec["since"]),
                "source": ResidenceSource.IMPORT}))
        created = insert_many(Residence, [r for _n, r in made], now=now)
        changes = [{"model": "registry.residence", "object_id": pk, "created": True,
                    "row_number": n} for (n, _r), pk in zip(made, created, strict=True)]
        uses: dict[str, list[int]] = {}
        for number, residence in made:
            room = rooms[residence["room_id"]]
            if room["use"] in (RoomUse.VACANT, RoomUse.UNKNOWN) and "new_use" not in room:
                room["new_use"] = USE_ON_MOVE_IN[residence["kind"]]
                uses.setdefault(room["new_use"], []).append(room["pk"])
                changes.append({
                    "model": "registry.room", "object_id": room["pk"], "created": False,
                    "before": {"use": room["use"], "updated_at": _text(room["updated_at"]),
                               "version": room["version"]},
                    "version_after": room["version"] + 1, "row_number": number})
        if uses:
            changed = [pk for ids in uses.values() for pk in ids]
            before = contributions(rooms=changed)
            for use, ids in uses.items():
                Room.objects.filter(pk__in=ids).update(use=use, updated_at=now,
                                                       version=F("version") + 1)
            figures_move(before, contributions(rooms=changed))
        let = Rental.objects.filter(room_id__in={r["room_id"] for _n, r in made},
                                    active=True).values_list("room_id", flat=True)
        for let_room in Room.objects.filter(pk__in=list(let)).select_related("building__grid"):
            rental_check_occupancy(room=let_room, actor=self.actor)
        return changes
