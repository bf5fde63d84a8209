"""Reads of the resident portal: what a member of the public may see, and nothing more.

A resident sees their own case only after proving it (the random tracking code + the
applicant's phone's last four digits, or the rating link texted to that phone), through a
signed, expiring link; the public timeline says what happened in plain words and names
organisations, never people. The sequential case number finds nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.areas.hooks import MapBuilding
from civicgrid.areas.mapdata import fit_zoom, geometry_bounds, simplify_features, union_bounds
from civicgrid.areas.models import Area, Level
from civicgrid.areas.selectors import AreaLabel, label_point, labels_of
from civicgrid.cases import events as case_events
from civicgrid.cases.events import event_payload
from civicgrid.cases.models import Case, CaseEvent, Outcome, PartyRole, Status
from civicgrid.core.refcache import REFERENCE, RefCache
from civicgrid.core.tracking import format_tracking_code
from civicgrid.portal.models import ResidentRating
from civicgrid.portal.services import RATEABLE_STATUSES, case_pk_from_rating_link
from civicgrid.registry.map_layer import map_buildings

TOKEN_SALT = "civicgrid.portal.track"  # noqa: S105 (a signing salt, not a secret)

# The status in words a resident understands (the staff labels are stage names).
PUBLIC_STATUS = {
    Status.REGISTERED: gettext_lazy("已收到,等待受理"),
    Status.ACCEPTED: gettext_lazy("已受理,正在安排承办单位"),
    Status.HANDLING: gettext_lazy("正在办理"),
    Status.HANDED_OFF: gettext_lazy("正在办理(相关单位协同中)"),
    Status.RESOLVED: gettext_lazy("已办结,正在核查办理结果"),
    Status.VERIFIED: gettext_lazy("已办结,等待回访"),
    Status.FOLLOWED_UP: gettext_lazy("已回访,即将结案"),
    Status.SUSPENDED: gettext_lazy("暂缓办理"),
    Status.CLOSED: gettext_lazy("已结案"),
    Status.REJECTED: gettext_lazy("不予受理"),
    Status.MERGED: gettext_lazy("已与相同事项合并办理"),
}


def area_prefix() -> str:
    return settings.PORTAL_AREA_CODE


class GridProperties(TypedDict):
    code: str
    name: str
    label: list[float] | None  # [lng, lat]: where the map writes the name


class GridFeature(TypedDict):
    type: str
    geometry: dict[str, object] | None  # the stored GeoJSON boundary (Area.boundary)
    properties: GridProperties


class GridFeatureCollection(TypedDict):
    type: str
    features: list[GridFeature]


def grid_features() -> GridFeatureCollection:
    """Grid boundaries and names only, for the public map (no population, no staff)."""
    qs = Area.objects.filter(level=Level.GRID, boundary__isnull=False,
                             code__startswith=area_prefix()).order_by("code")
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": boundary,
         "properties": {"code": code, "name": name,
                        "label": label_point(lng, lat, boundary)}}
        for code, name, boundary, lng, lat in qs.values_list(
            "code", "name", "boundary", "centroid_lng", "centroid_lat")]}


# The public grids as drawn at each zoom, kept in each process's memory and emptied by any
# change of an area (core/refcache.py, REFERENCE): simplifying 1,000 outlines costs ~0.1 s,
# and every resident's report map asks for them.
_grids_at_zoom: RefCache[dict[str, Any]] = RefCache("portal-grids", REFERENCE, max_entries=32)
_grids_bounds: RefCache[tuple[float, float, float, float] | None] = RefCache(
    "portal-grids-bounds", REFERENCE, max_entries=4)


def grid_features_for_map(*, zoom: int | None, fit: tuple[int, int] | None,
                          ) -> dict[str, Any]:
    """`grid_features()` as drawn at `zoom`, or at the zoom that fits a map of `fit`
    pixels (areas/mapdata.py); `zoom` in the answer says which. Not to be changed: shared."""
    prefix = area_prefix()
    if zoom is None and fit is not None:
        bounds = _grids_bounds.get(prefix, lambda: union_bounds(
            geometry_bounds(f["geometry"]) for f in grid_features()["features"]))
        zoom = fit_zoom(bounds, fit) if bounds else None
    return _grids_at_zoom.get((prefix, zoom), lambda: simplify_features(
        dict(grid_features()), zoom=zoom))


def map_labels() -> list[AreaLabel]:
    """The names of the streets and communities of the portal's area for the public map
    (the grids' names come with their outlines): name, point, bounds; nothing else."""
    return labels_of(Area.objects.filter(level__in=(Level.STREET, Level.COMMUNITY),
                                         code__startswith=area_prefix()))


MAX_MAP_BUILDINGS = 2000


def map_buildings_in(bbox: tuple[float, float, float, float] | None,
                     ) -> tuple[list[MapBuilding], bool]:
    """The buildings of the portal's area inside `bbox`, as a street sign shows them: name,
    house number, point (civicgrid/registry/map_layer.py)."""
    return map_buildings(reader=None, area_code=area_prefix(), bbox=bbox,
                         limit=MAX_MAP_BUILDINGS, public=True)


def portal_communities() -> list[Area]:
    """Communities and villages to pick from when the map is not used."""
    return list(Area.objects.filter(level=Level.COMMUNITY, code__startswith=area_prefix())
                .select_related("parent").order_by("code"))


# --- finding a case -------------------------------------------------------------------------

def case_by_tracking(*, code: str, last4: str) -> Case | None:
    """The case with this tracking code (its stored form, `parse_tracking_code`) whose
    applicant's phone ends in `last4`; None for an unknown code and for a wrong
    combination alike."""
    last4 = last4.strip()
    if not code or len(last4) != 4 or not last4.isdigit():
        return None
    return (Case.objects.filter(tracking_code=code, parties__role=PartyRole.APPLICANT,
                                parties__phone_last4=last4)
            .select_related("category").distinct().first())


def status_token(case: Case) -> str:
    return signing.dumps(case.pk, salt=TOKEN_SALT, compress=True)


def case_from_token(token: str) -> Case | None:
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=settings.PORTAL_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(pk, int):
        return None
    return Case.objects.select_related("category").filter(pk=pk).first()


def case_from_rating_link(token: str) -> Case | None:
    """The case of a rating link (texted to the applicant's phone), which also shows the
    status."""
    pk = case_pk_from_rating_link(token)
    if pk is None:
        return None
    return Case.objects.select_related("category").filter(pk=pk).first()


# --- what the resident sees -----------------------------------------------------------------

@dataclass(frozen=True)
class PublicEvent:
    time: datetime
    text: str


def public_event_text(event: CaseEvent) -> str | None:
    """What a member of the public is told about a timeline entry, or None for internal
    steps. Reads only the type and the organisation names of its typed payload."""
    payload = event_payload(event)
    match payload:
        case case_events.Registered():
            return _("已收到您的反映")
        case case_events.Accepted():
            return _("已受理")
        case case_events.Rejected():
            return _("不予受理")
        case case_events.Dispatched():
            return _("已交由 %(unit)s 办理") % {"unit": payload.unit}
        case case_events.Transferred():
            return _("已转交 %(unit)s 办理") % {"unit": payload.to_unit}
        case case_events.Returned():
            return _("正在重新安排承办单位")
        case case_events.Escalated():
            return _("已上报上一级办理")
        case case_events.HandedOff():
            return _("已请 %(unit)s 协同办理") % {"unit": payload.to_unit}
        case case_events.HandoffOutcome():
            return _("协同单位已反馈办理情况")
        case case_events.Session():
            return _("调解中")
        case case_events.Resolved():
            outcome = payload.outcome
            label = Outcome(outcome).label if outcome in Outcome.values else ""
            return _("已办结:%(outcome)s") % {"outcome": label} if label else _("已办结")
        case case_events.Verified():
            return _("办理结果已核查")
        case case_events.Rework():
            return _("核查后重新办理")
        case case_events.FollowedUp():
            return _("已回访")
        case case_events.ResidentRating():
            return _("您已评价")
        case case_events.Closed():
            return _("已结案")
        case case_events.Reopened():
            return _("重新办理")
        case case_events.Suspended():
            return _("暂缓办理")
        case case_events.Resumed():
            return _("恢复办理")
        case case_events.Merged():
            return _("已与相同事项合并办理")
    return None  # internal steps (supervision, reminders, extensions, files) stay internal


def public_timeline(case: Case) -> list[PublicEvent]:
    """The timeline in plain words: organisations may be named, people never are (the
    event rows' actors, notes and party data are not read)."""
    events = CaseEvent.objects.filter(case=case).only("type", "time", "data").order_by(
        "time", "id")
    lines = []
    for event in events:
        text = public_event_text(event)
        if text:
            lines.append(PublicEvent(event.time, text))
    return lines


@dataclass(frozen=True)
class PublicStatus:
    number: str
    tracking_code: str  # grouped for reading: ABCD-2345-K
    category: str
    registered_at: datetime
    status: str
    status_label: str
    timeline: list[PublicEvent]
    can_rate: bool
    rating: int | None
    answer: PublicAnswer | None


@dataclass(frozen=True)
class PublicAnswer:
    """The written answer to the resident: the result and what the handler wrote when
    resolving (办理情况, which the resolve dialog says the applicant will read), from
    办结 on — the same statuses in which the resident may rate, so it is read first."""

    outcome: str
    text: str
    resolved_at: datetime | None


def public_answer(case: Case) -> PublicAnswer | None:
    if case.status not in RATEABLE_STATUSES or not (case.outcome or case.outcome_note):
        return None
    outcome = Outcome(case.outcome).label if case.outcome in Outcome.values else ""
    return PublicAnswer(outcome=str(outcome), text=case.outcome_note.strip(),
                        resolved_at=case.resolved_at)


def public_status(case: Case) -> PublicStatus:
    rating = ResidentRating.objects.filter(case=case).values_list("rating", flat=True).first()
    return PublicStatus(
        number=case.number, tracking_code=format_tracking_code(case.tracking_code),
        category=case.category.display_name(), registered_at=case.registered_at,
        status=case.status, status_label=str(PUBLIC_STATUS.get(Status(case.status), "")),
        timeline=public_timeline(case),
        can_rate=case.status in RATEABLE_STATUSES and rating is None, rating=rating,
        answer=public_answer(case))
