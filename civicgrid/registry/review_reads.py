"""Reads of the change review (变更审核): the reviewer's queue, a grid worker's own
requests, the requests waiting on a room or a person, and each request's before/after view
as rows to show. Every read goes through `ChangeRequest.objects.restrict()` (a reviewer:
their jurisdiction; anyone else: their own requests), so a request out of scope reads as
missing. A person is named only to readers who may see them (one query per page)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.registry.models import (
    ChangeRequest,
    ChangeRequestStatus,
    OrganisationKind,
    Person,
    Relation,
    ResidenceKind,
    ResidenceSource,
    RoomUse,
)

PENDING = ChangeRequestStatus.PENDING


def _choice(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    labels = dict(choices.choices)
    return lambda v: str(labels.get(v, v))


def _yes_no(value: Any) -> str:
    return _("是") if value else _("否")


def _text(value: Any) -> str:
    return str(value)


def _day(value: Any) -> str:
    return str(value)  # (ISO dates, as stored: 2026-12-05)


# The facts a request's before/after view may show, in the order shown: label, format.
FACTS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "room": (gettext_lazy("房屋"), _text),
    "household": (gettext_lazy("户号"), _text),
    "name": (gettext_lazy("单位名称"), _text),
    "organisation_kind": (gettext_lazy("单位类型"), _choice(OrganisationKind)),
    "credit_code": (gettext_lazy("统一社会信用代码"), _text),
    "address": (gettext_lazy("地址"), _text),
    "staff_count": (gettext_lazy("从业人数"), _text),
    "has_trade_union": (gettext_lazy("建立工会"), _yes_no),
    "has_party_organisation": (gettext_lazy("建立党组织"), _yes_no),
    "use": (gettext_lazy("房屋用途"), _choice(RoomUse)),
    "area_m2": (gettext_lazy("面积(平方米)"), _text),
    "occupants": (gettext_lazy("居住人数"), _text),
    "homes": (gettext_lazy("该人员住处数"), _text),
    "members": (gettext_lazy("户成员数"), _text),
    "relation": (gettext_lazy("与户主关系"), _choice(Relation)),
    "joined": (gettext_lazy("入户日期"), _day),
    "residence_kind": (gettext_lazy("居住方式"), _choice(ResidenceKind)),
    "since": (gettext_lazy("入住日期"), _day),
    "until": (gettext_lazy("搬离日期"), _day),
    "source": (gettext_lazy("信息来源"), _choice(ResidenceSource)),
}


@dataclass(frozen=True)
class FactRow:
    label: str
    before: str
    after: str
    changed: bool


def fact_rows(request: ChangeRequest) -> list[FactRow]:
    """The before/after view: one row per fact either side shows ("—" for none)."""
    rows = []
    for key, (label, shown) in FACTS.items():
        if key == "room" or (key not in request.before and key not in request.after):
            continue  # (the room never changes: the page names it above the table)
        before = request.before.get(key)
        after = request.after.get(key, before)
        rows.append(FactRow(str(label), "—" if before in (None, "") else shown(before),
                            "—" if after in (None, "") else shown(after),
                            before != after))
    return rows


@dataclass(frozen=True)
class Subject:
    """What a request is about, as the reader may see it: a text and, when they may open
    it, its page."""

    text: str
    url: str
    hidden: bool = False


@dataclass(frozen=True)
class ReviewRow:
    request: ChangeRequest
    subject: Subject
    place: Subject | None
    facts: list[FactRow]


def _subject(request: ChangeRequest, visible: set[int]) -> tuple[Subject, Subject | None]:
    place = None
    if request.room_id is not None and request.room is not None:
        place = Subject(request.room.address, reverse("registry:room", args=[request.room_id]))
    if request.person_id is not None and request.person is not None:
        if request.person_id in visible:
            who = Subject(request.person.name or _("(已清除)"),
                          reverse("registry:person", args=[request.person_id]))
        else:
            who = Subject(_("(不在您的辖区)"), "", hidden=True)
        return who, place
    if request.organisation_id is not None:
        return Subject(str(request.payload.get("name", "")),
                       reverse("registry:organisation", args=[request.organisation_id])), place
    if request.kind == "organisation":
        return Subject(str(request.payload.get("name", "")), ""), place
    return place or Subject("—", ""), None


def review_rows(requests: Iterable[ChangeRequest], reader: User) -> list[ReviewRow]:
    """Rows to show for requests read with `with_related()`: one query in all for which of
    their people the reader may see."""
    requests = list(requests)
    people = {r.person_id for r in requests if r.person_id is not None}
    visible = set(Person.objects.restrict(reader, "view").filter(pk__in=people)
                  .values_list("pk", flat=True)) if people else set()
    rows = []
    for request in requests:
        subject, place = _subject(request, visible)
        rows.append(ReviewRow(request, subject, place, fact_rows(request)))
    return rows


def with_related(qs: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    return qs.select_related("requested_by", "reviewer", "person", "room").defer(
        "person__id_number_encrypted", "person__phone_encrypted")


def review_queue(*, reader: User, kind: str = "", grid: str = "") -> QuerySet[ChangeRequest]:
    """The pending requests a reviewer may decide (those of their jurisdiction), of one kind
    or one area (code prefix) if asked; the page orders them oldest first."""
    qs = ChangeRequest.objects.restrict(reader, "approve").filter(status=PENDING)
    if kind:
        qs = qs.filter(kind=kind)
    if grid:
        qs = qs.filter(grid_code__startswith=grid)
    return with_related(qs)


def pending_grids(*, reader: User) -> list[tuple[str, str, int]]:
    """The grids with pending requests the reviewer may decide: code, name, how many (two
    queries)."""
    counts = dict(ChangeRequest.objects.restrict(reader, "approve").filter(status=PENDING)
                  .order_by().values_list("grid_code").annotate(n=Count("id")))
    names = dict(Area.objects.filter(code__in=counts).values_list("code", "name"))
    return [(code, names.get(code, code), counts[code]) for code in sorted(counts)]


def pending_count(*, reader: User) -> int:
    return ChangeRequest.objects.restrict(reader, "approve").filter(status=PENDING).count()


def my_requests(*, reader: User, status: str = "") -> QuerySet[ChangeRequest]:
    """The reader's own requests (the page: newest first)."""
    qs = ChangeRequest.objects.restrict(reader, "view").filter(requested_by=reader)
    if status:
        qs = qs.filter(status=status)
    return with_related(qs)


def pending_about(*, reader: User, room_id: int | None = None,
                  person_id: int | None = None) -> list[ChangeRequest]:
    """The requests waiting on a room or a person that the reader may see (the grid
    worker's own; a reviewer's jurisdiction's)."""
    qs = ChangeRequest.objects.restrict(reader, "view").filter(status=PENDING)
    if room_id is not None:
        qs = qs.filter(room_id=room_id)
    elif person_id is not None:
        qs = qs.filter(person_id=person_id)
    else:
        return []
    return list(with_related(qs).order_by("created_at", "id"))

