"""Photos and documents of a case: what is accepted (sniffed, not trusted from the name),
how it is stored (content-addressed name, a thumbnail for images)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor, actor_user
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases.inputs import AttachInput
from civicgrid.cases.models import Attachment, Case
from civicgrid.cases.services.common import apply_transition, transition_service

ALLOWED_UPLOADS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "application/pdf": ".pdf",
}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOADS = 9

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


def validate_uploads(
    uploads: Sequence[UploadedFile[bytes]],
) -> list[tuple[UploadedFile[bytes], str]]:
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
        checked.append((upload, kind))
    return checked


def store_attachment(
    case: Case, upload: UploadedFile[bytes], kind: str, actor: Actor
) -> Attachment:
    data = upload.read()
    digest = hashlib.sha256(data).hexdigest()
    name = f"{case.number}-{digest[:12]}{ALLOWED_UPLOADS[kind]}"
    attachment = Attachment(case=case, original_name=(upload.name or name)[:200],
                            content_type=kind, size=len(data), sha256=digest,
                            uploaded_by=actor_user(actor),
                            uploaded_at=timezone.now())
    attachment.file.save(name, ContentFile(data), save=False)
    if kind.startswith("image/"):
        thumb = _thumbnail(data)
        if thumb is not None:
            attachment.thumbnail.save(f"{name}.thumb.jpg", ContentFile(thumb), save=False)
    attachment.save()
    return attachment


def _thumbnail(data: bytes) -> bytes | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened) or opened
            image.thumbnail((480, 480))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None  # a damaged image is still kept as uploaded, just without a thumbnail



@transition_service("attach")
@transaction.atomic
def case_attach(*, case: Case, actor: Actor, expected_version: int,
                data: AttachInput) -> list[Attachment]:
    checked = validate_uploads(list(data.uploads))
    if not checked:
        raise ValidationError({"attachments": _("请选择文件。")})
    apply_transition(case, "attach", actor, expected_version, {},
                     E.AttachmentAdded(files=[u.name or "" for u, _k in checked]))
    return [store_attachment(case, upload, kind, actor) for upload, kind in checked]
