"""Reading notices: a person sees those addressed to them and to the units they belong to."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from civicgrid.accounts.models import User
from civicgrid.core.scope import get_scope
from civicgrid.notices.gateways import notice_gateway
from civicgrid.notices.models import Notice, NoticeCategory, category_of, kinds_of


def notices_for(*, actor: User, unread_only: bool = True,
                category: str | None = None) -> QuerySet[Notice]:
    """The reader's notices (theirs and their units'), newest first; those of one tab of
    the notices page if `category` is given (a NoticeCategory value)."""
    scope = get_scope(actor)
    qs = Notice.objects.filter(Q(user=actor) | Q(unit_id__in=scope.unit_ids))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if category is not None:
        qs = qs.filter(kind__in=kinds_of(category))
    return qs.select_related("case", "unit")  # newest first (Meta.ordering)


def notice_counts(*, actor: User) -> dict[str, tuple[int, int]]:
    """(unread, all) per tab of the notices page, in one query."""
    rows = (notices_for(actor=actor, unread_only=False).order_by()
            .values("kind").annotate(total=Count("id"),
                                     unread=Count("id", filter=Q(read_at__isnull=True))))
    counts = {value: [0, 0] for value in NoticeCategory.values}
    for row in rows:
        pair = counts[category_of(row["kind"])]
        pair[0] += row["unread"]
        pair[1] += row["total"]
    return {value: (unread, total) for value, (unread, total) in counts.items()}


def notice_delivery_on() -> bool:
    """Whether notices also go out through a gateway (NOTICE_GATEWAY)."""
    return notice_gateway() is not None
