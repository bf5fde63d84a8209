"""Tagging a case with the major matter (重大事项, civicgrid/risk) it is about — at intake
(`case_intake(..., matter=...)`) or later (`case_tag_matter`). The tags are the matter's
follow-up: its page counts the cases, and disputes about one matter over the threshold raise
a warning and a re-assessment suggestion (civicgrid/warnings, docs/warnings.md).

Who may tag: staff who register or handle cases — the holders of `cases.case.add` (grid
workers, handlers, unit leaders, supervisors; every role that handles cases holds it) — on a
case in their case scope (`Case.objects.restrict(actor, "view")`: their areas, their units'
cases, the cases they registered), with a matter they can see (`risk.matter.view`, the
matter's scope). They are the people who hear what a dispute is about. Not leaders, auditors
or the administrator: they read cases (or nothing of them) and record no facts about them;
a tag moves the matter's figures and can raise a warning, so it is a fact stated by someone
who works the case, with their name on the timeline and in the audit log.

When: at any status, closed cases included — follow-up is retrospective: a dispute closed
last week may turn out to be about the new road, and the matter's count must see it. A
withdrawn (已撤销) matter cannot be tagged (there is nothing to follow up); a tag to it may
still be cleared or moved.

A matter the actor cannot see is refused exactly like a matter that does not exist; a tag
to a matter the actor cannot see is not changed by them (they could not know what they
undo).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor
from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases.models import Case
from civicgrid.cases.services.common import StaleCase, record_event
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import get_scope
from civicgrid.core.transactions import service_atomic
from civicgrid.risk.models import Matter, MatterStatus

# The permission of the staff who may tag (the module's docstring says why).
TAG_PERMISSION = "cases.case.add"


def may_tag_matter(actor: Actor) -> bool:
    """Does `actor` hold what tagging needs (the case and the matter are checked apart)?"""
    if not isinstance(actor, User) or not actor.is_authenticated or not actor.is_active:
        return False
    scope = get_scope(actor)
    return scope.can(TAG_PERMISSION) and scope.can("risk.matter.view")


def taggable_matters(actor: Actor) -> QuerySet[Matter]:
    """The matters `actor` may tag a case with: visible to them and not withdrawn, newest
    first (the pages' select)."""
    if not may_tag_matter(actor):
        return Matter.objects.none()
    return (Matter.objects.restrict(actor, "view").exclude(status=MatterStatus.WITHDRAWN)
            .only("pk", "number", "title", "status").order_by("-registered_at", "-id"))


def matter_check(matter: Matter, actor: Actor) -> Matter:
    """Refuse a matter `actor` may not tag a case with: not visible to them (refused as if
    it did not exist) or withdrawn. Intake and `case_tag_matter` both call it."""
    if not may_tag_matter(actor):
        raise PermissionDenied
    assert isinstance(actor, User)
    if not Matter.objects.restrict(actor, "view").filter(pk=matter.pk).exists():
        raise ValidationError({"matter": _("找不到该重大事项。")})
    if matter.status == MatterStatus.WITHDRAWN:
        raise RuleViolation({"matter": _("该重大事项已撤销,不能关联。")})
    return matter


def matter_by_number(number: str, actor: Actor) -> Matter:
    """The matter of that number as `actor` may tag it (the API names matters by number):
    an unknown number and a matter out of the actor's scope answer the same."""
    matter = (Matter.objects.restrict(actor, "view").filter(number=number.strip()).first()
              if may_tag_matter(actor) else None)
    if matter is None:
        raise ValidationError({"matter": _("找不到该重大事项。")})
    return matter_check(matter, actor)


@service_atomic
def case_tag_matter(*, case: Case, matter: Matter | None, actor: Actor,
                    expected_version: int | None = None, note: str = "") -> Case:
    """Tag `case` with `matter`, move its tag to another matter, or clear it (None).
    `expected_version` (the version the user saw; default: the case as loaded) guards
    against a change made meanwhile. One timeline event and one audit entry."""
    if not may_tag_matter(actor):
        raise PermissionDenied
    assert isinstance(actor, User)
    if not Case.objects.restrict(actor, "view").filter(pk=case.pk).exists():
        raise PermissionDenied
    if (matter.pk if matter is not None else None) == case.matter_id:
        raise ValidationError({"matter": _("事件已是该关联状态,没有要更改的内容。")})
    if case.matter_id is not None and not Matter.objects.restrict(actor, "view").filter(
            pk=case.matter_id).exists():
        # Someone who cannot see the matter does not undo a tag they cannot read.
        raise RuleViolation({"matter": _("该事件已关联您查看范围以外的重大事项,不能更改。")})
    if matter is not None:
        matter_check(matter, actor)
    note = (note or "").strip()[:500]
    previous = case.matter
    version = case.version if expected_version is None else expected_version
    updated = Case.objects.filter(pk=case.pk, version=version).update(
        matter=matter, version=F("version") + 1, updated_at=timezone.now())
    if updated != 1:
        raise StaleCase
    case.matter, case.version = matter, version + 1
    record_event(case, E.MatterTagged(
        matter=matter.number if matter else "", title=matter.title if matter else "",
        previous=previous.number if previous else ""), actor, note=note)
    audit_record(actor=actor, event_type=AuditEventType.CASE_MATTER_TAGGED, subject=case,
                 details={"matter": matter.number if matter else None,
                          "previous": previous.number if previous else None,
                          "case_status": case.status, **({"note": note[:200]} if note else {})})
    return case
