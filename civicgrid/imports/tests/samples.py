"""The imports' records for the permission-matrix test (civicgrid.testing.SAMPLES): a checked
run for street A (in every street-A user's scope) and one for street B, each uploaded by the
administrator, whose imports cover the deployment."""

from __future__ import annotations

import io

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.imports.models import ImportRun
from civicgrid.imports.services import import_check, import_upload
from civicgrid.testing import register_samples

ROWS = "公民身份号码,姓名,人口类型,网格代码\r\n11010519491231002X,张三,户籍人口,{grid}\r\n"


def sample_run(world, street: Area, grid: Area) -> ImportRun:
    existing = ImportRun.objects.filter(area=street).first()
    if existing:
        return existing
    run = import_upload(area=street, profile="civicgrid-people", mode="update",
                        file_name="people.csv",
                        content=io.BytesIO(ROWS.format(grid=grid.code).encode()),
                        actor=world.users[Role.ADMINISTRATOR], start=False)
    return import_check(run.pk)


register_samples(ImportRun, lambda w: sample_run(w, w.street_a, w.grid_a1),
                 lambda w: sample_run(w, w.street_b, w.grid_b1))
