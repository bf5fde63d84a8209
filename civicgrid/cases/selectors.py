"""Permission-aware reads of cases: inboxes, lists, detail, duplicate suggestions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from civicgrid.areas.reference import dispatch_area_ids
from civicgrid.cases import hooks
from civicgrid.cases.hooks import Drill
from civicgrid.cases.models import (
    CLOCKED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Category,
    CategoryAttribute,
    EventType,
    HandOff,
    Party,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.services.parties import party_search_hashes
from civicgrid.core.periods import Period
from civicgrid.core.scope import get_scope, user_can
from civicgrid.core.textsim import top_similar
from civicgrid.risk.models import Matter

if TYPE_CHECKING:
    from civicgrid.accounts.models import User
    from civicgrid.cases.models import (
        Agreement,
        Attachment,
        ExtensionRequest,
        MediationSession,
    )
    from civicgrid.core.scope import Reader

DUE_SOON = timedelta(hours=24)

LIST_RELATED = ("category", "area", "assigned_unit")


def case_base(*, actor: User) -> QuerySet[Case]:
    # The place's polygon is never drawn from a case read this way (lists, the API): not
    # read at all (a street's is large).
    return (Case.objects.restrict(actor, "view").select_related(*LIST_RELATED)
            .defer("area__boundary"))


# --- inboxes -----------------------------------------------------------------------------
# Each inbox is a named filter over the cases the user may see. The UI shows every inbox
# the user's roles make sense for, with its count.

INBOXES = ("mine", "reported", "unit", "dispatch", "verify", "overdue", "supervised",
           "handoffs")


def _mine_q(actor: User) -> Q:
    scope = get_scope(actor)
    q = Q(pk__in=[])
    if scope.can("cases.case.handle"):
        q |= Q(assigned_unit_id__in=scope.unit_ids, status__in=[Status.HANDLING])
    if scope.can("cases.case.dispatch"):
        q |= _dispatch_q(actor)
    if scope.can("cases.case.verify"):
        q |= _verify_q(actor)
    return q


def _dispatch_q(actor: User) -> Q:
    scope = get_scope(actor)
    if not scope.can("cases.case.dispatch"):
        return Q(pk__in=[])
    statuses = Q(status__in=[Status.REGISTERED, Status.ACCEPTED])
    # The queue areas of the jurisdiction by id (cached): the index (queue_area, status,
    # id) answers, with no join of the areas by code (issue 14).
    return Q(queue_area_id__in=dispatch_area_ids(scope.area_codes)) & statuses


def _verify_q(actor: User) -> Q:
    scope = get_scope(actor)
    if not scope.can("cases.case.verify"):
        return Q(pk__in=[])
    statuses = [Status.RESOLVED, Status.VERIFIED]
    if scope.can("cases.case.supervise"):
        statuses.append(Status.FOLLOWED_UP)
    return scope.subtree_q("area_code") & Q(status__in=statuses)


def inbox_filter(name: str, actor: User, now: datetime | None = None) -> Q:
    now = now or timezone.now()
    scope = get_scope(actor)
    if name == "mine":
        return _mine_q(actor)
    if name == "reported":  # what the user registered (a grid worker's own reports)
        return Q(reported_by_id=actor.pk, status__in=OPEN_STATUSES)
    if name == "unit":
        return Q(assigned_unit_id__in=scope.unit_ids, status__in=OPEN_STATUSES)
    if name == "dispatch":
        return _dispatch_q(actor)
    if name == "verify":
        return _verify_q(actor)
    if name == "overdue":
        return Q(status__in=CLOCKED_STATUSES, stage_due_at__lt=now)
    if name == "supervised":
        return Q(status__in=OPEN_STATUSES) & ~Q(supervision=SupervisionLevel.NONE)
    if name == "handoffs":
        waiting = HandOff.objects.filter(to_unit_id__in=scope.unit_ids,
                                         outcome_at__isnull=True).values("case_id")
        return Q(pk__in=waiting, status=Status.HANDED_OFF)
    raise ValueError(name)


def inbox_counts(*, actor: User, now: datetime | None = None) -> dict[str, int]:
    """Every inbox's count in one query. Every inbox holds open cases only, so the count
    reads the open cases of the user's scope (an index; docs/benchmarks.md), never the
    closed history."""
    now = now or timezone.now()
    qs = Case.objects.restrict(actor, "view").filter(status__in=OPEN_STATUSES)
    counts = qs.aggregate(**{name: Count("pk", filter=inbox_filter(name, actor, now))
                             for name in INBOXES})
    return {name: counts[name] or 0 for name in INBOXES}


@dataclass(frozen=True)
class CaseFilters:
    inbox: str = ""
    status: str = ""
    category: str = ""  # category code prefix
    area: str = ""  # area code prefix
    channel: str = ""
    q: str = ""  # number or words of the description
    supervision: str = ""
    # Drill-down from a statistic: a measure or an indicator's part (civicgrid/stats), and
    # the time it counts in (registered_at, or closed_at for measures counted at closing):
    # whole months (`period`) and/or dates (`date_from`, `date_to`, inclusive).
    stat: str = ""
    period: Period | None = None
    date_from: date | None = None
    date_to: date | None = None
    # The follow-up of a major matter (civicgrid/risk; its page's counts link here): the
    # cases tagged with the matter of this number, of one kind (CaseKind), and "open" (the
    # open statuses) or "valid" (all but 不予受理 and 已合并, which the follow-up leaves out).
    matter: str = ""
    kind: str = ""
    state: str = ""


CASE_STATES = ("open", "valid")


def case_list(
    *, actor: User, filters: CaseFilters, now: datetime | None = None
) -> QuerySet[Case]:
    qs = case_base(actor=actor)
    if filters.inbox:
        qs = qs.filter(inbox_filter(filters.inbox, actor, now))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category__code__startswith=filters.category)
    if filters.area:
        qs = qs.filter(area_code__startswith=filters.area)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.supervision:
        qs = qs.filter(supervision=filters.supervision)
    if filters.matter:
        qs = qs.filter(matter__number=filters.matter)
    if filters.kind:
        qs = qs.filter(category__kind=filters.kind)
    if filters.state == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.state == "valid":
        qs = qs.exclude(status__in=[Status.REJECTED, Status.MERGED])
    if filters.q.strip():
        qs = qs.filter(_search_q(filters.q.strip()))
    if filters.stat or filters.period or filters.date_from or filters.date_to:
        qs = qs.filter(_stat_q(filters))
    return qs


def _search_q(text: str) -> Q:
    """The list's search box: a case number whole or in part (its tail, "00042" or
    "1205-00042"), words of the description, or a party — by full name, or by a phone
    number through its keyed hash (never by a part of a phone or an ID number)."""
    q = Q(number=text) | Q(description__icontains=text)
    if len(text) >= 4 and all(c.isdigit() or c == "-" for c in text):
        q |= Q(number__endswith=text)
    phone_hash, id_hash = party_search_hashes(phone=text, id_number=text)
    party = Q(name=text)
    if phone_hash:
        party |= Q(phone_hash=phone_hash)
    if id_hash:
        party |= Q(id_number_hash=id_hash)
    return q | Q(pk__in=Party.objects.filter(party).values("case_id"))


def drill(stat: str) -> Drill:
    """What a statistic counts: a measure name ("closed") or an indicator's part
    ("closure_rate:num"); KeyError for anything else. The definitions are the statistics
    app's (cases.hooks.drilldown)."""
    return hooks.drilldown.get()(stat)


def drill_filter(stat: str, period: Period | None) -> Q:
    """The cases behind a number in a period (by registration, or by closing for the
    measures counted when a case closes)."""
    found = drill(stat)
    q = found.q
    if period is not None:
        field = "closed_at" if found.by_closing else "registered_at"
        first, after = period.bounds
        q &= Q(**{f"{field}__gte": first, f"{field}__lt": after})
    return q


def _stat_q(filters: CaseFilters) -> Q:
    """The cases behind a number: the measure's filter and its time window."""
    if filters.stat:
        q, by_closing = drill_filter(filters.stat, filters.period), drill(
            filters.stat).by_closing
    else:
        q, by_closing = drill_filter("registered", filters.period), False
    field = "closed_at" if by_closing else "registered_at"
    if filters.date_from is not None:
        q &= Q(**{f"{field}__gte": timezone.make_aware(
            datetime.combine(filters.date_from, time.min))})
    if filters.date_to is not None:
        q &= Q(**{f"{field}__lt": timezone.make_aware(
            datetime.combine(filters.date_to + timedelta(days=1), time.min))})
    return q


def deadline_state(case: Case, now: datetime | None = None) -> str:
    """"overdue", "due_soon", "ok" or "" (no clock): computed, no sweep needed."""
    now = now or timezone.now()
    if case.status not in CLOCKED_STATUSES or case.stage_due_at is None:
        return ""
    if case.stage_due_at < now:
        return "overdue"
    if case.stage_due_at < now + DUE_SOON:
        return "due_soon"
    return "ok"


def overdue_multiple(case: Case, now: datetime | None = None) -> float:
    """超时倍数: how many times the stage's allowed time has passed (0 if not overdue)."""
    now = now or timezone.now()
    if deadline_state(case, now) != "overdue" or case.stage_due_at is None:
        return 0.0
    allowed = (case.stage_due_at - case.stage_started_at).total_seconds()
    if allowed <= 0:
        return 0.0
    return round((now - case.stage_started_at).total_seconds() / allowed, 1)


class CaseDetail(TypedDict):
    parties: list[Party]
    events: list[CaseEvent]
    attachments: list[Attachment]
    handoffs: list[HandOff]
    sessions: list[MediationSession]
    extensions: list[ExtensionRequest]
    agreement: Agreement | None


def case_detail(*, case: Case) -> CaseDetail:
    return {
        "parties": list(case.parties.all()),
        "events": list(case.events.select_related("actor", "unit").order_by("time", "id")),
        "attachments": list(case.attachments.all()),
        "handoffs": list(case.handoffs.select_related("to_unit", "from_unit")),
        "sessions": list(case.sessions.select_related("mediator")),
        "extensions": list(case.extensions.select_related("requested_by", "decided_by")),
        "agreement": getattr(case, "agreement", None) if hasattr(case, "agreement") else None,
    }


# --- duplicates -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DuplicateSuggestion:
    case: Case
    reasons: tuple[str, ...]
    score: float


# What each reason of a suggestion says to the reader (intake's warning, 合并's choices).
DUPLICATE_REASONS = {
    "same_party": gettext_lazy("同一当事人"),
    "nearby_same_category": gettext_lazy("同类事件200米内"),
    "similar_text": gettext_lazy("描述相似"),
}


def _metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    rad = math.radians
    x = rad(lng2 - lng1) * math.cos(rad((lat1 + lat2) / 2))
    y = rad(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


def duplicate_candidates(*, actor: User, category: Category | None, description: str,
                         lng: float | None = None, lat: float | None = None,
                         area_code: str = "", id_hashes: list[str] | None = None,
                         phone_hashes: list[str] | None = None, exclude_pk: int | None = None,
                         now: datetime | None = None, limit: int = 5
                         ) -> list[DuplicateSuggestion]:
    """Likely duplicates among open, recent cases the user may see: the same party (ID
    number or phone), the same category within 200 m and 30 days, or similar text."""
    now = now or timezone.now()
    visible = Case.objects.restrict(actor, "view").filter(status__in=OPEN_STATUSES)
    if exclude_pk:
        visible = visible.exclude(pk=exclude_pk)
    found: dict[int, tuple[Case, set[str], float]] = {}

    def add(case: Case, reason: str, score: float) -> None:
        entry = found.setdefault(case.pk, (case, set(), 0.0))
        entry[1].add(reason)
        found[case.pk] = (entry[0], entry[1], max(entry[2], score))

    hashes = [h for h in (id_hashes or []) if h]
    phones = [h for h in (phone_hashes or []) if h]
    if hashes or phones:
        party_q = Q(pk__in=[])
        if hashes:
            party_q |= Q(id_number_hash__in=hashes)
        if phones:
            party_q |= Q(phone_hash__in=phones)
        case_ids = Party.objects.filter(party_q).values("case_id")
        for case in visible.filter(pk__in=case_ids).select_related(*LIST_RELATED)[:20]:
            add(case, "same_party", 1.0)
    recent = visible.filter(registered_at__gte=now - timedelta(days=30))
    if category is not None and lng is not None and lat is not None:
        box = 0.003  # ~300 m: a cheap prefilter on the bounding box, then exact distance
        nearby = recent.filter(category=category, lng__range=(lng - box, lng + box),
                               lat__range=(lat - box, lat + box)).select_related(*LIST_RELATED)
        for case in nearby[:50]:
            if case.lng is not None and case.lat is not None and _metres(
                    lng, lat, case.lng, case.lat) <= 200:
                add(case, "nearby_same_category", 0.8)
    if description.strip():
        pool = recent
        if area_code:
            pool = pool.filter(area_code__startswith=area_code[:9])
        candidates = list(pool.order_by("-registered_at").select_related(*LIST_RELATED)[:200])
        by_pk = {c.pk: c for c in candidates}
        for pk, score in top_similar(description, [(c.pk, c.description) for c in candidates],
                                     limit=limit):
            add(by_pk[pk], "similar_text", score)
    ranked = sorted(found.values(), key=lambda e: (-e[2], -e[0].pk))[:limit]
    return [DuplicateSuggestion(case, tuple(sorted(reasons)), score)
            for case, reasons, score in ranked]


def merge_candidates(*, case: Case, actor: User, limit: int = 5) -> list[DuplicateSuggestion]:
    """The likely duplicates of `case` that 合并 offers as its master: what intake's check
    finds for the case's own category, place, parties and text, among the open cases the
    actor may see, from 30 days before it was registered. The merge service still decides
    (it may refuse a master the page offered, e.g. one merged meanwhile)."""
    hashes = list(case.parties.values_list("phone_hash", "id_number_hash"))
    return duplicate_candidates(
        actor=actor, category=case.category, description=case.description, lng=case.lng,
        lat=case.lat, area_code=case.area_code, phone_hashes=[p for p, _i in hashes if p],
        id_hashes=[i for _p, i in hashes if i], exclude_pk=case.pk, now=case.registered_at,
        limit=limit)


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "unit").order_by("time", "id")


def events_for_reader(events: list[CaseEvent], reader: Reader) -> list[CaseEvent]:
    """The case's events as `reader` may see them: a major matter the reader cannot see
    (civicgrid/risk) is not named in its tagging events — the number and title are taken
    out of the event's data in memory (the stored event keeps them), as the case page and
    the API's detail leave such a matter unnamed."""
    numbers = {n for e in events if e.type == EventType.MATTER_TAGGED
               for n in ((e.data or {}).get("matter"), (e.data or {}).get("previous")) if n}
    if not numbers:
        return events
    seen = set(Matter.objects.restrict(reader, "view").filter(number__in=numbers)
               .values_list("number", flat=True))
    hidden = gettext_lazy("(不在您的查看范围内)")
    for event in events:
        if event.type != EventType.MATTER_TAGGED:
            continue
        data = dict(event.data or {})
        if data.get("matter") and data["matter"] not in seen:
            data["matter"], data["title"] = str(hidden), ""
        if data.get("previous") and data["previous"] not in seen:
            data["previous"] = str(hidden)
        event.data = data
    return events


def case_with_parties(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("role", "id")))


# --- categories -----------------------------------------------------------------------------
# Categories are reference data with no area to scope by: whoever may view cases reads all
# of them (an intake form or client needs the whole tree, and every case names one).


@dataclass(frozen=True)
class CategoryFilters:
    parent: str = ""  # code of the parent category
    kind: str = ""
    leaf: bool | None = None  # True: only categories without children (what intake takes)
    active: bool | None = True
    q: str = ""  # words of the name


def _has_children() -> Exists:
    return Exists(Category.objects.filter(parent=OuterRef("pk")))


def category_base(*, actor: User) -> QuerySet[Category]:
    """Categories with what the API shows of them, in a fixed number of queries: the
    parent's and the specialty's codes joined, `is_leaf` annotated, attributes prefetched."""
    if not user_can(actor, Case, "view"):
        return Category.objects.none()
    return (
        Category.objects.select_related("parent", "specialty")
        .annotate(is_leaf=~_has_children())
        .prefetch_related(Prefetch(
            "attributes", queryset=CategoryAttribute.objects.order_by("order", "code")))
    )


def category_list(*, actor: User, filters: CategoryFilters) -> QuerySet[Category]:
    qs = category_base(actor=actor)
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.leaf is not None:
        qs = qs.filter(~_has_children() if filters.leaf else _has_children())
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.q.strip():
        qs = qs.filter(name__icontains=filters.q.strip())
    return qs


def category_detail(*, actor: User) -> QuerySet[Category]:
    """category_base with the children's codes (all of them, active or not: a category
    with any child is not a leaf, and intake refuses it)."""
    return category_base(actor=actor).prefetch_related(Prefetch(
        "children", queryset=Category.objects.order_by("code").only("code", "parent_id")))
