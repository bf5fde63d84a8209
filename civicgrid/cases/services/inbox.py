"""The inbox of notices for units and people."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import get_scope
from civicgrid.cases.models import InboxItem


def inbox_mark_read(*, item: InboxItem, actor: User) -> InboxItem:
    scope = get_scope(actor)
    if item.user_id != actor.pk and item.unit_id not in scope.unit_ids:
        raise PermissionDenied
    if item.read_at is None:
        item.read_at = timezone.now()
        item.save(update_fields=["read_at"])
    return item
