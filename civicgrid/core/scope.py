"""Jurisdiction scope and the one queryset API for permission-aware reads.

Kernel: this module imports no app. What a user's scope *is* (roles, jurisdiction, units)
is read by the user model itself — `settings.AUTH_USER_MODEL` provides
`compute_scope() -> Scope` (civicgrid.accounts.models.User) — so every app, accounts
included, can build on `restrict()` without importing accounts.

`Model.objects.restrict(user, action)` is the only way pages and endpoints read scoped
data (NetBox's RestrictedQuerySet). It returns nothing when the user's roles lack the
permission, everything for deployment-wide roles, and otherwise what the model's
`scope_q(scope)` admits. A record outside the scope is then simply not found: callers
use `get_object_or_404(Model.objects.restrict(...), ...)` so it answers exactly like a
record that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self, TypeAlias, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.accounts.actors import ResidentActor
    from civicgrid.accounts.models import User

    # Whoever a read or a permission check is for: a service's actor (a user, the
    # resident, the system as None) or a request's user (possibly anonymous). Names only:
    # the kernel imports no app at run time.
    Reader: TypeAlias = User | AnonymousUser | ResidentActor | None

_M = TypeVar("_M", bound=models.Model)

# Code length at each level: province 2, city 4, county 6, street 9, community 12, grid 15.
CODE_LENGTHS = (2, 4, 6, 9, 12, 15)


def ancestor_codes(code: str) -> list[str]:
    """The codes of every area above `code` (prefixes at the standard lengths)."""
    return [code[:n] for n in CODE_LENGTHS if n < len(code)]


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    roles: frozenset[str]
    permissions: frozenset[str]
    area_codes: tuple[str, ...]  # roots of the user's jurisdiction subtrees
    unit_ids: frozenset[int]
    is_global: bool

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def subtree_q(self, field: str) -> Q:
        """Rows whose area code `field` lies in one of the jurisdiction subtrees."""
        q = Q(pk__in=[])
        for code in self.area_codes:
            q |= Q(**{f"{field}__startswith": code})
        return q

    def overlap_q(self, field: str) -> Q:
        """Rows whose area `field` is in a jurisdiction subtree or above one.

        A unit or colleague serving the district also serves every grid in it, so a
        grid worker sees the district court and the district supervisor, but nothing
        that belongs to another street.
        """
        above = sorted({a for code in self.area_codes for a in ancestor_codes(code)})
        return self.subtree_q(field) | Q(**{f"{field}__in": above})

    def covers_code(self, code: str) -> bool:
        return self.is_global or any(code.startswith(c) for c in self.area_codes)


ANONYMOUS_SCOPE = Scope(None, frozenset(), frozenset(), (), frozenset(), False)


def get_scope(user: Reader) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_civicgrid_scope", None)
    if cached is not None:
        return cached
    scope = user.compute_scope()
    user._civicgrid_scope = scope
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached scope after the user's roles, areas or units changed."""
    if hasattr(user, "_civicgrid_scope"):
        del user._civicgrid_scope


def permission_name(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}.{action}"


def user_can(user: Reader, model: type[models.Model], action: str) -> bool:
    """Whether the user's roles grant `action` on `model` at all (scope aside)."""
    if getattr(user, "is_superuser", False):
        return True
    return get_scope(user).can(permission_name(model, action))


class RestrictedQuerySet(models.QuerySet[_M]):
    def restrict(self, user: Reader, action: str = "view") -> Self:
        if not user_can(user, self.model, action):
            return self.none()
        scope = get_scope(user)
        if scope.is_global:
            return self.all()
        policy: Callable[[Scope], Q] = self.model.scope_q  # type: ignore[attr-defined]
        return self.filter(policy(scope))


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
