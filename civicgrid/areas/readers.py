"""The reader's area: the one guard of every read of stats, reports and warnings that a user
sees (dashboards, KPIs, analysis reports, releases, weekly checks, area statuses).

Each such selector takes the reader (`actor`) and the area, and first asks this module
whether the reader may read the area, through `Area.objects.restrict(actor, "view")` — the
project's one jurisdiction rule (civicgrid/core/scope.py, `Area.scope_q`). An area
outside the reader's scope raises `Area.DoesNotExist`, exactly as a missing one does, so a
page answers 404 for both (CONVENTIONS.md, Permission-aware reads). Jurisdiction is a
subtree of area codes, so once the area is readable every number below it is too, and the
aggregate queries may then filter by its code prefix.

The answer is remembered on the reader object under the reader's scope (as `get_scope`
remembers the scope, i.e. once per request): a page that resolves its area with `area_for`
and then calls several selectors for it runs the scope query once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from civicgrid.areas.models import Area
from civicgrid.core.scope import Scope, get_scope

if TYPE_CHECKING:
    from civicgrid.accounts.models import User

_SEEN = "_civicgrid_readable_areas"


def _seen(actor: User | None) -> set[tuple[Scope, int]] | None:
    store = getattr(actor, "__dict__", None)
    if store is None:
        return None
    seen: set[tuple[Scope, int]] = store.setdefault(_SEEN, set())
    return seen


def _visible(actor: User | None) -> QuerySet[Area]:
    return Area.objects.restrict(actor, "view")


def area_for(*, actor: User | None, code: str) -> Area:
    """The area `code` as the reader may read it, with its parent. `Area.DoesNotExist` when
    it does not exist or lies outside the reader's scope (the two answer alike)."""
    area = _visible(actor).select_related("parent").get(code=code)
    seen = _seen(actor)
    if seen is not None:
        seen.add((get_scope(actor), area.pk))
    return area


def require_area(actor: User | None, area: Area) -> Area:
    """`area` itself when the reader may read it, else `Area.DoesNotExist`. Every selector of
    an area calls this before it reads anything."""
    seen = _seen(actor)
    key = (get_scope(actor), area.pk)
    if seen is not None and key in seen:
        return area
    if not _visible(actor).filter(pk=area.pk).exists():
        raise Area.DoesNotExist("Area matching query does not exist.")
    if seen is not None:
        seen.add(key)
    return area


def area_breadcrumbs(*, actor: User | None, area: Area) -> list[tuple[Area, bool]]:
    """The area's ancestors, top first, each with whether the reader may open it (two
    queries)."""
    require_area(actor, area)
    ancestors = list(area.ancestors())
    visible = set(_visible(actor).filter(code__in=[a.code for a in ancestors])
                  .values_list("code", flat=True))
    return [(a, a.code in visible) for a in ancestors]
