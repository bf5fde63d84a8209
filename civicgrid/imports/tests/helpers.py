"""Files and runs for the import tests: CSV (UTF-8 or GB18030) and XLSX written from rows
stated by hand, put through upload and check as the job would."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from civicgrid.imports.models import ImportRun
from civicgrid.imports.services import import_apply, import_apply_job, import_check, import_upload
from civicgrid.registry.models import Building, Room
from civicgrid.registry.services import BuildingInput, building_create


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def checked(*, actor, area, content: bytes, profile: str = "civicgrid-people",
            mode: str = "update", name: str = "people.csv") -> ImportRun:
    run = import_upload(area=area, profile=profile, mode=mode, file_name=name,
                        content=io.BytesIO(content), actor=actor, start=False)
    return import_check(run.pk)


def applied(run: ImportRun, actor) -> ImportRun:
    run = import_apply(run=run, actor=actor, version=run.version, start=False)
    return import_apply_job(run.pk)


def building(world, grid=None, name="1幢") -> Building:
    """A building with 2 floors × 2 rooms (101 102 201 202), unit 1."""
    from civicgrid.accounts.roles import Role

    return building_create(grid=grid or world.grid_a1, actor=world.users[Role.SUPERVISOR],
                           data=BuildingInput(name=name, floors_above=2, units=1,
                                              rooms_per_floor=2))


def room(b: Building, number: str) -> Room:
    return b.rooms.get(number=number)
