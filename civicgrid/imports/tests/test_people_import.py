"""Importing people: the dry run's outcomes and reasons stated by hand, the policy's drops,
re-import, undo row for row, CSV in GB18030 against XLSX, scope."""

from __future__ import annotations

import io
import logging

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models

from civicgrid.accounts.roles import Role
from civicgrid.core.errors import RuleViolation
from civicgrid.core.idnumbers import check_digit
from civicgrid.imports.models import ImportChange, ImportRun, ImportStatus, StagedRow
from civicgrid.imports.services import import_undo, import_undo_job, import_upload
from civicgrid.imports.tests.helpers import applied, building, checked, csv_bytes, xlsx_bytes
from civicgrid.registry.figures import figures_differences
from civicgrid.registry.models import GridFigures, Person, Residence, Room
from civicgrid.registry.services import PersonInput, person_update

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"
WRONG_CHECK = "110105194912310021"
HEADER = ["公民身份号码", "姓名", "人口类型", "社区代码", "楼栋编码", "楼层", "室号", "入住日期",
          "职业"]


def cid(first17: str) -> str:
    return first17 + check_digit(first17)


ID_B = cid("32060219800101001")  # 1980-01-01, male (odd 17th digit)
ID_C = cid("32060219900505002")  # 1990-05-05, female


def _admin(world):
    return world.users[Role.ADMINISTRATOR]


def _people_file(world, b):
    return [
        HEADER,
        [VALID_ID, "张三", "户籍人口", world.community_a.code, b.code, "1", "101", "2020-05-01",
         "教师"],
        [ID_B, "李四", "流动人口", world.grid_a2.code, "", "", "", "", ""],
        [ID_C, "王五", "人户分离", "", b.code, "2", "202", "", ""],
        [WRONG_CHECK, "赵六", "户籍人口", world.grid_a1.code, "", "", "", "", ""],
        [cid("32060219700101003"), "钱七", "户籍人口", "320602001009", "", "", "", "", ""],
        [cid("32060219700101004"), "孙八", "户籍人口", world.grid_a1.code, "", "", "",
         "2999-01-01", ""],
    ]


def _staged(run):
    return {r.row_number: (r.outcome, r.reason, r.changes) for r in StagedRow.objects.filter(
        run=run)}


def test_dry_run_reports_new_and_rejected_rows_with_numbers_and_reasons(world):
    b = building(world)
    run = checked(actor=_admin(world), area=world.street_a,
                  content=csv_bytes(_people_file(world, b)))
    assert run.status == ImportStatus.CHECKED, run.error
    assert run.encoding == "utf-8"
    assert run.counts == {"new": 3, "changed": 0, "unchanged": 0, "existing": 0,
                          "rejected": 3, "dropped": 0}
    staged = _staged(run)
    assert [n for n, (o, _r, _c) in staged.items() if o == "new"] == [2, 3, 4]
    assert staged[5] == ("rejected", "公民身份号码:身份证号码的校验位不正确,请核对后重新输入", [])
    assert staged[6] == ("rejected", "社区代码:代码不存在或不在本次导入的区域内。",
                         [])
    assert staged[7] == ("rejected", "入住日期:日期不能晚于今天。", [])
    assert Person.objects.count() == 0  # a dry run writes nothing to the registry
    assert run.report["unknown_columns"] == []
    assert run.report["columns"]["公民身份号码"] == "id_number"


def test_apply_writes_people_residences_and_true_figures(world):
    b = building(world)
    admin = _admin(world)
    run = applied(checked(actor=admin, area=world.street_a,
                          content=csv_bytes(_people_file(world, b))), admin)
    assert run.status == ImportStatus.APPLIED, run.error
    zhang = Person.objects.get(name="张三")
    assert (zhang.kind, zhang.grid_code, zhang.occupation) == (
        "registered", world.grid_a1.code, "教师")
    assert zhang.id_number_masked != VALID_ID and VALID_ID not in zhang.id_number_encrypted
    assert list(zhang.residences.values_list("room__number", "since", "source")) == [
        ("101", __import__("datetime").date(2020, 5, 1), "import")]
    li = Person.objects.get(name="李四")
    assert (li.grid_code, li.residences.count()) == (world.grid_a2.code, 0)
    wang = Person.objects.get(name="王五")
    assert wang.residences.get().room.number == "202"
    # the rooms lived in took their residents' use (待核实 → 自住)
    assert dict(Room.objects.filter(building=b).values_list("number", "use")) == {
        "101": "owner", "102": "unknown", "201": "unknown", "202": "owner"}
    assert figures_differences() == {}
    figures = GridFigures.objects.get(grid_code=world.grid_a1.code)
    assert (figures.people, figures.people_linked, figures.rooms_owner) == (2, 2, 2)
    assert ImportChange.objects.filter(run=run).count() == 3 + 2 + 2  # people, homes, rooms
    assert StagedRow.objects.filter(run=run).exclude(payload="").count() == 0


def test_reimporting_the_same_file_changes_nothing(world):
    b = building(world)
    admin = _admin(world)
    content = csv_bytes(_people_file(world, b))
    applied(checked(actor=admin, area=world.street_a, content=content), admin)
    again = checked(actor=admin, area=world.street_a, content=content)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 3, "existing": 0,
                            "rejected": 3, "dropped": 0}
    before = _snapshot()
    again = applied(again, admin)
    assert again.status == ImportStatus.APPLIED
    assert ImportChange.objects.filter(run=again).count() == 0
    assert _snapshot() == before


def test_a_changed_field_is_reported_and_add_only_leaves_it(world):
    b = building(world)
    admin = _admin(world)
    applied(checked(actor=admin, area=world.street_a,
                    content=csv_bytes(_people_file(world, b))), admin)
    changed = [HEADER, [VALID_ID, "张三", "户籍人口", "", "", "", "", "", "工程师"],
               [ID_B, "李四", "流动人口", "", b.code, "1", "102", "", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(changed))
    assert _staged(run) == {2: ("changed", "", ["occupation"]),
                            3: ("changed", "", ["residence"])}
    assert run.report["field_changes"] == {"occupation": 1, "residence": 1}
    only_new = checked(actor=admin, area=world.street_a, content=csv_bytes(changed),
                       mode="add_only")
    assert only_new.counts["existing"] == 2 and only_new.counts["changed"] == 0
    applied(only_new, admin)
    assert Person.objects.get(name="张三").occupation == "教师"
    applied(run, admin)
    li = Person.objects.get(name="李四")
    assert Person.objects.get(name="张三").occupation == "工程师"
    assert (li.grid_code, li.residences.get().room.number) == (world.grid_a1.code, "102")
    assert figures_differences() == {}


def _snapshot():
    """Every row of the registry's tables the import writes, as values (a grid's figures row
    of zeros counts as none: the figures are sums, and a counter moved back leaves one)."""
    out = {}
    for model in (Person, Residence, Room, GridFigures):
        rows = [row for row in model.objects.values()
                if model is not GridFigures or any(v for k, v in row.items() if k != "grid_code")]
        out[model.__name__] = sorted((tuple(sorted(row.items())) for row in rows), key=repr)
    return out


def test_undo_restores_the_registry_row_for_row_and_keeps_a_later_edit(world):
    b = building(world)
    admin = _admin(world)
    first = [HEADER, [VALID_ID, "张三", "户籍人口", "", b.code, "1", "101", "2020-05-01", "教师"]]
    applied(checked(actor=admin, area=world.street_a, content=csv_bytes(first)), admin)
    before = _snapshot()
    second = [HEADER, [VALID_ID, "张三", "户籍人口", "", "", "", "", "", "工程师"],
              [ID_B, "李四", "流动人口", "", b.code, "2", "201", "", "司机"],
              [ID_C, "王五", "流动人口", world.grid_a2.code, "", "", "", "", "厨师"]]
    run = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(second)), admin)
    assert run.status == ImportStatus.APPLIED
    assert _snapshot() != before
    undone = import_undo_job(import_undo(run=run, actor=admin, version=run.version,
                                         start=False).pk)
    assert undone.status == ImportStatus.UNDONE
    assert undone.report["kept"] == []
    assert _snapshot() == before

    # a record edited after the import is listed and left as edited
    run = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(second)), admin)
    wang = Person.objects.get(name="王五")
    person_update(person=wang, actor=world.users[Role.SUPERVISOR], version=wang.version,
                  data=PersonInput(name="王五", kind="floating", occupation="面点师"))
    undone = import_undo_job(import_undo(run=run, actor=admin, version=run.version,
                                         start=False).pk)
    assert undone.report["kept"] == [{"model": "registry.person", "id": wang.pk, "row": 4}]
    assert Person.objects.get(pk=wang.pk).occupation == "面点师"
    assert Person.objects.get(name="张三").occupation == "教师"
    assert not Person.objects.filter(name="李四").exists()
    assert figures_differences() == {}


def _text_columns():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field


def test_forbidden_columns_reach_no_table_log_or_report(world, caplog):
    caplog.set_level(logging.DEBUG)
    admin = _admin(world)
    rows = [["公民身份号码", "姓名", "人口类型", "网格代码", "宗教信仰", "HIV感染情况"],
            [VALID_ID, "张三", "流动人口", world.grid_a1.code, "某教XQZ1", "阳性HVX1"],
            [ID_B, "李四", "流动人口", world.grid_a1.code, "某教XQZ2", ""],
            [ID_C, "王五", "流动人口", world.grid_a1.code, "", "阴性HVX3"]]
    run = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(rows)), admin)
    assert run.status == ImportStatus.APPLIED, run.error
    assert run.counts["new"] == 3
    assert run.report["dropped_columns"] == ["HIV感染情况", "宗教信仰"]
    assert run.report["dropped_values"] == 4
    assert Person.objects.count() == 3
    markers = ("XQZ", "HVX")
    for model, field in _text_columns():
        for value in model.objects.values_list(field.attname, flat=True):
            assert not any(m in str(value) for m in markers), (model, field.name)
    assert not any(m in caplog.text for m in markers)


def test_a_register_of_an_excluded_kind_is_refused_whole(world):
    admin = _admin(world)
    rows = [["公民身份号码", "姓名", "人员类别", "网格代码"],
            [VALID_ID, "张三", "艾滋病感染者", world.grid_a1.code],
            [ID_B, "李四", "艾滋病病人", world.grid_a1.code]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="gat1749-floating")
    assert run.status == ImportStatus.FAILED
    assert "整份拒收" in run.error
    assert StagedRow.objects.filter(run=run).count() == 0
    assert run.file_path == ""
    # one such row among others is dropped by policy, the others come in
    rows[2][2] = "务工人员"
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="gat1749-floating")
    assert (run.counts["dropped"], run.counts["new"]) == (1, 1)


def test_gb18030_csv_and_xlsx_of_the_same_rows_give_the_same_result(world):
    b = building(world)
    admin = _admin(world)
    rows = _people_file(world, b)
    gb = checked(actor=admin, area=world.street_a, content=csv_bytes(rows, "gb18030"))
    xlsx = checked(actor=admin, area=world.street_a, content=xlsx_bytes(rows),
                   name="people.xlsx")
    assert (gb.encoding, xlsx.encoding, xlsx.file_format) == ("gb18030", "xlsx", "xlsx")
    assert gb.counts == xlsx.counts
    assert _staged(gb) == _staged(xlsx)
    assert gb.counts["new"] == 3


def test_repeated_rows_of_one_person_keep_the_first(world):
    admin = _admin(world)
    rows = [HEADER, [VALID_ID, "张三", "户籍人口", world.grid_a1.code, "", "", "", "", ""],
            [VALID_ID, "张三丰", "户籍人口", world.grid_a1.code, "", "", "", "", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows))
    assert _staged(run)[3][0:2] == (
        "rejected", "与第 2 行是同一记录(证件号码或代码相同),以第 2 行为准。")


def test_missing_required_column_fails_the_check_with_the_names(world):
    run = checked(actor=_admin(world), area=world.street_a,
                  content=csv_bytes([["姓名", "备注"], ["张三", "x"]]))
    assert run.status == ImportStatus.FAILED
    assert run.error == "缺少必需的列:人口类型。请检查表头或选择其他映射方案。"


def test_only_importers_in_scope_upload_and_nothing_is_kept_when_refused(world):
    before = ImportRun.objects.count()
    for user, area in ((world.users[Role.GRID_WORKER], world.grid_a1),
                       (world.users[Role.LEADER], world.street_a),
                       (world.users[Role.SUPERVISOR], world.street_b)):
        with pytest.raises(PermissionDenied):
            import_upload(area=area, profile="civicgrid-people", mode="update",
                          file_name="x.csv", content=io.BytesIO(b"a,b\n"), actor=user,
                          start=False)
    assert ImportRun.objects.count() == before
    run = checked(actor=world.users[Role.SUPERVISOR], area=world.street_a,
                  content=csv_bytes([HEADER]))
    assert run.status == ImportStatus.CHECKED
    with pytest.raises(RuleViolation):  # a stale version
        applied(ImportRun.objects.get(pk=run.pk), world.users[Role.SUPERVISOR]) and \
            applied(run, world.users[Role.SUPERVISOR])


def test_a_residence_is_found_by_the_rooms_standard_address(world):
    b = building(world)
    target = b.rooms.get(number="201")
    rows = [["公民身份号码", "姓名", "居住地址", "居住处所", "居住起始日期"],
            [VALID_ID, "张三", target.address, "02", "20240301"],
            [ID_B, "李四", target.address + "X", "02", ""]]
    admin = _admin(world)
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="gat1749-floating")
    staged = _staged(run)
    assert staged[2] == ("new", "", [])
    assert staged[3][0] == "rejected" and staged[3][1].startswith("住址:在本次导入的区域内找不到")
    applied(run, admin)
    person = Person.objects.get(name="张三")
    assert (person.kind, person.grid_code) == ("floating", world.grid_a1.code)
    assert list(person.residences.values_list("room_id", "kind", "since")) == [
        (target.pk, "renting", __import__("datetime").date(2024, 3, 1))]
    assert Room.objects.get(pk=target.pk).use == "rented"


def test_the_worked_example_of_the_docs(world):
    """docs/registry.md, "A worked example", as written there."""
    from civicgrid.registry.models import GridFigures
    from civicgrid.registry.services import BuildingInput, building_create

    building_create(grid=world.grid_a1, actor=world.users[Role.SUPERVISOR],
                    data=BuildingInput(name="1幢", road="人民路", house_number="8",
                                       rooms_per_floor=2))
    content = (
        "公民身份号码,姓名,性别,居住地址,居住处所,居住起始日期,宗教信仰\r\n"
        "11010519491231002X,张三,2,城东街道人民路8号1幢1单元101室,02,20240301,某教\r\n"
        "110105194912310021,李四,1,城东街道人民路8号1幢1单元102室,02,20240301,\r\n"
        "320602198001010013,王五,1,城东街道人民路9号3幢1单元101室,02,20991231,\r\n"
    ).encode("gb18030")
    admin = _admin(world)
    run = checked(actor=admin, area=world.street_a, content=content,
                  profile="gat1749-floating", name="流动人口登记.csv")
    assert run.encoding == "gb18030"
    assert _staged(run) == {
        2: ("new", "", []),
        3: ("rejected", "公民身份号码:身份证号码的校验位不正确,请核对后重新输入", []),
        4: ("rejected", "居住起始日期:日期不能晚于今天。", [])}
    assert (run.report["dropped_columns"], run.report["dropped_values"]) == (["宗教信仰"], 1)
    run = applied(run, admin)
    zhang = Person.objects.get()
    assert (zhang.name, zhang.kind, zhang.sex, str(zhang.birth_date)) == (
        "张三", "floating", "female", "1949-12-31")
    room = Room.objects.get(number="101")
    assert (room.use, zhang.residences.get().room_id) == ("rented", room.pk)
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).people == 1
    again = checked(actor=admin, area=world.street_a, content=content,
                    profile="gat1749-floating")
    assert (again.counts["unchanged"], again.counts["rejected"], again.counts["new"]) == (
        1, 2, 0)
    undone = import_undo_job(import_undo(run=run, actor=admin, version=run.version,
                                         start=False).pk)
    assert undone.report["kept"] == []
    assert Person.objects.count() == 0 and Room.objects.get(pk=room.pk).use == "unknown"


@pytest.mark.parametrize(("content", "name", "error"), [
    (b"PK\x03\x04" + b"\x00" * 200, "broken.xlsx",
     "无法读取该 XLSX 文件,请确认文件完整且为 Excel 2007 及以上格式。"),
    (bytes(range(256)) * 40, "noise.csv",  # (its first line decodes: a header of nothing known)
     "缺少必需的列:姓名、人口类型。请检查表头或选择其他映射方案。"),
    (bytes(range(128, 256)) * 40, "binary.csv",
     "无法读取该文件:它不是 UTF-8 或 GB18030 编码的 CSV 文本,也不是 Excel(.xlsx)文件。"),
    ("公民身份号码,姓名,人口类型\r\n".encode() + b"1,a,b\r\n" * 12000
     + bytes(range(128, 256)), "mixed.csv",  # (past the 64 KiB the encoding is told by)
     "文件编码不一致:第 12002 行无法按 UTF-8 读取。"),
    ("姓名,人口类型\r\n\"张三,户籍人口\r\n".encode() + b"x" * 200_000, "quote.csv",
     "读到第 3 行时格式错误,无法继续读取(如引号未闭合或单元格过长)。"),
    (b"\r\n\r\n", "blank.csv", "文件中没有表头行。"),
    ("姓名,人口类型\r\n".encode() + b"a" * 900_000, "long.csv", "第 2 行过长,无法读取。"),
])
def test_a_hostile_or_broken_file_fails_with_a_message_and_writes_nothing(
        world, content, name, error):
    run = checked(actor=_admin(world), area=world.street_a, content=content, name=name)
    assert (run.status, run.error) == (ImportStatus.FAILED, error)
    assert StagedRow.objects.filter(run=run).count() == 0
    assert Person.objects.count() == 0


def test_a_cell_longer_than_any_field_is_rejected_not_cut(world):
    rows = [HEADER, [VALID_ID, "张" * 1001, "户籍人口", world.grid_a1.code, "", "", "", "", ""],
            [ID_B, "李" * 61, "户籍人口", world.grid_a1.code, "", "", "", "", ""]]
    run = checked(actor=_admin(world), area=world.street_a, content=csv_bytes(rows))
    staged = _staged(run)
    assert staged[2] == ("rejected", "单元格内容过长(超过 1000 个字符)。", [])
    assert staged[3][0] == "rejected" and staged[3][1].startswith("姓名:")


def test_english_headers_are_known_and_unknown_ones_listed(world):
    rows = [["ID_Number", "Name", "kind", "grid code", "Remarks", "备注"],
            [VALID_ID, "张三", "registered", world.grid_a1.code, "x", "y"]]
    run = checked(actor=_admin(world), area=world.street_a, content=csv_bytes(rows))
    assert run.counts["new"] == 1
    assert run.report["unknown_columns"] == ["Remarks", "备注"]
    assert run.report["columns"] == {"ID_Number": "id_number", "Name": "name", "kind": "kind",
                                     "grid code": "area_code"}


def test_a_person_whose_details_retention_removed_is_never_put_back(world):
    from django.utils import timezone

    from civicgrid.imports.services import import_files_expire

    admin = _admin(world)
    base = [HEADER, [VALID_ID, "张三", "户籍人口", world.grid_a1.code, "", "", "", "", "教师"]]
    applied(checked(actor=admin, area=world.street_a, content=csv_bytes(base)), admin)
    base[1][8] = "工程师"
    run = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(base)), admin)
    change = ImportChange.objects.get(run=run)
    assert change.before["occupation"] == "教师"
    # the registry's retention empties the person (as retention_apply does, version kept)
    Person.objects.filter(pk=change.object_id).update(
        name="", occupation="", birth_date=None, scrubbed_at=timezone.now())
    import_files_expire()
    change.refresh_from_db()
    assert change.before == {}
    undone = import_undo_job(import_undo(run=run, actor=admin, version=run.version,
                                         start=False).pk)
    assert undone.report["kept"] == [{"model": "registry.person", "id": change.object_id,
                                      "row": 2}]
    assert Person.objects.get(pk=change.object_id).name == ""


def test_a_record_changed_between_the_dry_run_and_apply_is_not_overwritten(world):
    admin, sup = _admin(world), world.users[Role.SUPERVISOR]
    base = [HEADER, [VALID_ID, "张三", "户籍人口", world.grid_a1.code, "", "", "", "", "教师"]]
    applied(checked(actor=admin, area=world.street_a, content=csv_bytes(base)), admin)
    # a file changes 张三's occupation and brings 李四, whom a grid worker registers (with a
    # phone) between the dry run and the apply
    rows = [HEADER, [VALID_ID, "张三", "户籍人口", "", "", "", "", "", "工程师"],
            [ID_B, "李四", "流动人口", world.grid_a1.code, "", "", "", "", "司机"]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows))
    assert _staged(run) == {2: ("changed", "", ["occupation"]), 3: ("new", "", [])}
    zhang = Person.objects.get(name="张三")
    person_update(person=zhang, actor=sup, version=zhang.version,
                  data=PersonInput(name="张三", kind="registered", occupation="校长"))
    from civicgrid.registry.services import person_create

    li = person_create(grid=world.grid_a1, actor=sup, data=PersonInput(
        name="李四", kind="floating", id_number=ID_B, phone="13800138000", education="junior"))
    run = applied(run, admin)
    assert (run.report["conflicts"], run.report["conflicts_total"]) == ([2], 1)
    assert Person.objects.get(pk=zhang.pk).occupation == "校长"  # not overwritten
    li.refresh_from_db()
    # registered since the check: only what the file gives is written, the phone stays
    assert (li.occupation, li.education, li.phone_masked) == ("司机", "junior", "138****8000")
    assert Person.objects.filter(name="李四").count() == 1


def test_an_apply_job_that_runs_again_writes_nothing_twice(world):
    from civicgrid.imports.services import import_apply, import_apply_job

    admin = _admin(world)
    rows = [HEADER, [VALID_ID, "张三", "户籍人口", world.grid_a1.code, "", "", "", "", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows))
    run = import_apply(run=run, actor=admin, version=run.version, start=False)
    import_apply_job(run.pk)
    ImportRun.objects.filter(pk=run.pk).update(status="applying")  # (a redelivered job)
    again = import_apply_job(run.pk)
    assert again.status == "applied"
    assert Person.objects.count() == 1 and ImportChange.objects.count() == 1


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_read(world):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 20_000_000)
    run = checked(actor=_admin(world), area=world.street_a, content=out.getvalue(),
                  name="bomb.xlsx")
    assert (run.status, run.error) == ("failed", "该 Excel 文件解压后过大或压缩比异常,已拒绝读取。")
