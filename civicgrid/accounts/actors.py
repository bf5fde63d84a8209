"""Who performs a write: the `Actor` every service takes.

- a signed-in `User` (staff, or the service account behind an API token);
- `RESIDENT_ACTOR`: the resident who reported a case, acting through the public portal
  (no account: the portal proves it with the tracking number and the phone's last four
  digits);
- `None`: the system itself (periodic jobs, resident intake through the portal).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from django.core.exceptions import PermissionDenied

from civicgrid.accounts.models import User


class ResidentActor:
    """The actor passed by the resident portal: the resident who reported the case.

    Not a user and never signed in; the workflow answers the actor kind {resident} for it
    and nothing else, so a resident can only perform the rows that list it. Timeline and
    audit record it under the name "resident" with no user row.
    """

    is_authenticated: Literal[False] = False
    is_superuser: Literal[False] = False
    pk = None
    display_name = "resident"

    def get_username(self) -> str:
        return "resident"

    def __repr__(self) -> str:
        return "RESIDENT_ACTOR"


RESIDENT_ACTOR = ResidentActor()

Actor: TypeAlias = User | ResidentActor | None


def is_resident(actor: Actor) -> bool:
    return actor is RESIDENT_ACTOR


def actor_user(actor: Actor) -> User | None:
    """The user row to link to (None for the system and for a resident)."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def acting_user(actor: Actor) -> User:
    """The user performing a write only staff may perform (a row whose actors are all
    staff): the service records them by their account."""
    if not isinstance(actor, User):
        raise PermissionDenied
    return actor


def actor_name(actor: Actor) -> str:
    """The name timelines show for the actor."""
    if actor is None:
        return "system"
    return getattr(actor, "display_name", "") or actor.get_username()


def audit_username(actor: Actor) -> str:
    """The name the audit log records for an actor without an account."""
    if actor is None:
        return "system"
    return "" if actor.is_authenticated else actor.get_username()
