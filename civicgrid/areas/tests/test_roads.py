"""Importing the roads of the local base map (areas/roadfiles.py, services.roads_import):
a good file is imported with its audit entry; every hostile file is refused with a message
that says why, and nothing changes."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.areas import roadfiles
from civicgrid.areas.coords import to_wgs84
from civicgrid.areas.models import Road, RoadImport, RoadImportMode, RoadKind
from civicgrid.areas.services import road_import_remove, roads_import
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.models import AuditEntry


def feature(coordinates, name="人民路", kind="primary", geometry_type="LineString"):
    return {"type": "Feature", "properties": {"name": name, "kind": kind},
            "geometry": {"type": geometry_type, "coordinates": coordinates}}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


GOOD = collection(
    feature([[120.80, 31.92], [120.85, 31.92], [120.90, 31.925]]),
    feature([[[120.81, 31.90], [120.81, 31.94]], [[120.82, 31.90], [120.82, 31.93]]],
            name="桃坞巷", kind="街巷", geometry_type="MultiLineString"),
    {"type": "Feature", "properties": {"NAME": "Riverside Path", "highway": "footway"},
     "geometry": {"type": "LineString", "coordinates": [[120.83, 31.91], [120.84, 31.915]]}},
    {"type": "Feature", "properties": None,
     "geometry": {"type": "LineString", "coordinates": [[120.83, 31.95], [120.84, 31.95]]}},
)


def encode(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def state() -> tuple:
    """Everything an import could change."""
    return (list(Road.objects.order_by("id").values_list()),
            list(RoadImport.objects.order_by("id").values_list()),
            AuditEntry.objects.filter(event_type__startswith="roads.").count())


@pytest.fixture
def admin(world):
    return world.users[Role.ADMINISTRATOR]


@pytest.fixture
def existing(admin):
    """Roads imported before: what a refused import must leave as it was."""
    result = roads_import(content=encode(collection(feature([[120.7, 31.8], [120.75, 31.8]],
                                                            name="旧路"))),
                          file_name="old.geojson", mode=RoadImportMode.REPLACE, actor=admin)
    assert result.ok
    return RoadImport.objects.get()


def test_a_good_file_is_imported_with_its_audit_entry(admin, existing):
    result = roads_import(content=encode(GOOD), file_name="城东街道道路.geojson",
                          mode=RoadImportMode.REPLACE, actor=admin)
    assert result.ok and result.errors == []
    imported = RoadImport.objects.get()  # (replace: the old import went)
    assert (imported.file_name, imported.roads, imported.vertices, imported.imported_by) == (
        "城东街道道路.geojson", 4, 3 + 4 + 2 + 2, admin)
    assert imported.sha256 == result.sha256 and len(imported.sha256) == 64
    roads = {r.name: r for r in Road.objects.filter(source=imported)}
    assert set(roads) == {"人民路", "桃坞巷", "Riverside Path", ""}
    assert [roads[n].kind for n in ("人民路", "桃坞巷", "Riverside Path", "")] == [
        RoadKind.MAJOR, RoadKind.LANE, RoadKind.PATH, RoadKind.MINOR]
    main = roads["人民路"]
    assert (main.west, main.south, main.east, main.north) == (120.80, 31.92, 120.90, 31.925)
    assert main.geometry == {"type": "LineString",
                             "coordinates": [[120.8, 31.92], [120.85, 31.92], [120.9, 31.925]]}
    entry = AuditEntry.objects.filter(event_type=AuditEventType.ROADS_IMPORTED).latest("id")
    assert entry.actor == admin and entry.subject_id == str(imported.pk)
    assert entry.details["roads"] == 4 and entry.details["replaced_roads"] == 1
    assert entry.details["sha256"] == imported.sha256 and entry.details["mode"] == "replace"


def test_add_keeps_the_roads_and_refuses_the_same_file_twice(admin, existing):
    before = state()
    result = roads_import(content=encode(GOOD), file_name="more.geojson",
                          mode=RoadImportMode.ADD, actor=admin)
    assert result.ok
    assert Road.objects.count() == 1 + 4 and RoadImport.objects.count() == 2
    again_state = state()
    again = roads_import(content=encode(GOOD), file_name="more-again.geojson",
                         mode=RoadImportMode.ADD, actor=admin)
    assert not again.ok and "已于" in again.errors[0] and "more.geojson" in again.errors[0]
    assert state() == again_state
    assert before != again_state


def test_removing_an_import_removes_its_roads_with_an_audit_entry(admin, existing):
    assert road_import_remove(road_import=existing, actor=admin) == 1
    assert Road.objects.count() == RoadImport.objects.count() == 0
    entry = AuditEntry.objects.filter(event_type=AuditEventType.ROADS_REMOVED).get()
    assert entry.details == {"file_name": "old.geojson", "sha256": existing.sha256, "roads": 1}


def test_only_area_administrators_import(world, existing):
    before = state()
    for role in (Role.SUPERVISOR, Role.GRID_WORKER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            roads_import(content=encode(GOOD), file_name="x.geojson",
                         mode=RoadImportMode.ADD, actor=world.users[role])
        with pytest.raises(PermissionDenied):
            road_import_remove(road_import=existing, actor=world.users[role])
    assert state() == before


def test_gcj02_roads_are_converted_to_wgs84(admin):
    gcj = [[120.8543, 31.9521], [120.8643, 31.9571]]
    result = roads_import(content=encode(collection(feature(gcj))), file_name="amap.geojson",
                          mode=RoadImportMode.REPLACE, actor=admin, coordinate_system="gcj02")
    assert result.ok
    stored = Road.objects.get().geometry["coordinates"]
    for (lng, lat), (x, y) in zip(gcj, stored, strict=True):
        wgs = to_wgs84(lng, lat, "gcj02")
        assert (x, y) == (round(wgs[0], 7), round(wgs[1], 7))
        assert abs(x - lng) > 0.003  # (a few hundred metres west: really converted)


HOSTILE = [
    ("not utf-8", b"\xff\xfe{\x00", "UTF-8"),
    ("not json", b'{"type": "FeatureCollection", "features": [', "不是有效的 JSON"),
    ("nan", b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
            b'{"type": "LineString", "coordinates": [[NaN, 31.9], [120.8, 31.9]]}}]}', "NaN"),
    ("infinity", b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
                 b'{"type": "LineString", "coordinates": [[1e999, 31.9], [120.8, 31.9]]}}]}',
     "有限"),
    ("deep nesting", b"[" * 200_000 + b"]" * 200_000, "嵌套"),
    ("a list", b"[1, 2, 3]", "FeatureCollection"),
    ("a bare geometry", encode({"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
     "FeatureCollection"),
    ("no features", encode(collection()), "没有道路要素"),
    ("a point", encode(collection(feature([120.8, 31.9], geometry_type="Point"))),
     "几何类型 Point"),
    ("a polygon", encode(collection(feature([[[120.8, 31.9], [120.9, 31.9], [120.9, 32.0],
                                              [120.8, 31.9]]], geometry_type="Polygon"))),
     "只接受 LineString"),
    ("no geometry", encode(collection({"type": "Feature", "properties": {}, "geometry": None})),
     "缺少几何"),
    ("not a feature", encode(collection({"type": "Road"})), "不是 GeoJSON 要素"),
    ("longitude out of range", encode(collection(feature([[190.0, 31.9], [120.8, 31.9]]))),
     "超出经纬度范围"),
    ("projected metres", encode(collection(feature([[512345.6, 3534567.8],
                                                    [512445.6, 3534567.8]]))),
     "不能是投影坐标"),
    ("z values", encode(collection(feature([[120.8, 31.9, 12.5], [120.9, 31.9, 13.0]]))),
     "高程"),
    ("text coordinates", encode(collection(feature([["120.8", "31.9"], [120.9, 31.9]]))),
     "必须是数字"),
    ("boolean coordinates", encode(collection(feature([[True, False], [120.9, 31.9]]))),
     "必须是数字"),
    ("one point", encode(collection(feature([[120.8, 31.9]]))), "两个不同的点"),
    ("same point twice", encode(collection(feature([[120.8, 31.9], [120.8, 31.9]]))),
     "两个不同的点"),
    ("empty multiline", encode(collection(feature([], geometry_type="MultiLineString"))),
     "线的数组"),
    ("name too long", encode(collection(feature([[120.8, 31.9], [120.9, 31.9]],
                                                name="路" * 101))), "名称超过 100"),
    ("one bad among good", encode(collection(*GOOD["features"],
                                             feature([[120.8, 91.0], [120.9, 31.9]]))),
     "第 5 个要素"),
]


@pytest.mark.parametrize("content, message", [(c, m) for _n, c, m in HOSTILE],
                         ids=[n for n, _c, _m in HOSTILE])
def test_a_hostile_file_is_refused_with_a_message_and_changes_nothing(admin, existing, content,
                                                                      message):
    before = state()
    for mode in RoadImportMode.values:
        result = roads_import(content=content, file_name="bad.geojson", mode=mode, actor=admin)
        assert not result.ok and result.roads == []
        assert any(message in e for e in result.errors), result.errors
        assert state() == before


def test_limits_refuse_huge_files_and_too_many_features_or_vertices(admin, existing,
                                                                    monkeypatch):
    before = state()
    monkeypatch.setattr(roadfiles, "MAX_FILE_BYTES", 1000)
    big = encode(collection(*[feature([[120.8, 31.9], [120.9, 31.9 + i / 1000]])
                              for i in range(30)]))
    result = roads_import(content=big, file_name="big.geojson", mode="replace", actor=admin)
    assert not result.ok and "MB" in result.errors[0]
    monkeypatch.setattr(roadfiles, "MAX_FILE_BYTES", 10**8)
    monkeypatch.setattr(roadfiles, "MAX_FEATURES", 10)
    result = roads_import(content=big, file_name="big.geojson", mode="replace", actor=admin)
    assert not result.ok and "超过 10 个" in result.errors[0]
    monkeypatch.setattr(roadfiles, "MAX_FEATURES", 1000)
    monkeypatch.setattr(roadfiles, "MAX_VERTICES_PER_ROAD", 3)
    long_road = encode(collection(feature([[120.8 + i / 1000, 31.9] for i in range(4)])))
    result = roads_import(content=long_road, file_name="long.geojson", mode="replace",
                          actor=admin)
    assert not result.ok and "顶点超过 3 个" in result.errors[0]
    monkeypatch.setattr(roadfiles, "MAX_VERTICES_PER_ROAD", 10_000)
    monkeypatch.setattr(roadfiles, "MAX_VERTICES", 50)
    result = roads_import(content=big, file_name="big.geojson", mode="replace", actor=admin)
    assert not result.ok and "顶点总数超过 50" in result.errors[-1]
    assert state() == before


def test_many_problems_are_listed_up_to_a_limit(admin):
    bad = encode(collection(*[feature([[200.0, 31.9], [120.9, 31.9]]) for _ in range(50)]))
    result = roads_import(content=bad, file_name="bad.geojson", mode="replace", actor=admin)
    assert len(result.errors) == roadfiles.MAX_ERRORS and result.more_errors == 30


def test_an_unknown_mode_is_refused(admin, existing):
    before = state()
    result = roads_import(content=encode(GOOD), file_name="x.geojson", mode="merge", actor=admin)
    assert not result.ok and "导入方式无效" in result.errors[0]
    assert state() == before


# --- the page -----------------------------------------------------------------------------

def _upload(content: bytes, name: str = "roads.geojson") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/geo+json")


def test_the_roads_page_imports_lists_and_removes(admin, existing):
    client = Client()
    client.force_login(admin)
    url = reverse("areas:roads")
    page = client.get(url)
    assert page.status_code == 200 and "old.geojson" in page.content.decode()
    response = client.post(url, {"file": _upload(encode(GOOD)), "mode": "add",
                                 "coordinate_system": "wgs84"})
    assert response.status_code == 302
    assert Road.objects.count() == 5
    listed = client.get(url).content.decode()
    assert "roads.geojson" in listed and "4 条道路" in listed
    latest = RoadImport.objects.latest("id")
    response = client.post(reverse("areas:road_import_remove"), {"import": latest.pk})
    assert response.status_code == 302 and Road.objects.count() == 1
    # An import that is gone already: said so, nothing else happens.
    response = client.post(reverse("areas:road_import_remove"), {"import": latest.pk},
                           follow=True)
    assert "该导入已不存在" in response.content.decode()


def test_the_roads_page_shows_why_a_file_is_refused_and_changes_nothing(admin, existing,
                                                                       monkeypatch):
    client = Client()
    client.force_login(admin)
    before = state()
    response = client.post(reverse("areas:roads"), {
        "file": _upload(encode(collection(feature([[120.8, 31.9, 5.0], [120.9, 31.9, 5.0]])))),
        "mode": "replace", "coordinate_system": "wgs84"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "未导入,现有道路没有任何改动" in text and "高程" in text
    assert state() == before
    # A file over the limit is refused before it is read.
    monkeypatch.setattr("civicgrid.areas.forms.MAX_FILE_BYTES", 100)
    response = client.post(reverse("areas:roads"), {"file": _upload(encode(GOOD)),
                                                    "mode": "replace",
                                                    "coordinate_system": "wgs84"})
    assert response.status_code == 400 and "分区域导出" in response.content.decode()
    assert state() == before


def test_others_may_not_open_the_roads_page(world):
    for role in (Role.SUPERVISOR, Role.GRID_WORKER, Role.LEADER, Role.AUDITOR):
        client = Client()
        client.force_login(world.users[role])
        assert client.get(reverse("areas:roads")).status_code == 403
        assert client.post(reverse("areas:road_import_remove"), {"import": 1}).status_code == 403


def test_the_command_imports_the_demo_roads(db):
    call_command("import_roads", "--demo", stdout=io.StringIO())
    imported = RoadImport.objects.get()
    assert imported.imported_by is None and imported.roads > 30
    assert Road.objects.filter(kind=RoadKind.MAJOR).exists()
    assert AuditEntry.objects.filter(event_type=AuditEventType.ROADS_IMPORTED,
                                     actor_username="system").count() == 1
