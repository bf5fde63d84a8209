"""The ports of the case pipeline (civicgrid/core/hooks.py): what higher apps connect to.

- `case_changed(before, after)`: after every write that changes a case's row, in the same
  transaction; `before` is the case as it was (None at intake, where it is sent just before
  the new row is written, its facts final). stats keeps the rollup by the difference of
  the two.
- `case_event_recorded(event)`: after every timeline event is written, in the same
  transaction. webhooks writes a delivery per matching endpoint.
- `drilldown`: which cases are behind a statistic's number (the case list's `stat=` filter);
  provided by stats, which defines the measures.
- `party_from_registry(actor, person_id, given)`: a party's particulars completed from a
  registered person the actor may see (intake's "pick from the registry"); provided by
  registry. PermissionDenied when the person is missing or out of scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from civicgrid.core.hooks import Hook, Slot

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from civicgrid.accounts.models import User
    from civicgrid.cases.inputs import PartyInput
    from civicgrid.cases.models import Case, CaseEvent


@dataclass(frozen=True)
class Drill:
    """The cases behind a number: a filter, and which time field the period applies to."""

    q: Q
    by_closing: bool
    label: Promise


case_changed: Hook[[Case | None, Case]] = Hook("cases.case_changed")
case_event_recorded: Hook[[CaseEvent]] = Hook("cases.case_event_recorded")
drilldown: Slot[Callable[[str], Drill]] = Slot("cases.drilldown")
party_from_registry: Slot[Callable[[User, int, PartyInput], PartyInput]] = Slot(
    "cases.party_from_registry")
