"""Issue 16's acceptance, in the browser: an administrator downloads the template, uploads
a file of 3,000 floating residents (with a row of a wrong check digit and a 宗教信仰
column) at a desk, watches the check's progress, reads the dry-run report — counts, the
rejected row with its reason, the column dropped by policy — applies it and watches it
written; then the same run's page and the history on a phone. The import steps run in a
thread, as in the embedded set-up. Fails on any console error, CSP violation or HTTP error
and on a page that scrolls sideways; screenshots /work/tmp/shots/import-*.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.core.idnumbers import check_digit
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.imports.models import ImportRun
from civicgrid.imports.tests.helpers import building, csv_bytes
from civicgrid.registry.models import Person

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
ROWS = 3000


@pytest.fixture
def shots() -> Path:
    path = Path(os.environ.get("IMPORT_SHOTS", "/work/tmp/shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _no_sideways_scroll(page, step: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1, \
        f"{step}: the page scrolls sideways"


def _file(world, tmp_path: Path) -> Path:
    b = building(world)
    rooms = list(b.rooms.values_list("address", flat=True))
    rows = [["公民身份号码", "姓名", "性别", "居住地址", "居住处所", "居住起始日期", "宗教信仰"]]
    for n in range(ROWS):
        first17 = f"32060219{80 + n % 20:02d}0101{n // 20:03d}"
        rows.append([first17 + check_digit(first17), f"居民{n}", "", rooms[n % len(rooms)],
                     "02", "20240301", "某教" if n % 7 == 0 else ""])
    rows[5][0] = rows[5][0][:-1] + ("0" if rows[5][0][-1] != "0" else "1")  # wrong check
    path = tmp_path / "流动人口登记.csv"
    path.write_bytes(csv_bytes(rows, "gb18030"))
    return path


def test_an_administrator_uploads_checks_and_applies_a_file(
        transactional_db, live_server, world, browser, shots, tmp_path, settings):
    settings.IMPORTS_IN_THREAD = True
    base = live_server.url
    path = _file(world, tmp_path)
    admin = world.users[Role.ADMINISTRATOR]
    with open_page(browser, **DESKTOP) as (_c, page, watch):
        sign_in(page, watch, base, admin.username)
        page.goto(f"{base}/imports/")
        page.get_by_test_id("new-import").click()
        page.select_option("#id_area", world.street_a.code)
        page.select_option("#id_profile", "gat1749-floating")
        page.set_input_files("#id_file", str(path))
        shot(page, shots, "import-upload-1280.png")
        page.get_by_test_id("upload").click()
        page.wait_for_url("**/imports/*/")
        progress = page.get_by_test_id("progress")
        if progress.count():  # (the check may already be done)
            shot(page, shots, "import-checking-1280.png")
        page.get_by_test_id("dry-run").wait_for(timeout=60_000)
        _no_sideways_scroll(page, "dry run")
        shot(page, shots, "import-dry-run-1280.png")
        counts = page.get_by_test_id("counts")
        assert counts.locator('[data-outcome="new"] .h2').inner_text() == str(ROWS - 1)
        assert counts.locator('[data-outcome="rejected"] .h2').inner_text() == "1"
        rejected = page.get_by_test_id("rejected").inner_text()
        assert rejected.split("\n")[1].startswith("6\t公民身份号码:身份证号码的校验位不正确")
        dropped = page.get_by_test_id("dropped").inner_text()
        assert "宗教信仰" in dropped and "429" in dropped  # rows 0, 7, … 2996: 429 values
        assert "某教" not in page.content()
        assert Person.objects.count() == 0
        page.get_by_test_id("apply").click()
        page.get_by_test_id("status").filter(has_text="已导入").wait_for(timeout=120_000)
        shot(page, shots, "import-applied-1280.png")
        assert page.get_by_test_id("undo").count() == 1
        watch.assert_clean("import")
    run = ImportRun.objects.get()
    assert (run.status, run.counts["new"], Person.objects.count()) == (
        "applied", ROWS - 1, ROWS - 1)

    with open_page(browser, **PHONE) as (_c, page, watch):
        sign_in(page, watch, base, admin.username)
        page.goto(f"{base}/imports/{run.pk}/")
        _no_sideways_scroll(page, "run on a phone")
        shot(page, shots, "import-applied-390.png")
        page.goto(f"{base}/imports/")
        _no_sideways_scroll(page, "history on a phone")
        shot(page, shots, "import-history-390.png")
        page.goto(f"{base}/imports/{run.pk}/rows/?outcome=rejected")
        _no_sideways_scroll(page, "rows on a phone")
        shot(page, shots, "import-rows-390.png")
        watch.assert_clean("import")
