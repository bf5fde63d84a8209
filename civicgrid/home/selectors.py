"""What each role's home page shows."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Sum
from django.utils import timezone

from civicgrid.accounts.models import Lockout, User
from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area, GridAssignment, Level
from civicgrid.areas.selectors import area_roots
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.forms import INBOX_LABELS, visible_inboxes
from civicgrid.cases.selectors import inbox_counts
from civicgrid.core.scope import get_scope
from civicgrid.units.models import Unit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CaseOverview(TypedDict):
    inboxes: list[tuple[str, StrOrPromise, int]]  # name, label, count
    can_add: bool


class AdminOverview(TypedDict):
    users: int
    without_jurisdiction: int
    locked: int
    units: int


class AuditOverview(TypedDict):
    failed_logins: int
    lockouts: int
    recent: list[AuditEntry]


class HomeOverview(TypedDict, total=False):
    """The home page's context: the keys after `my_units` are there only for the roles
    they concern."""

    roles: list[StrOrPromise]
    roots: list[Area]
    population: int
    households: int
    level_counts: list[tuple[StrOrPromise, int]]
    my_grids: list[GridAssignment]
    my_units: list[Unit]
    unstaffed_grids: list[tuple[str, str]]  # code, name
    unstaffed_count: int
    cases: CaseOverview
    admin: AdminOverview
    audit: AuditOverview


def home_overview(*, actor: User) -> HomeOverview:
    scope = get_scope(actor)
    roles = scope.roles
    data: HomeOverview = {"roles": [Role(r).label for r in sorted(roles)]}
    areas = Area.objects.restrict(actor, "view")
    roots = list(area_roots(actor=actor))
    data["roots"] = roots
    totals = areas.filter(pk__in=[r.pk for r in roots]).aggregate(
        population=Sum("population"), households=Sum("households")
    )
    data["population"] = totals["population"] or 0
    data["households"] = totals["households"] or 0
    level_counts = dict(areas.values_list("level").annotate(n=Count("pk")).order_by())
    data["level_counts"] = [
        (Level(lvl).label, level_counts[lvl])
        for lvl in (Level.STREET, Level.COMMUNITY, Level.GRID) if lvl in level_counts
    ]
    data["my_grids"] = list(
        GridAssignment.objects.filter(user=actor)
        .select_related("grid", "position").order_by("grid__code")
    )
    data["my_units"] = list(
        Unit.objects.filter(memberships__user=actor).select_related("area").order_by("code")
    )
    if roles & {Role.SUPERVISOR, Role.LEADER, Role.UNIT_LEADER} or scope.is_global:
        grids = areas.filter(level=Level.GRID)
        staffed = GridAssignment.objects.filter(
            grid__in=grids, position__code="grid_worker"
        ).values("grid_id").distinct()
        data["unstaffed_grids"] = list(
            grids.exclude(pk__in=staffed).order_by("code").values_list("code", "name")[:20]
        )
        data["unstaffed_count"] = grids.exclude(pk__in=staffed).count()
    if actor.is_superuser or scope.can("cases.case.view"):
        data["cases"] = _case_overview(actor)
    if Role.ADMINISTRATOR in roles or actor.is_superuser:
        now = timezone.now()
        data["admin"] = {
            "users": User.objects.count(),
            "without_jurisdiction": User.objects.filter(jurisdictions__isnull=True)
            .exclude(role_grants__role__in=[Role.ADMINISTRATOR, Role.AUDITOR]).count(),
            "locked": Lockout.objects.filter(until__gt=now, kind=Lockout.Kind.ACCOUNT)
            .values("key").distinct().count(),
            "units": Unit.objects.count(),
        }
    if Role.AUDITOR in roles:
        since = timezone.now() - timedelta(days=1)
        entries = AuditEntry.objects.restrict(actor, "view")
        data["audit"] = {
            "failed_logins": entries.filter(event_type=AuditEventType.LOGIN_FAILED, time__gte=since)
            .count(),
            "lockouts": entries.filter(event_type=AuditEventType.LOCKOUT, time__gte=since).count(),
            "recent": list(entries.filter(success=False)[:10]),
        }
    return data


def _case_overview(actor: User) -> CaseOverview:
    """The user's case inboxes with their counts (one query) for the home page."""
    counts = inbox_counts(actor=actor)
    return {
        "inboxes": [(name, INBOX_LABELS[name], counts[name]) for name in visible_inboxes(actor)],
        "can_add": actor.is_superuser or get_scope(actor).can("cases.case.add"),
    }
