"""The offline app in headless Chromium, with the network switched off (Playwright's offline
mode): reports with photos captured offline become exactly those cases with those photos
when the network returns, and sending again makes none; a photo upload cut in the middle
resumes; a draft survives a reload; a 23 MB photo is refused before any byte is sent;
two phones editing the same weekly check offline; sign-out leaves nothing behind.
Screenshots of each page at phone width, online and offline, and at laptop width."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from civicgrid.cases.models import Attachment, Case
from civicgrid.conftest import PASSWORD, browser_login
from civicgrid.core.tests.test_browser import PHONE, open_page, shot
from civicgrid.field.models import PhotoUpload, UploadState
from civicgrid.field.versions import APP_VERSION
from civicgrid.warnings.models import CheckConflict, WeeklyCheck

pytestmark = pytest.mark.browser

MOBILE = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 900}}


def photo_file(name: str, width: int = 3000, height: int = 2000, seed: int = 1) -> dict:
    """A camera-sized photo (noisy, so it does not compress to nothing)."""
    image = Image.effect_noise((width // 4, height // 4), 60 + seed).convert("RGB")
    image = image.resize((width, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return {"name": name, "mimeType": "image/jpeg", "buffer": out.getvalue()}


def open_app(page, base_url: str, username: str, worker: bool = True) -> None:
    browser_login(page, base_url, username, PASSWORD)
    page.goto(f"{base_url}/field/")
    page.wait_for_selector("[data-testid=home-report]")
    if not worker:
        synced(page)
        return
    # The service worker is installed and controls the page (the shell and assets cached).
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("[data-testid=home-report]")
    synced(page)


def synced(page) -> None:
    """The app's sync has finished (bundle kept, device noted)."""
    wait_until(page, "() => cgStore.get('meta', 'device').then(d => !!d && "
                     "!document.getElementById('net').textContent.includes('同步'))")


def outbox_states(page) -> list[tuple[str, str]]:
    return [tuple(pair) for pair in page.evaluate(
        "() => cgStore.items().then(list => list.map(i => [i.kind, i.state]))")]


def photo_hashes(page) -> list[str]:
    return page.evaluate("""() => cgStore.items().then(list => Promise.all(
        list.filter(i => i.kind === 'photo')
            .map(i => cgStore.payloadOf(i).then(p => p.sha256))))""")


ALL_SENT = """() => cgStore.items().then(l => l.length > 0 && l.every(i =>
    i.state === 'accepted' || i.state === 'attached'))"""


def wait_until(page, script: str, timeout: float = 30) -> None:
    """Poll an async predicate in the page (wait_for_function does not await promises)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"timed out waiting for {script}"
        page.wait_for_timeout(200)


def report_offline(page, text: str, photos: list[dict]) -> None:
    page.goto(page.url.split("#")[0] + "#/report")
    page.wait_for_selector("[data-testid=report-form]")
    page.select_option("[data-testid=f-category]", "9102")
    page.fill("[data-testid=f-description]", text)
    page.fill("[data-testid=f-address]", "桃坞路 12 号")
    page.set_input_files("[data-testid=f-photos]", photos)
    page.wait_for_function("n => document.querySelectorAll('[data-testid=thumbs] img').length"
                           " === n", arg=len(photos))
    page.click("[data-testid=f-submit]")
    page.wait_for_selector("[data-testid=outbox-item]")


def test_three_reports_with_photos_taken_offline_become_three_cases(
        transactional_db, live_server, office, browser, screenshot_dir):
    worker = office.people["grid"]
    with open_page(browser, **MOBILE) as (ctx, page, watch):
        sent_photo_requests: list[str] = []
        page.on("request", lambda r: sent_photo_requests.append(r.url)
                if "/api/v1/field/photos" in r.url else None)
        open_app(page, live_server.url, worker.username)
        shot(page, screenshot_dir, "field-home-phone.png")
        ctx.set_offline(True)
        page.wait_for_function("() => document.getElementById('net').textContent.includes('离线')")
        # A 23 MB photo is refused on the phone before any byte is sent.
        page.goto(page.url.split("#")[0] + "#/report")
        page.wait_for_selector("[data-testid=report-form]")
        huge = {"name": "huge.jpg", "mimeType": "image/jpeg",
                "buffer": b"\xff\xd8\xff" + b"\0" * (23 * 1024 * 1024)}
        page.set_input_files("[data-testid=f-photos]", [huge])
        page.wait_for_function(
            "() => document.querySelector('[data-testid=photo-error]').textContent.length > 0")
        assert "huge.jpg" in page.inner_text("[data-testid=photo-error]")
        assert page.locator("[data-testid=thumbs] img").count() == 0

        report_offline(page, "楼道堆放杂物影响通行(离线一)",
                       [photo_file("a1.jpg", seed=1), photo_file("a2.jpg", seed=2)])
        shot(page, screenshot_dir, "field-outbox-offline-phone.png")
        report_offline(page, "小区路灯损坏(离线二)", [photo_file("b1.jpg", seed=3)])
        report_offline(page, "邻里噪音纠纷(离线三)", [photo_file("c1.jpg", seed=4)])
        page.goto(page.url.split("#")[0] + "#/report")
        page.wait_for_selector("[data-testid=report-form]")
        shot(page, screenshot_dir, "field-report-offline-phone.png")
        assert Case.objects.count() == 0
        states = outbox_states(page)
        assert states == [("case", "waiting"), ("photo", "waiting"), ("photo", "waiting"),
                          ("case", "waiting"), ("photo", "waiting"),
                          ("case", "waiting"), ("photo", "waiting")]
        hashes = sorted(photo_hashes(page))
        assert sent_photo_requests == []  # nothing left the phone
        # The shell itself opens offline from the worker's cache (which holds the shell and
        # every asset it loads, and nothing else: no data).
        cached = page.evaluate("""() => caches.keys().then(names => Promise.all(names.map(
            n => caches.open(n).then(c => c.keys())
                .then(k => k.map(r => new URL(r.url).pathname)))))
            .then(lists => [].concat(...lists))""")
        assert "/field/" in cached and "/static/field/app.js" in cached
        assert not [u for u in cached if u.startswith("/api/")]
        page.reload()
        page.wait_for_selector("[data-testid=outbox-count]")
        assert page.inner_text("[data-testid=outbox-count]") == "7"

        ctx.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        wait_until(page, ALL_SENT)
        page.goto(page.url.split("#")[0] + "#/outbox")
        page.wait_for_selector("[data-testid=outbox-item]")
        shot(page, screenshot_dir, "field-outbox-sent-phone.png")
        watch.assert_clean("three reports sent")

        cases = list(Case.objects.order_by("id"))
        assert [c.description for c in cases] == [
            "楼道堆放杂物影响通行(离线一)", "小区路灯损坏(离线二)", "邻里噪音纠纷(离线三)"]
        assert all(c.area == office.world.grid_a1 for c in cases)
        uploads = list(PhotoUpload.objects.order_by("id"))
        assert sorted(u.sha256 for u in uploads) == hashes
        assert all(u.state == UploadState.ATTACHED for u in uploads)
        assert [Attachment.objects.filter(case=c).count() for c in cases] == [2, 1, 1]
        assert all(u.size <= 300 * 1024 for u in uploads)  # resized on the phone
        for attachment in Attachment.objects.all():
            with Image.open(attachment.file.path) as image:
                assert max(image.size) <= 1600

        # Sending again creates nothing.
        page.evaluate("() => cgStore.items().then(l => Promise.all("
                      "l.map(i => cgStore.update(i.id, {state: 'waiting'}))))")
        page.click("[data-testid=send-now]")
        wait_until(page, ALL_SENT)
        assert Case.objects.count() == 3 and Attachment.objects.count() == 4
        assert PhotoUpload.objects.count() == 4


def test_a_photo_upload_cut_in_the_middle_resumes_and_the_case_was_accepted(
        transactional_db, live_server, office, browser, screenshot_dir):
    # (Without the service worker here: Playwright's routing, which cuts the connection in
    # the middle of the upload, does not see requests passing through a worker.)
    worker = office.people["grid"]
    with open_page(browser, service_workers="block", **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, worker.username, worker=False)
        ctx.set_offline(True)
        report_offline(page, "井盖缺失(照片中断)", [photo_file("big.jpg", 3000, 2000, seed=9)])
        # The first chunk arrives, then the connection drops on the second.
        chunks = {"n": 0}

        def on_chunk(route):
            chunks["n"] += 1
            if chunks["n"] >= 2:
                route.abort("internetdisconnected")
            else:
                route.continue_()

        page.route("**/api/v1/field/photos/*", on_chunk)
        ctx.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        wait_until(page, "() => cgStore.items().then(l => l[1].state === 'sending' && "
                         "l[1].result && l[1].result.received > 0)")
        case = Case.objects.get()  # the record was accepted without waiting for its photo
        upload = PhotoUpload.objects.get()
        assert upload.state == UploadState.RECEIVING and 0 < upload.received < upload.size
        page.goto(page.url.split("#")[0] + "#/outbox")
        page.wait_for_selector("[data-testid=item-photos]")
        assert "待上传" in page.inner_text("[data-testid=item-photos]")
        shot(page, screenshot_dir, "field-photo-pending-phone.png")
        page.unroute("**/api/v1/field/photos/*")
        page.click("[data-testid=send-now]")
        wait_until(page, ALL_SENT)
        upload.refresh_from_db()
        assert upload.state == UploadState.ATTACHED and upload.received == upload.size
        assert Attachment.objects.filter(case=case).count() == 1
        watch.errors = [e for e in watch.errors if "ERR_INTERNET_DISCONNECTED" not in e
                        and "Failed to fetch" not in e]
        watch.assert_clean("photo resumed")


def test_a_draft_survives_a_reload(transactional_db, live_server, office, browser,
                                   screenshot_dir):
    with open_page(browser, **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, office.people["grid"].username)
        ctx.set_offline(True)
        page.goto(page.url.split("#")[0] + "#/report")
        page.wait_for_selector("[data-testid=report-form]")
        page.select_option("[data-testid=f-category]", "9102")
        page.fill("[data-testid=f-description]", "三楼住户反映漏水,还没写完")
        page.wait_for_timeout(3500)  # the draft is saved every few seconds
        page.reload()
        page.wait_for_selector("[data-testid=draft-offer]")
        shot(page, screenshot_dir, "field-draft-offer-phone.png")
        page.click("[data-testid=draft-restore]")
        assert page.input_value("[data-testid=f-description]") == "三楼住户反映漏水,还没写完"
        assert page.input_value("[data-testid=f-category]") == "9102"
        watch.assert_clean("draft restored")


def test_sign_out_leaves_no_data_on_the_phone(transactional_db, live_server, office, browser,
                                             screenshot_dir):
    with open_page(browser, **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, office.people["grid"].username)
        databases = "() => indexedDB.databases().then(d => d.map(x => x.name))"
        assert page.evaluate(databases) == ["cg-field"]
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("[data-testid=signout]")
        page.wait_for_url("**/accounts/login/**")
        assert page.evaluate(databases) == []
        assert page.evaluate("() => caches.keys()") == []
        workers = "() => navigator.serviceWorker.getRegistrations().then(r => r.length)"
        assert page.evaluate(workers) == 0
        watch.assert_clean("signed out")


def test_two_phones_edit_the_same_check_offline(transactional_db, live_server, office, browser,
                                               screenshot_dir):
    """Two grid workers of community A (its check is reported by the community) edit this
    week's check offline: the same field differently (a conflict, both values kept) and
    different fields (merged)."""
    from civicgrid.accounts.roles import Role
    from civicgrid.accounts.services import user_create

    world = office.world
    a = user_create(username="t_gl_a", password=PASSWORD, display_name="网格长甲",
                    roles=[Role.GRID_WORKER], area_codes=[world.community_a.code], actor=None)
    b = user_create(username="t_gl_b", password=PASSWORD, display_name="网格长乙",
                    roles=[Role.GRID_WORKER], area_codes=[world.community_a.code], actor=None)
    with open_page(browser, **MOBILE) as (ctx_a, page_a, watch_a), \
            open_page(browser, **MOBILE) as (ctx_b, page_b, watch_b):
        open_app(page_a, live_server.url, a.username)
        open_app(page_b, live_server.url, b.username)
        for ctx in (ctx_a, ctx_b):
            ctx.set_offline(True)
        for page, found, risks, notes in ((page_a, "3", "1", ""), (page_b, "5", "", "二号楼漏水")):
            page.goto(page.url.split("#")[0] + "#/check")
            page.wait_for_selector("[data-testid=check-form]")
            form = page.locator("[data-testid=check-form]").first
            form.locator("input[name=disputes_found]").fill(found)
            form.locator("input[name=risk_points]").fill(risks)
            form.locator("textarea[name=notes]").fill(notes)
            form.locator("[data-testid=check-submit]").click()
            page.wait_for_selector("[data-testid=outbox-item]")
        shot(page_b, screenshot_dir, "field-check-offline-phone.png")
        for ctx, page in ((ctx_a, page_a), (ctx_b, page_b)):
            ctx.set_offline(False)
            page.evaluate("() => window.dispatchEvent(new Event('online'))")
            wait_until(page, """() => cgStore.items().then(l => l.length > 0 && l.every(i =>
                i.state === 'accepted' || i.state === 'conflict'))""")
        check = WeeklyCheck.objects.get(area=world.community_a)
        # A came first: 3 disputes, 1 risk point. B (made when no check was on record): 5
        # disputes → a conflict, both kept; its notes merge; its risk points (left empty, 0)
        # did not change anything, so A's 1 stays.
        assert (check.disputes_found, check.risk_points, check.notes) == (3, 1, "二号楼漏水")
        conflicts = {c.field: (c.kept_value, c.offered_value) for c in CheckConflict.objects.all()}
        assert conflicts == {"disputes_found": (3, 5)}
        assert [s for _k, s in outbox_states(page_b)] == ["conflict"]
        page_b.goto(page_b.url.split("#")[0] + "#/outbox")
        page_b.wait_for_selector("[data-testid=conflict-field]")
        assert page_b.locator("[data-testid=conflict-field]").count() == 1
        shot(page_b, screenshot_dir, "field-check-conflict-phone.png")
        watch_a.assert_clean("phone A")
        watch_b.assert_clean("phone B")


def test_the_pages_at_laptop_width(transactional_db, live_server, office, browser, screenshot_dir):
    """Also the map, offline, drawn from what the phone keeps: the road and the grid's name."""
    import json

    from civicgrid.areas.services import roads_import

    content = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "桃坞路", "highway": "primary"},
         "geometry": {"type": "LineString", "coordinates": [[120.77, 31.90], [120.83, 31.905]]}},
    ]}, ensure_ascii=False).encode()
    assert roads_import(content=content, file_name="roads.geojson", mode="replace",
                        actor=None).ok
    with open_page(browser, **LAPTOP) as (ctx, page, watch):
        open_app(page, live_server.url, office.people["grid"].username)
        ctx.set_offline(True)
        page.reload()
        page.wait_for_selector("#map[data-roads='1']")
        wait_until(page, "() => document.querySelector('#map').dataset.basemap === 'local'")
        labels = page.locator("#map .cg-label-text").all_inner_texts()
        assert "桃坞路" in labels and any("桃坞第1网格" in t or "第1网格" in t for t in labels)
        shot(page, screenshot_dir, "field-home-1280.png")
        ctx.set_offline(False)
        page.goto(page.url.split("#")[0] + "#/report")
        page.wait_for_selector("[data-testid=report-form]")
        shot(page, screenshot_dir, "field-report-1280.png")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1281
        watch.assert_clean("laptop")


def test_a_cache_not_synced_for_14_days_is_wiped(transactional_db, live_server, office, browser,
                                                screenshot_dir):
    with open_page(browser, **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, office.people["grid"].username)
        ctx.set_offline(True)
        old = (timezone.now() - timedelta(days=15)).isoformat()
        page.evaluate(f"() => cgStore.put('meta', '{old}', 'synced')")
        page.reload()
        page.wait_for_selector("[data-testid=banner]:not([hidden])")
        assert "14" in page.inner_text("[data-testid=banner]")
        assert page.evaluate("() => cgStore.get('vault', 'bundle')") is None
        shot(page, screenshot_dir, "field-expired-phone.png")
        watch.assert_clean("expired")


def test_registry_quick_actions_offline(transactional_db, live_server, office, browser,
                                        screenshot_dir):
    """On the spot, offline: a room's use is recorded and the building marked seen today;
    both reach the registry when the connection returns."""
    from civicgrid.registry.models import Building, Room
    from civicgrid.registry.services import BuildingInput, building_create

    worker = office.people["grid"]
    building = building_create(grid=office.world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村3幢", road="桃坞路", house_number="3", floors_above=2, units=1,
        rooms_per_floor=2))
    room = Room.objects.filter(building=building).order_by("floor", "number").first()
    with open_page(browser, **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, worker.username)
        ctx.set_offline(True)
        page.click("[data-testid=tab-places]")
        page.click("[data-testid=building]")
        page.wait_for_selector("[data-testid=room-use]")
        page.select_option(f"[data-room='{room.pk}']", "rented")
        page.click("[data-testid=verify-building]")
        page.wait_for_selector("[data-testid=outbox-item]")
        assert [k for k, _s in outbox_states(page)] == ["registry", "registry"]
        page.goto(page.url.split("#")[0] + f"#/place/{building.code}")
        page.wait_for_selector("[data-testid=room-use]")
        shot(page, screenshot_dir, "field-place-offline-phone.png")
        ctx.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        wait_until(page, ALL_SENT)
        room.refresh_from_db()
        building.refresh_from_db()
        assert room.use == "rented" and room.verified_at is not None
        assert Building.objects.get(pk=building.pk).verified_at is not None
        watch.assert_clean("registry quick actions")


def test_signing_out_from_the_workspace_asks_when_unsent_items_would_be_lost(
        transactional_db, live_server, office, browser, screenshot_dir):
    worker = office.people["grid"]
    with open_page(browser, **LAPTOP) as (ctx, page, watch):
        open_app(page, live_server.url, worker.username)
        ctx.set_offline(True)
        report_offline(page, "单元门禁损坏(未发送)", [])
        # Refused by the server, say, and not yet edited: unsent (it is never resent alone).
        page.evaluate("() => cgStore.items().then(l => cgStore.update(l[0].id, "
                      "{state: 'refused', reason: '类别已停用'}))")
        ctx.set_offline(False)
        page.goto(f"{live_server.url}/")
        dialogs: list[str] = []

        def dismiss(dialog):
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.click(".cg-avatar")
        page.click("[data-testid=logout]")
        page.wait_for_timeout(500)
        assert len(dialogs) == 1 and "未发送" in dialogs[0]
        assert page.url == f"{live_server.url}/"  # still signed in, nothing lost
        assert page.evaluate("() => indexedDB.databases().then(d => d.map(x => x.name))") == \
            ["cg-field"]
        page.remove_listener("dialog", dismiss)
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(".cg-avatar")
        page.click("[data-testid=logout]")
        page.wait_for_url("**/accounts/login/**")
        # Clear-Site-Data: the browser removed the app's store, caches and worker.
        wait_until(page, "() => indexedDB.databases().then(d => d.length === 0)")
        watch.assert_clean("signed out from the workspace")


def test_an_outdated_app_is_told_to_update_and_keeps_its_outbox(
        transactional_db, live_server, office, browser, screenshot_dir):
    """The phone's app is older than the server accepts (its kept version set to -5). The
    page's own sync is held (its bundle request left pending: without the service worker,
    whose requests Playwright's routing cannot see) so that only the old version sends."""
    with open_page(browser, service_workers="block", **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, office.people["grid"].username, worker=False)
        ctx.set_offline(True)
        report_offline(page, "垃圾清运不及时(旧版本)", [])
        page.evaluate("() => cgStore.get('meta', 'app').then(a => "
                      "cgStore.put('meta', Object.assign({}, a, {version: -5}), 'app'))")
        page.route("**/api/v1/field/bundle", lambda route: None)  # held, never answered
        ctx.set_offline(False)
        page.evaluate("() => cgStore.flush()")
        assert outbox_states(page) == [("case", "update")]
        assert Case.objects.count() == 0
        page.goto(page.url.split("#")[0] + "#/outbox")
        page.reload()  # (the page shows the outbox as the phone keeps it)
        page.wait_for_selector("[data-testid=outbox-item]")
        assert page.inner_text("[data-testid=item-state]") == "待更新后发送"
        shot(page, screenshot_dir, "field-update-phone.png")
        # Updated: the kept item goes.
        page.evaluate("v => cgStore.get('meta', 'app').then(a => "
                      "cgStore.put('meta', Object.assign({}, a, {version: v}), 'app'))",
                      APP_VERSION)
        page.evaluate("() => cgStore.flush()")
        assert outbox_states(page) == [("case", "accepted")]
        assert Case.objects.get().description == "垃圾清运不及时(旧版本)"
        watch.errors = [e for e in watch.errors if "426" not in e]
        watch.assert_clean("update")


def test_another_account_on_the_same_phone_never_sees_the_first_ones_items(
        transactional_db, live_server, office, browser, screenshot_dir):
    from civicgrid.accounts.roles import Role
    from civicgrid.accounts.services import user_create
    from civicgrid.field.models import FieldDevice

    first = office.people["grid"]
    second = user_create(username="t_grid_b", password=PASSWORD, display_name="网格员乙",
                         roles=[Role.GRID_WORKER], area_codes=[office.world.grid_a1.code],
                         actor=None)
    with open_page(browser, **MOBILE) as (ctx, page, watch):
        open_app(page, live_server.url, first.username)
        ctx.set_offline(True)
        report_offline(page, "甲的未发送事件:302室漏水", [])
        item_id = page.evaluate("() => cgStore.items().then(l => l[0].id)")
        # (refused, say, and not yet edited: it stays unsent whatever happens next)
        page.evaluate("id => cgStore.update(id, {state: 'refused', reason: '类别已停用'})",
                      item_id)
        ctx.clear_cookies()  # the first account's session ends; the second signs in
        ctx.set_offline(False)
        browser_login(page, live_server.url, second.username, PASSWORD)
        page.goto(f"{live_server.url}/field/#/outbox")
        wait_until(page, "() => cgStore.get('meta', 'user').then(u => u && u.username === "
                         "'t_grid_b')")
        page.wait_for_selector("[data-testid=outbox-item]")
        text = page.inner_text("body")
        assert "302室漏水" not in text and "另一个账号" in text
        assert Case.objects.count() == 0  # never sent under the second account
        page.goto(f"{live_server.url}/field/#/edit/{item_id}")
        page.wait_for_selector("[data-testid=outbox-item]")  # not opened for editing
        assert page.locator("[data-testid=report-form]").count() == 0
        page.goto(f"{live_server.url}/field/#/cases")
        page.wait_for_selector("h1")
        assert "302室漏水" not in page.inner_text("body")
        shot(page, screenshot_dir, "field-other-account-phone.png")
        assert FieldDevice.objects.filter(user=second).count() == 1  # registered anew
        assert FieldDevice.objects.filter(user=first).count() == 1
        # (the first account's page saw its session gone: 401, told to sign in again)
        watch.errors = [e for e in watch.errors if "401" not in e]
        watch.assert_clean("another account")
