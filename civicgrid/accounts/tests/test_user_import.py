"""Bulk creation of accounts from a spreadsheet (issue 13, point 1): the services of
civicgrid/accounts/bulk.py and the page /accounts/users/import/. A preview writes nothing;
applying creates every row through `user_onboard` or nothing at all; privileged roles are
refused (三员分立); hostile files give a message, never a 500."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from civicgrid.accounts.bulk import users_import_apply, users_import_preview, users_import_rows
from civicgrid.accounts.models import User, UserJurisdiction, UserRole
from civicgrid.accounts.roles import PERMISSIONS, Role
from civicgrid.areas.models import GridAssignment
from civicgrid.audit.models import AuditEntry
from civicgrid.core.tables import table_read
from civicgrid.core.xlsx import workbook_bytes
from civicgrid.units.models import UnitMembership

HEADER = ["用户名", "姓名", "角色", "管辖区域", "单位", "网格", "岗位"]
GRID_WORKER = ["gw_bulk", "周网格", "网格员", "", "", "320602001001002", "grid_worker"]
MEDIATOR = ["med_bulk", "吴调解", "handler", "320602001", "320602001-tjw", "", ""]


def _csv(*rows: list[str]) -> bytes:
    return "\n".join(",".join(r) for r in [HEADER, *rows]).encode("utf-8")


def _xlsx(header: list[str], *rows: list[str]) -> bytes:
    book = Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    return workbook_bytes(book)


def _rows(*rows: list[str]):
    return users_import_rows(table_read(_csv(*rows), filename="people.csv", max_rows=500))


def _counts() -> tuple[int, int, int, int, int, int]:
    """Every table an import writes to; a refusal must leave them all alone."""
    return (User.objects.count(), UserRole.objects.count(), UserJurisdiction.objects.count(),
            UnitMembership.objects.count(), GridAssignment.objects.count(),
            AuditEntry.objects.count())


def _errors(results) -> dict[int, list[str]]:
    return {r.number: r.errors for r in results if r.errors}


# --- services -----------------------------------------------------------------------------

def test_the_preview_reads_every_row_and_writes_nothing(world):
    admin = world.users[Role.ADMINISTRATOR]
    before = _counts()
    results = users_import_preview(rows=_rows(GRID_WORKER, MEDIATOR), actor=admin)
    assert _counts() == before
    gw, med = results
    assert (gw.number, gw.username, gw.display_name, gw.roles, gw.area_codes, gw.units,
            gw.grid, gw.position.code, gw.errors) == (
        2, "gw_bulk", "周网格", ["grid_worker"], [], [], world.grid_a2, "grid_worker", [])
    assert (med.number, med.roles, med.area_codes, med.units, med.grid, med.errors) == (
        3, ["handler"], ["320602001"], [world.unit_a], None, [])


def test_the_preview_reads_with_the_same_queries_whatever_the_number_of_rows(world):
    admin = world.users[Role.ADMINISTRATOR]
    two = _rows(GRID_WORKER, MEDIATOR)
    many = _rows(*[[f"gw{i}", f"网格{i}", "网格员", "320602001001", "320602001-tjw",
                    "320602001001002", "grid_worker"] for i in range(30)])
    users_import_preview(rows=two, actor=admin)  # (the actor's scope, read once per request)
    with CaptureQueriesContext(connection) as small:
        users_import_preview(rows=two, actor=admin)
    with CaptureQueriesContext(connection) as large:
        results = users_import_preview(rows=many, actor=admin)
    assert not any(r.errors for r in results)
    assert len(large.captured_queries) == len(small.captured_queries) == 4


def test_apply_creates_every_account_as_given_and_audits_the_file(world):
    admin = world.users[Role.ADMINISTRATOR]
    data = _csv(GRID_WORKER, MEDIATOR)
    rows = users_import_rows(table_read(data, filename="people.csv", max_rows=500))
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    done = users_import_apply(rows=rows, actor=admin, sha256=hashlib.sha256(data).hexdigest())

    assert [a.user.username for a in done.accounts] == ["gw_bulk", "med_bulk"]
    assert all(len(a.one_time_password or "") >= 12 for a in done.accounts)
    gw, med = (User.objects.get(username=n) for n in ("gw_bulk", "med_bulk"))
    assert gw.check_password(done.accounts[0].one_time_password)
    assert (gw.display_name, med.display_name) == ("周网格", "吴调解")
    assert list(UserRole.objects.filter(user=gw).values_list("role", flat=True)) == [
        "grid_worker"]
    assert list(UserRole.objects.filter(user=med).values_list("role", flat=True)) == ["handler"]
    assert list(UserJurisdiction.objects.filter(user=gw).values_list("area__code", flat=True)
                ) == ["320602001001002"]  # no areas given: the grid is the jurisdiction
    assert list(UserJurisdiction.objects.filter(user=med).values_list("area__code", flat=True)
                ) == ["320602001"]
    assert list(GridAssignment.objects.filter(user=gw).values_list(
        "grid__code", "position__code")) == [("320602001001002", "grid_worker")]
    assert not GridAssignment.objects.filter(user=med).exists()
    assert list(UnitMembership.objects.filter(user=med).values_list("unit__code", flat=True)
                ) == ["320602001-tjw"]
    assert not UnitMembership.objects.filter(user=gw).exists()

    entries = list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))
    assert [(e.event_type, e.actor_username, e.subject_repr) for e in entries] == [
        ("user.created", "t_admin", "周网格"),
        ("grid.staff_assigned", "t_admin", entries[1].subject_repr),
        ("user.created", "t_admin", "吴调解"),
        ("unit.member_added", "t_admin", entries[3].subject_repr),
        ("user.imported", "t_admin", "2 个账号"),
    ]
    assert entries[-1].details == {"count": 2, "sha256": hashlib.sha256(data).hexdigest(),
                                   "usernames": ["gw_bulk", "med_bulk"]}


def test_one_bad_row_creates_nothing(world):
    admin = world.users[Role.ADMINISTRATOR]
    bad = ["bad_bulk", "错单位", "handler", "", "no-such-unit", "", ""]
    rows = _rows(GRID_WORKER, bad, MEDIATOR)
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        users_import_apply(rows=rows, actor=admin)
    assert "第 3 行" in refused.value.messages[0]
    assert "未创建任何账号" in refused.value.messages[0]
    assert _counts() == before
    assert not User.objects.filter(username__in=["gw_bulk", "bad_bulk", "med_bulk"]).exists()


@pytest.mark.parametrize("role", ["administrator", "安全审计员", "Security auditor"])
def test_privileged_roles_are_refused_in_bulk(world, role):
    admin = world.users[Role.ADMINISTRATOR]
    rows = _rows(["adm_bulk", "钱管理", role, "", "", "", ""])
    before = _counts()
    [result] = users_import_preview(rows=rows, actor=admin)
    [message] = result.errors
    assert "不能批量创建(三员分立)" in message
    assert "另一名管理员批准" in message
    with pytest.raises(ValidationError):
        users_import_apply(rows=rows, actor=admin)
    assert _counts() == before


def test_duplicate_usernames_in_the_file_and_existing_ones_are_refused(world):
    admin = world.users[Role.ADMINISTRATOR]
    rows = _rows(GRID_WORKER, ["GW_Bulk", "重名", "handler", "320602001", "", "", ""],
                 ["t_handler", "已有", "handler", "320602001", "", "", ""])
    before = _counts()
    assert _errors(users_import_preview(rows=rows, actor=admin)) == {
        3: ["用户名与第 2 行重复。"], 4: ["用户名 t_handler 已存在。"]}
    with pytest.raises(ValidationError):
        users_import_apply(rows=rows, actor=admin)
    assert _counts() == before


def test_unknown_names_and_a_grid_outside_the_jurisdiction_are_each_reported(world):
    admin = world.users[Role.ADMINISTRATOR]
    rows = _rows(
        ["a1", "甲", "厨师", "", "", "", ""],
        ["a2", "乙", "handler", "999999", "", "", ""],
        ["a3", "丙", "grid_worker", "320602002", "", "320602001001002", ""],
        ["a4", "丁", "grid_worker", "", "", "320602001", ""],  # a street, not a grid
        ["a5", "戊", "grid_worker", "", "", "", "grid_worker"],
        ["", "", "", "", "", "", "x"],
    )
    assert _errors(users_import_preview(rows=rows, actor=admin)) == {
        2: ["未知角色:厨师"],
        3: ["区域 999999 不存在或不在您的管辖范围内。"],
        4: ["网格 桃坞第2网格 不在该人员的管辖区域内。"],
        5: ["网格 320602001 不存在或不在您的管辖范围内。"],
        6: ["填写了岗位,但没有填写网格。"],
        7: ["请填写用户名。", "请填写姓名。", "请填写角色。", "未知岗位:x"],
    }


def test_roles_by_label_in_either_language_and_units_by_name(world):
    admin = world.users[Role.ADMINISTRATOR]
    rows = _rows(["m1", "甲", "Grid worker、办理人员/调解员", "320602001", "城东街道人民调解委员会",
                  "", ""])
    [row] = users_import_preview(rows=rows, actor=admin)
    assert (row.roles, row.units, row.errors) == (["grid_worker", "handler"], [world.unit_a], [])


def test_areas_outside_the_actors_scope_are_unknown_to_them(world, monkeypatch):
    """A street-A supervisor who (for this test) may add users cannot name street B."""
    monkeypatch.setitem(PERMISSIONS, Role.SUPERVISOR,
                        PERMISSIONS[Role.SUPERVISOR] | {"accounts.user.add"})
    actor = User.objects.get(pk=world.users[Role.SUPERVISOR].pk)
    rows = _rows(["b1", "乙", "grid_worker", "", "", "320602002001001", ""],
                 ["a1", "甲", "grid_worker", "", "", "320602001001001", ""])
    assert _errors(users_import_preview(rows=rows, actor=actor)) == {
        2: ["网格 320602002001001 不存在或不在您的管辖范围内。"]}


def test_without_permission_nothing_is_read_or_written(world):
    before = _counts()
    for role in (Role.SUPERVISOR, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            users_import_preview(rows=_rows(MEDIATOR), actor=world.users[role])
        with pytest.raises(PermissionDenied):
            users_import_apply(rows=_rows(MEDIATOR), actor=world.users[role])
    assert _counts() == before


def test_columns_must_be_known_and_required_ones_present(world):
    def refused(header: str) -> str:
        table = table_read((header + "\nx,y,z\n").encode(), filename="p.csv", max_rows=5)
        with pytest.raises(ValidationError) as error:
            users_import_rows(table)
        return error.value.messages[0]

    assert "无法识别的列:电话" in refused("用户名,姓名,电话")
    assert "同一项填了多列:用户名" in refused("用户名,username,姓名")
    assert "缺少必填的列:角色" in refused("username,display_name,grid")


# --- the page -----------------------------------------------------------------------------

URL = "/accounts/users/import/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, data: bytes, name: str):
    return client.post(URL, {"step": "preview", "file": _named(data, name)})


def _named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_urls_are_named():
    assert reverse("accounts:user_import") == URL
    assert reverse("accounts:user_import_template") == URL + "template.xlsx"


@pytest.mark.parametrize("path", [URL, URL + "template.xlsx"])
@pytest.mark.parametrize(("role", "status"), [
    (None, 302), (Role.GRID_WORKER, 403), (Role.HANDLER, 403), (Role.UNIT_LEADER, 403),
    (Role.SUPERVISOR, 403), (Role.LEADER, 403), (Role.AUDITOR, 403), (Role.ADMINISTRATOR, 200),
])
def test_who_may_use_the_import(world, path, role, status):
    client = _client(world.users[role]) if role else Client()
    response = client.get(path)
    assert response.status_code == status
    if role is None:
        assert response["Location"].startswith("/accounts/login/?next=")
    before = _counts()
    posted = client.post(URL, {"step": "preview", "file": _named(_csv(MEDIATOR), "p.csv")})
    assert posted.status_code == (200 if status == 200 else status)
    assert _counts() == before


def test_the_user_list_links_to_the_import_for_administrators_only(world):
    listing = _client(world.users[Role.ADMINISTRATOR]).get("/accounts/users/").content.decode()
    assert f'href="{URL}"' in listing
    listing = _client(world.users[Role.SUPERVISOR]).get("/accounts/users/").content.decode()
    assert f'href="{URL}"' not in listing


def test_the_template_has_the_header_an_example_and_the_roles(world):
    response = _client(world.users[Role.ADMINISTRATOR]).get(URL + "template.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    people, roles, _positions = book.worksheets
    rows = list(people.values)
    assert list(rows[0]) == HEADER
    assert len(rows) == 2
    assert list(roles.values)[1:3] == [("grid_worker", "网格员", "Grid worker"),
                                       ("handler", "办理人员/调解员", "Case handler / mediator")]
    assert "(不能批量创建)" in {r[0]: r[1] for r in roles.values}["administrator"]
    # The template as downloaded reads back through the importer.
    table = table_read(response.content, filename="t.xlsx", max_rows=500)
    assert users_import_rows(table)[0][1]["username"] == "zhang_wei"


def _preview_rows(response) -> list[str]:
    html = response.content.decode()
    return [chunk.split("</tr>")[0] for chunk in html.split('data-testid="user-import-row"')[1:]]


def test_csv_and_xlsx_give_the_same_preview(world):
    client = _client(world.users[Role.ADMINISTRATOR])
    as_csv = _upload(client, _csv(GRID_WORKER, MEDIATOR), "people.csv")
    english = ["username", "Display Name", "Roles", "areas", "units", "grid", "position"]
    as_xlsx = _upload(client, _xlsx(english, GRID_WORKER, MEDIATOR), "people.xlsx")
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert _preview_rows(as_csv) == _preview_rows(as_xlsx)
    assert len(_preview_rows(as_csv)) == 2
    assert "桃坞第2网格" in _preview_rows(as_csv)[0]
    assert "城东街道人民调解委员会" in _preview_rows(as_csv)[1]
    assert 'data-testid="user-import-apply"' in as_xlsx.content.decode()


def test_preview_then_apply_shows_the_passwords_once_uncached(world):
    client = _client(world.users[Role.ADMINISTRATOR])
    data = _csv(GRID_WORKER, MEDIATOR)
    preview = _upload(client, data, "people.csv")
    assert User.objects.filter(username__in=["gw_bulk", "med_bulk"]).count() == 0
    digest = hashlib.sha256(data).hexdigest()
    assert f'name="sha256" value="{digest}"' in preview.content.decode()

    done = client.post(URL, {"step": "apply", "sha256": digest})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    html = done.content.decode()
    assert html.count('data-testid="one-time-password"') == 2
    for username in ("gw_bulk", "med_bulk"):
        assert User.objects.filter(username=username).exists()
    gw = User.objects.get(username="gw_bulk")
    password = html.split('data-testid="one-time-password">')[1].split("<")[0]
    assert gw.check_password(password)
    # A second click (or the back button and apply again) creates nothing.
    before = _counts()
    again = client.post(URL, {"step": "apply", "sha256": digest})
    assert again.status_code == 302
    assert _counts() == before


def test_apply_with_an_other_files_digest_is_refused(world):
    client = _client(world.users[Role.ADMINISTRATOR])
    _upload(client, _csv(GRID_WORKER), "first.csv")
    _upload(client, _csv(MEDIATOR), "second.csv")  # e.g. in another tab
    before = _counts()
    response = client.post(URL, {"step": "apply",
                                 "sha256": hashlib.sha256(_csv(GRID_WORKER)).hexdigest()})
    assert response.status_code == 302
    assert _counts() == before
    follow = client.get(URL)
    assert "预览已失效" in follow.content.decode()


def test_a_file_with_errors_shows_them_and_offers_no_apply(world):
    client = _client(world.users[Role.ADMINISTRATOR])
    response = _upload(client, _csv(GRID_WORKER, ["adm_x", "钱", "administrator", "", "", "",
                                                  ""]), "people.csv")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("data-row-error") == 1
    assert "不能批量创建(三员分立)" in html
    assert 'data-testid="user-import-apply"' not in html
    # Posting "apply" anyway (a crafted request) creates nothing.
    before = _counts()
    digest = hashlib.sha256(_csv(GRID_WORKER, ["adm_x", "钱", "administrator", "", "", "",
                                               ""])).hexdigest()
    refused = client.post(URL, {"step": "apply", "sha256": digest})
    assert refused.status_code == 400
    assert _counts() == before


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (60 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "name", "message"), [
    (_bomb(), "bomb.xlsx", "压缩比异常"),
    (b"not a workbook", "people.xlsx", "不是 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "people.xls", "旧版 Excel"),
    (b"a,b\n\x00\n", "nul.csv", "空字符"),
    ("\n".join(["用户名,姓名,角色"] + [f"u{i},n,handler" for i in range(501)]).encode(),
     "many.csv", "最多 500 行"),
    (b"PK\x03\x04garbage" * 10, "broken.xlsx", "不是 Excel 工作簿"),
    (b"", "empty.csv", ""),
])
def test_hostile_files_give_a_message_not_a_500(world, data, name, message):
    client = _client(world.users[Role.ADMINISTRATOR])
    before = _counts()
    response = _upload(client, data, name)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-for="file"' in html
    assert message in html
    assert _counts() == before
