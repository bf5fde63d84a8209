"""Every write to cases: intake from every channel, routing, each workflow transition,
hand-offs, sessions, agreements, supervision, extensions, merge, due jobs.

Each transition is one function `case_<verb>(*, case, actor, expected_version, ...)`. It
checks the workflow table (civicgrid/cases/workflow.py), changes the row only if nobody
changed it since `expected_version` (optimistic locking), writes the timeline event, the
rollup counters and the audit entry, all in one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.accounts.scope import ancestor_codes, get_scope, user_can
from civicgrid.areas.locator import locate_grid
from civicgrid.areas.models import Area
from civicgrid.audit.services import audit_record
from civicgrid.cases.documents import MediationAgreement, PartyInfo, render_mediation_agreement
from civicgrid.cases.models import (
    LEVEL_CODE_LENGTH,
    LEVEL_ORDER,
    Agreement,
    Attachment,
    AttributeType,
    Case,
    CaseEvent,
    CaseKind,
    CaseNumberSequence,
    Category,
    Channel,
    EventType,
    ExtensionRequest,
    ExtensionStatus,
    HandlingLevel,
    HandOff,
    InboxItem,
    InboxKind,
    MediationSession,
    Outcome,
    Party,
    PartyRole,
    PeopleBand,
    RoutingRule,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.workflow import PREVIOUS, transition_check
from civicgrid.core.crypto import encrypt_text, keyed_hash
from civicgrid.core.idnumbers import IDNumberError, id_birth_date, id_sex, normalize_id_number
from civicgrid.core.masking import mask_id_number, mask_phone, phone_last4
from civicgrid.stats.rollups import case_facts, stat_apply
from civicgrid.units.models import Unit, UnitKind
from civicgrid.webhooks.services import webhook_enqueue_for_event
from civicgrid.workcalendar.calendar import DayUnit, due_datetime

SHANGHAI = timezone.get_fixed_timezone(8 * 60)


class StaleCase(Exception):
    """Someone else changed the case since the user loaded it."""

    message = _("该事件已被他人更新,请刷新页面后再操作。")


# --- small helpers -----------------------------------------------------------------------

def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def _actor_name(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "display_name", "") or actor.get_username()


def _actor_user(actor):
    """The user row to link (None for the system and for a resident)."""
    return actor if actor is not None and actor.is_authenticated else None


def _audit_username(actor) -> str:
    """The name the audit log records for an actor without an account."""
    if actor is None:
        return "system"
    return "" if actor.is_authenticated else actor.get_username()


def _sla(category: Category, stage: str) -> tuple[int, DayUnit] | None:
    rule = (category.sla or {}).get(stage)
    if not rule:
        return None
    unit: DayUnit = "calendar" if rule.get("unit") == "calendar" else "working"
    return int(rule["days"]), unit


def _due(category: Category, stage: str, start: datetime) -> tuple[datetime | None, str]:
    """Due time of `stage` starting at `start`, and the fallback years used (if any)."""
    sla = _sla(category, stage)
    if sla is None:
        return None, ""
    due, deadline = due_datetime(start, sla[0], sla[1])
    return due, ",".join(str(y) for y in deadline.fallback_years)


def _event(case: Case, type_: str, actor, *, from_status: str = "", to_status: str = "",
           note: str = "", data: dict | None = None, unit: Unit | None = None) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case, type=type_, time=timezone.now(), actor=_actor_user(actor),
        actor_name=_actor_name(actor),
        unit=unit, from_status=from_status, to_status=to_status, note=note, data=data or {},
    )
    webhook_enqueue_for_event(event)  # rows now, in this transaction; sending after commit
    return event


def _save(case: Case, expected_version: int, fields: dict[str, Any]) -> None:
    """Write `fields` only if the case is still at `expected_version`; bump the version."""
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now())
    if updated != 1:
        raise StaleCase
    for name, value in fields.items():
        setattr(case, name, value)
    case.version = expected_version + 1


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写理由。"))
    return reason


@transaction.atomic
def _transition(case: Case, name: str, actor, expected_version: int, fields: dict[str, Any],
                event_type: str, *, note: str = "", data: dict | None = None,
                unit: Unit | None = None) -> Case:
    """The common path of every transition: check, save, rollup, timeline, audit."""
    transition = transition_check(case, name, actor)
    old_status, before = case.status, case_facts(case)
    target = transition.target
    if target == PREVIOUS:
        target = case.suspended_from
    if target is not None:
        fields.setdefault("status", target)
    _save(case, expected_version, fields)
    stat_apply(before, case_facts(case))
    _event(case, event_type, actor, from_status=old_status, to_status=case.status, note=note,
           data=data, unit=unit)
    audit_record(actor=actor, event_type=f"case.{name}", subject=case,
                 username=_audit_username(actor),
                 details={"from": old_status, "to": case.status, **(data or {})})
    return case


# --- routing -----------------------------------------------------------------------------

def minimum_level(category: Category, *, people_band: str, is_major: bool,
                  is_group: bool) -> str:
    """The category's default level, raised by scale and the 重大/群体性 flags."""
    level = LEVEL_ORDER.index(HandlingLevel(category.default_level))
    if is_group or people_band in (PeopleBand.FROM_100,):
        level = max(level, LEVEL_ORDER.index(HandlingLevel.STREET))
    if is_major or people_band == PeopleBand.OVER_500:
        level = LEVEL_ORDER.index(HandlingLevel.COUNTY)
    return LEVEL_ORDER[level]


@dataclass(frozen=True)
class Route:
    level: str
    unit: Unit | None
    rule: RoutingRule | None
    note: str


def _level_area_code(area_code: str, level: str) -> str | None:
    n = LEVEL_CODE_LENGTH[HandlingLevel(level)]
    return area_code[:n] if len(area_code) >= n else None


def case_route(*, category: Category, area_code: str, min_level: str) -> Route:
    """The lowest level, from `min_level` up, with a capable unit: first an explicit routing
    rule (most specific area, then category, then priority), then a unit of that level
    whose specialty matches the category's. Nothing found: the street dispatch queue.

    Two queries whatever the number of levels: the candidate rules of every level at once,
    and the specialised units of every level's area at once; the choice is made here."""
    category_codes = [category.code[:n] for n in range(2, len(category.code) + 1, 2)]
    prefixes = [*ancestor_codes(area_code), area_code]
    start = LEVEL_ORDER.index(HandlingLevel(min_level))
    levels = LEVEL_ORDER[start:]
    rules_by_level: dict[str, list[RoutingRule]] = {level: [] for level in levels}
    for rule in (RoutingRule.objects.filter(active=True, level__in=levels,
                                            area__code__in=prefixes, unit__active=True)
                 .filter(Q(category__isnull=True) | Q(category__code__in=category_codes))
                 .select_related("unit", "area", "category")):
        rules_by_level[rule.level].append(rule)
    level_codes = {level: _level_area_code(area_code, level) for level in levels}
    units: dict[str, Unit] = {}  # area code -> the first specialised unit (kind, code)
    if category.specialty_id:
        codes = [code for code in level_codes.values() if code]
        for candidate in (Unit.objects.filter(active=True, area__code__in=codes,
                                              specialties=category.specialty_id)
                          .select_related("area").order_by("kind", "code")):
            units.setdefault(candidate.area.code, candidate)
    for level in levels:
        rules = rules_by_level[level]
        if rules:
            best = max(rules, key=lambda r: (len(r.area.code),
                                             len(r.category.code) if r.category else 0,
                                             r.priority, -r.pk))
            return Route(level, best.unit, best, _("分流规则 #%(id)d:%(rule)s")
                         % {"id": best.pk, "rule": best})
        level_code = level_codes[level]
        unit = units.get(level_code) if level_code else None
        if unit is not None and category.specialty is not None:
            return Route(level, unit, None, _("按专业领域“%(s)s”匹配:%(u)s")
                         % {"s": category.specialty.name, "u": unit.name})
    return Route(min_level, None, None, _("无匹配规则,进入街道调度中心待派遣"))


def _queue_area(area: Area, level: str) -> Area:
    """The area whose dispatch centre owns cases of this level: the street, or the county."""
    code = area.code[:6] if level == HandlingLevel.COUNTY else area.code[:9]
    if len(area.code) < len(code):
        code = area.code
    return Area.objects.defer("boundary").get(code=code)  # a street's polygon is large


# --- intake ------------------------------------------------------------------------------

@dataclass
class PartyInput:
    role: str
    name: str
    sex: str = ""
    ethnicity: str = ""
    birth_date: date | None = None
    age: int | None = None
    occupation: str = ""
    phone: str = ""
    address: str = ""
    id_number: str = ""


ALLOWED_UPLOADS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "application/pdf": ".pdf",
}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOADS = 9


def clean_attributes(category: Category, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate the category's Open311-style attributes; unknown keys are refused."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    definitions = {a.code: a for a in category.attributes.all()}
    for code in raw:
        if code not in definitions:
            errors[code] = _("该分类没有此属性。")
    for code, attr in definitions.items():
        value = raw.get(code)
        empty = value in (None, "", [])
        if empty:
            if attr.required:
                errors[code] = _("“%(q)s”为必填项。") % {"q": attr.description}
            continue
        keys = {str(k) for k, _name in attr.values}
        if attr.datatype == AttributeType.NUMBER:
            try:
                cleaned[code] = float(Decimal(str(value)))
            except (InvalidOperation, ValueError):
                errors[code] = _("“%(q)s”须为数字。") % {"q": attr.description}
        elif attr.datatype == AttributeType.DATETIME:
            parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
            if parsed is None:
                errors[code] = _("“%(q)s”须为日期时间。") % {"q": attr.description}
            else:
                cleaned[code] = parsed.isoformat()
        elif attr.datatype == AttributeType.SINGLE:
            if str(value) not in keys:
                errors[code] = _("“%(q)s”的取值无效。") % {"q": attr.description}
            else:
                cleaned[code] = str(value)
        elif attr.datatype == AttributeType.MULTI:
            values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
            if not values or any(v not in keys for v in values):
                errors[code] = _("“%(q)s”的取值无效。") % {"q": attr.description}
            else:
                cleaned[code] = values
        else:
            text = str(value).strip()
            limit = 2000 if attr.datatype == AttributeType.TEXT else 200
            if len(text) > limit:
                errors[code] = _("“%(q)s”过长。") % {"q": attr.description}
            else:
                cleaned[code] = text
    if errors:
        raise ValidationError({f"attribute_{k}": v for k, v in errors.items()})
    return cleaned


def normalize_phone(raw: str) -> str:
    """The national number of a phone as digits (no +86/0086), or "" if it is not one."""
    phone = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    digits = phone.removeprefix("+86").removeprefix("0086")
    return digits if digits.isdigit() and 5 <= len(digits) <= 15 else ""


def party_search_hashes(*, phone: str = "", id_number: str = "") -> tuple[str, str]:
    """The keyed hashes intake stores for a phone and an ID number ("" when invalid), for
    exact search such as duplicate suggestions."""
    digits = normalize_phone(phone)
    phone_hash = keyed_hash(digits, "phone") if digits else ""
    try:
        id_hash = (keyed_hash(normalize_id_number(id_number), "id_number")
                   if id_number.strip() else "")
    except IDNumberError:
        id_hash = ""
    return phone_hash, id_hash


def _party_row(case: Case, party: PartyInput) -> Party:
    if party.role not in PartyRole.values:
        raise ValidationError({"parties": _("当事人身份无效。")})
    name = party.name.strip()
    if not name:
        raise ValidationError({"parties": _("请填写当事人姓名。")})
    row = Party(case=case, role=party.role, name=name[:60], sex=party.sex,
                ethnicity=party.ethnicity.strip(), birth_date=party.birth_date, age=party.age,
                occupation=party.occupation.strip(), address=party.address.strip())
    id_number = party.id_number.strip()
    if id_number:
        try:
            normalized = normalize_id_number(id_number)
        except IDNumberError as exc:
            raise ValidationError({"parties": _("%(name)s:%(err)s") % {
                "name": name, "err": exc}}) from exc
        row.id_number_encrypted = encrypt_text(normalized)
        row.id_number_hash = keyed_hash(normalized, "id_number")
        row.id_number_masked = mask_id_number(normalized)
        row.birth_date = row.birth_date or id_birth_date(normalized)
        row.sex = row.sex or id_sex(normalized)
    if party.phone.strip():
        digits = normalize_phone(party.phone)
        if not digits:
            raise ValidationError({"parties": _("%(name)s:电话号码无效。") % {"name": name}})
        row.phone_encrypted = encrypt_text(digits)
        row.phone_hash = keyed_hash(digits, "phone")
        row.phone_masked = mask_phone(digits)
        row.phone_last4 = phone_last4(digits)
    if row.age is None and row.birth_date is not None:
        today = timezone.localdate()
        row.age = today.year - row.birth_date.year - (
            (today.month, today.day) < (row.birth_date.month, row.birth_date.day))
    return row


def _sniff(upload: UploadedFile) -> str:
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


def validate_uploads(uploads: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
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


def _store_attachment(case: Case, upload: UploadedFile, kind: str, actor) -> Attachment:
    data = upload.read()
    digest = hashlib.sha256(data).hexdigest()
    name = f"{case.number}-{digest[:12]}{ALLOWED_UPLOADS[kind]}"
    attachment = Attachment(case=case, original_name=(upload.name or name)[:200],
                            content_type=kind, size=len(data), sha256=digest,
                            uploaded_by=actor if actor and actor.is_authenticated else None,
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


def _next_number(county_code: str, now: datetime) -> str:
    """The next number of the county's day: insert the day's row or add one to it, in one
    statement (two on SQLite before 3.35, which has no RETURNING). The row stays locked
    until commit, so no number is handed out twice."""
    day = _local_date(now)
    quote = connection.ops.quote_name
    table, county, day_, last = (quote(n) for n in (
        CaseNumberSequence._meta.db_table, "county_code", "day", "last"))
    upsert = (f"INSERT INTO {table} ({county}, {day_}, {last}) VALUES (%s, %s, 1) "  # noqa: S608
              f"ON CONFLICT ({county}, {day_}) DO UPDATE SET {last} = {table}.{last} + 1")
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{upsert} RETURNING {last}", [county_code, day])
        else:
            cursor.execute(upsert, [county_code, day])
            cursor.execute(f"SELECT {last} FROM {table} WHERE {county} = %s "  # noqa: S608
                           f"AND {day_} = %s", [county_code, day])
        number = cursor.fetchone()[0]
    return f"{county_code}-{day:%Y%m%d}-{number:05d}"


def _resolve_area(*, area: Area | None, lng: float | None, lat: float | None) -> Area:
    if area is not None:
        return area
    if lng is None or lat is None:
        raise ValidationError({"area": _("请在地图上选点或选择所在网格。")})
    grid = locate_grid(lng, lat)
    if grid is None:
        raise ValidationError({"area": _("该位置不在任何网格内,请选择所在网格。")})
    return grid


def _petitioned_before(parties: Sequence[PartyInput]) -> bool:
    """Has an applicant of this petition petitioned before (by phone or ID number)? Then
    it is a repeat petition, not 初信初访."""
    phone_hashes, id_hashes = set(), set()
    for party in parties:
        if party.role != PartyRole.APPLICANT:
            continue
        phone_hash, id_hash = party_search_hashes(phone=party.phone, id_number=party.id_number)
        phone_hashes |= {phone_hash} - {""}
        id_hashes |= {id_hash} - {""}
    if not phone_hashes and not id_hashes:
        return False
    return Party.objects.filter(
        Q(phone_hash__in=phone_hashes) | Q(id_number_hash__in=id_hashes),
        role=PartyRole.APPLICANT, case__category__kind=CaseKind.PETITION).exists()


@transaction.atomic
def case_intake(
    *,
    channel: str,
    category: Category,
    description: str,
    actor,
    area: Area | None = None,
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    happened_at: datetime | None = None,
    attributes: dict[str, Any] | None = None,
    parties: Iterable[PartyInput] = (),
    people_band: str = PeopleBand.UNDER_50,
    is_major: bool = False,
    is_group: bool = False,
    uploads: Sequence[UploadedFile] = (),
) -> Case:
    """Register a case from any channel. `actor=None` is a resident or a system (portal,
    Open311); staff must hold `cases.case.add`."""
    if actor is not None and not user_can(actor, Case, "add"):
        raise PermissionDenied
    if channel not in Channel.values:
        raise ValidationError({"channel": _("来源渠道无效。")})
    if not category.active or category.children.exists():
        raise ValidationError({"category": _("请选择最末一级的在用分类。")})
    description = (description or "").strip()
    if len(description) < 5:
        raise ValidationError({"description": _("请描述事件情况(至少5个字)。")})
    if people_band not in PeopleBand.values:
        raise ValidationError({"people_band": _("涉及人数无效。")})
    if (lng is None) != (lat is None) or (lng is not None and lat is not None and not (
            -180 <= lng <= 180 and -90 <= lat <= 90)):
        raise ValidationError({"area": _("坐标无效。")})
    now = timezone.now()
    if happened_at is not None and happened_at > now + timedelta(minutes=5):
        raise ValidationError({"happened_at": _("发生时间不能晚于现在。")})
    place = _resolve_area(area=area, lng=lng, lat=lat)
    if len(place.code) < 9:
        raise ValidationError({"area": _("请选择街道及以下的区域。")})
    cleaned = clean_attributes(category, attributes or {})
    checked_uploads = validate_uploads(list(uploads))
    min_level = minimum_level(category, people_band=people_band, is_major=is_major,
                              is_group=is_group)
    route = case_route(category=category, area_code=place.code, min_level=min_level)
    stage_due, fallback = _due(category, "accept", now)
    parties = list(parties)
    is_repeat = category.kind == CaseKind.PETITION and _petitioned_before(parties)
    case = Case(
        number=_next_number(place.code[:6], now), channel=channel, category=category,
        attributes=cleaned, description=description, area=place, area_code=place.code,
        address=address.strip()[:200], lng=lng, lat=lat, happened_at=happened_at,
        people_band=people_band, is_major=is_major, is_group=is_group, level=route.level,
        status=Status.REGISTERED, queue_area=_queue_area(place, route.level),
        suggested_unit=route.unit, routing_rule=route.rule, routing_note=route.note[:200],
        reported_by=actor if actor is not None else None, registered_at=now,
        stage_started_at=now, stage_due_at=stage_due, due_fallback_years=fallback,
        is_repeat=is_repeat,
    )
    case.save()
    party_rows = [_party_row(case, p) for p in parties]
    Party.objects.bulk_create(party_rows)
    for upload, kind in checked_uploads:
        _store_attachment(case, upload, kind, actor)
    stat_apply(None, case_facts(case))
    _event(case, EventType.REGISTERED, actor, to_status=case.status,
           data={"channel": channel, "level": case.level, "routing": case.routing_note})
    audit_record(actor=actor, event_type="case.intake", subject=case,
                 username="resident" if actor is None else "",
                 details={"channel": channel, "category": category.code,
                          "area": place.code, "parties": len(party_rows),
                          "attachments": len(checked_uploads)})
    return case


# --- transitions -------------------------------------------------------------------------

SERVICES: dict[str, Callable[..., Any]] = {}


def transition_service(name: str):
    """Mark a service as the one that performs transition `name`: the workflow table is
    checked before anything else, and the service is registered in SERVICES (a test makes
    sure every row of the table has exactly one)."""
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*, case: Case, actor, **kwargs):
            transition_check(case, name, actor)
            return fn(case=case, actor=actor, **kwargs)

        wrapper.transition_name = name  # type: ignore[attr-defined]
        SERVICES[name] = wrapper
        return wrapper
    return decorator


@transition_service("accept")
@transaction.atomic
def case_accept(*, case: Case, actor, expected_version: int, note: str = "") -> Case:
    now = timezone.now()
    stage_due, fallback = _due(case.category, "dispatch", now)
    handle_due, handle_fallback = _due(case.category, "handle", now)
    return _transition(case, "accept", actor, expected_version, {
        "accepted_at": now, "stage_started_at": now, "stage_due_at": stage_due,
        "handle_due_at": handle_due,
        "due_fallback_years": ",".join(filter(None, {fallback, handle_fallback})),
    }, EventType.ACCEPTED, note=note)


@transition_service("reject")
@transaction.atomic
def case_reject(*, case: Case, actor, expected_version: int, reason: str) -> Case:
    reason = _require_reason(reason)
    return _transition(case, "reject", actor, expected_version, {
        "closed_at": timezone.now(), "stage_due_at": None, "outcome_note": reason,
    }, EventType.REJECTED, note=reason)


def _check_unit(case: Case, unit: Unit) -> None:
    if not unit.active:
        raise ValidationError({"unit": _("该单位已停用。")})


@transition_service("dispatch")
@transaction.atomic
def case_dispatch(*, case: Case, actor, expected_version: int, unit: Unit | None = None,
                  note: str = "") -> Case:
    unit = unit or case.suggested_unit
    if unit is None:
        raise ValidationError({"unit": _("请选择承办单位。")})
    _check_unit(case, unit)
    now = timezone.now()
    return _transition(case, "dispatch", actor, expected_version, {
        "assigned_unit": unit, "dispatched_at": now, "stage_started_at": now,
        "stage_due_at": case.handle_due_at,
    }, EventType.DISPATCHED, note=note, data={"unit": unit.name, "unit_id": unit.pk},
        unit=unit)


@transition_service("return")
@transaction.atomic
def case_return(*, case: Case, actor, expected_version: int, reason: str) -> Case:
    reason = _require_reason(reason)
    now = timezone.now()
    stage_due, _fb = _due(case.category, "dispatch", now)
    unit = case.assigned_unit
    return _transition(case, "return", actor, expected_version, {
        "assigned_unit": None, "stage_started_at": now, "stage_due_at": stage_due,
    }, EventType.RETURNED, note=reason, data={"unit": unit.name if unit else ""}, unit=unit)


@transition_service("transfer")
@transaction.atomic
def case_transfer(*, case: Case, actor, expected_version: int, unit: Unit,
                  reason: str) -> Case:
    reason = _require_reason(reason)
    _check_unit(case, unit)
    if unit.pk == case.assigned_unit_id:
        raise ValidationError({"unit": _("请选择另一个承办单位。")})
    previous = case.assigned_unit
    return _transition(case, "transfer", actor, expected_version, {
        "assigned_unit": unit, "dispatched_at": timezone.now(),
    }, EventType.TRANSFERRED, note=reason,
        data={"from": previous.name if previous else "", "to": unit.name, "unit_id": unit.pk},
        unit=unit)


@transition_service("escalate")
@transaction.atomic
def case_escalate(*, case: Case, actor, expected_version: int, reason: str) -> Case:
    """上报: one level up (村→镇→区). 矛盾不上交: nothing goes above the district."""
    reason = _require_reason(reason)
    index = LEVEL_ORDER.index(HandlingLevel(case.level))
    if index == len(LEVEL_ORDER) - 1:
        raise ValidationError(_("已在区级处置,不能再上报。"))
    level = LEVEL_ORDER[index + 1]
    route = case_route(category=case.category, area_code=case.area_code, min_level=level)
    now = timezone.now()
    stage_due, _fb = _due(case.category, "dispatch", now)
    fields: dict[str, Any] = {
        "level": route.level, "queue_area": _queue_area(case.area, route.level),
        "assigned_unit": None, "suggested_unit": route.unit, "routing_rule": route.rule,
        "routing_note": route.note[:200], "stage_started_at": now, "stage_due_at": stage_due,
        "escalations": case.escalations + 1,
    }
    if case.accepted_at is None:
        handle_due, _fb = _due(case.category, "handle", now)
        fields.update(accepted_at=now, handle_due_at=handle_due)
    return _transition(case, "escalate", actor, expected_version, fields,
                       EventType.ESCALATED, note=reason,
                       data={"from_level": case.level, "to_level": route.level})


HANDOFF_UNIT_KINDS = {
    "police": UnitKind.POLICE_STATION, "procuratorate": UnitKind.PROCURATORATE,
    "court": UnitKind.COURT, "petition": UnitKind.PETITION_OFFICE,
    "legal_aid": UnitKind.LEGAL_AID,
}


@transition_service("hand_off")
@transaction.atomic
def case_hand_off(*, case: Case, actor, expected_version: int, kind: str, to_unit: Unit,
                  note: str = "") -> HandOff:
    expected_kind = HANDOFF_UNIT_KINDS.get(kind)
    if expected_kind is None:
        raise ValidationError({"kind": _("对接类型无效。")})
    if to_unit.kind != expected_kind:
        raise ValidationError({"to_unit": _("接收单位与对接类型不符。")})
    now = timezone.now()
    receipt_due, _fb = _due(case.category, "handoff_receipt", now)
    from_unit = case.assigned_unit
    if from_unit is None:
        raise ValidationError(_("该事件没有承办单位。"))
    _transition(case, "hand_off", actor, expected_version, {}, EventType.HANDED_OFF,
                note=note, data={"kind": kind, "to": to_unit.name}, unit=to_unit)
    handoff = HandOff.objects.create(
        case=case, kind=kind, from_unit=from_unit, to_unit=to_unit, note=note,
        created_by=actor, created_at=now,
        receipt_due_at=receipt_due or now + timedelta(days=3))
    InboxItem.objects.create(unit=to_unit, case=case, kind=InboxKind.HANDOFF, created_at=now,
                             message=_("%(from)s 移交对接事件 %(no)s,请签收。")
                             % {"from": from_unit.name if from_unit else "", "no": case.number})
    return handoff


def _open_handoff(case: Case) -> HandOff:
    handoff = case.handoffs.filter(outcome_at__isnull=True).order_by("-id").first()
    if handoff is None:
        raise ValidationError(_("没有待办的对接。"))
    return handoff


@transition_service("acknowledge_handoff")
@transaction.atomic
def case_acknowledge_handoff(*, case: Case, actor, expected_version: int) -> HandOff:
    handoff = _open_handoff(case)
    if handoff.acknowledged_at is not None:
        raise ValidationError(_("该对接已签收。"))
    now = timezone.now()
    _transition(case, "acknowledge_handoff", actor, expected_version, {},
                EventType.HANDOFF_ACKNOWLEDGED, unit=handoff.to_unit,
                data={"on_time": now <= handoff.receipt_due_at})
    handoff.acknowledged_at, handoff.acknowledged_by = now, actor
    handoff.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return handoff


@transition_service("handoff_outcome")
@transaction.atomic
def case_handoff_outcome(*, case: Case, actor, expected_version: int, outcome: str) -> HandOff:
    outcome = _require_reason(outcome)
    handoff = _open_handoff(case)
    now = timezone.now()
    _transition(case, "handoff_outcome", actor, expected_version, {},
                EventType.HANDOFF_OUTCOME, note=outcome, unit=handoff.to_unit,
                data={"kind": handoff.kind})
    handoff.outcome, handoff.outcome_at = outcome[:200], now
    if handoff.acknowledged_at is None:
        handoff.acknowledged_at, handoff.acknowledged_by = now, actor
    handoff.save(update_fields=["outcome", "outcome_at", "acknowledged_at",
                                "acknowledged_by"])
    return handoff


@transition_service("record_session")
@transaction.atomic
def case_record_session(*, case: Case, actor, expected_version: int, held_at: datetime,
                        attendees: str, notes: str, place: str = "") -> MediationSession:
    if not attendees.strip() or not notes.strip():
        raise ValidationError(_("请填写参加人员和调解情况。"))
    if held_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"held_at": _("调解时间不能晚于现在。")})
    _transition(case, "record_session", actor, expected_version, {}, EventType.SESSION,
                note=notes.strip()[:500], data={"held_at": held_at.isoformat()})
    return MediationSession.objects.create(
        case=case, held_at=held_at, place=place.strip()[:100], mediator=actor,
        attendees=attendees.strip()[:300], notes=notes.strip(), created_at=timezone.now())


@dataclass
class AgreementInput:
    facts: str
    disputed_matters: str
    terms: list[str]
    performance: str
    responsibilities: str = ""
    signed_on: date | None = None
    copies: int | None = None


def _agreement_number(case: Case, year: int) -> str:
    count = Agreement.objects.filter(case__area_code__startswith=case.area_code[:6],
                                     signed_on__year=year).count() + 1
    return f"{case.area_code[:6]}调协〔{year}〕第{count:04d}号"


@transition_service("resolve")
@transaction.atomic
def case_resolve(*, case: Case, actor, expected_version: int, outcome: str, note: str,
                 agreement: AgreementInput | None = None) -> Case:
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("请选择办理结果。")})
    note = _require_reason(note)
    if agreement is not None and outcome != Outcome.MEDIATED:
        raise ValidationError({"outcome": _("只有调解成功才能制作调解协议书。")})
    now = timezone.now()
    stage_due, _fb = _due(case.category, "verify", now)
    on_time = case.handle_due_at is None or now <= case.handle_due_at
    _transition(case, "resolve", actor, expected_version, {
        "outcome": outcome, "outcome_note": note, "resolved_at": now,
        "stage_started_at": now, "stage_due_at": stage_due, "closed_on_time": on_time,
        "closed_level": case.level,
    }, EventType.RESOLVED, note=note, data={"outcome": outcome, "on_time": on_time},
        unit=case.assigned_unit)
    if agreement is not None:
        agreement_create(case=case, data=agreement, actor=actor)
    return case


def agreement_create(*, case: Case, data: AgreementInput, actor) -> Agreement:
    terms = [t.strip() for t in data.terms if t and t.strip()]
    if not (data.facts.strip() and data.disputed_matters.strip() and terms
            and data.performance.strip()):
        raise ValidationError({"agreement": _(
            "调解协议须写明纠纷事实、争议事项、协议内容和履行方式、期限。")})
    parties = case.parties.count()
    if parties < 2:
        raise ValidationError({"agreement": _("调解协议须有至少两方当事人,请先补录当事人。")})
    signed_on = data.signed_on or timezone.localdate()
    copies = parties + 1  # 人民调解法 Art. 29: one per party, one kept by the committee
    if data.copies not in (None, copies):
        raise ValidationError({"agreement": _(
            "协议书份数须为当事人各一份另加调委会留存一份,即 %(n)d 份。") % {"n": copies}})
    agreement = Agreement.objects.create(
        case=case, number=_agreement_number(case, signed_on.year), facts=data.facts.strip(),
        disputed_matters=data.disputed_matters.strip(),
        responsibilities=data.responsibilities.strip(), terms=terms,
        performance=data.performance.strip(), signed_on=signed_on, copies=copies,
        confirmation_deadline=signed_on + timedelta(days=30))
    _event(case, EventType.AGREEMENT, actor, note=agreement.number,
           data={"copies": copies, "confirmation_deadline": str(agreement.confirmation_deadline)})
    audit_record(actor=actor, event_type="case.agreement_created", subject=case,
                 details={"number": agreement.number})
    return agreement


@transition_service("verify")
@transaction.atomic
def case_verify(*, case: Case, actor, expected_version: int, note: str = "") -> Case:
    now = timezone.now()
    stage_due, _fb = _due(case.category, "follow_up", now)
    return _transition(case, "verify", actor, expected_version, {
        "stage_started_at": now, "stage_due_at": stage_due,
    }, EventType.VERIFIED, note=note)


@transition_service("rework")
@transaction.atomic
def case_rework(*, case: Case, actor, expected_version: int, reason: str) -> Case:
    reason = _require_reason(reason)
    now = timezone.now()
    return _transition(case, "rework", actor, expected_version, {
        "outcome": "", "resolved_at": None, "closed_on_time": None, "closed_level": "",
        "stage_started_at": now, "stage_due_at": case.handle_due_at,
    }, EventType.REWORK, note=reason)


@transition_service("follow_up")
@transaction.atomic
def case_follow_up(*, case: Case, actor, expected_version: int, satisfaction: int,
                   note: str = "") -> Case:
    if satisfaction not in (1, 2, 3, 4, 5):
        raise ValidationError({"satisfaction": _("满意度须为1至5。")})
    return _transition(case, "follow_up", actor, expected_version, {
        "satisfaction": satisfaction, "stage_started_at": timezone.now(), "stage_due_at": None,
    }, EventType.FOLLOWED_UP, note=note, data={"satisfaction": satisfaction})


@transition_service("close")
@transaction.atomic
def case_close(*, case: Case, actor, expected_version: int, note: str = "") -> Case:
    return _transition(case, "close", actor, expected_version, {
        "closed_at": timezone.now(), "stage_due_at": None,
    }, EventType.CLOSED, note=note)


@transition_service("reopen")
@transaction.atomic
def case_reopen(*, case: Case, actor, expected_version: int, reason: str) -> Case:
    reason = _require_reason(reason)
    if case.assigned_unit_id is None:
        raise ValidationError(_("该事件没有承办单位,不能重新办理。"))
    now = timezone.now()
    handle_due, _fb = _due(case.category, "handle", now)
    return _transition(case, "reopen", actor, expected_version, {
        "closed_at": None, "resolved_at": None, "outcome": "", "satisfaction": None,
        "closed_on_time": None, "closed_level": "", "stage_started_at": now,
        "stage_due_at": handle_due, "handle_due_at": handle_due,
    }, EventType.REOPENED, note=reason)


@transition_service("suspend")
@transaction.atomic
def case_suspend(*, case: Case, actor, expected_version: int, reason: str) -> Case:
    reason = _require_reason(reason)
    return _transition(case, "suspend", actor, expected_version, {
        "suspended_from": case.status, "suspended_at": timezone.now(),
    }, EventType.SUSPENDED, note=reason)


@transition_service("resume")
@transaction.atomic
def case_resume(*, case: Case, actor, expected_version: int, note: str = "") -> Case:
    """Back to where it was; the time spent suspended does not count against deadlines."""
    paused = timezone.now() - (case.suspended_at or timezone.now())
    fields: dict[str, Any] = {"suspended_from": "", "suspended_at": None}
    if case.stage_due_at:
        fields["stage_due_at"] = case.stage_due_at + paused
    if case.handle_due_at:
        fields["handle_due_at"] = case.handle_due_at + paused
    return _transition(case, "resume", actor, expected_version, fields, EventType.RESUMED,
                       note=note, data={"paused_hours": round(paused.total_seconds() / 3600, 1)})


@transition_service("request_extension")
@transaction.atomic
def case_request_extension(*, case: Case, actor, expected_version: int, days: int,
                           reason: str) -> ExtensionRequest:
    reason = _require_reason(reason)
    _check_extension_limits(case, days)
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("已有待审批的延期申请。"))
    _transition(case, "request_extension", actor, expected_version, {},
                EventType.EXTENSION_REQUESTED, note=reason, data={"days": days})
    request = ExtensionRequest.objects.create(case=case, days=days, reason=reason,
                                              requested_by=actor, requested_at=timezone.now())
    centre = _dispatch_centre(case)
    if centre is not None:
        InboxItem.objects.create(
            unit=centre, case=case, kind=InboxKind.EXTENSION, created_at=timezone.now(),
            message=_("%(no)s 申请延期 %(d)d 天,待审批。") % {"no": case.number, "d": days})
    return request


def _check_extension_limits(case: Case, days: int) -> None:
    category = case.category
    if days < 1:
        raise ValidationError({"days": _("延期天数须大于0。")})
    if case.extensions_used >= category.max_extensions:
        raise ValidationError({"days": _("该类事件最多延期 %(n)d 次,已用完。")
                               % {"n": category.max_extensions}})
    if case.extension_days_used + days > category.max_extension_days:
        raise ValidationError({"days": _("该类事件累计延期不得超过 %(n)d 天。")
                               % {"n": category.max_extension_days}})


@transition_service("decide_extension")
@transaction.atomic
def case_decide_extension(*, case: Case, actor, expected_version: int, approve: bool,
                          note: str = "") -> ExtensionRequest:
    request = case.extensions.filter(status=ExtensionStatus.PENDING).first()
    if request is None:
        raise ValidationError(_("没有待审批的延期申请。"))
    fields: dict[str, Any] = {}
    if approve:
        _check_extension_limits(case, request.days)
        unit = (_sla(case.category, "handle") or (0, "calendar"))[1]
        base = case.handle_due_at or timezone.now()
        new_due, deadline = due_datetime(base, request.days, unit)
        fields = {"handle_due_at": new_due, "extensions_used": case.extensions_used + 1,
                  "extension_days_used": case.extension_days_used + request.days}
        if case.status in (Status.HANDLING, Status.HANDED_OFF):
            fields["stage_due_at"] = new_due
    _transition(case, "decide_extension", actor, expected_version, fields,
                EventType.EXTENSION_DECIDED, note=note,
                data={"approved": approve, "days": request.days})
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request


def _dispatch_centre(case: Case) -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.GOVERNANCE_CENTRE, area=case.queue_area,
                               active=True).first()


@transition_service("supervise")
@transaction.atomic
def case_supervise(*, case: Case, actor, expected_version: int, level: str,
                   reason: str) -> Case:
    if level not in SupervisionLevel.values:
        raise ValidationError({"level": _("督办级别无效。")})
    reason = _require_reason(reason) if level else reason
    _transition(case, "supervise", actor, expected_version, {
        "supervision": level, "supervision_reason": reason[:200],
    }, EventType.SUPERVISED, note=reason, data={"level": level})
    target = case.assigned_unit or _dispatch_centre(case)
    if level and target is not None:
        InboxItem.objects.create(unit=target, case=case, kind=InboxKind.SUPERVISION,
                                 created_at=timezone.now(), message=_(
                                     "%(no)s 被%(level)s:%(reason)s") % {
                                     "no": case.number,
                                     "level": SupervisionLevel(level).label,
                                     "reason": reason})
    return case


@transition_service("remind")
@transaction.atomic
def case_remind(*, case: Case, actor, expected_version: int, message: str = "") -> InboxItem:
    target = case.assigned_unit or _dispatch_centre(case)
    if target is None:
        raise ValidationError(_("该事件暂无承办单位,无法催办。"))
    text = message.strip() or _("请尽快办理事件 %(no)s。") % {"no": case.number}
    _transition(case, "remind", actor, expected_version, {}, EventType.REMINDED, note=text,
                unit=target)
    return InboxItem.objects.create(unit=target, case=case, kind=InboxKind.REMINDER,
                                    created_at=timezone.now(), message=text[:300])


@transition_service("merge")
@transaction.atomic
def case_merge(*, case: Case, actor, expected_version: int, master: Case,
               reason: str = "") -> Case:
    """Close `case` as a duplicate of `master`, carrying its parties and attachments over."""
    if master.pk == case.pk or not master.is_open or master.merged_into_id:
        raise ValidationError({"master": _("请选择另一个未办结的事件作为主件。")})
    reason = reason.strip() or _("与 %(no)s 为同一事件") % {"no": master.number}
    moved_parties = list(case.parties.all())
    known = {(p.name, p.id_number_hash, p.phone_hash) for p in master.parties.all()}
    for party in moved_parties:
        if (party.name, party.id_number_hash, party.phone_hash) not in known:
            party.pk, party.case = None, master
            party.save()
    attachments = case.attachments.update(case=master)
    _transition(case, "merge", actor, expected_version, {
        "merged_into": master, "closed_at": timezone.now(), "stage_due_at": None,
    }, EventType.MERGED, note=reason, data={"master": master.number})
    _event(master, EventType.DUPLICATE_MERGED, actor, note=reason,
           data={"duplicate": case.number, "attachments": attachments})
    return case


@transition_service("attach")
@transaction.atomic
def case_attach(*, case: Case, actor, expected_version: int,
                uploads: Sequence[UploadedFile]) -> list[Attachment]:
    checked = validate_uploads(list(uploads))
    if not checked:
        raise ValidationError({"attachments": _("请选择文件。")})
    _transition(case, "attach", actor, expected_version, {}, EventType.ATTACHMENT_ADDED,
                data={"files": [u.name for u, _k in checked]})
    return [_store_attachment(case, upload, kind, actor) for upload, kind in checked]


# --- documents -----------------------------------------------------------------------------

def may_download_agreement(user, case: Case) -> bool:
    """The agreement carries parties' particulars in clear: for people who may reveal
    personal data, or members of the unit that handled the case."""
    scope = get_scope(user)
    return (scope.can("cases.party.reveal") or getattr(user, "is_superuser", False)
            or (case.assigned_unit_id is not None and case.assigned_unit_id in scope.unit_ids))


def party_document_info(party: Party, *, clear: bool) -> PartyInfo:
    from civicgrid.core.crypto import decrypt_text

    if clear:
        phone = decrypt_text(party.phone_encrypted) if party.phone_encrypted else ""
        id_number = (decrypt_text(party.id_number_encrypted)
                     if party.id_number_encrypted else "")
    else:
        phone, id_number = party.phone_masked, party.id_number_masked
    return PartyInfo(role=party.get_role_display(), name=party.name,
                     sex=party.get_sex_display() if party.sex else "",
                     ethnicity=party.ethnicity, age=party.age, occupation=party.occupation,
                     phone=phone, address=party.address, id_number=id_number)


@transaction.atomic
def agreement_document(*, case: Case, actor) -> bytes:
    """The 人民调解协议书 PDF, parties in clear; every download is audited."""
    if not Case.objects.restrict(actor, "view").filter(pk=case.pk).exists():
        raise PermissionDenied
    if not may_download_agreement(actor, case):
        raise PermissionDenied
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        raise ValidationError(_("该事件没有调解协议书。"))
    parties = list(case.parties.order_by("role", "id"))
    mediators = list(dict.fromkeys(
        s.mediator.display_name or s.mediator.get_username()
        for s in case.sessions.select_related("mediator").order_by("held_at")))
    if not mediators:
        resolved = case.events.filter(type=EventType.RESOLVED).order_by("-id").first()
        mediators = [resolved.actor_name if resolved else _actor_name(actor)]
    document = MediationAgreement(
        number=agreement.number,
        committee=case.assigned_unit.name if case.assigned_unit else "",
        case_number=case.number, parties=[party_document_info(p, clear=True) for p in parties],
        facts=agreement.facts, disputed_matters=agreement.disputed_matters,
        responsibilities=agreement.responsibilities, terms=list(agreement.terms),
        performance=agreement.performance, mediators=mediators,
        signed_on=agreement.signed_on, copies=agreement.copies)
    try:
        data = render_mediation_agreement(document)
    except ValueError as exc:
        raise ValidationError(_("协议书无法生成:%(e)s") % {"e": exc}) from exc
    audit_record(actor=actor, event_type="document.agreement_downloaded", subject=case,
                 details={"agreement": agreement.number, "parties": len(parties)})
    return data


# --- personal data -------------------------------------------------------------------------

def party_reveal(*, party: Party, field_name: str, reason: str, actor) -> str:
    """Show a party's ID number or phone in clear: needs the permission and a stated
    reason, and is audited (PIPL)."""
    from civicgrid.core.crypto import decrypt_text

    if field_name not in ("id_number", "phone"):
        raise ValidationError(_("字段无效。"))
    if not get_scope(actor).can("cases.party.reveal") and not actor.is_superuser:
        raise PermissionDenied
    if not Case.objects.restrict(actor, "view").filter(pk=party.case_id).exists():
        raise PermissionDenied
    reason = _require_reason(reason)
    token = getattr(party, f"{field_name}_encrypted")
    value = decrypt_text(token) if token else ""
    audit_record(actor=actor, event_type="pii.revealed", subject=party.case,
                 details={"party_id": party.pk, "field": field_name, "reason": reason[:200]})
    return value


# --- inbox --------------------------------------------------------------------------------

def inbox_mark_read(*, item: InboxItem, actor) -> InboxItem:
    scope = get_scope(actor)
    if item.user_id != actor.pk and item.unit_id not in scope.unit_ids:
        raise PermissionDenied
    if item.read_at is None:
        item.read_at = timezone.now()
        item.save(update_fields=["read_at"])
    return item


# --- periodic jobs -----------------------------------------------------------------------

@dataclass
class DueJobsReport:
    escalated: list[str] = field(default_factory=list)
    handoff_notices: int = 0
    judicial_reminders: int = 0


def due_jobs_run(*, now: datetime | None = None) -> DueJobsReport:
    """Escalate cases overdue by CASE_ESCALATION_MULTIPLE × their stage time, tell
    receiving units about overdue hand-off receipts, and remind handlers that judicial
    confirmation of an agreement is still possible before its deadline. Idempotent."""
    now = now or timezone.now()
    report = DueJobsReport()
    multiple = settings.CASE_ESCALATION_MULTIPLE
    candidates = (Case.objects.filter(status__in=[Status.ACCEPTED, Status.HANDLING],
                                      stage_due_at__lt=now)
                  .exclude(level=HandlingLevel.COUNTY)
                  .select_related("category", "area", "queue_area").order_by("id"))
    for case in candidates.iterator(chunk_size=200):
        if case.stage_due_at is None:
            continue
        allowed = case.stage_due_at - case.stage_started_at
        if now - case.stage_started_at < allowed * multiple:
            continue
        try:
            case_escalate(case=case, actor=None, expected_version=case.version,
                          reason=_("超过时限 %(m)s 倍未办理,自动上报。") % {"m": multiple})
        except StaleCase:
            continue
        centre = _dispatch_centre(case)
        if centre is not None:
            InboxItem.objects.create(unit=centre, case=case, kind=InboxKind.ESCALATION,
                                     created_at=now, message=_("%(no)s 超时自动上报至本级。")
                                     % {"no": case.number})
        report.escalated.append(case.number)
    overdue_handoffs = HandOff.objects.filter(acknowledged_at__isnull=True,
                                              overdue_notified_at__isnull=True,
                                              receipt_due_at__lt=now)
    for handoff in overdue_handoffs.select_related("case"):
        InboxItem.objects.create(unit=handoff.to_unit, case=handoff.case,
                                 kind=InboxKind.OVERDUE, created_at=now,
                                 message=_("对接事件 %(no)s 已超过签收时限。")
                                 % {"no": handoff.case.number})
        handoff.overdue_notified_at = now
        handoff.save(update_fields=["overdue_notified_at"])
        report.handoff_notices += 1
    today = _local_date(now)
    due_agreements = Agreement.objects.filter(
        reminder_sent_at__isnull=True, confirmation_deadline__gte=today,
        confirmation_deadline__lte=today + timedelta(days=7)).select_related("case")
    for agreement in due_agreements:
        target = agreement.case.assigned_unit
        if target is not None:
            InboxItem.objects.create(
                unit=target, case=agreement.case, kind=InboxKind.JUDICIAL, created_at=now,
                message=_("调解协议 %(no)s 可在 %(d)s 前由双方共同申请司法确认,请提醒当事人。")
                % {"no": agreement.number, "d": agreement.confirmation_deadline})
        agreement.reminder_sent_at = now
        agreement.save(update_fields=["reminder_sent_at"])
        report.judicial_reminders += 1
    return report
