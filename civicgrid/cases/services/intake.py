"""Intake (登记) from every channel: the staff form, the JSON API, Open311, the resident
portal. Every channel only parses its input and calls `case_intake`; the rules (which
categories, where the place may be, attributes, parties, uploads) are checked here."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor, actor_user, audit_username
from civicgrid.accounts.models import User
from civicgrid.areas.coords import CoordinateSystem, parse_coordinate_system, to_wgs84
from civicgrid.areas.models import Area
from civicgrid.areas.reference import area_readable, grid_at
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases import hooks
from civicgrid.cases.inputs import Attributes, PartyInput
from civicgrid.cases.models import (
    AttributeType,
    Case,
    CaseKind,
    CaseNumberSequence,
    Category,
    Channel,
    Party,
    PartyRole,
    PeopleBand,
    Status,
)
from civicgrid.cases.reference import category_is_leaf
from civicgrid.cases.services.attachments import (
    CleanUpload,
    prepare_uploads,
    store_attachment,
)
from civicgrid.cases.services.common import (
    due_for,
    local_date,
    record_event,
    refuse_longer_than_field,
    refuse_too_long,
)
from civicgrid.cases.services.matters import matter_check
from civicgrid.cases.services.parties import party_row, party_search_hashes
from civicgrid.cases.services.routing import case_route, minimum_level, queue_area_for
from civicgrid.core.errors import RuleViolation
from civicgrid.core.rows import insert_rows, insert_unless_taken, together
from civicgrid.core.scope import user_can
from civicgrid.core.tracking import new_tracking_code
from civicgrid.risk.models import Matter

DESCRIPTION_MIN_LENGTH = 2  # characters; the same for every channel
# The longest description, the same for every channel (the staff form, the portal, the JSON
# API, Open311's spec limit): a longer one is refused with this number, never cut. Pages
# show it as a live counter (the textarea's data-maxlength).
DESCRIPTION_MAX_LENGTH = 4000
ATTRIBUTE_TEXT_MAX_LENGTH = 2000  # a category attribute of type text (its counter says it)


def clean_attributes(category: Category, raw: Mapping[str, object]) -> Attributes:
    """Validate the category's Open311-style attributes; unknown keys are refused."""
    errors: dict[str, str] = {}
    cleaned: Attributes = {}
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
            limit = (ATTRIBUTE_TEXT_MAX_LENGTH if attr.datatype == AttributeType.TEXT
                     else 200)
            if len(text) > limit:
                errors[code] = _("“%(q)s”最多%(limit)d个字,现有%(n)d个字,请删减后再提交。") % {
                    "q": attr.description, "limit": limit, "n": len(text)}
            else:
                cleaned[code] = text
    if errors:
        raise ValidationError({f"attribute_{k}": v for k, v in errors.items()})
    return cleaned



def case_number(county_code: str, day: date, shard: int, n: int) -> str:
    """`320602-20261205-30012`: the county, the day, the shard's digit, then the shard's
    n-th number of the day in at least four digits. With one shard (0) this is the plain
    day sequence `-00001`, `-00002`… A shard's digit leads, so two shards never make the
    same number, whatever the number of shards was when either was made."""
    return f"{county_code}-{day:%Y%m%d}-{shard}{n:04d}"


def _next_number(county_code: str, now: datetime) -> str:
    """The next number of a shard of the county's day (a shard drawn at random among
    CASE_NUMBER_SHARDS): insert the row or add one to it, in one statement (two on SQLite
    before 3.35, which has no RETURNING). The row stays locked until commit, so no number
    is handed out twice; intakes of the county on other shards do not wait for it."""
    day = local_date(now)
    shards = settings.CASE_NUMBER_SHARDS
    shard = secrets.randbelow(shards) if shards > 1 else 0
    quote = connection.ops.quote_name
    table, county, day_, shard_, last = (quote(n) for n in (
        CaseNumberSequence._meta.db_table, "county_code", "day", "shard", "last"))
    upsert = (f"INSERT INTO {table} ({county}, {day_}, {shard_}, {last}) "  # noqa: S608
              f"VALUES (%s, %s, %s, 1) ON CONFLICT ({county}, {day_}, {shard_}) "
              f"DO UPDATE SET {last} = {table}.{last} + 1")
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{upsert} RETURNING {last}", [county_code, day, shard])
        else:
            cursor.execute(upsert, [county_code, day, shard])
            cursor.execute(f"SELECT {last} FROM {table} WHERE {county} = %s "  # noqa: S608
                           f"AND {day_} = %s AND {shard_} = %s", [county_code, day, shard])
        number = cursor.fetchone()[0]
    return case_number(county_code, day, shard, number)


def intake_areas(actor: Actor) -> QuerySet[Area]:
    """The areas where `actor` may register a case: anywhere for a resident or the system
    (the portal), the jurisdiction for staff and for an API token's service account."""
    if isinstance(actor, User):
        return Area.objects.restrict(actor, "view")
    return Area.objects.all()


def intake_point(lng: float | None, lat: float | None,
                 coordinate_system: CoordinateSystem | str = CoordinateSystem.WGS84,
                 ) -> tuple[float | None, float | None]:
    """The point in WGS 84, as it is located and stored, of a point sent in
    `coordinate_system` (GCJ-02 from Amap, Tencent or WeChat, BD-09 from Baidu: areas/
    coords.py). Every channel's point goes through here, in `case_intake`; a system that is
    not one of those is refused (on `coordinate_system`), with or without a point."""
    system = parse_coordinate_system(coordinate_system)
    if lng is None or lat is None:
        return lng, lat
    return to_wgs84(lng, lat, system)


def intake_place(*, actor: Actor, area: Area | None = None, lng: float | None = None,
                 lat: float | None = None,
                 coordinate_system: CoordinateSystem | str = CoordinateSystem.WGS84) -> Area:
    """Where the case happened: the given area, or the grid that holds the point (sent in
    `coordinate_system`, WGS 84 unless said), either of them inside the actor's jurisdiction
    and at street level or below. The one check every channel goes through (the staff form,
    the API, Open311, the portal)."""
    lng, lat = intake_point(lng, lat, coordinate_system)
    if (lng is None) != (lat is None) or (lng is not None and lat is not None and not (
            -180 <= lng <= 180 and -90 <= lat <= 90)):
        raise ValidationError({"area": _("坐标无效。")})
    # (Decided on the cached areas and the actor's scope, as `intake_areas` would: no query.)
    if area is None:
        if lng is None or lat is None:
            raise ValidationError({"area": _("请在地图上选点或选择所在网格。")})
        grid = grid_at(lng, lat)
        if grid is None:
            raise ValidationError({"area": _("该位置不在任何网格内,请选择所在网格。")})
        if isinstance(actor, User) and not area_readable(actor, grid):
            raise RuleViolation({"area": _("该位置不在您的管辖范围内。")})
        return grid
    if isinstance(actor, User) and not area_readable(actor, area):
        raise RuleViolation({"area": _("该位置不在您的管辖范围内。")})
    if len(area.code) < 9:
        raise ValidationError({"area": _("请选择街道及以下的区域。")})
    return area


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


def _insert_with_tracking_code(case: Case, attempts: int = 5) -> None:
    """Insert the new case under a fresh random tracking code, drawn again in the rare event
    (about 1 in 10^6 per case with a million cases) that it is already taken: one statement
    (`INSERT … ON CONFLICT (tracking_code) DO NOTHING`), where asking first took two and a
    savepoint to recover from the unique index three."""
    for _attempt in range(attempts):
        case.tracking_code = new_tracking_code()
        if insert_unless_taken(case, "tracking_code"):
            return
    raise IntegrityError(f"no free tracking code in {attempts} draws")


def case_intake(
    *,
    channel: str,
    category: Category,
    description: str,
    actor: Actor,
    area: Area | None = None,
    lng: float | None = None,
    lat: float | None = None,
    coordinate_system: CoordinateSystem | str = CoordinateSystem.WGS84,
    address: str = "",
    happened_at: datetime | None = None,
    attributes: Mapping[str, object] | None = None,
    parties: Iterable[PartyInput] = (),
    people_band: str = PeopleBand.UNDER_50,
    is_major: bool = False,
    is_group: bool = False,
    uploads: Sequence[UploadedFile[bytes]] = (),
    matter: Matter | None = None,
) -> Case:
    """Register a case from any channel. `actor=None` is a resident through the portal;
    staff and API service accounts must hold `cases.case.add` and register only inside
    their jurisdiction. Uploads are checked and cleaned in memory with the other rules and
    written at the end (services/attachments.py: no file outlives a rollback).

    `matter`: the major matter the case is about (civicgrid/risk), checked as
    `case_tag_matter` checks it (services/matters.py): staff only, a matter they can see,
    not withdrawn.

    `lng`/`lat` are in `coordinate_system` (WGS 84 unless said: GCJ-02, BD-09); they are
    converted to WGS 84 here, before the grid is looked up, and stored so.

    Every rule is checked, reading only, before the first write; the writes then run in
    the caller's transaction (or their own) without a savepoint of their own: a refusal
    leaves the caller's transaction usable, and an intake costs no SAVEPOINT/RELEASE."""
    if actor is not None and not user_can(actor, Case, "add"):
        raise PermissionDenied
    if channel not in Channel.values:
        raise ValidationError({"channel": _("来源渠道无效。")})
    if not category.active or not category_is_leaf(category):
        raise ValidationError({"category": _("请选择最末一级的在用分类。")})
    description = (description or "").strip()
    # Short texts are real reports: "灯不亮" under 路灯损坏 says what is wrong. One rule for
    # every channel (the staff form, the portal, the JSON API, Open311).
    if len(description) < DESCRIPTION_MIN_LENGTH:
        raise ValidationError({"description": _("请描述事件情况(至少%(n)d个字)。") % {
            "n": DESCRIPTION_MIN_LENGTH}})
    refuse_too_long(description, DESCRIPTION_MAX_LENGTH, "description", _("情况描述"))
    address = refuse_longer_than_field(Case, "address", (address or "").strip())
    if people_band not in PeopleBand.values:
        raise ValidationError({"people_band": _("涉及人数无效。")})
    now = timezone.now()
    if happened_at is not None and happened_at > now + timedelta(minutes=5):
        raise ValidationError({"happened_at": _("发生时间不能晚于现在。")})
    system = parse_coordinate_system(coordinate_system)
    lng, lat = intake_point(lng, lat, system)  # WGS 84 from here on
    place = intake_place(actor=actor, area=area, lng=lng, lat=lat)
    if matter is not None:
        matter_check(matter, actor)
    cleaned = clean_attributes(category, attributes or {})
    prepared_uploads = prepare_uploads(list(uploads))  # in memory; written last
    min_level = minimum_level(category, people_band=people_band, is_major=is_major,
                              is_group=is_group)
    route = case_route(category=category, area_code=place.code, min_level=min_level)
    stage_due, fallback = due_for(category, "accept", now)
    parties = list(parties)
    is_repeat = category.kind == CaseKind.PETITION and _petitioned_before(parties)
    case = Case(
        channel=channel, category=category,
        attributes=cleaned, description=description, area=place, area_code=place.code,
        address=address, lng=lng, lat=lat, happened_at=happened_at,
        people_band=people_band, is_major=is_major, is_group=is_group, level=route.level,
        status=Status.REGISTERED, queue_area=queue_area_for(place, route.level),
        suggested_unit=route.unit, routing_rule=route.rule, routing_note=route.note[:200],
        reported_by=actor_user(actor), registered_at=now,
        stage_started_at=now, stage_due_at=stage_due, due_fallback_years=fallback,
        is_repeat=is_repeat, matter=matter,
    )
    party_rows = [party_row(case, p) for p in parties]  # (checks each party: before writing)
    with transaction.atomic(savepoint=False), together():
        # The rollup first: its row (street, month, category) is shared by few intakes at
        # once, the county's number rows by every intake of the county, and each is locked
        # until the commit; so the number is taken as late as the case's row allows. In three
        # messages to the server (core/rows.py, ADR 0012): the rollup with the number, the
        # case, then its parties, timeline event and audit entry together.
        hooks.case_changed.send(None, case)
        case.number = _next_number(place.code[:6], now)
        _insert_with_tracking_code(case)
        insert_rows(party_rows)
        _intake_written(case, party_rows, prepared_uploads, actor=actor, channel=channel,
                        category=category, place=place,
                        converted_from=system if lng is not None else CoordinateSystem.WGS84)
    return case


def _intake_written(case: Case, party_rows: list[Party], prepared_uploads: list[CleanUpload],
                    *, actor: Actor, channel: str, category: Category, place: Area,
                    converted_from: CoordinateSystem = CoordinateSystem.WGS84) -> None:
    # The rows as written, for a caller that answers from them (the JSON API's intake).
    case.intake_parties = party_rows  # type: ignore[attr-defined]
    record_event(case, E.Registered(channel=channel, level=case.level,
                                    routing=case.routing_note), actor, to_status=case.status)
    details: dict[str, object] = {
        "channel": channel, "category": category.code, "area": place.code,
        "parties": len(party_rows), "attachments": len(prepared_uploads)}
    if converted_from != CoordinateSystem.WGS84:  # the point was sent in another system
        details["coordinate_system"] = str(converted_from)
    if case.matter is not None:  # tagged at intake: on the timeline as a later tag would be
        details["matter"] = case.matter.number
        record_event(case, E.MatterTagged(matter=case.matter.number,
                                          title=case.matter.title), actor)
    audit_record(actor=actor, event_type=AuditEventType.CASE_INTAKE, subject=case,
                 username="resident" if actor is None else audit_username(actor),
                 details=details)
    # The files last, when every rule has passed; they go if the transaction rolls back.
    for upload in prepared_uploads:
        store_attachment(case, upload, actor)

