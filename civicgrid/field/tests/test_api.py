"""The offline app's server side: the bundle, devices, photos in resumable chunks, the
version gate, the shell, the service worker, the manifest and sign-out's wipe.
Expectations are written by hand."""

from __future__ import annotations

import hashlib
import io
import json
import uuid

import pytest
from django.test import Client
from PIL import Image

from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Attachment, Case
from civicgrid.cases.tests.conftest import new_case
from civicgrid.field.models import FieldDevice, PhotoUpload, UploadState
from civicgrid.field.versions import APP_VERSION, HEADER

APP = {f"HTTP_{HEADER.upper().replace('-', '_')}": str(APP_VERSION)}


def jpeg(width=800, height=600, seed=7) -> bytes:
    image = Image.new("RGB", (width, height), (seed * 20 % 255, 120, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **APP, **extra)


# --- the bundle -----------------------------------------------------------------------------

def test_the_bundle_holds_the_workers_own_grid_and_nothing_of_others(office):
    world = office.world
    mine = new_case(office, description="楼道堆物,联系人13812345678,身份证320602199001011234")
    new_case(office, area=world.grid_b1, actor=office.people["county_dispatcher"])
    response = client_for(world.users[Role.GRID_WORKER]).get("/api/v1/field/bundle", **APP)
    assert response.status_code == 200
    data = response.json()
    assert [g["code"] for g in data["grids"]] == [world.grid_a1.code]
    assert data["grids"][0]["outline"]["type"] == "Polygon"
    assert [c["number"] for c in data["cases"]] == [mine.number]
    text = data["cases"][0]["description"]
    assert "13812345678" not in text and "320602199001011234" not in text
    assert "138****5678" in text
    assert "parties" not in data["cases"][0]
    codes = {c["code"] for c in data["categories"]}
    assert {"9102", "9103", "9501"} <= codes and not {"91", "95"} & codes  # leaves only
    labour = next(c for c in data["categories"] if c["code"] == "9103")
    assert [a["code"] for a in labour["attributes"]] == ["amount", "kind"]
    assert data["user"]["username"] == "t_grid"
    assert data["app"] == {"version": APP_VERSION, "oldest_accepted": max(1, APP_VERSION - 1)}
    assert len(data["csrf"]) >= 32
    assert "張三" not in response.content.decode() and "张三" not in response.content.decode()


def test_the_bundle_has_the_grids_buildings_and_rooms_with_their_versions(office):
    from civicgrid.registry.services import BuildingInput, building_create

    world = office.world
    mine = building_create(grid=world.grid_a1, actor=office.people["grid"], data=BuildingInput(
        name="1幢", road="人民路", house_number="1", floors_above=2, units=1, rooms_per_floor=2))
    building_create(grid=world.grid_b1, actor=world.outsider, data=BuildingInput(
        name="9幢", road="和平路", house_number="9", floors_above=1, units=1, rooms_per_floor=1))
    data = client_for(world.users[Role.GRID_WORKER]).get("/api/v1/field/bundle", **APP).json()
    assert [b["code"] for b in data["buildings"]] == [mine.code]
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in data["rooms"]] == [
        (mine.pk, 1, 1, "101", "unknown", 1), (mine.pk, 1, 1, "102", "unknown", 1),
        (mine.pk, 1, 2, "201", "unknown", 1), (mine.pk, 1, 2, "202", "unknown", 1)]
    assert ["vacant", "空置"] in data["room_uses"]


def test_the_bundle_has_the_roads_around_the_grids_and_a_point_for_each_name(office):
    from civicgrid.areas.services import roads_import

    world = office.world  # grid A1: a square of 0.05° from (120.80, 31.90)

    def road(name, coordinates):
        return {"type": "Feature", "properties": {"name": name, "highway": "primary"},
                "geometry": {"type": "LineString", "coordinates": coordinates}}

    content = json.dumps({"type": "FeatureCollection", "features": [
        road("桃坞路", [[120.79, 31.90], [120.81, 31.90]]),  # through the grid
        road("远郊路", [[121.50, 31.50], [121.52, 31.50]]),  # far away
    ]}, ensure_ascii=False).encode()
    assert roads_import(content=content, file_name="roads.geojson", mode="replace",
                        actor=None).ok
    data = client_for(world.users[Role.GRID_WORKER]).get("/api/v1/field/bundle", **APP).json()
    assert [f["properties"]["name"] for f in data["roads"]["features"]] == ["桃坞路"]
    from shapely.geometry import Point, shape

    assert shape(world.grid_a1.boundary).contains(Point(data["grids"][0]["label"]))


def test_the_bundle_is_refused_to_roles_that_do_not_capture(world):
    for role in (Role.LEADER, Role.ADMINISTRATOR, Role.AUDITOR):
        assert client_for(world.users[role]).get("/api/v1/field/bundle").status_code == 403
    assert Client().get("/api/v1/field/bundle").status_code == 401


def test_the_first_sync_of_a_demo_grid_is_under_one_megabyte(demo):
    """The busiest grid of the demo district as `make run` loads it (its places and 400
    cases): the grid with the most open cases and buildings."""
    import gzip

    from civicgrid.home.demo_cases import demo_cases_seed
    from civicgrid.home.demo_registry import demo_places_seed

    demo_places_seed()
    demo_cases_seed()

    from django.db.models import Count, Q

    from civicgrid.accounts.models import UserJurisdiction
    from civicgrid.areas.models import Area
    from civicgrid.cases.models import OPEN_STATUSES

    held = UserJurisdiction.objects.values("area_id")
    busiest = (Area.objects.filter(level="grid", pk__in=held)
               .annotate(n=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES),
                                 distinct=True) + Count("buildings", distinct=True))
               .order_by("-n", "code").first())
    assert busiest is not None and busiest.n > 0
    worker = UserJurisdiction.objects.filter(area=busiest).select_related("user").first().user
    response = client_for(worker).get("/api/v1/field/bundle", **APP)
    assert response.status_code == 200
    data = response.json()
    assert data["grids"] and data["categories"] and (data["cases"] or data["buildings"])
    raw = len(response.content)
    print(f"bundle of {worker.username} ({busiest.name}): {raw} bytes, gzip "
          f"{len(gzip.compress(response.content))}, {len(data['cases'])} cases, "
          f"{len(data['buildings'])} buildings")
    assert raw < 1024 * 1024


# --- devices --------------------------------------------------------------------------------

def test_a_device_gets_its_secret_once_and_a_disabled_account_is_told_to_wipe(world):
    worker = world.users[Role.GRID_WORKER]
    client = client_for(worker)
    device_id = str(uuid.uuid4())
    first = post(client, "/api/v1/field/devices", {"device_id": device_id, "label": "Pixel"})
    assert first.status_code == 200
    secret = first.json()["secret"]
    assert secret and len(secret) >= 40
    again = post(client, "/api/v1/field/devices", {"device_id": device_id})
    assert again.json()["secret"] is None
    assert FieldDevice.objects.get().secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Another account cannot take the device over; nothing changes.
    before = list(FieldDevice.objects.values())
    assert post(client_for(world.outsider), "/api/v1/field/devices",
                {"device_id": device_id}).status_code == 403
    assert list(FieldDevice.objects.values()) == before

    anonymous = Client()

    def status(secret_text):
        return post(anonymous, "/api/v1/field/devices/status",
                    {"device_id": device_id, "secret": secret_text}).json()["wipe"]

    assert status(secret) is False
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert status(secret) is True
    assert status("wrong") is False  # only the holder of the secret learns anything


# --- photos in chunks ------------------------------------------------------------------------

def _begin(client, case, data, upload_id=None, **over):
    body = {"upload_id": upload_id or str(uuid.uuid4()), "case": case.number,
            "name": "现场.jpg", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": "image/jpeg", "device_id": "phone-1", **over}
    return post(client, "/api/v1/field/photos", body)


def _chunk(client, upload_id, offset, piece, digest=None):
    return client.put(f"/api/v1/field/photos/{upload_id}?offset={offset}", piece,
                      content_type="application/octet-stream",
                      HTTP_X_CHUNK_SHA256=digest or hashlib.sha256(piece).hexdigest(), **APP)


def test_a_photo_sent_in_chunks_resumes_after_a_cut_and_is_attached(office):
    case = new_case(office)
    client = client_for(office.people["grid"])
    data = jpeg()
    begun = _begin(client, case, data)
    assert begun.status_code == 200, begun.content
    upload_id = begun.json()["upload_id"]
    assert begun.json()["received"] == 0
    half = len(data) // 2
    assert _chunk(client, upload_id, 0, data[:half]).json()["received"] == half
    # The connection dropped; the app asks again where it stands (begin is idempotent) …
    assert _begin(client, case, data, upload_id=upload_id).json()["received"] == half
    # … a chunk sent at the wrong offset is answered 409 with where to resume.
    wrong = _chunk(client, upload_id, 0, data[:100])
    assert (wrong.status_code, wrong.json()["received"]) == (409, half)
    # A chunk damaged on the way is refused and not written.
    bad = _chunk(client, upload_id, half, data[half:], digest="0" * 64)
    assert bad.status_code == 400
    assert PhotoUpload.objects.get().received == half
    done = _chunk(client, upload_id, half, data[half:])
    assert done.status_code == 200
    out = done.json()
    assert (out["state"], out["received"]) == ("attached", len(data))
    attachment = Attachment.objects.get(case=case)
    assert out["attachment_id"] == attachment.pk
    upload = PhotoUpload.objects.get()
    assert upload.sha256 == hashlib.sha256(data).hexdigest() and upload.attachment == attachment
    # Sending the last chunk again (its answer was lost) answers the state; nothing changes.
    assert _chunk(client, upload_id, half, data[half:]).json()["state"] == "attached"
    assert Attachment.objects.filter(case=case).count() == 1


def test_a_whole_that_does_not_match_its_hash_starts_over(office):
    case = new_case(office)
    client = client_for(office.people["grid"])
    data = jpeg()
    upload_id = _begin(client, case, data, sha256="a" * 64).json()["upload_id"]
    response = _chunk(client, upload_id, 0, data)
    assert response.status_code == 400
    assert PhotoUpload.objects.get().received == 0
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(("over", "field"), [
    ({"size": 23 * 1024 * 1024}, "size"),
    ({"content_type": "application/pdf"}, "content_type"),
    ({"content_type": "text/html"}, "content_type"),
    ({"sha256": "z" * 64}, "sha256"),
    ({"upload_id": "not-a-uuid"}, "upload_id"),
])
def test_size_and_kind_are_refused_before_any_byte(office, over, field):
    case = new_case(office)
    response = _begin(client_for(office.people["grid"]), case, jpeg(), **over)
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert PhotoUpload.objects.count() == 0


def test_a_case_out_of_scope_is_not_found_and_an_upload_is_its_senders(office):
    case = new_case(office)
    outsider = client_for(office.world.outsider)
    response = _begin(outsider, case, jpeg())
    assert response.status_code == 400 and "case" in response.json()["details"]
    upload_id = _begin(client_for(office.people["grid"]), case, jpeg()).json()["upload_id"]
    assert _chunk(outsider, upload_id, 0, b"x" * 10).status_code == 400  # not theirs: unknown
    assert PhotoUpload.objects.get().received == 0


def test_a_photo_the_case_refuses_is_kept_as_refused_with_its_reason(office):
    case = new_case(office)
    client = client_for(office.people["grid"])
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # declared an image, not one
    upload_id = _begin(client, case, data, content_type="image/png").json()["upload_id"]
    out = _chunk(client, upload_id, 0, data).json()
    assert out["state"] == UploadState.REFUSED and out["reason"]
    assert Attachment.objects.count() == 0
    assert Case.objects.get(pk=case.pk).version == case.version


# --- versions -------------------------------------------------------------------------------

@pytest.mark.parametrize(("version", "status"), [
    (str(APP_VERSION), 200), (str(max(1, APP_VERSION - 1)), 200),
    (str(APP_VERSION - 2), 426), ("0", 426), ("abc", 426), (None, 200),
])
def test_the_server_accepts_the_current_and_previous_app_version(world, version, status):
    client = client_for(world.users[Role.GRID_WORKER])
    extra = {} if version is None else {f"HTTP_{HEADER.upper().replace('-', '_')}": version}
    response = client.get("/api/v1/field/bundle", **extra)
    assert response.status_code == status
    if status == 426:
        assert response.json()["code"] == "app_update_required"


# --- shell, worker, manifest, sign-out --------------------------------------------------------

def test_the_shell_worker_and_manifest_are_served_without_data(world):
    client = Client()
    shell = client.get("/field/")
    assert shell.status_code == 200
    text = shell.content.decode()
    assert 'rel="manifest"' in text and "field/app.js" in text
    worker = client.get("/field/sw.js")
    assert worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == "/field/"
    assert "__BUILD__" not in worker.content.decode()
    assert "/static/field/app.js" in worker.content.decode()
    manifest = json.loads(client.get("/field/manifest.webmanifest").content)
    assert manifest["start_url"] == "/field/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    # Signed in, the shell is the same page: nothing of the user is in it.
    signed = client_for(world.users[Role.GRID_WORKER]).get("/field/").content.decode()
    assert "t_grid" not in signed


def test_sign_out_tells_the_browser_to_clear_what_the_site_kept(world):
    client = client_for(world.users[Role.GRID_WORKER])
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_uploads_unfinished_for_14_days_are_given_up_with_their_parts(office):
    from datetime import timedelta
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from civicgrid.field.services import uploads_sweep

    case = new_case(office)
    client = client_for(office.people["grid"])
    data = jpeg()
    old_id = _begin(client, case, data).json()["upload_id"]
    _chunk(client, old_id, 0, data[:100])
    fresh_id = _begin(client, case, data).json()["upload_id"]
    _chunk(client, fresh_id, 0, data[:100])
    PhotoUpload.objects.filter(upload_id=old_id).update(
        updated_at=timezone.now() - timedelta(days=15))
    part = Path(settings.MEDIA_ROOT) / "field-uploads" / f"{old_id}.part"
    assert part.exists()
    assert uploads_sweep() == 1
    old, fresh = (PhotoUpload.objects.get(upload_id=old_id),
                  PhotoUpload.objects.get(upload_id=fresh_id))
    assert (old.state, fresh.state) == (UploadState.REFUSED, UploadState.RECEIVING)
    assert old.reason and not part.exists()
    assert uploads_sweep() == 0


@pytest.mark.parametrize(("text", "absent", "present"), [
    ("电话13812345678", ["13812345678"], ["138****5678"]),
    ("电话+86 138 1234 5678", ["1234 5678", "12345678"], ["138****5678"]),
    ("电话138-1234-5678", ["1234-5678"], ["138****5678"]),
    ("身份证320602199001011234", ["199001011234"], []),
    ("老身份证320602900101123", ["900101123"], []),
    # an ID number that the 240-character cut would have gone through
    ("说" * 230 + "320602199001011234", ["3206021990", "320602"], ["…"]),
])
def test_numbers_in_the_description_are_masked_before_it_is_cut(text, absent, present):
    from civicgrid.field.selectors import masked_text

    masked = masked_text(text)
    assert len(masked) <= 241
    assert not [a for a in absent if a in masked], masked
    assert all(p in masked for p in present), masked


def test_a_revoked_device_is_told_to_wipe_even_while_its_session_lasts(world):
    from django.utils import timezone

    worker = world.users[Role.GRID_WORKER]
    client = client_for(worker)
    device_id = str(uuid.uuid4())
    post(client, "/api/v1/field/devices", {"device_id": device_id})
    header = {"HTTP_X_CIVICGRID_DEVICE": device_id}
    assert client.get("/api/v1/field/bundle", **APP, **header).status_code == 200
    FieldDevice.objects.filter(device_id=device_id).update(revoked_at=timezone.now())
    response = client.get("/api/v1/field/bundle", **APP, **header)
    assert (response.status_code, response.json()["code"]) == (403, "device_revoked")
    # Another phone of the same account is not affected.
    assert client.get("/api/v1/field/bundle", **APP,
                      HTTP_X_CIVICGRID_DEVICE=str(uuid.uuid4())).status_code == 200


def test_a_photo_whose_attaching_did_not_finish_is_attached_when_asked_again(office, monkeypatch):
    from civicgrid.field import services

    case = new_case(office)
    client = client_for(office.people["grid"])
    data = jpeg()
    upload_id = _begin(client, case, data).json()["upload_id"]
    real = services.case_attach
    calls = {"n": 0}

    def busy(**kwargs):  # the case keeps moving on: three stale versions in a row
        calls["n"] += 1
        raise services.StaleCase

    monkeypatch.setattr(services, "case_attach", busy)
    out = _chunk(client, upload_id, 0, data).json()
    assert (out["state"], out["received"], calls["n"]) == ("receiving", len(data), 3)
    assert Attachment.objects.count() == 0
    monkeypatch.setattr(services, "case_attach", real)
    again = _begin(client, case, data, upload_id=upload_id).json()
    assert again["state"] == "attached" and Attachment.objects.filter(case=case).count() == 1
