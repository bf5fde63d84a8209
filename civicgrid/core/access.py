"""Declared access for every page and endpoint, read by the view and by the tests.

`@access(...)` both enforces sign-in and the role permission and records what the URL
needs, so the permission-matrix test (civicgrid/home/tests/test_permission_matrix.py) can
enumerate every URL pattern and check each role in and out of scope. A view without a
declaration fails that test, so a page added later is covered without editing it.

Scope on the *object* is enforced by the view itself, reading through
`Model.objects.restrict(user, action)` with the declared lookup.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from civicgrid.core.scope import get_scope


@dataclass(frozen=True)
class Access:
    # "<app>.<model>.<action>"; a tuple = any one of them; None = any signed-in user
    permission: str | tuple[str, ...] | None
    model: type | None = None  # the object named by the URL, if any
    lookup: dict[str, str] = field(default_factory=dict)  # URL kwarg -> model field
    public: bool = False  # no sign-in needed
    api: bool = False
    example: dict[str, str] = field(default_factory=dict)  # query params a valid call needs
    body: dict | None = None  # a body that passes input validation (API writes)
    multipart: bool = False  # the body is sent as multipart/form-data


def has_permission(user, permission: str | tuple[str, ...] | None) -> bool:
    if permission is None:
        return True
    if getattr(user, "is_superuser", False):
        return True
    scope = get_scope(user)
    if isinstance(permission, tuple):
        return any(scope.can(p) for p in permission)
    return scope.can(permission)


def access(
    permission: str | tuple[str, ...] | None = None,
    *,
    model: type | None = None,
    lookup: dict[str, str] | None = None,
    public: bool = False,
    api: bool = False,
    example: dict[str, str] | None = None,
    body: dict | None = None,
    multipart: bool = False,
):
    spec = Access(permission, model, dict(lookup or {}), public, api, dict(example or {}),
                  body, multipart)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not spec.public:
                if not request.user.is_authenticated:
                    if spec.api:  # the API's own auth answers 401 before this
                        raise PermissionDenied
                    return redirect_to_login(request.get_full_path())
                if not has_permission(request.user, spec.permission):
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.civicgrid_access = spec
        return wrapper

    return decorator
