"""What every registry write checks first."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models

from civicgrid.accounts.models import User
from civicgrid.core.scope import get_scope, user_can


def allowed(actor: User, model: type[models.Model], action: str, code: str) -> None:
    """The actor may `action` the model at the place with this area code; otherwise refused
    like a missing record (PermissionDenied, which pages and the API answer as 404/403)."""
    if not user_can(actor, model, action) or not get_scope(actor).covers_code(code):
        raise PermissionDenied
