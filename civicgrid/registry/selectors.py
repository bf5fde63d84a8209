"""Reads of the registry's places, each through `restrict()` (out of scope reads as
missing)."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.cases.models import OPEN_STATUSES, Case, Party
from civicgrid.cases.services.parties import normalize_phone
from civicgrid.core.idnumbers import IDNumberError, clean_code, normalize_id_number
from civicgrid.core.privacy import seal_document, seal_phone
from civicgrid.core.scope import user_can
from civicgrid.registry.models import (
    Building,
    DocumentType,
    Person,
    PersonStatus,
    Residence,
    ResidencePermit,
    Room,
    RoomUse,
)


@dataclass(frozen=True)
class LayoutCell:
    room_id: int
    number: str
    use: str
    verified: bool
    occupants: int = 0  # people living in it now


@dataclass(frozen=True)
class LayoutFloor:
    floor: int
    units: tuple[tuple[LayoutCell, ...], ...]  # one tuple of rooms per unit, 1…n


@dataclass(frozen=True)
class Layout:
    """The building's layout table (楼盘表): floors from the top down, each floor's rooms per
    unit in number order, and the rooms counted by use."""

    building: Building
    floors: tuple[LayoutFloor, ...]
    by_use: dict[str, int] = field(default_factory=dict)

    @property
    def rooms(self) -> int:
        return sum(self.by_use.values())

    @property
    def vacancy_rate(self) -> float | None:
        """Vacant rooms among the rooms whose use is known (待核实 left out), or None."""
        known = self.rooms - self.by_use.get(RoomUse.UNKNOWN, 0)
        return self.by_use.get(RoomUse.VACANT, 0) / known if known else None


def building_for(*, code: str, reader: User) -> Building:
    """The building with this code if the reader may see it; Building.DoesNotExist
    otherwise (missing or out of scope alike)."""
    return Building.objects.restrict(reader, "view").select_related("grid").get(code=code)


def building_layout(*, building: Building, reader: User) -> Layout:
    """The layout table of a building the reader may see (Building.DoesNotExist if not):
    one query for the rooms, one for how many people live in each now."""
    if not Building.objects.restrict(reader, "view").filter(pk=building.pk).exists():
        raise Building.DoesNotExist
    rooms = (Room.objects.restrict(reader, "view").filter(building=building)
             .only("id", "unit", "floor", "number", "use", "verified_at"))
    living = dict(Residence.objects.filter(room__building=building, until__isnull=True)
                  .values("room_id").annotate(n=Count("id")).values_list("room_id", "n")
                  .order_by())
    cells: dict[int, dict[int, list[LayoutCell]]] = {}
    counts: Counter[str] = Counter()
    for room in sorted(rooms, key=lambda r: (-r.floor, r.unit, len(r.number), r.number)):
        counts[room.use] += 1
        cells.setdefault(room.floor, {}).setdefault(room.unit, []).append(LayoutCell(
            room.pk, room.number, room.use, room.verified_at is not None,
            living.get(room.pk, 0)))
    units = max((u for floor in cells.values() for u in floor), default=0)
    floors = tuple(
        LayoutFloor(floor, tuple(tuple(by_unit.get(unit, ())) for unit in range(1, units + 1)))
        for floor, by_unit in cells.items())
    return Layout(building=building, floors=floors, by_use=dict(counts))


# --- people ----------------------------------------------------------------------------------

SEARCH_LIMIT = 20
ADDRESS_MIN_LENGTH = 3  # characters of an address to search by


def person_for(*, pk: int, reader: User) -> Person:
    """The person if the reader may see them; Person.DoesNotExist otherwise."""
    return Person.objects.restrict(reader, "view").select_related("employer", "grid").get(pk=pk)


def people_search(*, reader: User, query: str, limit: int = SEARCH_LIMIT) -> list[Person]:
    """People the reader may see, found by exact citizen ID or phone (through their keyed
    hashes: nothing is decrypted), or by name (names starting with the text first, then
    containing it) and then by where they live now (a room whose standard address contains
    the text: "3幢1单元", "人民路88号"). In the register (active) first, at most `limit`."""
    text = (query or "").strip()
    if not text:
        return []
    visible = Person.objects.restrict(reader, "view")
    hashes = _exact_hashes(text)
    if hashes:
        found = visible.filter(Q(id_number_hash__in=hashes) | Q(phone_hash__in=hashes))
        return list(found.order_by("status", "id")[:limit])
    starts = list(visible.filter(name__startswith=text).order_by("status", "name", "id")[:limit])
    if len(starts) < limit:
        more = (visible.filter(name__contains=text).exclude(pk__in=[p.pk for p in starts])
                .order_by("status", "name", "id")[:limit - len(starts)])
        starts.extend(more)
    address = clean_code(text)  # (written as standard addresses are: addresses.py)
    if len(starts) < limit and len(address) >= ADDRESS_MIN_LENGTH:
        living = Residence.objects.filter(until__isnull=True, room__address__contains=address)
        at = (visible.filter(pk__in=living.values("person_id"))
              .exclude(pk__in=[p.pk for p in starts]).order_by("status", "name", "id"))
        starts.extend(at[:limit - len(starts)])
    return starts


def _exact_hashes(text: str) -> list[str]:
    """The keyed hashes `text` would have as a citizen ID, another document or a phone."""
    hashes: list[str] = []
    with contextlib.suppress(IDNumberError):
        hashes.append(seal_document(normalize_id_number(text)).hash)
    digits = normalize_phone(text)
    if digits:
        hashes.append(seal_phone(digits).hash)
    code = clean_code(text)
    if not hashes and len(code) >= 6 and code.isalnum() and code.isascii() \
            and any(c.isdigit() for c in code):
        hashes.extend(seal_document(code, kind).hash for kind in DocumentType.values
                      if kind != DocumentType.ID_CARD)
    return hashes


def room_residents(*, room: Room, reader: User) -> list[Residence]:
    """Who lives in the room now (with the person), as far as the reader may see."""
    return list(Residence.objects.restrict(reader, "view")
                .filter(room=room, until__isnull=True).select_related("person")
                .order_by("since", "id"))


def person_residences(*, person: Person, reader: User) -> list[Residence]:
    """Where the person lives and lived, newest first, as far as the reader may see."""
    return list(Residence.objects.restrict(reader, "view").filter(person=person)
                .select_related("room__building").order_by("until", "-since", "-id"))


def person_cases(*, person: Person, reader: User) -> list[Case]:
    """The cases in which the person is a party (a party with the same citizen ID: the case
    keeps its own copy of the particulars), each only if the reader may see that case."""
    if not person.id_number_hash:
        return []
    parties = Party.objects.filter(id_number_hash=person.id_number_hash).values("case_id")
    return list(Case.objects.restrict(reader, "view").filter(pk__in=parties)
                .select_related("category").order_by("-registered_at")[:50])


def building_open_cases(*, building: Building, reader: User) -> int:
    """Open cases at the building's addresses (a case's address starting with the
    building's standard address) that the reader may see."""
    return (Case.objects.restrict(reader, "view")
            .filter(area_code=building.grid_code, status__in=OPEN_STATUSES,
                    address__startswith=building.address).count())


def permits_due(*, reader: User, within_days: int = 30) -> list[ResidencePermit]:
    """Residence permits whose annual endorsement (签注) falls due within `within_days` (or
    is overdue) and whose holder is still in the register: whom the grid worker reminds."""
    until = timezone.localdate() + timedelta(days=within_days)
    if not user_can(reader, ResidencePermit, "view"):
        return []
    holders = Person.objects.restrict(reader, "view").filter(status=PersonStatus.ACTIVE)
    # (by where the holder lives now, not where the permit was recorded)
    return list(ResidencePermit.objects
                .filter(endorsed_until__lte=until, expires_on__gte=timezone.localdate(),
                        person__in=holders.values("pk"))
                .select_related("person").order_by("endorsed_until", "id"))
