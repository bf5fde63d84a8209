"""Follow-up of a major matter after its decision (docs/risk.md, "Follow-up and figures"):
the re-assessment suggested when the disputes about it pass the warnings module's rule
(civicgrid/warnings, rule kind `matter_disputes`).

`matter_reassessment_suggest` is called by the daily area-status evaluation for every matter
over the rule's threshold, in that evaluation's transaction. It suggests once: while the
suggestion stands (`reassessment_suggested_at` set; the matter services clear it when a new
assessment starts), later evaluations that find the matter still above change nothing and
tell no one again.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.notices.models import NoticeKind
from civicgrid.notices.services import notice_send
from civicgrid.risk.models import Matter, MatterStatus

REASON_LENGTH = Matter._meta.get_field("reassessment_reason").max_length or 300


def matter_organisers(matter: Matter) -> tuple[list[int], list[int]]:
    """Who organises the matter's assessment and hears of its follow-up: its responsible
    unit (everyone in it: its unit leaders run assessments, RISK_WORK) and the person who
    registered it. (user ids, unit ids)"""
    users = [matter.registered_by_id] if matter.registered_by_id else []
    return users, [matter.responsible_unit_id]


def matter_reassessment_suggest(*, matter: Matter, reason: str,
                                now: datetime | None = None) -> bool:
    """Suggest re-assessing `matter` for `reason` (the warning's text naming the disputes):
    set `reassessment_suggested_at` and `reassessment_reason`, audit it
    (`matter.reassessment_suggested`, by the system) and tell the matter's organisers (a
    notice about the matter's area, on the notices page's warnings tab). Returns whether it
    suggested now: False — nothing written — when a suggestion already stands, the matter
    is withdrawn, or an assessment of it is under way (registered matters not assessed
    yet are suggested: the disputes say it should be)."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())[:REASON_LENGTH]
    with transaction.atomic():
        # One conditional UPDATE: two evaluations at once cannot both suggest.
        updated = (Matter.objects.filter(pk=matter.pk, reassessment_suggested_at__isnull=True)
                   # (withdrawn, or an assessment under way that takes the disputes in)
                   .exclude(status__in=[MatterStatus.WITHDRAWN, MatterStatus.ASSESSING,
                                        MatterStatus.AWAITING_DECISION])
                   .update(reassessment_suggested_at=now, reassessment_reason=reason,
                           updated_at=now))
        if not updated:
            return False
        matter.reassessment_suggested_at, matter.reassessment_reason = now, reason
        audit_record(actor=None, username="system",
                     event_type=AuditEventType.MATTER_REASSESSMENT_SUGGESTED, subject=matter,
                     details={"reason": reason, "area": matter.area_code})
        users, units = matter_organisers(matter)
        # The notices module tells about a case or an area: this one is about the matter's
        # owning area, whose warning it comes with (kind AREA_STATUS: the warnings tab).
        notice_send(kind=NoticeKind.AREA_STATUS, text_key="matter_reassessment_suggested",
                    params={"no": matter.number, "title": matter.title, "reason": reason},
                    area_id=matter.area_id, user_ids=users, unit_ids=units, now=now)
    return True
