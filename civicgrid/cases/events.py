"""The case timeline's events, typed (Saleor's `order/events.py`): one payload class per
event type, written by the services (`record_event`) and read back by whoever shows or sends
them (`event_payload`) — the portal, webhooks, the API — as attributes, not dict keys.

The JSON stored in `CaseEvent.data` keeps its keys (a transfer's "from" and "to"), so rows
written before this module read back unchanged; a key a row lacks reads as the field's
default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self

from civicgrid.cases.models import CaseEvent, EventType


@dataclass(frozen=True)
class EventData:
    """The payload of one timeline event type."""

    type: ClassVar[EventType]

    def to_json(self) -> dict[str, object]:
        return {f.metadata.get("key", f.name): getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Self:
        data = data or {}
        values = {f.name: data[f.metadata.get("key", f.name)] for f in fields(cls)
                  if f.metadata.get("key", f.name) in data}
        return cls(**values)


def _key(name: str, default: Any) -> Any:
    """A field stored under another JSON key (Python keywords: "from")."""
    return field(default=default, metadata={"key": name})


@dataclass(frozen=True)
class Registered(EventData):
    type = EventType.REGISTERED
    channel: str = ""
    level: str = ""
    routing: str = ""


@dataclass(frozen=True)
class Accepted(EventData):
    type = EventType.ACCEPTED


@dataclass(frozen=True)
class Rejected(EventData):
    type = EventType.REJECTED


@dataclass(frozen=True)
class Dispatched(EventData):
    type = EventType.DISPATCHED
    unit: str = ""
    unit_id: int | None = None


@dataclass(frozen=True)
class Returned(EventData):
    type = EventType.RETURNED
    unit: str = ""


@dataclass(frozen=True)
class Transferred(EventData):
    type = EventType.TRANSFERRED
    from_unit: str = _key("from", "")
    to_unit: str = _key("to", "")
    unit_id: int | None = None


@dataclass(frozen=True)
class Escalated(EventData):
    type = EventType.ESCALATED
    from_level: str = ""
    to_level: str = ""


@dataclass(frozen=True)
class HandedOff(EventData):
    type = EventType.HANDED_OFF
    kind: str = ""
    to_unit: str = _key("to", "")


@dataclass(frozen=True)
class HandoffAcknowledged(EventData):
    type = EventType.HANDOFF_ACKNOWLEDGED
    on_time: bool | None = None


@dataclass(frozen=True)
class HandoffOutcome(EventData):
    type = EventType.HANDOFF_OUTCOME
    kind: str = ""


@dataclass(frozen=True)
class Session(EventData):
    type = EventType.SESSION
    held_at: str = ""


@dataclass(frozen=True)
class Resolved(EventData):
    type = EventType.RESOLVED
    outcome: str = ""
    on_time: bool | None = None


@dataclass(frozen=True)
class Verified(EventData):
    type = EventType.VERIFIED


@dataclass(frozen=True)
class Rework(EventData):
    type = EventType.REWORK


@dataclass(frozen=True)
class FollowedUp(EventData):
    type = EventType.FOLLOWED_UP
    satisfaction: int | None = None


@dataclass(frozen=True)
class Closed(EventData):
    type = EventType.CLOSED


@dataclass(frozen=True)
class Reopened(EventData):
    type = EventType.REOPENED


@dataclass(frozen=True)
class Suspended(EventData):
    type = EventType.SUSPENDED


@dataclass(frozen=True)
class Resumed(EventData):
    type = EventType.RESUMED
    paused_hours: float = 0.0


@dataclass(frozen=True)
class ExtensionRequested(EventData):
    type = EventType.EXTENSION_REQUESTED
    days: int = 0


@dataclass(frozen=True)
class ExtensionDecided(EventData):
    type = EventType.EXTENSION_DECIDED
    approved: bool = False
    days: int = 0


@dataclass(frozen=True)
class Supervised(EventData):
    type = EventType.SUPERVISED
    level: str = ""


@dataclass(frozen=True)
class Reminded(EventData):
    type = EventType.REMINDED


@dataclass(frozen=True)
class Merged(EventData):
    type = EventType.MERGED
    master: str = ""


@dataclass(frozen=True)
class DuplicateMerged(EventData):
    type = EventType.DUPLICATE_MERGED
    duplicate: str = ""
    attachments: int = 0


@dataclass(frozen=True)
class AttachmentAdded(EventData):
    type = EventType.ATTACHMENT_ADDED
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgreementMade(EventData):
    type = EventType.AGREEMENT
    copies: int = 0
    confirmation_deadline: str = ""


@dataclass(frozen=True)
class ResidentRating(EventData):
    type = EventType.RESIDENT_RATING
    satisfaction: int | None = None


# Parties and facts after intake. The keys stay out of the webhooks' PUBLIC_DATA_KEYS: a
# party's name and the changed facts are for staff who may read the case, not for
# receivers outside.

@dataclass(frozen=True)
class PartyAdded(EventData):
    type = EventType.PARTY_ADDED
    party_id: int | None = None
    role: str = ""
    name: str = ""


@dataclass(frozen=True)
class PartyUpdated(EventData):
    """`fields`: the names of the fields that changed (never their values: a phone or an
    ID number is not written into the timeline)."""

    type = EventType.PARTY_UPDATED
    party_id: int | None = None
    role: str = ""
    name: str = ""
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PartyRemoved(EventData):
    type = EventType.PARTY_REMOVED
    party_id: int | None = None
    role: str = ""
    name: str = ""


@dataclass(frozen=True)
class FactsCorrected(EventData):
    """`changes`: {fact: [before, after]} as shown to people (names, labels), for the
    timeline's "before → after"; `min_level`: the level the corrected facts call for when
    it is above the case's level after dispatch (the case is not moved: 上报 does that)."""

    type = EventType.FACTS_CORRECTED
    changes: dict[str, list[str]] = field(default_factory=dict)
    rerouted: bool = False
    min_level: str = ""


@dataclass(frozen=True)
class MatterTagged(EventData):
    """The case tagged with a major matter (civicgrid/risk), or its tag changed or cleared:
    `matter`/`title` the matter now ("" when cleared), `previous` the number before ("" when
    there was none)."""

    type = EventType.MATTER_TAGGED
    matter: str = ""
    title: str = ""
    previous: str = ""


PAYLOADS: dict[str, type[EventData]] = {cls.type: cls for cls in (
    Registered, Accepted, Rejected, Dispatched, Returned, Transferred, Escalated, HandedOff,
    HandoffAcknowledged, HandoffOutcome, Session, Resolved, Verified, Rework, FollowedUp,
    Closed, Reopened, Suspended, Resumed, ExtensionRequested, ExtensionDecided, Supervised,
    Reminded, Merged, DuplicateMerged, AttachmentAdded, AgreementMade, ResidentRating,
    PartyAdded, PartyUpdated, PartyRemoved, FactsCorrected, MatterTagged)}


def event_payload(event: CaseEvent) -> EventData:
    """The typed payload of a timeline event."""
    return PAYLOADS[event.type].from_json(event.data)
