"""The import's pages: upload → the run's dry-run report → apply → undo, the rows, the
template; refusals change nothing; a run out of the reader's area is missing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.accounts.roles import Role
from civicgrid.imports.models import ImportChange, ImportRun, ImportStatus
from civicgrid.imports.tests.helpers import checked, csv_bytes
from civicgrid.registry.models import Person

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"


def _client(client, user):
    client.force_login(user)
    return client


def _file(world, *rows):
    return csv_bytes([["公民身份号码", "姓名", "人口类型", "网格代码"],
                      [VALID_ID, "张三", "户籍人口", world.grid_a1.code], *rows])


def test_upload_checks_the_file_and_shows_the_dry_run(world, client,
                                                      django_capture_on_commit_callbacks):
    c = _client(client, world.users[Role.SUPERVISOR])
    upload = SimpleUploadedFile("居民.csv", _file(world, ["110105194912310021", "李四",
                                                         "户籍人口", world.grid_a1.code]))
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("imports:upload"), {
            "area": world.street_a.code, "profile": "civicgrid-people", "mode": "update",
            "file": upload})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:run", args=[run.pk])
    assert (run.status, run.file_name, run.counts["new"], run.counts["rejected"]) == (
        "checked", "居民.csv", 1, 1)
    page = c.get(reverse("imports:run", args=[run.pk])).content.decode()
    assert "确认导入(1 条)" in page
    assert "身份证号码的校验位不正确" in page
    assert "110105194912310021" not in page and VALID_ID not in page  # values never shown
    rows = c.get(reverse("imports:rows", args=[run.pk]) + "?outcome=rejected")
    assert "<td class=\"text-nowrap\">3</td>" in rows.content.decode()


def test_upload_refuses_an_area_out_of_scope_and_an_empty_file(world, client):
    c = _client(client, world.users[Role.SUPERVISOR])
    response = c.post(reverse("imports:upload"), {
        "area": world.street_b.code, "profile": "civicgrid-people", "mode": "update",
        "file": SimpleUploadedFile("a.csv", _file(world))})
    assert response.status_code == 200 and "data-error-for=\"area\"" in response.content.decode()
    response = c.post(reverse("imports:upload"), {
        "area": world.street_a.code, "profile": "civicgrid-people", "mode": "update",
        "file": SimpleUploadedFile("a.csv", b"")})
    assert response.status_code == 200
    assert ImportRun.objects.count() == 0


def test_apply_then_undo_from_the_page(world, client, django_capture_on_commit_callbacks):
    admin = world.users[Role.ADMINISTRATOR]
    run = checked(actor=admin, area=world.street_a, content=_file(world))
    c = _client(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("imports:apply", args=[run.pk]), {"version": run.version})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and Person.objects.count() == 1
    # the same button again (a stale version) changes nothing
    response = c.post(reverse("imports:apply", args=[run.pk]), {"version": run.version - 1},
                      follow=True)
    assert "只能导入已校验、待确认的数据" in response.content.decode()
    assert Person.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("imports:undo", args=[run.pk]), {"version": run.version})
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE and Person.objects.count() == 0


def test_discard_removes_the_file_and_staged_values(world, client):
    admin = world.users[Role.ADMINISTRATOR]
    run = checked(actor=admin, area=world.street_a, content=_file(world))
    c = _client(client, admin)
    c.post(reverse("imports:discard", args=[run.pk]), {"version": run.version})
    run.refresh_from_db()
    assert (run.status, run.file_path) == ("discarded", "")
    assert not run.rows.exclude(payload="").exists()
    assert ImportChange.objects.count() == 0


def test_a_run_of_another_street_is_missing(world, client):
    run = checked(actor=world.users[Role.ADMINISTRATOR], area=world.street_b,
                  content=csv_bytes([["公民身份号码", "姓名", "人口类型", "网格代码"],
                                     [VALID_ID, "张三", "户籍人口", world.grid_b1.code]]))
    c = _client(client, world.users[Role.SUPERVISOR])
    for name in ("imports:run", "imports:rows", "imports:progress"):
        assert c.get(reverse(name, args=[run.pk])).status_code == 404
    assert c.post(reverse("imports:apply", args=[run.pk]),
                  {"version": run.version}).status_code == 404
    run.refresh_from_db()
    assert run.status == ImportStatus.CHECKED
    assert f'data-run="{run.pk}"' not in c.get(reverse("imports:runs")).content.decode()


def test_the_template_has_the_header_and_a_sample_line(world, client):
    c = _client(client, world.users[Role.ADMINISTRATOR])
    response = c.get(reverse("imports:template", args=["civicgrid-people"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["公民身份号码", "证件类型", "姓名", "性别"]
    assert rows[1][:4] == ["11010519491231002X", "居民身份证", "张三", "女"]
    assert c.get(reverse("imports:template", args=["gat1749-floating"])).status_code == 404


def test_the_runs_list_runs_a_fixed_number_of_queries(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world.users[Role.ADMINISTRATOR]
    c = _client(client, admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert c.get(reverse("imports:runs")).status_code == 200
        return len(captured)

    checked(actor=admin, area=world.street_a, content=_file(world))
    one = queries()
    for _ in range(3):
        checked(actor=admin, area=world.street_a, content=_file(world))
    assert queries() == one


def test_originals_past_the_retention_period_are_deleted_and_the_run_kept(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from civicgrid.audit.models import AuditEntry
    from civicgrid.imports.files import storage_dir
    from civicgrid.imports.services import import_files_expire

    settings.IMPORT_FILE_RETENTION_DAYS = 90
    admin = world.users[Role.ADMINISTRATOR]
    old = checked(actor=admin, area=world.street_a, content=_file(world))
    recent = checked(actor=admin, area=world.street_a, content=_file(world))
    ImportRun.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=91))
    ImportRun.objects.filter(pk=recent.pk).update(
        created_at=timezone.now() - timedelta(days=89))
    old_path = storage_dir() / old.file_path
    assert old_path.exists()
    report = import_files_expire()
    assert report.files == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.file_path, old.file_deleted_at is not None, old.counts["new"]) == ("", True, 1)
    assert (old.rows.count(), recent.rows.count()) == (0, 1)
    # a dry run never confirmed is given up with its rows; the recent one waits still
    assert (old.status, recent.status) == ("discarded", "checked")
    assert not old_path.exists()
    assert recent.file_path and (storage_dir() / recent.file_path).exists()
    entry = AuditEntry.objects.filter(event_type="import.files_deleted").get()
    assert entry.details["runs"] == [old.pk]
    assert import_files_expire().files == 0


def test_a_file_over_the_limit_is_refused_and_nothing_kept(world, settings):
    from civicgrid.imports.files import storage_dir
    from civicgrid.imports.services import import_upload

    settings.IMPORT_MAX_BYTES = 1000
    before = set(storage_dir().iterdir())
    with pytest.raises(ValidationError) as refused:
        import_upload(area=world.street_a, profile="civicgrid-people", mode="update",
                      file_name="big.csv", content=io.BytesIO(b"x" * 3000),
                      actor=world.users[Role.ADMINISTRATOR], start=False)
    assert refused.value.message_dict["file"] == ["文件超过 0 MB 的上限,请拆分后导入。"]
    assert ImportRun.objects.count() == 0 and set(storage_dir().iterdir()) == before
