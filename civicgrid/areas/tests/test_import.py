import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.areas.models import Area
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import square


def feature(code, name, geometry=None, **props):
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": code, "name": name, **props}}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


BASE = [
    feature("32", "江苏省"), feature("3206", "南通市"),
    feature("320602", "崇川区", square(120.8, 31.9, 0.2)),
    feature("320602001", "城东街道", square(120.8, 31.9, 0.1)),
    feature("320602001001", "桃坞社区", square(120.8, 31.9, 0.1), urban_rural_class="111"),
]


def run(tmp_path, data, *args):
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_areas", str(path), *args, stdout=out, stderr=err)
    return out.getvalue()


def test_import_creates_the_tree_and_reports_gaps(db, tmp_path):
    data = collection(*BASE,
                      feature("320602001001001", "第1网格", square(120.8, 31.9, 0.05),
                              population=1000, households=400),
                      feature("320602001001002", "第2网格", square(120.85, 31.9, 0.05)))
    out = run(tmp_path, data)
    assert "7 created" in out
    grid = Area.objects.get(code="320602001001001")
    assert grid.parent.code == "320602001001" and grid.level == "grid"
    assert grid.population == 1000 and grid.centroid_lng == pytest.approx(120.825)
    # The two grids cover only the southern half of the community: a gap is reported.
    assert "gap: grids of 320602001001" in out
    assert AuditEntry.objects.filter(event_type="area.imported").count() == 1
    # A second import updates in place and adds nothing.
    out = run(tmp_path, data)
    assert "0 created, 7 updated" in out
    assert Area.objects.count() == 7


def test_overlapping_grids_are_reported_and_refused_when_strict(db, tmp_path):
    data = collection(*BASE,
                      feature("320602001001001", "第1网格", square(120.80, 31.9, 0.1)),
                      feature("320602001001002", "第2网格", square(120.85, 31.9, 0.05)))
    with pytest.raises(CommandError, match="nothing was imported"):
        run(tmp_path, data, "--strict")
    assert Area.objects.count() == 0
    out = run(tmp_path, data)
    assert "overlap: 320602001001001 × 320602001001002" in out


@pytest.mark.parametrize("bad, message", [
    (feature("3206020010010011", "too long"), "2/4/6/9/12/15"),
    (feature("32060200100A", "letters"), "2/4/6/9/12/15"),
    (feature("320602001002001", "orphan grid"), "320602001002"),
    (feature("320602001001001", "wrong parent", parent_code="320602001009"), "前缀"),
    (feature("320602001001001", "bad level", level="street"), "9"),
    (feature("320602001001001", "bad polygon",
             {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
     "边界无效"),
])
def test_bad_codes_change_nothing(db, tmp_path, bad, message):
    with pytest.raises(CommandError):
        out = StringIO()
        path = tmp_path / "a.geojson"
        path.write_text(json.dumps(collection(*BASE, bad), ensure_ascii=False))
        err = StringIO()
        try:
            call_command("import_areas", str(path), stdout=out, stderr=err)
        finally:
            assert message in err.getvalue(), err.getvalue()
    assert Area.objects.count() == 0


def test_not_a_feature_collection(db, tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path, {"type": "Feature"})
