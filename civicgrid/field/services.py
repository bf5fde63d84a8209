"""Writes of the offline app: its devices, and photos sent in resumable chunks.

Cases and weekly checks captured offline are not written here: the app sends them to the
same endpoints as every client (`POST /api/v1/cases` with an Idempotency-Key, the weekly
check's merge endpoint), whose services hold the rules.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases.inputs import AttachInput
from civicgrid.cases.models import Case
from civicgrid.cases.services import case_attach
from civicgrid.cases.services.attachments import ALLOWED_UPLOADS, MAX_UPLOAD_BYTES
from civicgrid.cases.services.common import StaleCase
from civicgrid.cases.workflow import TransitionNotAllowed
from civicgrid.field.models import FieldDevice, PhotoUpload, UploadState

MAX_CHUNK_BYTES = 1024 * 1024
UPLOAD_RETENTION = timedelta(days=14)  # an upload not finished by then is given up


def _part_path(upload: PhotoUpload) -> Path:
    return Path(settings.MEDIA_ROOT) / "field-uploads" / f"{upload.upload_id}.part"


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- devices -------------------------------------------------------------------------------

def device_register(*, actor: User, device_id: str, label: str = "",
                    app_version: int = 0) -> tuple[FieldDevice, str | None]:
    """Note the phone the app runs on; on its first call, also give it a secret (returned
    once, only its hash kept). Another user's device id is refused: a phone is handed over
    by signing out, which wipes it, and starts as a new device."""
    device_id = (device_id or "").strip()
    if not 8 <= len(device_id) <= 64 or not device_id.replace("-", "").isalnum():
        raise ValidationError({"device_id": [_("设备编号无效。")]})
    now = timezone.now()
    existing = FieldDevice.objects.filter(device_id=device_id).first()
    if existing is not None:
        if existing.user_id != actor.pk or existing.revoked_at is not None:
            raise PermissionDenied
        FieldDevice.objects.filter(pk=existing.pk).update(
            last_sync_at=now, app_version=app_version, label=label[:200] or existing.label)
        return existing, None
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            device = FieldDevice.objects.create(
                device_id=device_id, user=actor, secret_hash=_secret_hash(secret),
                label=label[:200], app_version=app_version, created_at=now, last_sync_at=now)
    except IntegrityError:  # the same phone registering twice at once
        raise PermissionDenied from None
    return device, secret


def device_revoked(*, actor: User, device_id: str) -> bool:
    """Whether the phone the app says it runs on was revoked (its data must go now, even
    while the session lasts). An id unknown or another account's is not revoked: the app
    registers itself anew."""
    return FieldDevice.objects.filter(device_id=(device_id or "")[:64], user=actor,
                                      revoked_at__isnull=False).exists()


def device_must_wipe(*, device_id: str, secret: str) -> bool:
    """Whether the phone must wipe what it keeps: its account disabled or the device
    revoked. Asked without a session (the session of a disabled account is gone); answered
    only to the holder of the device's secret — anyone else learns nothing (False)."""
    device = FieldDevice.objects.select_related("user").filter(device_id=device_id).first()
    if device is None or not hmac.compare_digest(device.secret_hash, _secret_hash(secret)):
        return False
    return device.revoked_at is not None or not device.user.is_active


# --- photos in chunks ----------------------------------------------------------------------

@dataclass(frozen=True)
class PhotoIn:
    upload_id: str
    case_number: str
    name: str
    size: int
    sha256: str
    content_type: str
    device_id: str = ""
    captured_at: datetime | None = None


def photo_begin(*, actor: User, data: PhotoIn) -> PhotoUpload:
    """Open (or find again: the app retries) the upload of one photo of a case. Size and
    kind are checked before any byte is sent; the case must be one the user may see."""
    try:
        upload_id = uuid.UUID(data.upload_id)
    except (ValueError, TypeError):
        raise ValidationError({"upload_id": [_("上传编号无效。")]}) from None
    existing = PhotoUpload.objects.filter(upload_id=upload_id).first()
    if existing is not None:
        if existing.user_id != actor.pk:
            raise PermissionDenied
        if (existing.sha256, existing.size) != (data.sha256.lower(), data.size):
            raise ValidationError({"upload_id": [_("上传编号已用于另一张照片。")]})
        if existing.state == UploadState.RECEIVING and existing.received == existing.size:
            # Every byte arrived but attaching it did not finish (the case was busy, the
            # process died): attach it now.
            return _complete(actor=actor, upload=existing)
        return existing
    case = Case.objects.restrict(actor).filter(number=data.case_number).first()
    if case is None:
        raise ValidationError({"case": [_("找不到这个事件。")]})
    if data.content_type not in ALLOWED_UPLOADS or data.content_type == "application/pdf":
        raise ValidationError({"content_type": [_("只能上传 JPG、PNG、WebP 或 GIF 照片。")]})
    if not 0 < data.size <= MAX_UPLOAD_BYTES:
        raise ValidationError({"size": [_("照片不能超过 10 MB。")]})
    digest = (data.sha256 or "").lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError({"sha256": [_("SHA-256 校验值无效。")]})
    now = timezone.now()
    try:
        with transaction.atomic():
            return PhotoUpload.objects.create(
                upload_id=upload_id, user=actor, device_id=data.device_id[:64], case=case,
                name=(data.name or "photo")[:200], size=data.size, sha256=digest,
                captured_at=data.captured_at, created_at=now, updated_at=now)
    except IntegrityError:  # the same id sent twice at once: the first one stands
        return photo_begin(actor=actor, data=data)


class OffsetMismatch(Exception):
    """The chunk does not start where the upload stands (the app asks and resumes)."""

    def __init__(self, received: int):
        super().__init__("offset mismatch")
        self.received = received


def photo_find(*, actor: User, upload_id: str) -> PhotoUpload | None:
    with contextlib.suppress(ValueError, TypeError):
        return PhotoUpload.objects.filter(upload_id=uuid.UUID(upload_id), user=actor).first()
    return None


def photo_chunk(*, actor: User, upload: PhotoUpload, offset: int, data: bytes,
                chunk_sha256: str) -> PhotoUpload:
    """Append one chunk at `offset`, checked against its SHA-256. The last chunk completes
    the file: its SHA-256 must be the one declared, and the photo is attached to the case
    by `case_attach`; a photo the case refuses (closed meanwhile, not an image) is kept as
    refused with the reason, never dropped silently."""
    if upload.user_id != actor.pk:
        raise PermissionDenied
    if len(data) == 0 or len(data) > MAX_CHUNK_BYTES:
        raise ValidationError({"chunk": [_("分片大小无效。")]})
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), (chunk_sha256 or "").lower()):
        raise ValidationError({"chunk": [_("分片校验不符,请重新发送。")]})
    path = _part_path(upload)
    with transaction.atomic():
        locked = PhotoUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.state != UploadState.RECEIVING:
            return locked
        if offset != locked.received:
            raise OffsetMismatch(locked.received)
        if offset + len(data) > locked.size:
            raise ValidationError({"chunk": [_("超出照片声明的大小。")]})
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "r+b" if offset else "wb") as part:
            part.seek(offset)
            part.write(data)
            part.truncate()
        locked.received = offset + len(data)
        locked.updated_at = timezone.now()
        locked.save(update_fields=["received", "updated_at"])
    if locked.received == locked.size:
        return _complete(actor=actor, upload=locked)
    return locked


def _complete(*, actor: User, upload: PhotoUpload) -> PhotoUpload:
    path = _part_path(upload)
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != upload.sha256:
        # Every chunk matched its own hash, so the phone declared another whole: start over.
        with transaction.atomic():
            PhotoUpload.objects.filter(pk=upload.pk).update(received=0,
                                                            updated_at=timezone.now())
        path.unlink(missing_ok=True)
        raise ValidationError({"sha256": [_("照片校验不符,将重新上传。")]})
    file = SimpleUploadedFile(upload.name, content, content_type="application/octet-stream")
    reason = ""
    attachment = None
    busy = False
    for _attempt in range(3):
        try:
            with transaction.atomic():
                case = Case.objects.get(pk=upload.case_id)
                attachment = case_attach(case=case, actor=actor, expected_version=case.version,
                                         data=AttachInput(uploads=[file]))[0]
                PhotoUpload.objects.filter(pk=upload.pk).update(
                    state=UploadState.ATTACHED, attachment=attachment,
                    updated_at=timezone.now())
            break
        except StaleCase:  # the case moved on meanwhile: attach to what it is now
            file.seek(0)
            continue
        except (ValidationError, PermissionDenied, TransitionNotAllowed) as error:
            reason = _reason(error)
            break
    else:
        busy = True
    if busy:  # not a refusal: kept whole, attached when the phone asks again
        return PhotoUpload.objects.get(pk=upload.pk)
    if attachment is None:
        PhotoUpload.objects.filter(pk=upload.pk).update(
            state=UploadState.REFUSED, reason=reason[:300], updated_at=timezone.now())
    path.unlink(missing_ok=True)
    upload.refresh_from_db()
    return upload


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, PermissionDenied):
        return _("您不能给这个事件添加照片。")
    return _("事件已办结或不在可添加照片的环节。")


def uploads_sweep(*, now: datetime | None = None) -> int:
    """Give up uploads unfinished for UPLOAD_RETENTION: their parts are deleted (the daily
    jobs). The rows stay, refused, so the app shows why the photo did not arrive."""
    now = now or timezone.now()
    stale = list(PhotoUpload.objects.filter(state=UploadState.RECEIVING,
                                            updated_at__lt=now - UPLOAD_RETENTION))
    given_up = 0
    for upload in stale:
        # (one at a time, still receiving: an upload finished meanwhile stays attached)
        given_up += PhotoUpload.objects.filter(pk=upload.pk, state=UploadState.RECEIVING).update(
            state=UploadState.REFUSED, reason=_("上传超过 14 天未完成,已放弃。"), updated_at=now)
        _part_path(upload).unlink(missing_ok=True)
    return given_up
