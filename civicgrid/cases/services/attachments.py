"""Photos and documents of a case: what is accepted, how it is cleaned, how it is stored.

One path for every channel (the staff intake form, the JSON API, Open311, the resident
portal, the `attach` action), in three steps:

1. `validate_uploads` (cheap, no decoding): how many, how big, what kind (sniffed from the
   first bytes, never taken from the name or the client's content type), and for an image
   the width × height its header declares, against `settings.UPLOAD_MAX_PIXELS`. Pillow
   opens lazily, so the size is known before any pixel is decoded: a 48 KB PNG declaring
   20,000 × 20,000 pixels (a decompression bomb) or a 13,000 × 13,000 one-bit PNG costs
   nothing. Pillow's own bomb guard (`DecompressionBombError`, and its warning, which we
   treat as an error) answers the same message.
2. `prepare_uploads`, in memory: each image is decoded by the decoder of its sniffed format
   only, turned upright by its EXIF orientation and encoded again in the same format
   without any metadata — EXIF (GPS position, camera, time), XMP, ICC profile, comments,
   PNG text chunks are not carried over — and its thumbnail is made. The stored original
   is these bytes, and `sha256`/`size` describe them. An animated GIF or WebP keeps its
   first frame. An image that does not decode (damaged, truncated, a polyglot) is refused:
   what cannot be decoded cannot be cleaned, and for a photo of a case it is junk. PDFs are
   kept as sent.
3. `store_attachment`, only after every rule of the calling service has passed: writes
   the files and the row. Files belong to the database transaction that wrote them: if it
   rolls back — a later step of the service fails, the database refuses, or an outer
   transaction of the caller (Open311, the portal) rolls back — the files are removed
   (`_remove_on_rollback`). They are written before the commit, so a committed row never
   points to a missing file; a process killed between the write and the commit can at
   worst leave a file no row names.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor, actor_user
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases.inputs import AttachInput
from civicgrid.cases.models import Attachment, Case
from civicgrid.cases.services.common import apply_transition, transition_service
from civicgrid.core.transactions import service_atomic

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

ALLOWED_UPLOADS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "application/pdf": ".pdf",
}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOADS = 9
THUMBNAIL_BOX = (480, 480)
# The sniffed kind → the only Pillow decoder allowed to read it, and how it is written
# again: the modes the format stores as they are (others are converted) and the options.
_IMAGE_FORMATS: dict[str, tuple[str, frozenset[str], dict[str, object]]] = {
    "image/jpeg": ("JPEG", frozenset({"L", "RGB"}), {"quality": 90}),
    "image/png": ("PNG", frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}), {}),
    "image/webp": ("WEBP", frozenset({"RGB", "RGBA"}), {"quality": 90}),
    "image/gif": ("GIF", frozenset({"1", "L", "P"}), {}),
}
# What of an image's `info` survives the re-encoding: only what the pixels need.
_KEPT_INFO = ("transparency",)


@dataclass(frozen=True)
class CleanUpload:
    """An upload checked and cleaned in memory, ready to be written."""

    name: str  # the name the client gave, for the row and the timeline
    kind: str  # sniffed content type, a key of ALLOWED_UPLOADS
    data: bytes  # what is stored: re-encoded without metadata (images), as sent (PDFs)
    thumbnail: bytes | None  # JPEG, images only


def _sniff(upload: UploadedFile[bytes]) -> str:
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return "application/octet-stream"


def _too_many_pixels(name: str) -> ValidationError:
    limit = settings.UPLOAD_MAX_PIXELS
    # Both units are passed: the Chinese text counts in 万 (10⁴), a translation may use
    # megapixels (%(mp)s).
    return ValidationError({"attachments": _(
        "%(name)s 的像素超过 %(wan)s 万的上限,请缩小后再上传。") % {
        "name": name, "wan": f"{limit / 10_000:g}", "mp": f"{limit / 1_000_000:g}"}})


def _damaged(name: str) -> ValidationError:
    return ValidationError({"attachments": _(
        "%(name)s 无法识别为完整的图片(文件可能已损坏),请重新拍摄或另存后再上传。") % {
        "name": name}})


def _open_image(source: IO[bytes], kind: str, name: str) -> PILImage:
    """Open lazily (the header only) with the sniffed format's decoder and check the
    declared size. Call inside `_bomb_is_error()`. (Not closed here: `Image.close()` would
    close `source`, which may be the caller's upload.)"""
    from PIL import Image

    try:
        image = Image.open(source, formats=[_IMAGE_FORMATS[kind][0]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:  # hostile bytes can make any decoder raise anything
        raise _damaged(name) from None
    width, height = image.size
    if width * height > settings.UPLOAD_MAX_PIXELS:
        raise _too_many_pixels(name)
    if width < 1 or height < 1:
        raise _damaged(name)
    return image


@contextlib.contextmanager
def _bomb_is_error() -> Iterator[None]:
    """Pillow's DecompressionBombWarning raised as an error. (catch_warnings changes the
    process-wide filters; our own pixel check runs first anyway, so the warning is a
    second line only for a UPLOAD_MAX_PIXELS set above Pillow's limit of 89 MP.)"""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def validate_uploads(
    uploads: Sequence[UploadedFile[bytes]],
) -> list[tuple[UploadedFile[bytes], str]]:
    """Count, bytes, sniffed kind and, for images, the size the header declares; nothing
    is decoded. Returns each upload with its kind. Channels may call it for their own
    early checks; `prepare_uploads` calls it again."""
    if len(uploads) > MAX_UPLOADS:
        raise ValidationError({"attachments": _("最多上传 %(n)d 个附件。") % {"n": MAX_UPLOADS}})
    checked = []
    for upload in uploads:
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise ValidationError({"attachments": _("%(name)s 超过 10 MB。") % {
                "name": upload.name}})
        kind = _sniff(upload)
        if kind not in ALLOWED_UPLOADS:
            raise ValidationError({"attachments": _(
                "%(name)s 的格式不支持,请上传 JPG、PNG、WebP、GIF 图片或 PDF。") % {
                "name": upload.name}})
        if kind in _IMAGE_FORMATS:
            with _bomb_is_error():
                _open_image(cast(IO[bytes], upload), kind, upload.name or "")
            upload.seek(0)
        checked.append((upload, kind))
    return checked


def prepare_uploads(uploads: Sequence[UploadedFile[bytes]]) -> list[CleanUpload]:
    """Validate, then decode and clean every image in memory (see the module's text).
    Raises ValidationError({"attachments": ...}); writes nothing."""
    prepared = []
    for upload, kind in validate_uploads(uploads):
        name = upload.name or ""
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        upload.seek(0)
        if len(data) > MAX_UPLOAD_BYTES:  # `size` as the client framed it was wrong
            raise ValidationError({"attachments": _("%(name)s 超过 10 MB。") % {"name": name}})
        if kind in _IMAGE_FORMATS:
            data, thumbnail = _clean_image(data, kind, name)
            prepared.append(CleanUpload(name, kind, data, thumbnail))
        else:
            prepared.append(CleanUpload(name, kind, data, None))
    return prepared


def _clean_image(data: bytes, kind: str, name: str) -> tuple[bytes, bytes]:
    """The image encoded again without metadata, upright, and its JPEG thumbnail. One
    decoded copy at a time: the orientation is applied in place and the thumbnail is
    reduced from the same image after the original is encoded."""
    from PIL import ImageOps

    pil_format, modes, options = _IMAGE_FORMATS[kind]
    with _bomb_is_error():
        image = _open_image(io.BytesIO(data), kind, name)
        try:
            image.load()  # the first frame only
            with contextlib.suppress(Exception):  # a broken EXIF block: left as it stands
                ImageOps.exif_transpose(image, in_place=True)
            image.info = {k: image.info[k] for k in _KEPT_INFO if k in image.info}
            clean = image if image.mode in modes else image.convert(
                "RGBA" if "A" in image.getbands() and pil_format != "JPEG" else "RGB")
            out = io.BytesIO()
            clean.save(out, pil_format, **options)
            clean.thumbnail(THUMBNAIL_BOX)
            thumb = io.BytesIO()
            clean.convert("RGB").save(thumb, "JPEG", quality=80)
        except Exception:  # truncated or damaged pixel data, whatever the decoder raises
            raise _damaged(name) from None
        finally:
            image.close()  # frees the decoded pixels now, not at the next collection
    return out.getvalue(), thumb.getvalue()


class _KeepOnCommit:
    """Registered with `transaction.on_commit` and held only by Django's list of commit
    callbacks. Django calls it when the transaction commits (the file stays) and drops it
    without calling it when the transaction, or the savepoint it was registered in, rolls
    back: then the finalizer removes the file. (CPython frees the object at once when the
    list drops it; the finalizer also runs at the exit of the process.)"""

    def __init__(self, storage: Storage, name: str) -> None:
        self._finalizer = weakref.finalize(self, _delete_file, storage, name)

    def __call__(self) -> None:
        self._finalizer.detach()


def _delete_file(storage: Storage, name: str) -> None:
    with contextlib.suppress(OSError):  # already gone, or the disk refuses: nothing to do
        storage.delete(name)


def _remove_on_rollback(written: FieldFile) -> None:
    """Remove the file just written if the current transaction rolls back. (No reference
    to the callback may stay in a caller's frame: a traceback would keep it alive.)"""
    if written.name:
        transaction.on_commit(_KeepOnCommit(written.storage, written.name))


def store_attachment(case: Case, upload: CleanUpload, actor: Actor) -> Attachment:
    """Write one prepared upload and its row, inside the caller's transaction. Call it
    only after every rule of the service has passed."""
    digest = hashlib.sha256(upload.data).hexdigest()
    name = f"{case.number}-{digest[:12]}{ALLOWED_UPLOADS[upload.kind]}"
    attachment = Attachment(case=case, original_name=(upload.name or name)[:200],
                            content_type=upload.kind, size=len(upload.data), sha256=digest,
                            uploaded_by=actor_user(actor), uploaded_at=timezone.now())
    attachment.file.save(name, ContentFile(upload.data), save=False)
    _remove_on_rollback(attachment.file)
    if upload.thumbnail is not None:
        attachment.thumbnail.save(f"{name}.thumb.jpg", ContentFile(upload.thumbnail),
                                  save=False)
        _remove_on_rollback(attachment.thumbnail)
    attachment.save()
    return attachment


@transition_service("attach")
@service_atomic
def case_attach(*, case: Case, actor: Actor, expected_version: int,
                data: AttachInput) -> list[Attachment]:
    prepared = prepare_uploads(list(data.uploads))
    if not prepared:
        raise ValidationError({"attachments": _("请选择文件。")})
    apply_transition(case, "attach", actor, expected_version, {},
                     E.AttachmentAdded(files=[u.name for u in prepared]))
    return [store_attachment(case, upload, actor) for upload in prepared]
