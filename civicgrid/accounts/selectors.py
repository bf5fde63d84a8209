"""Permission-aware reads of users."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db.models import Prefetch, Q, QuerySet

from civicgrid.accounts.models import User, UserJurisdiction, UserRole

if TYPE_CHECKING:
    from civicgrid.areas.models import Area, GridAssignment
    from civicgrid.units.models import UnitMembership


class UserDetail(TypedDict):
    subject: User
    roles: list[str]
    jurisdictions: list[Area]
    memberships: list[UnitMembership]
    assignments: list[GridAssignment]


def user_list(*, actor: User, query: str = "") -> QuerySet[User]:
    qs = User.objects.restrict(actor, "view").prefetch_related(
        Prefetch("role_grants", queryset=UserRole.objects.order_by("role")),
        Prefetch("jurisdictions", queryset=UserJurisdiction.objects.select_related("area")),
    )
    query = query.strip()
    if query:
        qs = qs.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return qs


def user_detail(*, user: User) -> UserDetail:
    return {
        "subject": user,
        "roles": [g.get_role_display() for g in user.role_grants.order_by("role")],
        "jurisdictions": [j.area for j in user.jurisdictions.select_related("area")],
        "memberships": list(user.unit_memberships.select_related("unit")),
        "assignments": list(
            user.grid_assignments.select_related("grid", "position").order_by("grid__code")
        ),
    }


def user_role_codes(*, user: User) -> list[str]:
    return sorted(UserRole.objects.filter(user=user).values_list("role", flat=True))
