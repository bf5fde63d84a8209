"""Reading notices: a person sees those addressed to them and to the units they belong to."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicgrid.accounts.models import User
from civicgrid.core.scope import get_scope
from civicgrid.notices.models import Notice


def notices_for(*, actor: User, unread_only: bool = True) -> QuerySet[Notice]:
    """The reader's notices, newest first."""
    scope = get_scope(actor)
    qs = Notice.objects.filter(Q(user=actor) | Q(unit_id__in=scope.unit_ids))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("case", "unit")  # newest first (Meta.ordering)
