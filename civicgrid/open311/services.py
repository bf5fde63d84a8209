"""The one write of the Open311 interface: a POSTed service request becomes a case.

The case is registered by `case_intake` with channel `api`, acting as the api_key's service
account (a member of the token's unit, scoped to the unit's areas), so the place must lie
in that unit's jurisdiction and the routing, deadlines, rollups, timeline, webhooks and
audit are those of every other intake. What the spec sends beyond the case's columns is
kept on an Open311Request row, with the token the client exchanges for the case number.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator, validate_email
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.api.models import ApiToken
from civicgrid.areas.coords import parse_coordinate_system
from civicgrid.areas.models import Area, Level
from civicgrid.cases.inputs import PartyInput
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import (
    DESCRIPTION_MAX_LENGTH,
    case_intake,
    intake_areas,
    intake_place,
    validate_uploads,
)
from civicgrid.core.crypto import encrypt_text
from civicgrid.core.text import xml_text
from civicgrid.core.transactions import service_atomic
from civicgrid.open311.models import Open311Request
from civicgrid.portal.services import ANONYMOUS_NAME

if TYPE_CHECKING:
    from civicgrid.accounts.models import User

MAX_MEDIA = 3
MAX_DESCRIPTION = DESCRIPTION_MAX_LENGTH  # the spec's limit, and every channel's


@dataclass
class RequestInput:
    """The POST arguments of GeoReport v2 (all strings as sent), plus uploaded media."""

    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)  # by code
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    account_id: str = ""
    device_id: str = ""
    media_url: str = ""
    jurisdiction_id: str = ""
    media: Sequence[UploadedFile[bytes]] = ()
    # civicgrid's extension: the system lat/long are in (wgs84 when blank; gcj02, bd09).
    coordinate_system: str = ""


def _point(data: RequestInput) -> tuple[float, float] | None:
    lat_raw, lng_raw = data.lat.strip(), data.long.strip()
    if not lat_raw and not lng_raw:
        return None
    if not lat_raw or not lng_raw:
        raise ValidationError({"lat": _("lat 和 long 须同时提供。")})
    try:
        lat, lng = float(lat_raw), float(lng_raw)
    except ValueError as exc:
        raise ValidationError({"lat": _("lat 和 long 须为 WGS84 经纬度数值。")}) from exc
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90
            and -180 <= lng <= 180):
        raise ValidationError({"lat": _("lat 和 long 须为 WGS84 经纬度数值。")})
    return lat, lng


def place_from_address(address: str, visible: QuerySet[Area]) -> Area | None:
    """The most specific street, town, community or village of `visible` whose full name
    appears in the address text (no geocoding service: deployments are offline)."""
    best: tuple[int, int, str] | None = None
    for code, name in visible.filter(level__in=[Level.STREET, Level.COMMUNITY]).values_list(
            "code", "name"):
        if name and name in address:
            key = (len(code), len(name), code)
            best = key if best is None or key > best else best
    return visible.filter(code=best[2]).first() if best else None


def _place(data: RequestInput, account: User) -> tuple[Area | None, float | None, float | None,
                                               str]:
    """The place the client gave (an area, or a point, in the system `coordinate_system`
    names, for case_intake to convert and locate) and the argument it came from. Whether it
    lies in the token's jurisdiction is case_intake's rule (`intake_place`), the same for
    every channel."""
    point = _point(data)
    if point is not None:
        lat, lng = point
        return None, lng, lat, "long"
    if data.address_id.strip():
        area = Area.objects.filter(code=data.address_id.strip()).first()
        if area is None or len(area.code) < 9:
            raise ValidationError({"address_id": _(
                "address_id 须为本单位辖区内街道及以下的区域代码。")})
        return area, None, None, "address_id"
    if data.address_string.strip():
        area = place_from_address(data.address_string, intake_areas(account))
        if area is None:
            message = _("无法根据 address_string 确定街道或社区,请提供 lat 和 long 或 address_id。")
            raise ValidationError({"address_string": message})
        return area, None, None, "address_string"
    raise ValidationError({"lat": _("请提供位置:lat 和 long,或 address_string,或 address_id。")})


def _as_argument(exc: ValidationError, argument: str) -> ValidationError:
    """case_intake names the place `area`; Open311 clients know it by their argument."""
    if not hasattr(exc, "error_dict") or "area" not in exc.error_dict:
        return exc
    errors = dict(exc.error_dict)
    errors[argument] = errors.pop("area")
    return type(exc)(errors)


def _applicant(data: RequestInput) -> list[PartyInput]:
    first, last = data.first_name.strip(), data.last_name.strip()
    # Chinese names: family name first, no space.
    name = f"{first} {last}".strip() if first.isascii() and last.isascii() else f"{last}{first}"
    phone = data.phone.strip()
    if not name and not phone:
        return []
    return [PartyInput(role="applicant", name=name or ANONYMOUS_NAME, phone=phone)]


def _mask_email(address: str) -> str:
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"[:100]


def _check_extras(data: RequestInput) -> None:
    email = data.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": _("电子邮箱格式无效。")}) from exc
    media_url = data.media_url.strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError as exc:
            raise ValidationError({"media_url": _("media_url 须为 http(s) 链接。")}) from exc
        if len(media_url) > 500:
            raise ValidationError({"media_url": _("media_url 过长(最多500个字符)。")})
    if len(data.media) > MAX_MEDIA:
        raise ValidationError({"media": _("最多上传 %(n)d 张照片。") % {"n": MAX_MEDIA}})
    if len(data.description) > MAX_DESCRIPTION:
        raise ValidationError({"description": _("description 最多4000个字符。")})
    for name in ("account_id", "device_id", "address_id", "jurisdiction_id"):
        if len(getattr(data, name)) > 100:
            raise ValidationError({name: _("%(name)s 过长(最多100个字符)。") % {"name": name}})


def _cleaned(data: RequestInput) -> RequestInput:
    """The texts as stored: without the characters XML 1.0 forbids (a Word soft line break,
    NUL, which PostgreSQL refuses outright), so that what a client sends can be listed
    again in XML to every client."""
    texts: dict[str, Any] = {f.name: xml_text(getattr(data, f.name))
                             for f in dataclasses.fields(data)
                             if isinstance(getattr(data, f.name), str)}
    attributes = {code: (xml_text(value) if isinstance(value, str)
                         else [xml_text(v) for v in value])
                  for code, value in data.attributes.items()}
    return dataclasses.replace(data, attributes=attributes, **texts)


def _area_name(area: Area) -> str:
    parent = area.parent
    return f"{parent.name}{area.name}" if parent is not None else area.name


def _description(category: Category, data: RequestInput, area: Area | None) -> str:
    """The client's text; the spec makes it optional, so without one the case says what
    and where: `路灯损坏:桃坞路12号` (address_string), else the area's name."""
    text = data.description.strip()
    if text:
        return text
    where = data.address_string.strip() or (_area_name(area) if area is not None else "")
    return f"{category.name}:{where}" if where else category.name


@service_atomic
def open311_request_create(*, api_token: ApiToken, category: Category,
                           data: RequestInput) -> Open311Request:
    """Register the request as a case and keep what else the client sent. Raises
    ValidationError keyed by the spec's argument names."""
    data = _cleaned(data)
    _check_extras(data)
    system = parse_coordinate_system(data.coordinate_system)
    area, lng, lat, argument = _place(data, api_token.user)
    for upload, kind in validate_uploads(list(data.media)):
        if not kind.startswith("image/"):
            raise ValidationError({"media": _("%(name)s 不是图片。") % {"name": upload.name}})
    try:
        if area is None and not data.description.strip():
            # Only a point: name its grid in the description (case_intake's own rule and
            # message for a point outside the jurisdiction).
            area = intake_place(actor=api_token.user, lng=lng, lat=lat,
                                coordinate_system=system)
        case = case_intake(
            channel=Channel.API, category=category,
            description=_description(category, data, area), actor=api_token.user,
            area=area, lng=lng, lat=lat, coordinate_system=system,
            address=data.address_string,
            attributes=data.attributes, parties=_applicant(data), uploads=list(data.media))
    except ValidationError as exc:
        raise _as_argument(exc, argument) from exc
    email = data.email.strip()
    return Open311Request.objects.create(
        case=case, token=secrets.token_urlsafe(16), api_token=api_token,
        jurisdiction_id=data.jurisdiction_id.strip(), account_id=data.account_id.strip(),
        device_id=data.device_id.strip(), address_id=data.address_id.strip(),
        media_url=data.media_url.strip(), email_encrypted=encrypt_text(email) if email else "",
        email_masked=_mask_email(email) if email else "", created_at=timezone.now())
