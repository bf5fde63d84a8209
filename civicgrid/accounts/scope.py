"""Kept for the modules of cases, stats and warnings that still import scope from here
while the lead's issue-11 rework of them is in flight: the scope machinery lives in the
kernel (civicgrid.core.scope) and the user's roles are read by `User.compute_scope()`.
New code imports civicgrid.core.scope; drop this module once nothing imports it."""

from civicgrid.core.scope import (
    ANONYMOUS_SCOPE,
    CODE_LENGTHS,
    RestrictedManager,
    RestrictedQuerySet,
    Scope,
    ancestor_codes,
    forget_scope,
    get_scope,
    permission_name,
    user_can,
)

__all__ = [
    "ANONYMOUS_SCOPE", "CODE_LENGTHS", "RestrictedManager", "RestrictedQuerySet", "Scope",
    "ancestor_codes", "forget_scope", "get_scope", "permission_name", "user_can",
]
