"""Exporting an area's registry (imports/exports.py): the rows stated by hand, masked and
revealed, the refusals that write nothing, scope, the round trip through the import (every
profile, CSV and XLSX: no change), the query count, the page."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.accounts.roles import PERMISSIONS, Role
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.models import AuditEntry
from civicgrid.core.idnumbers import check_digit
from civicgrid.imports.exports import ExportFile, registry_export
from civicgrid.imports.models import ImportChange, ImportStatus
from civicgrid.imports.profiles import PROFILES
from civicgrid.imports.tests.helpers import applied, checked
from civicgrid.registry.models import (
    Building,
    Organisation,
    Person,
    Rental,
    Residence,
    Room,
)
from civicgrid.registry.services import (
    BuildingInput,
    OrganisationInput,
    PersonInput,
    RentalInput,
    building_create,
    organisation_create,
    person_create,
    person_leave,
    rental_record,
)

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"  # 1949-12-31, female


def cid(first17: str) -> str:
    return first17 + check_digit(first17)


ID_B = cid("32060219800101001")  # 1980-01-01, male
ID_C = cid("32060219900505002")
ID_OUT = cid("32060219700101003")
CREDIT = "91350100M000100Y43"
PEOPLE_HEADER = ["公民身份号码", "证件类型", "姓名", "性别", "出生日期", "民族", "联系电话",
                 "人口类型", "户籍地行政区划代码", "国籍", "来居住地事由", "学历", "职业",
                 "网格代码", "现居住地址", "楼栋编码", "单元", "楼层", "室号", "居住方式",
                 "入住日期"]


@dataclass
class Registry:
    b1: Building
    b2: Building
    zhang: Person
    li: Person
    alice: Person


def _registry(world) -> Registry:
    """Street A: grid A1 has building 1幢 (with a point; rooms 101 102 201 202) where 张三
    lives (居住, 101) and 李四 rents (租住, 201), an enterprise in 1幢 and 赵六, who moved
    away; grid A2 a shop building and ALICE SMITH (境外, no room) and a 社区社会组织.
    Grid B1 (street B): a building, 王五 and an organisation of another grid worker."""
    sup, outsider = world.users[Role.SUPERVISOR], world.outsider
    b1 = building_create(grid=world.grid_a1, actor=sup, data=BuildingInput(
        name="1幢", road="人民路", house_number="1号", floors_above=2, units=1,
        rooms_per_floor=2, lng=120.81, lat=31.91, built_year=1998))
    b2 = building_create(grid=world.grid_a2, actor=sup, data=BuildingInput(
        name="商铺", use="commercial", road="和平路", house_number="8号", floors_above=1,
        floors_below=1))
    b_out = building_create(grid=world.grid_b1, actor=outsider, data=BuildingInput(
        name="外1幢", floors_above=1, rooms_per_floor=1))
    zhang = person_create(grid=world.grid_a1, actor=sup, room=b1.rooms.get(number="101"),
                          since=date(2020, 5, 1), data=PersonInput(
                              name="张三", kind="registered", id_number=VALID_ID,
                              phone="13800138000", ethnicity="汉族", hukou_code="110105",
                              education="bachelor", occupation="教师"))
    li = person_create(grid=world.grid_a1, actor=sup, room=b1.rooms.get(number="201"),
                       residence_kind="renting", since=date(2023, 3, 1), data=PersonInput(
                           name="李四", kind="floating", id_number=ID_B, stay_purpose="work",
                           occupation="司机"))
    alice = person_create(grid=world.grid_a2, actor=sup, data=PersonInput(
        name="ALICE SMITH", kind="foreign", sex="female", birth_date=date(1990, 1, 1),
        document_type="passport", id_number="E12345678", nationality="USA",
        stay_purpose="study"))
    gone = person_create(grid=world.grid_a1, actor=sup, data=PersonInput(
        name="赵六", kind="registered", id_number=ID_C))
    person_leave(person=gone, status="moved_away", reason="迁往外地", actor=sup)
    person_create(grid=world.grid_b1, actor=outsider, room=b_out.rooms.get(),
                  data=PersonInput(name="王五", kind="floating", id_number=ID_OUT))
    organisation_create(grid=world.grid_a1, actor=sup, data=OrganisationInput(
        name="桃坞科技有限公司", kind="enterprise", credit_code=CREDIT, building=b1,
        staff_count=12, has_trade_union=True))
    organisation_create(grid=world.grid_a2, actor=sup, data=OrganisationInput(
        name="桃坞书画社", kind="community_group", address="和平路8号"))
    organisation_create(grid=world.grid_b1, actor=outsider, data=OrganisationInput(
        name="濠西书画社", kind="community_group"))
    # rentals: 张三 lets 201 (where 李四 rents), the enterprise lets 102
    rental_record(room=b1.rooms.get(number="201"), actor=sup, data=RentalInput(
        occupant_limit=3, lessor_person=zhang, filing_number="ZL2026-0001",
        lease_start=date(2023, 3, 1), responsibility_signed_on=date(2023, 3, 1)))
    rental_record(room=b1.rooms.get(number="102"), actor=sup, data=RentalInput(
        occupant_limit=2, purpose="storage", fire_exits=2,
        lessor_organisation=Organisation.objects.get(credit_code=CREDIT)))
    return Registry(b1=b1, b2=b2, zhang=zhang, li=li, alice=alice)


@pytest.fixture
def registry(world) -> Registry:
    return _registry(world)


def _rows(export: ExportFile) -> list[list[str]]:
    data = export.file.read()
    if export.name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(data), read_only=True)
        return [["" if v is None else str(v) for v in row]
                for row in book.worksheets[0].iter_rows(values_only=True)]
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _exports():
    return AuditEntry.objects.filter(event_type=AuditEventType.REGISTRY_EXPORTED)


def _export(world, **kw) -> ExportFile:
    args = {"area": world.street_a, "kind": "people", "profile": "civicgrid-people",
            "file_format": "csv", "actor": world.users[Role.SUPERVISOR], **kw}
    return registry_export(**args)


def _address(b: Building, number: str) -> str:
    return b.rooms.get(number=number).address


def test_masked_people_export_row_by_row(world, registry):
    export = _export(world)
    b1 = registry.b1
    assert export.rows == 3 and not export.revealed
    assert export.name == f"registry-people-320602001-civicgrid-people-" \
                          f"{timezone.localdate():%Y%m%d}.csv"
    assert _rows(export) == [
        PEOPLE_HEADER,
        ["110*************2X", "居民身份证", "张三", "女", "1949-12-31", "汉族", "138****8000",
         "户籍人口", "110105", "", "", "大学本科", "教师", "320602001001001",
         _address(b1, "101"), b1.code, "1", "1", "101", "居住", "2020-05-01"],
        ["320*************" + ID_B[-2:], "居民身份证", "李四", "男", "1980-01-01", "", "",
         "流动人口", "", "", "务工经商", "", "司机", "320602001001001", _address(b1, "201"),
         b1.code, "1", "2", "201", "租住", "2023-03-01"],
        ["E12****78", "护照", "ALICE SMITH", "女", "1990-01-01", "", "", "境外人员", "", "USA",
         "学习培训", "", "", "320602001001002", "", "", "", "", "", "", ""],
    ]  # not 赵六 (moved away), not 王五 (street B)
    entry = _exports().get()
    assert (entry.actor, entry.subject_type, entry.subject_id) == (
        world.users[Role.SUPERVISOR], "areas.area", str(world.street_a.pk))
    assert entry.details == {"area": "320602001", "kind": "people",
                             "profile": "civicgrid-people", "format": "csv", "count": 3,
                             "revealed": False}
    assert not AuditEntry.objects.filter(event_type=AuditEventType.PII_REVEALED).exists()


def test_revealed_export_gives_the_clear_values_and_one_audit_entry(world, registry):
    before = AuditEntry.objects.count()
    export = _export(world, file_format="xlsx", reveal_reason="  向派出所报送流动人口信息  ")
    rows = _rows(export)
    assert export.revealed
    assert export.name.endswith(f"-revealed-{timezone.localdate():%Y%m%d}.xlsx")
    assert [(r[0], r[6]) for r in rows[1:]] == [(VALID_ID, "13800138000"), (ID_B, ""),
                                                ("E12345678", "")]
    assert AuditEntry.objects.count() == before + 1  # one entry for the export, none a row
    assert _exports().get().details == {
        "area": "320602001", "kind": "people", "profile": "civicgrid-people",
        "format": "xlsx", "count": 3, "revealed": True, "fields": ["id_number", "phone"],
        "reason": "向派出所报送流动人口信息"}


def test_xlsx_keeps_codes_as_text_and_guards_formulas(world, registry):
    Person.objects.filter(pk=registry.li.pk).update(occupation="=1+1")
    rows = _rows(_export(world, file_format="xlsx", profile="gat1749-floating"))
    # GA/T 1749: floating residents only, the standard's codes (性别 1, 证件 111, 事由 01,
    # 居住处所 02) and no 人口类型 column (the profile says 流动人口)
    assert rows[0] == [h for h in PEOPLE_HEADER if h != "人口类型"]
    assert rows[1:] == [["320*************" + ID_B[-2:], "111", "李四", "1", "1980-01-01", "",
                         "", "", "", "01", "", "'=1+1", "320602001001001",
                         _address(registry.b1, "201"), registry.b1.code, "1", "2", "201",
                         "02", "2023-03-01"]]


def test_organisations_and_buildings_row_by_row(world, registry):
    rows = _rows(_export(world, kind="organisations", profile="civicgrid-organisations"))
    b1 = registry.b1
    assert rows == [
        ["统一社会信用代码", "单位名称", "单位类型", "登记管理机关", "网格代码", "楼栋编码",
         "单位地址", "从业人数", "建立工会", "建立党组织"],
        [CREDIT, "桃坞科技有限公司", "企业", "市场监督管理部门", "320602001001001", b1.code,
         b1.address, "12", "是", "否"],
        ["", "桃坞书画社", "社区社会组织", "民政部门", "320602001001002", "", "和平路8号", "", "否",
         "否"],
    ]
    rows = _rows(_export(world, kind="buildings", profile="civicgrid-buildings",
                         file_format="xlsx"))
    assert rows == [
        ["网格代码", "楼栋名称", "街路巷", "门牌号", "楼栋用途", "地上层数", "地下层数", "单元数",
         "建成年份", "经度", "纬度"],
        ["320602001001001", "1幢", "人民路", "1号", "住宅", "2", "0", "1", "1998", "120.81",
         "31.91"],
        ["320602001001002", "商铺", "和平路", "8号", "商业", "1", "1", "1", "", "", ""],
    ]
    assert _exports().count() == 2


def test_refusals_write_nothing_and_audit_nothing(world, registry, monkeypatch):
    sup = world.users[Role.SUPERVISOR]
    refusals = [
        # no export permission: a grid worker, a leader, the auditor
        (PermissionDenied, {"actor": world.users[Role.GRID_WORKER], "area": world.grid_a1}),
        (PermissionDenied, {"actor": world.users[Role.LEADER]}),
        (PermissionDenied, {"actor": world.users[Role.AUDITOR]}),
        # an area beyond the exporter's jurisdiction (another street, the county above)
        (PermissionDenied, {"area": world.street_b}),
        (PermissionDenied, {"area": world.county}),
        (ValidationError, {"profile": "civicgrid-organisations"}),
        (ValidationError, {"profile": "nope"}),
        (ValidationError, {"file_format": "pdf"}),
        (ValidationError, {"kind": "buildings", "profile": "civicgrid-buildings",
                           "reveal_reason": "核对"}),
        (ValidationError, {"reveal_reason": "理" * 201}),
    ]
    for error, kw in refusals:
        with pytest.raises(error):
            _export(world, **kw)
    # someone who may export but not reveal: masked yes, a reason refused
    monkeypatch.setitem(PERMISSIONS, Role.HANDLER,
                        PERMISSIONS[Role.HANDLER] | {"imports.export.view"})
    handler = type(sup).objects.get(pk=world.users[Role.HANDLER].pk)
    with pytest.raises(PermissionDenied):
        _export(world, actor=handler, reveal_reason="核对")
    assert not _exports().exists()
    assert not AuditEntry.objects.filter(event_type=AuditEventType.PII_REVEALED).exists()
    assert _export(world, actor=handler).rows == 3


def test_out_of_scope_records_are_never_exported(world, registry, monkeypatch):
    """The grid worker of A1, were they allowed to export, gets grid A1's records only —
    not A2's, not B1's — and cannot export the street."""
    monkeypatch.setitem(PERMISSIONS, Role.GRID_WORKER,
                        PERMISSIONS[Role.GRID_WORKER] | {"imports.export.view"})
    worker = world.users[Role.GRID_WORKER]
    rows = _rows(_export(world, actor=worker, area=world.grid_a1))
    assert [r[2] for r in rows[1:]] == ["张三", "李四"]
    with pytest.raises(PermissionDenied):
        _export(world, actor=worker, area=world.street_a)
    # a resident of A1 registered in B1 is B1's: not in A1's export, and the outsider's
    # export of B1 shows them without the A1 room they live in (the row stays importable)
    wang = Person.objects.get(name="王五")
    Residence.objects.create(person=wang, room=registry.b1.rooms.get(number="102"),
                             grid_code=world.grid_a1.code, kind="living",
                             since=timezone.localdate())  # (the latest: it would be picked)
    assert [r[2] for r in _rows(_export(world, actor=worker, area=world.grid_a1))[1:]] == [
        "张三", "李四"]
    outsider = type(worker).objects.get(pk=world.outsider.pk)
    out_rows = _rows(_export(world, actor=outsider, area=world.grid_b1))
    assert [(r[2], r[13], r[18]) for r in out_rows[1:]] == [
        ("王五", "320602002001001", "101")]


def _snapshot():
    out = {}
    for model in (Person, Residence, Room, Building, Organisation, Rental):
        out[model.__name__] = sorted(tuple(sorted(r.items())) for r in model.objects.values())
    return out


ROUND_TRIPS = [(p.code, fmt) for p in PROFILES.values() for fmt in ("csv", "xlsx")]


@pytest.mark.parametrize(("profile", "file_format"), ROUND_TRIPS)
def test_an_exported_file_imports_again_with_no_change(world, registry, profile, file_format):
    """Exported (revealed) in a profile and imported in the same profile: every row
    unchanged, nothing written, nothing left to undo."""
    kind = PROFILES[profile].kind
    sup = world.users[Role.SUPERVISOR]
    export = _export(world, kind=kind, profile=profile, file_format=file_format,
                     reveal_reason="往返校验" if kind in ("people", "rentals") else "")
    content = export.file.read()
    before = _snapshot()
    run = checked(actor=sup, area=world.street_a, content=content, profile=profile,
                  name=export.name)
    assert run.status == ImportStatus.CHECKED, run.error
    assert run.report["unknown_columns"] == []
    assert run.counts == {"new": 0, "changed": 0, "unchanged": export.rows, "existing": 0,
                          "rejected": 0, "dropped": 0}
    assert export.rows == {"gat1749-floating": 1}.get(profile, 2 if kind != "people" else 3)
    run = applied(run, sup)
    assert run.status == ImportStatus.APPLIED
    assert ImportChange.objects.filter(run=run).count() == 0
    assert _snapshot() == before


def test_a_masked_export_cannot_bring_the_people_back(world, registry):
    """The masks are no document numbers: every row is refused (docs/registry.md)."""
    export = _export(world)
    run = checked(actor=world.users[Role.SUPERVISOR], area=world.street_a,
                  content=export.file.read(), profile="civicgrid-people")
    assert (run.counts["rejected"], run.counts["new"], run.counts["changed"]) == (3, 0, 0)


def _queries(world, **kw) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _export(world, **kw).file.close()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("kind", "profile"), [("people", "civicgrid-people"),
                                               ("organisations", "civicgrid-organisations"),
                                               ("buildings", "civicgrid-buildings")])
def test_queries_do_not_grow_with_the_records(world, registry, kind, profile):
    sup = world.users[Role.SUPERVISOR]
    few = _queries(world, kind=kind, profile=profile)
    b = building_create(grid=world.grid_a1, actor=sup, data=BuildingInput(
        name="2幢", floors_above=3, rooms_per_floor=2))
    for n, room in enumerate(b.rooms.all()):
        person_create(grid=world.grid_a1, actor=sup, room=room, data=PersonInput(
            name=f"住户{n}", kind="registered", id_number=cid(f"32060219900101{n + 100:03d}")))
        organisation_create(grid=world.grid_a1, actor=sup, data=OrganisationInput(
            name=f"社团{n}", kind="community_group", building=b))
    assert _queries(world, kind=kind, profile=profile) == few
    # a batch of records (people: and their open residences), the audit entry
    assert few == {"people": 3, "organisations": 2, "buildings": 2}[kind]


def test_batches_follow_one_another_by_key(world, registry, monkeypatch):
    from civicgrid.imports import exports

    whole = _rows(_export(world))
    monkeypatch.setattr(exports, "BATCH", 2)
    assert _rows(_export(world)) == whole
    assert _queries(world) == 2 * 2 + 1  # two batches (people, residences), the audit entry


# --- the page --------------------------------------------------------------------------

def _post(client, **data):
    form = {"area": "320602001", "kind": "people", "profile": "civicgrid-people",
            "file_format": "csv", **data}
    return client.post(reverse("imports:export"), form)


def test_the_page_downloads_the_file_and_asks_a_reason_only_of_revealers(
        world, registry, client, monkeypatch):
    client.force_login(world.users[Role.SUPERVISOR])
    page = client.get(reverse("imports:export") + "?area=320602001")
    assert page.status_code == 200
    assert b'name="reveal_reason"' in page.content
    assert b'<option value="320602001001001">' in page.content  # grids listed (a few)
    response = _post(client)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="registry-people')
    assert response["Cache-Control"] == "no-store"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and b"110*************2X" in body
    response = _post(client, reveal_reason="报送", file_format="xlsx")
    assert response["X-Export-Rows"] == "3"
    assert _exports().count() == 2
    # a form error answers the form again, nothing exported
    response = _post(client, profile="civicgrid-buildings")
    assert response.status_code == 200
    assert "该映射方案不适用于所选数据类型" in response.content.decode()
    assert _exports().count() == 2
    # out of scope answers like missing
    assert client.get(reverse("imports:export") + "?area=320602002").status_code == 404
    assert client.get(reverse("imports:export") + "?area=320602999").status_code == 404
    assert _post(client, area="320602002").status_code == 200  # not a choice: the form says
    assert _exports().count() == 2

    monkeypatch.setitem(PERMISSIONS, Role.HANDLER,
                        PERMISSIONS[Role.HANDLER] | {"imports.export.view"})
    client.force_login(world.users[Role.HANDLER])
    page = client.get(reverse("imports:export"))
    assert page.status_code == 200 and b'name="reveal_reason"' not in page.content
    assert _post(client, reveal_reason="报送").status_code == 403
    assert _exports().count() == 2
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(reverse("imports:export")).status_code == 403

