"""Uploads on every channel (issue 12, point 1): the pixel limit read from the header before
any decoding, damaged images refused, metadata (EXIF with GPS, XMP, ICC, comments, text)
stripped from the stored original and the thumbnail, and no file left on disk by anything
refused or rolled back. The hostile files are made here, by hand, a few hundred bytes each.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageFile, PngImagePlugin

from civicgrid.cases import services as svc
from civicgrid.cases.inputs import AttachInput
from civicgrid.cases.models import Attachment, Case, Status
from civicgrid.cases.services import StaleCase
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_workflow import put_in_status
from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests.conftest import o311  # noqa: F401 (a fixture)
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

TOO_MANY = " 的像素超过 4000 万的上限,请缩小后再上传。"
DAMAGED = "无法识别为完整的图片(文件可能已损坏)"
INSIDE_A1 = {"lng": "120.82", "lat": "31.92"}  # a point in grid_a1


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the portal's and Open311's limits
    yield
    cache.clear()


# --- the crafted files ----------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def declared_png(width: int, height: int, *, bit_depth: int = 8, colour_type: int = 2) -> bytes:
    """A PNG whose IHDR declares width × height; the IDAT holds only the first rows (zeros,
    compressed). Pillow reads the size from the IHDR; decoding would need it all."""
    bytes_per_pixel = {0: bit_depth / 8, 2: 3 * bit_depth / 8}[colour_type]
    row = 1 + int(width * bytes_per_pixel + 0.999)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * row * 4, 9)) + _chunk(b"IEND", b""))


def bomb() -> SimpleUploadedFile:
    """20,000 × 20,000 RGB (1.2 GB decoded) in about 300 bytes."""
    return SimpleUploadedFile("bomb.png", declared_png(20_000, 20_000), "image/png")


def flood() -> SimpleUploadedFile:
    """13,000 × 13,000 one-bit grey: 169 MP, under Pillow's own error limit of 179 MP."""
    data = declared_png(13_000, 13_000, bit_depth=1, colour_type=0)
    return SimpleUploadedFile("flood.png", data, "image/png")


def photo(name: str = "scene.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 60)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), "image/png")


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 55.0, 12.0), 3: "E", 4: (120.0, 49.0, 1.0)}  # GPSInfo
    return exif


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def media(settings, tmp_path):
    """The files under MEDIA_ROOT — this test's own folder — before the test; `media.new()`:
    those added since."""
    settings.MEDIA_ROOT = str(tmp_path / "media")

    class Media:
        before = media_files()

        def new(self) -> set[str]:
            return media_files() - self.before

    return Media()


@pytest.fixture
def no_decoding(monkeypatch):
    """Records every pixel decode (ImageFile.load) Pillow is asked for."""
    calls: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(image):
        calls.append(image.size)
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def _counts() -> tuple[int, int]:
    return Case.objects.count(), Attachment.objects.count()


# --- the header check: refused before anything is decoded or written -----------------------

@pytest.mark.parametrize("make", [bomb, flood], ids=["bomb-20000x20000", "flood-13000x13000-1bit"])
def test_too_many_pixels_are_refused_from_the_header_without_decoding(office, media,
                                                                      no_decoding, make):
    before = _counts()
    upload = make()
    with pytest.raises(ValidationError) as refused:
        new_case(office, uploads=[upload])
    assert refused.value.message_dict == {"attachments": [f"{upload.name}{TOO_MANY}"]}
    assert no_decoding == []
    assert _counts() == before and media.new() == set()


def test_valid_photos_before_a_bomb_leave_no_file(office, media):
    """The issue's path: the first photos passed, the third one is a bomb; before, the
    first two stayed on disk with no case and the report answered 500."""
    before = _counts()
    with pytest.raises(ValidationError, match=TOO_MANY):
        new_case(office, uploads=[photo("a.png"), photo("b.png"), bomb()])
    assert _counts() == before and media.new() == set()


def test_the_limit_comes_from_the_settings(office, settings, media):
    settings.UPLOAD_MAX_PIXELS = 1200
    case = new_case(office, uploads=[photo("fits.png", (40, 30))])  # exactly 1,200 pixels
    assert case.attachments.get().original_name == "fits.png"
    with pytest.raises(ValidationError) as refused:
        new_case(office, uploads=[photo("wide.png", (41, 30))])
    assert refused.value.messages == ["wide.png 的像素超过 0.12 万的上限,请缩小后再上传。"]
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and nothing sensible
    "truncated",  # a real PNG cut in the middle of its pixel data
    b"\xff\xd8\xff\xe0" + b"not a jpeg at all" * 4,
    b"GIF89a" + b"\x00" * 3,
], ids=["png-junk", "png-truncated", "jpeg-junk", "gif-junk"])
def test_an_image_that_does_not_decode_is_refused(office, media, data):
    """Before, a damaged image was kept as sent (metadata and all), without a thumbnail."""
    if data == "truncated":
        out = io.BytesIO()
        Image.effect_noise((64, 64), 60).save(out, "PNG")
        data = out.getvalue()[: len(out.getvalue()) // 2]
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        new_case(office, uploads=[SimpleUploadedFile("broken.img", data, "image/png")])
    assert refused.value.messages == [
        f"broken.img {DAMAGED},请重新拍摄或另存后再上传。"]
    assert _counts() == before and media.new() == set()


def test_a_pdf_is_kept_as_sent(office):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    case = new_case(office, uploads=[SimpleUploadedFile("letter.pdf", pdf, "image/png")])
    attachment = case.attachments.get()
    assert attachment.content_type == "application/pdf" and not attachment.thumbnail
    assert attachment.file.read() == pdf and attachment.size == len(pdf)
    assert attachment.sha256 == hashlib.sha256(pdf).hexdigest()


# --- metadata stripped, orientation kept --------------------------------------------------

def _stored(attachment: Attachment) -> tuple[bytes, Image.Image]:
    with attachment.file.open("rb") as f:
        data = f.read()
    return data, Image.open(io.BytesIO(data))


def _assert_clean(data: bytes, image: Image.Image) -> None:
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment", "Author"} & set(image.info)
    for secret in (b"SecretCam", b"secret", b"Exif\x00\x00"):
        assert secret not in data


def test_jpeg_with_gps_is_stored_without_any_metadata_and_upright(office):
    """EXIF with GPS, an ICC profile and a comment: none of them in the stored original or
    the thumbnail. Orientation 6 (turn 90° clockwise): the 40 × 20 photo is stored 20 × 40,
    its top half (red) on the right."""
    source = Image.new("RGB", (40, 20), (0, 0, 255))
    source.paste((255, 0, 0), (0, 0, 40, 10))
    out = io.BytesIO()
    source.save(out, "JPEG", exif=gps_exif(orientation=6), icc_profile=b"secret-icc",
                comment=b"secret", quality=95)
    assert b"SecretCam" in out.getvalue()  # the upload does carry them
    case = new_case(office, uploads=[SimpleUploadedFile("gps.jpg", out.getvalue(), "image/jpeg")])
    attachment = case.attachments.get()
    data, image = _stored(attachment)
    assert image.format == "JPEG" and attachment.content_type == "image/jpeg"
    assert image.size == (20, 40)
    red, blue = image.convert("RGB").getpixel((15, 20)), image.convert("RGB").getpixel((4, 20))
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60
    _assert_clean(data, image)
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()
    with attachment.thumbnail.open("rb") as f:
        thumb_data = f.read()
    thumb = Image.open(io.BytesIO(thumb_data))
    assert thumb.format == "JPEG" and thumb.size == (20, 40)
    _assert_clean(thumb_data, thumb)


def _with_metadata(fmt: str) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (30, 20), (10, 120, 30))
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Author", "secret")
        image.save(out, "PNG", exif=gps_exif(), pnginfo=text)
    elif fmt == "WEBP":
        image.save(out, "WEBP", exif=gps_exif(), xmp=b"<x>secret</x>", icc_profile=b"secret")
    else:  # two frames and a comment
        frames = [image.convert("P"), Image.new("RGB", (30, 20), "white").convert("P")]
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], comment=b"secret")
    assert b"secret" in out.getvalue()
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "kind"), [
    ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_each_image_format_is_stored_in_its_format_without_metadata(office, fmt, kind):
    upload = SimpleUploadedFile(f"x.{fmt.lower()}", _with_metadata(fmt), "image/png")
    attachment = new_case(office, uploads=[upload]).attachments.get()
    data, image = _stored(attachment)
    assert (image.format, attachment.content_type, image.size) == (fmt, kind, (30, 20))
    assert getattr(image, "n_frames", 1) == 1  # an animation keeps its first frame
    _assert_clean(data, image)
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()
    suffix = {"PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}[fmt]
    assert attachment.file.name.endswith(f"-{attachment.sha256[:12]}{suffix}")
    assert Image.open(attachment.thumbnail).format == "JPEG"


# --- files and transactions -----------------------------------------------------------------

def test_files_of_a_rolled_back_transaction_are_removed(office, media):
    """An outer transaction (Open311 and the portal have one) rolls back after a successful
    intake: the rows go, and so do the files."""
    with pytest.raises(RuntimeError), transaction.atomic():
        case = new_case(office, uploads=[photo("a.png"), photo("b.png")])
        written = media.new()
        assert len(written) == 4  # two originals, two thumbnails
        assert {a.file.name for a in case.attachments.all()} < written
        raise RuntimeError("a later step of the caller failed")
    assert media.new() == set()


def test_a_database_error_after_the_first_file_removes_every_file(office, media, monkeypatch):
    saved = []

    def save(self, *args, **kwargs):
        if saved:
            raise IntegrityError("disk full, or any refusal of the database")
        saved.append(self)
        return original(self, *args, **kwargs)

    original = Attachment.save
    monkeypatch.setattr(Attachment, "save", save)
    before = _counts()
    # (A failure while writing dooms the caller's transaction: intake writes without a
    # savepoint of its own. The caller here is this test, inside a transaction of its own.)
    with pytest.raises(IntegrityError), transaction.atomic():
        new_case(office, uploads=[photo("a.png"), photo("b.png")])
    assert saved and _counts() == before and media.new() == set()


def test_committed_files_stay(office, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = new_case(office, uploads=[photo()])
    assert callbacks  # the commit ran them
    attachment = case.attachments.get()
    names = {attachment.file.name, attachment.thumbnail.name}
    try:
        assert names <= media.new()
    finally:  # the test's own transaction is rolled back, but these were committed
        for name in names:
            attachment.file.storage.delete(name)


def test_attach_with_a_stale_version_writes_no_file(office, media):
    case = new_case(office)
    before = Attachment.objects.count(), case.version
    with pytest.raises(StaleCase):
        svc.case_attach(case=case, actor=office.people["dispatcher"],
                        expected_version=case.version - 1,
                        data=AttachInput(uploads=[photo()]))
    case.refresh_from_db()
    assert (Attachment.objects.count(), case.version) == before and media.new() == set()


def test_attach_refuses_a_bomb_and_keeps_the_case(office, media):
    case = new_case(office)
    version = case.version
    with pytest.raises(ValidationError, match=TOO_MANY):
        svc.case_attach(case=case, actor=office.people["dispatcher"], expected_version=version,
                        data=AttachInput(uploads=[photo(), bomb()]))
    case.refresh_from_db()
    assert case.version == version and not case.attachments.exists()
    assert media.new() == set()


# --- every channel answers 400 with the message, never 500 ----------------------------------

def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_portal_report_with_a_bomb_answers_400(office, client, media):
    data = {"category": str(office.neighbour.pk), "description": "楼上住户每天深夜装修,噪音很大",
            **INSIDE_A1, "community": "", "address": "3号楼", "name": "王五",
            "phone": "13900001234", "website": ""}
    before = _counts()
    response = client.post("/portal/report/", {**data, "photos": [photo(), bomb()]})
    assert response.status_code == 400
    assert f"bomb.png{TOO_MANY}" in response.content.decode()
    assert _counts() == before and media.new() == set()


def test_staff_intake_page_with_a_flood_answers_400(office, media):
    data = {"category": str(office.neighbour.pk), "description": "楼上住户深夜装修噪音扰民",
            **INSIDE_A1, "area": "", "channel": "patrol", "address": "", "happened_at": "",
            "people_band": "lt50", "party-TOTAL_FORMS": "0", "party-INITIAL_FORMS": "0"}
    before = _counts()
    response = _signed_in(office.people["grid"]).post(
        reverse("cases:new"), {**data, "uploads": [photo(), flood()]})
    assert response.status_code == 400
    assert f"flood.png{TOO_MANY}" in response.content.decode()
    assert _counts() == before and media.new() == set()


def test_attach_page_and_api_with_a_bomb_give_the_message(office, media):
    case = put_in_status(office, new_case(office), Status.HANDLING, "")
    client = _signed_in(office.people["mediator"])
    page = client.post(reverse("cases:action", args=[case.number, "attach"]),
                       {"version": case.version, "uploads": [bomb()]}, HTTP_HX_REQUEST="true")
    assert page.status_code == 200 and f"bomb.png{TOO_MANY}" in page.content.decode()
    api = client.post(f"/api/v1/cases/{case.number}/attachments",
                      {"version": case.version, "files": [photo(), bomb()]})
    assert api.status_code == 400, api.content
    assert f"bomb.png{TOO_MANY}" in api.json()["message"]
    case.refresh_from_db()
    assert not case.attachments.exists() and media.new() == set()


def test_open311_post_with_a_bomb_as_media_answers_400(o311, client, media):  # noqa: F811
    data = {"api_key": o311.key, "service_code": "9301", "lat": "31.92", "long": "120.82",
            "attribute[state]": "off", "description": "桃坞路北段路灯整晚不亮",
            "media": bomb()}
    before = _counts(), Open311Request.objects.count()
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 400, response.content
    [error] = response.json()
    assert error["code"] == 400 and f"bomb.png{TOO_MANY}" in error["description"]
    assert (_counts(), Open311Request.objects.count()) == before and media.new() == set()
