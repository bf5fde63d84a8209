"""Importing rentals (出租房屋): a row names the room (its standard address, or building code
+ unit + floor + room number), the lessor — a registered person by their document number,
or a registered organisation by its credit code — and the rental's particulars; the
registry's own rules check them (`rental_columns`). It is matched on the room (one rental a
room): a room not let yet becomes let, a let room is compared field by field, an ended rental
taken up again is a change. A lessor who is not registered is a rejected row: register them
first (the import of people). After each batch the occupancy of the rooms written is
checked against their limits, as `rental_record` checks it."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.core.creditcodes import CreditCodeError, normalize_credit_code
from civicgrid.core.privacy import document_hash
from civicgrid.imports.bulk import insert_many
from civicgrid.imports.models import ImportRun, Outcome
from civicgrid.imports.profiles import RENTAL_CODE_TABLES, Profile
from civicgrid.imports.rows import (
    Checked,
    Places,
    RowRejected,
    ambiguous_address,
    coded,
    parse_date,
    parse_int,
    reason_of,
    rejected,
    room_key_of,
    room_not_found,
    rooms_named,
)
from civicgrid.registry.figures import contributions, figures_move
from civicgrid.registry.models import Organisation, Person, Rental, Room
from civicgrid.registry.services.housing import (
    RentalInput,
    rental_check_occupancy,
    rental_columns,
)
from civicgrid.registry.services.people import normalize_document

LABELS = {
    "address": _("房屋地址"), "building_code": _("楼栋编码"), "unit": _("单元"),
    "floor": _("楼层"), "room_number": _("室号"), "lessor_id_number": _("出租人证件号码"),
    "lessor_document_type": _("出租人证件类型"),
    "lessor_credit_code": _("出租单位统一社会信用代码"), "occupant_limit": _("限住人数"),
    "filing_number": _("租赁备案号"), "lease_start": _("租赁起始日期"),
    "lease_end": _("租赁截止日期"), "purpose": _("出租用途"), "fire_exits": _("安全出口数"),
    "responsibility_signed_on": _("治安责任书签订日期"),
    "lessor_person": _("出租人"),
}
COMPARED = ("occupant_limit", "lessor_person_id", "lessor_organisation_id", "filing_number",
            "lease_start", "lease_end", "purpose", "fire_exits", "responsibility_signed_on",
            "active")
RESTORED = (*COMPARED, "updated_at", "version")
DATES = ("lease_start", "lease_end", "responsibility_signed_on")


@dataclasses.dataclass
class _Pending:
    row_number: int
    room_key: tuple[str, ...]
    lessor_hash: str
    lessor_code: str
    data: RentalInput
    provided: set[str]


class RentalsImport:
    def __init__(self, run: ImportRun, profile: Profile, actor: User) -> None:
        self.run, self.profile, self.actor = run, profile, actor
        self.places = Places(run)
        self.labels = dict(LABELS)
        self.today = timezone.localdate()

    def name_columns(self, titles: dict[str, str]) -> None:
        """Reasons name a column as the file's header does (title → field)."""
        self.labels.update({name: title for title, name in titles.items()})

    def clean(self, row_number: int, raw: dict[str, str]) -> _Pending | Checked:
        try:
            values = {k: v.strip() for k, v in raw.items() if v and v.strip()}
            room_key = room_key_of(values, self.labels)
            if room_key is None:
                raise RowRejected(_("%(f)s:必填。") % {"f": self.labels["address"]})
            limit = parse_int(values.get("occupant_limit", ""), self.labels["occupant_limit"],
                              1, 500)
            if limit is None:
                raise RowRejected(_("%(f)s:必填。") % {"f": self.labels["occupant_limit"]})
            exits = parse_int(values.get("fire_exits", ""), self.labels["fire_exits"], 0, 20)
            dates = {name: parse_date(values.get(name, ""), self.labels[name],
                                      today=None if name == "lease_end" else self.today)
                     for name in DATES}
            purpose = coded(values.get("purpose", ""), RENTAL_CODE_TABLES["purpose"],
                            self.labels["purpose"]) or "dwelling"
            lessor_hash = lessor_code = ""
            if values.get("lessor_id_number"):
                document_type = coded(values.get("lessor_document_type", ""),
                                      RENTAL_CODE_TABLES["lessor_document_type"],
                                      self.labels["lessor_document_type"]) or "id_card"
                try:
                    number = normalize_document(document_type, values["lessor_id_number"],
                                                today=self.today)
                except ValidationError as exc:
                    raise RowRejected(reason_of(exc, {
                        "id_number": self.labels["lessor_id_number"],
                        "document_type": self.labels["lessor_document_type"]})) from exc
                lessor_hash = document_hash(number, document_type)
            if values.get("lessor_credit_code"):
                try:
                    lessor_code = normalize_credit_code(values["lessor_credit_code"])
                except CreditCodeError as exc:
                    raise RowRejected(f"{self.labels['lessor_credit_code']}:{exc}") from exc
            if bool(lessor_hash) == bool(lessor_code):
                raise RowRejected(_("出租人:请填写出租人证件号码或出租单位统一社会信用代码"
                                    "(二者选一)。"))
            data = RentalInput(occupant_limit=limit, fire_exits=1 if exits is None else exits,
                               purpose=purpose, filing_number=values.get("filing_number", ""),
                               lease_start=dates["lease_start"], lease_end=dates["lease_end"],
                               responsibility_signed_on=dates["responsibility_signed_on"])
            provided = {n for n in values if n in COMPARED} | {"occupant_limit", "purpose",
                                                               "lessor_person_id",
                                                               "lessor_organisation_id",
                                                               "active"}
            if "fire_exits" in values:
                provided.add("fire_exits")
            return _Pending(row_number=row_number, room_key=room_key, lessor_hash=lessor_hash,
                            lessor_code=lessor_code, data=data, provided=provided)
        except RowRejected as exc:
            return rejected(row_number, exc.reason)

    def check(self, pending: list[_Pending]) -> list[Checked]:
        rooms = rooms_named(self.run.area_code, [p.room_key for p in pending])
        people = dict(Person.objects.exclude(id_number_hash="").filter(
            id_number_hash__in={p.lessor_hash for p in pending if p.lessor_hash}).values_list(
            "id_number_hash", "pk"))
        organisations = {code: pk for code, pk in Organisation.objects.filter(
            credit_code__in={p.lessor_code for p in pending if p.lessor_code}).values_list(
            "credit_code", "pk") if code}
        existing = {r["room_id"]: r for r in Rental.objects.filter(
            room_id__in=[r.pk for r in rooms.values() if r]).values("pk", "room_id",
                                                                    *COMPARED)}
        out: list[Checked] = []
        for row in pending:
            try:
                out.append(self._compare(row, rooms, people, organisations, existing))
            except RowRejected as exc:
                out.append(rejected(row.row_number, exc.reason))
            except ValidationError as exc:
                out.append(rejected(row.row_number, reason_of(exc, self.labels)))
        return out

    def _compare(self, row: _Pending, rooms: dict[tuple[str, ...], Any],
                 people: dict[str, int], organisations: dict[str, int],
                 existing: dict[int, dict[str, Any]]) -> Checked:
        if row.room_key in rooms and rooms[row.room_key] is None:
            raise RowRejected(ambiguous_address())
        room = rooms.get(row.room_key)
        if room is None:
            raise RowRejected(room_not_found())
        person = people.get(row.lessor_hash) if row.lessor_hash else None
        organisation = organisations.get(row.lessor_code) if row.lessor_code else None
        if row.lessor_hash and person is None:
            raise RowRejected(_("出租人证件号码:该出租人尚未登记为实有人口,请先登记(或导入)。"))
        if row.lessor_code and organisation is None:
            raise RowRejected(_("出租单位统一社会信用代码:该单位尚未登记为实有单位,请先登记"
                                "(或导入)。"))
        # (the registry's rules, the lessor given as a record: `rental_columns` reads nothing)
        fields = rental_columns(dataclasses.replace(
            row.data, lessor_person=Person(pk=person) if person else None,
            lessor_organisation=Organisation(pk=organisation) if organisation else None))
        columns: dict[str, Any] = {
            **{k: v for k, v in fields.items()
               if k not in ("lessor_person", "lessor_organisation", "hazard_level")},
            "lessor_person_id": person, "lessor_organisation_id": organisation, "active": True}
        key = hashlib.sha256(f"rental:{room.pk}".encode()).hexdigest()
        checked = Checked(row_number=row.row_number, outcome=Outcome.NEW, key_hash=key,
                          grid_code=room.grid_code)
        current = existing.get(room.pk)
        if current is None:
            checked.values = {"columns": _json(columns), "room": room.pk,
                              "grid": room.grid_code}
            return checked
        checked.target_id = current["pk"]
        changes = [c for c in COMPARED if c in row.provided and columns[c] != current[c]]
        if not changes:
            checked.outcome = Outcome.UNCHANGED
        elif self.run.mode == "add_only":
            checked.outcome, checked.changes = Outcome.EXISTING, changes
        else:
            checked.outcome, checked.changes = Outcome.CHANGED, changes
            checked.values = {"columns": _json({c: columns[c] for c in changes}),
                              "room": room.pk, "grid": room.grid_code, "target": current["pk"]}
        return checked

    def apply(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        now = timezone.now()
        current = {r["room_id"]: r for r in Rental.objects.select_for_update().filter(
            room_id__in=[v["room"] for _n, _o, v in rows]).values("pk", "room_id", *RESTORED)}
        new: list[tuple[int, dict[str, Any]]] = []
        changes: list[dict[str, Any]] = []
        updated: list[int] = []
        before = contributions(rentals=[r["pk"] for r in current.values()])
        for number, _outcome, values in rows:
            columns = {k: (date.fromisoformat(v) if k in DATES and v else v)
                       for k, v in values["columns"].items()}
            rental = current.get(values["room"])
            if rental is None:
                new.append((number, {**columns, "room_id": values["room"],
                                     "grid_code": values["grid"]}))
                current[values["room"]] = {"pk": None}  # (a second row of the room: skipped)
                continue
            if rental["pk"] is None:
                continue
            changed = {c: v for c, v in columns.items() if rental[c] != v}
            if changed:
                updated.append(rental["pk"])
                changes.append({"model": "registry.rental", "object_id": rental["pk"],
                                "created": False, "row_number": number,
                                "before": _json({c: rental[c] for c in RESTORED}),
                                "version_after": rental["version"] + 1})
                Rental.objects.filter(pk=rental["pk"]).update(
                    **changed, updated_at=now, version=F("version") + 1)
        created = insert_many(Rental, [r for _n, r in new], now=now)
        changes += [{"model": "registry.rental", "object_id": pk, "created": True,
                     "version_after": 1, "row_number": n}
                    for (n, _r), pk in zip(new, created, strict=True)]
        figures_move(before, contributions(rentals=updated + created))
        for room in Room.objects.filter(rental__pk__in=updated + created).select_related(
                "building__grid"):
            rental_check_occupancy(room=room, actor=self.actor)
        return changes


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
