"""Export of an area's registry as a file in one of the import's profiles (issue 16;
docs/registry.md, "Export and data quality").

`registry_export` writes the people, organisations or buildings of an area that the
exporter may read (`restrict()`, then the area's subtree by `grid_code`) as CSV (UTF-8 with
a BOM, so that Excel opens it) or XLSX (openpyxl's write-only workbook), in the columns of a
profile (profiles.py): the template's columns for civicgrid's own profiles, one column per
known field otherwise, each under the header the profile reads back, and each coded value
as the profile's code table writes it (civicgrid's labels — 流动人口, 男 —, or for GA/T
1749 the codes where the table has them). A file exported in a profile imports again in
that profile with no change (tests/test_export.py) — except the ID numbers and phones of a
masked export, which are the masks.

Memory stays flat: the records are read in keyset batches and written as they come to an
unnamed temporary file, which the page then streams and which disappears when closed.

Particulars are masked unless the exporter holds `registry.person.reveal` over the area and
gives a reason; then the ID numbers and phones are unsealed (`core.privacy.unseal`) and the
export's one audit entry records the reason beside the count, area, profile and format.
Every export is audited, masked or not: it is a bulk copy of personal data. A reason
without the permission is refused before anything is read or written.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.privacy import REASON_LIMIT
from civicgrid.audit.services import audit_record
from civicgrid.core.privacy import unseal
from civicgrid.core.scope import get_scope, user_can
from civicgrid.core.xlsx import HEADER_FILL, cell_text
from civicgrid.imports.profiles import (
    BUILDING_CODE_TABLES,
    CODE_TABLES,
    ORGANISATION_CODE_TABLES,
    PROFILES,
    RENTAL_CODE_TABLES,
    YES_NO,
    ImportKind,
    Profile,
    field_for,
)
from civicgrid.registry.models import (
    Building,
    Organisation,
    Person,
    PersonStatus,
    Rental,
    Residence,
)

EXPORT_PERMISSION = "imports.export.view"
REVEAL_PERMISSION = "registry.person.reveal"
BATCH = 1000
AREA_HEADER = "网格代码"  # the area column holds the record's grid (an alias in every profile)
# Fields no record of the kind holds: their columns would always be blank.
NOT_HELD = {ImportKind.PEOPLE: {"lng", "lat"}, ImportKind.ORGANISATIONS: {"lng", "lat"},
            ImportKind.BUILDINGS: {"rooms_per_floor"}, ImportKind.RENTALS: set()}
# Profiles that write the codes of their standard where the code table has them.
CODED_PROFILES = frozenset({"gat1749-floating"})


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class ExportFile:
    """The written file, at its start (the caller streams and closes it), and what it is."""

    file: IO[bytes]
    name: str
    content_type: str
    rows: int
    revealed: bool


@dataclass(frozen=True)
class Column:
    header: str
    field: str


def export_columns(profile: Profile) -> list[Column]:
    """The columns a profile's export writes: the template's, in its order (civicgrid's
    own profiles), else every field the profile knows under its first header name; the
    area column under 网格代码 (it holds a grid's code); not the fields no record of the
    kind holds, nor a field the profile fills by default (GA/T 1749's 人口类型)."""
    if profile.template:
        fields = [f for f in (field_for(profile, h) for h, _sample in profile.template) if f]
    else:
        fields = list(profile.aliases)
    skip = NOT_HELD[ImportKind(profile.kind)] | set(profile.defaults)
    return [Column(AREA_HEADER if f == "area_code" else profile.aliases[f][0], f)
            for f in fields if f not in skip]


def _inverse(table: dict[str, Any], *, codes: bool) -> dict[Any, str]:
    """Stored value -> what to write: the standard's code (digits) when `codes` and the
    table has one, else the first Chinese label, else the value itself."""
    out: dict[Any, str] = {}
    passes: list[Callable[[str], bool]] = [lambda k: not k.isascii()]
    if codes:
        passes.insert(0, str.isdigit)
    for wanted in passes:
        for key, value in table.items():
            if value != "" and wanted(key):
                out.setdefault(value, key)
    return out


def _writers(profile: Profile) -> dict[str, dict[Any, str]]:
    codes = profile.code in CODED_PROFILES
    by_kind: dict[str, dict[str, dict[str, Any]]] = {
        ImportKind.PEOPLE: dict(CODE_TABLES),
        ImportKind.ORGANISATIONS: {**ORGANISATION_CODE_TABLES, "has_trade_union": YES_NO,
                                   "has_party_organisation": YES_NO},
        ImportKind.BUILDINGS: dict(BUILDING_CODE_TABLES),
        ImportKind.RENTALS: dict(RENTAL_CODE_TABLES)}
    return {name: _inverse(table, codes=codes) for name, table in by_kind[profile.kind].items()}


# --- the records, as {field: value} ----------------------------------------------------

def _batches(queryset: models.QuerySet[Any]) -> Iterator[list[Any]]:
    """The queryset in primary-key order, a batch at a time (keyset: each batch one query
    on the index, whatever the table's size)."""
    after = 0
    while True:
        batch = list(queryset.filter(pk__gt=after).order_by("pk")[:BATCH])
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        after = batch[-1].pk


def _people(area: Area, profile: Profile, actor: User,
            revealed: bool) -> Iterator[dict[str, Any]]:
    people = Person.objects.restrict(actor, "view").filter(
        grid_code__startswith=area.code, status=PersonStatus.ACTIVE)
    if profile.defaults.get("kind"):
        people = people.filter(kind=profile.defaults["kind"])
    # where each lives now: an open residence the exporter may read, in the area (the row
    # must import again into the same area), the latest if several
    homes = Residence.objects.restrict(actor, "view").filter(
        until__isnull=True, grid_code__startswith=area.code).select_related(
        "room__building").order_by("person_id", "-since", "-id")
    for batch in _batches(people):
        home: dict[int, Residence] = {}
        for residence in homes.filter(person_id__in=[p.pk for p in batch]):
            home.setdefault(residence.person_id, residence)
        for person in batch:
            row = {
                "id_number": unseal(person.id_number_encrypted) if revealed
                else person.id_number_masked,
                "document_type": person.document_type, "name": person.name,
                "sex": person.sex, "birth_date": person.birth_date,
                "ethnicity": person.ethnicity,
                "phone": unseal(person.phone_encrypted) if revealed else person.phone_masked,
                "kind": person.kind, "hukou_code": person.hukou_code,
                "nationality": person.nationality, "stay_purpose": person.stay_purpose,
                "education": person.education, "occupation": person.occupation,
                "area_code": person.grid_code,
            }
            now = home.get(person.pk)
            if now is not None:
                room = now.room
                row.update(area_code=room.grid_code, address=room.address,
                           building_code=room.building.code, unit=room.unit, floor=room.floor,
                           room_number=room.number, residence_kind=now.kind, since=now.since)
            yield row


def _organisations(area: Area, actor: User) -> Iterator[dict[str, Any]]:
    organisations = Organisation.objects.restrict(actor, "view").filter(
        grid_code__startswith=area.code, active=True).select_related("building")
    for batch in _batches(organisations):
        for o in batch:
            yield {"credit_code": o.credit_code or "", "name": o.name, "kind": o.kind,
                   "authority": o.authority, "area_code": o.grid_code,
                   "building_code": o.building.code if o.building else "",
                   "address": o.address, "staff_count": o.staff_count,
                   "has_trade_union": o.has_trade_union,
                   "has_party_organisation": o.has_party_organisation}


def _buildings(area: Area, actor: User) -> Iterator[dict[str, Any]]:
    buildings = Building.objects.restrict(actor, "view").filter(
        grid_code__startswith=area.code)
    for batch in _batches(buildings):
        for b in batch:
            yield {"area_code": b.grid_code, "name": b.name, "road": b.road,
                   "house_number": b.house_number, "use": b.use,
                   "floors_above": b.floors_above, "floors_below": b.floors_below,
                   "units": b.units, "built_year": b.built_year, "lng": b.lng, "lat": b.lat}


def _rentals(area: Area, actor: User, revealed: bool) -> Iterator[dict[str, Any]]:
    """The rooms let out, with their lessors: a lessor's document number in clear only when
    revealed and the lessor is someone the exporter may see (else masked)."""
    rentals = Rental.objects.restrict(actor, "view").filter(
        grid_code__startswith=area.code, active=True).select_related(
        "room__building", "lessor_person", "lessor_organisation")
    for batch in _batches(rentals):
        visible = set(Person.objects.restrict(actor, "view").filter(
            pk__in=[r.lessor_person_id for r in batch if r.lessor_person_id]).values_list(
            "pk", flat=True)) if revealed else set()
        for r in batch:
            person, room = r.lessor_person, r.room
            yield {
                "address": room.address, "building_code": room.building.code,
                "unit": room.unit, "floor": room.floor, "room_number": room.number,
                "lessor_id_number": "" if person is None else (
                    unseal(person.id_number_encrypted) if person.pk in visible
                    else person.id_number_masked),
                "lessor_document_type": person.document_type if person else "",
                "lessor_credit_code": (r.lessor_organisation.credit_code or ""
                                       if r.lessor_organisation else ""),
                "occupant_limit": r.occupant_limit, "filing_number": r.filing_number,
                "lease_start": r.lease_start, "lease_end": r.lease_end, "purpose": r.purpose,
                "fire_exits": r.fire_exits,
                "responsibility_signed_on": r.responsibility_signed_on}


def _cells(records: Iterator[dict[str, Any]], columns: list[Column],
           writers: dict[str, dict[Any, str]]) -> Iterator[list[Any]]:
    """Each record as the cells of its row: a coded value as the profile writes it, a
    date as YYYY-MM-DD, a number as a number, text guarded against formula injection,
    nothing as blank."""
    for record in records:
        cells: list[Any] = []
        for column in columns:
            value = record.get(column.field)
            if column.field in writers and value not in (None, ""):
                value = writers[column.field].get(value, value)
            if value is None:
                value = ""
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            cells.append(cell_text(value))
        yield cells


# --- the file ----------------------------------------------------------------------------

def _write_csv(out: IO[bytes], header: list[str], rows: Iterator[list[Any]]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()  # (the binary file stays open for the caller)
    return count


def _write_xlsx(out: IO[bytes], header: list[str], rows: Iterator[list[Any]],
                title: str) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(name) + 2)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cells.append(cell)
    sheet.append(cells)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    book.save(out)
    return count


def _refuse(*, area: Area, kind: str, profile: str, file_format: str, actor: User,
            reveal_reason: str) -> Profile:
    """Every rule of an export, checked before anything is read or written."""
    scope = get_scope(actor)
    models_of = {ImportKind.PEOPLE: Person, ImportKind.ORGANISATIONS: Organisation,
                 ImportKind.BUILDINGS: Building, ImportKind.RENTALS: Rental}
    if not scope.can(EXPORT_PERMISSION) or not scope.covers_code(area.code):
        raise PermissionDenied
    if reveal_reason.strip() and not scope.can(REVEAL_PERMISSION):
        raise PermissionDenied
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("请选择数据类型。")})
    model: type[Model] = models_of[ImportKind(kind)]
    if not user_can(actor, model, "view"):
        raise PermissionDenied
    chosen = PROFILES.get(profile)
    if chosen is None:
        raise ValidationError({"profile": _("请选择映射方案。")})
    if chosen.kind != kind:
        raise ValidationError({"profile": _("该映射方案不适用于所选数据类型。")})
    if file_format not in ExportFormat.values:
        raise ValidationError({"file_format": _("请选择文件格式。")})
    if reveal_reason.strip() and kind not in (ImportKind.PEOPLE, ImportKind.RENTALS):
        raise ValidationError({"reveal_reason": _(
            "只有实有人口和出租房屋(出租人)含加密的证件号码;导出单位或楼栋无需填写理由。")})
    if len(reveal_reason.strip()) > REASON_LIMIT:
        raise ValidationError({"reveal_reason": _("理由不能超过 %(n)d 个字。") % {
            "n": REASON_LIMIT}})
    return chosen


def registry_export(*, area: Area, kind: str, profile: str, file_format: str, actor: User,
                    reveal_reason: str = "") -> ExportFile:
    """The area's people, organisations or buildings that `actor` may read, written in
    `profile`'s columns as CSV or XLSX; masked unless a reason is given by someone who may
    reveal (then in clear). One audit entry for the export (count, area, profile, format,
    whether revealed and why). Refused (PermissionDenied, ValidationError) before anything
    is read or written: no export permission or the area outside the exporter's
    jurisdiction, a reason without the reveal permission, a profile of another kind."""
    chosen = _refuse(area=area, kind=kind, profile=profile, file_format=file_format,
                     actor=actor, reveal_reason=reveal_reason)
    reason = reveal_reason.strip()
    revealed = bool(reason)
    columns = export_columns(chosen)
    records: Iterator[dict[str, Any]]
    if kind == ImportKind.PEOPLE:
        records = _people(area, chosen, actor, revealed)
    elif kind == ImportKind.ORGANISATIONS:
        records = _organisations(area, actor)
    elif kind == ImportKind.RENTALS:
        records = _rentals(area, actor, revealed)
    else:
        records = _buildings(area, actor)
    rows = _cells(records, columns, _writers(chosen))
    header = [c.header for c in columns]
    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the caller, who closes it)
    try:
        if file_format == ExportFormat.XLSX:
            count = _write_xlsx(out, header, rows, str(ImportKind(kind).label))
        else:
            count = _write_csv(out, header, rows)
        out.seek(0)
        details: dict[str, object] = {
            "area": area.code, "kind": kind, "profile": chosen.code, "format": file_format,
            "count": count, "revealed": revealed}
        if revealed:
            details.update(fields=["id_number", "phone"] if kind == ImportKind.PEOPLE
                           else ["lessor_id_number"], reason=reason)
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_EXPORTED, subject=area,
                     subject_repr=area.code, details=details)
    except BaseException:
        out.close()
        raise
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"registry-{kind}-{area.code}-{chosen.code}{'-revealed' if revealed else ''}" \
           f"-{stamp}.{file_format}"
    return ExportFile(file=out, name=name, content_type=CONTENT_TYPES[ExportFormat(file_format)],
                      rows=count, revealed=revealed)
