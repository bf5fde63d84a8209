"""The offline app's endpoints (/api/v1/field/): the bundle it keeps, its device, and
photos sent in resumable chunks. Cases go through POST /api/v1/cases and weekly checks
through POST /api/v1/checks/{area}/{week} like every client's."""

import json
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from ninja import Field, Router, Schema

from civicgrid.api.rendering import ApiJSONEncoder
from civicgrid.core.access import access
from civicgrid.core.schemas import ERRORS
from civicgrid.field import selectors, services
from civicgrid.field.models import PhotoUpload

router = Router(tags=["field"])
CAPTURE = "cases.case.add"  # the people who capture cases in the field
DEVICE_HEADER = "X-Civicgrid-Device"


@router.get("/bundle", response={200: dict, **ERRORS}, url_name="field_bundle")
@access(CAPTURE, api=True)
def bundle(request):
    """What the app keeps on the phone: the caller's own grids with their outlines and
    buildings, their open cases (no parties; numbers in the text masked), the categories,
    the weekly checks they report this week with the revision on record. A device revoked
    by an administrator (`X-Civicgrid-Device`) is answered 403 `device_revoked`: the app
    wipes what it keeps."""
    if services.device_revoked(actor=request.user,
                               device_id=request.headers.get(DEVICE_HEADER, "")):
        return HttpResponse(json.dumps({
            "code": "device_revoked", "message": "This device was revoked: wipe it.",
            "details": None}), status=403, content_type="application/json")
    data = selectors.field_bundle(actor=request.user)
    data["csrf"] = get_token(request)  # for the app's writes (CSRF of the session)
    return data


class DeviceIn(Schema):
    device_id: str = Field(..., min_length=8, max_length=64)
    label: str = Field("", max_length=200)
    app_version: int = Field(0, ge=0)


class DeviceOut(Schema):
    device_id: str
    secret: str | None = Field(None, description="given once, on the first call; keep it")


@router.post("/devices", response={200: DeviceOut, **ERRORS}, url_name="field_device")
@access(CAPTURE, api=True, body={"device_id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
def register_device(request, payload: DeviceIn):
    """Note the phone the app runs on (called on every sync)."""
    device, secret = services.device_register(
        actor=request.user, device_id=payload.device_id, label=payload.label,
        app_version=payload.app_version)
    return {"device_id": device.device_id, "secret": secret}


class DeviceStatusIn(Schema):
    device_id: str = Field(..., max_length=64)
    secret: str = Field(..., max_length=200)


class DeviceStatusOut(Schema):
    wipe: bool


@router.post("/devices/status", auth=None, response={200: DeviceStatusOut, **ERRORS},
             url_name="field_device_status")
@access(public=True, api=True, body={"device_id": "x" * 8, "secret": "y"})
def device_status(request, payload: DeviceStatusIn):
    """Without a session: must this phone wipe what it keeps (account disabled, device
    revoked)? Only the holder of the device's secret gets `true`."""
    return {"wipe": services.device_must_wipe(device_id=payload.device_id,
                                              secret=payload.secret)}


class PhotoIn(Schema):
    upload_id: str = Field(..., description="a UUID chosen by the app")
    case: str = Field(..., max_length=30, description="the case number")
    name: str = Field("photo.jpg", max_length=200)
    size: int = Field(..., ge=1)
    sha256: str = Field(..., min_length=64, max_length=64)
    content_type: str = Field(..., max_length=60)
    device_id: str = Field("", max_length=64)
    captured_at: datetime | None = None


class PhotoOut(Schema):
    upload_id: str
    case: str
    size: int
    received: int
    state: str = Field(..., description="receiving, attached or refused")
    reason: str
    attachment_id: int | None


def _out(upload: PhotoUpload) -> dict:
    return {"upload_id": str(upload.upload_id), "case": upload.case.number,
            "size": upload.size, "received": upload.received, "state": upload.state,
            "reason": upload.reason, "attachment_id": upload.attachment_id}


@router.post("/photos", response={200: PhotoOut, **ERRORS}, url_name="field_photo_begin")
@access(CAPTURE, api=True, body={"upload_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                                 "case": "X", "size": 1, "sha256": "0" * 64,
                                 "content_type": "image/jpeg"})
def begin_photo(request, payload: PhotoIn):
    """Start (or look up again) the upload of a photo of a case; `received` says where to
    resume. Size (≤ 10 MB) and kind (JPEG, PNG, WebP, GIF) are refused here, before any
    byte is sent."""
    upload = services.photo_begin(actor=request.user, data=services.PhotoIn(
        upload_id=payload.upload_id, case_number=payload.case, name=payload.name,
        size=payload.size, sha256=payload.sha256, content_type=payload.content_type,
        device_id=payload.device_id, captured_at=payload.captured_at))
    return _out(upload)


CHUNK_OPENAPI = {
    "parameters": [{"in": "header", "name": "X-Chunk-Sha256", "required": True,
                    "schema": {"type": "string"}, "description": "SHA-256 of the body"}],
    "requestBody": {"content": {"application/octet-stream": {
        "schema": {"type": "string", "format": "binary"}}}},
}


@router.put("/photos/{upload_id}", response={200: PhotoOut, **ERRORS},
            url_name="field_photo_chunk", openapi_extra=CHUNK_OPENAPI)
@access(CAPTURE, api=True, example={"upload_id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
def put_chunk(request, upload_id: str, offset: int = 0):
    """Append the body (≤ 1 MiB) at `offset`. 409 with `received` when the offset is not
    where the upload stands (resume from there); the last chunk attaches the photo."""
    upload = services.photo_find(actor=request.user, upload_id=upload_id)
    if upload is None:
        raise ValidationError({"upload_id": ["Unknown upload: begin it again."]})
    try:
        upload = services.photo_chunk(
            actor=request.user, upload=upload, offset=offset, data=request.body,
            chunk_sha256=request.headers.get("X-Chunk-Sha256", ""))
    except services.OffsetMismatch as mismatch:
        upload.received = mismatch.received
        return HttpResponse(json.dumps(_out(upload), cls=ApiJSONEncoder), status=409,
                            content_type="application/json")
    return _out(upload)
