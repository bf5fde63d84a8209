"""Every write to units: organisations, their jurisdiction, specialties and members."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction

from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import forget_scope, get_scope, user_can
from civicgrid.units.models import BUILTIN_SPECIALTIES, Specialty, Unit, UnitMembership

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


def specialties_ensure_builtin() -> None:
    for code, name in BUILTIN_SPECIALTIES:
        Specialty.objects.get_or_create(code=code, defaults={"name": name})


def _check(actor: User | None, action: str, areas: Iterable[Area]) -> None:
    if actor is None:  # system seeding
        return
    if not user_can(actor, Unit, action):
        raise PermissionDenied
    scope = get_scope(actor)
    if not all(scope.covers_code(a.code) for a in areas):
        raise PermissionDenied


def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    area: Area,
    actor: User | None,
    parent: Unit | None = None,
    jurisdiction: Iterable[Area] = (),
    specialties: Iterable[Specialty] = (),
    phone: str = "",
    address: str = "",
) -> Unit:
    jurisdiction = list(jurisdiction) or [area]
    _check(actor, "add", [area, *jurisdiction])
    unit = Unit(code=code, name=name, kind=kind, area=area, parent=parent, phone=phone,
                address=address)
    with transaction.atomic():
        unit.full_clean()
        unit.save()
        unit.jurisdiction.set(jurisdiction)
        unit.specialties.set(list(specialties))
        audit_record(
            actor=actor, event_type=AuditEventType.UNIT_CREATED, subject=unit,
            username="system" if actor is None else "",
            details={"kind": kind, "area": area.code,
                     "jurisdiction": [a.code for a in jurisdiction]},
        )
    return unit


def unit_add_member(
    *, unit: Unit, user: User, actor: User | None, title: str = "", is_leader: bool = False
) -> UnitMembership:
    _check(actor, "change", [unit.area])
    with transaction.atomic():
        membership, created = UnitMembership.objects.update_or_create(
            unit=unit, user=user, defaults={"title": title, "is_leader": is_leader}
        )
        audit_record(
            actor=actor,
            event_type=(AuditEventType.UNIT_MEMBER_ADDED if created
                        else AuditEventType.UNIT_MEMBER_CHANGED),
            subject=unit, username="system" if actor is None else "",
            details={"user": user.username, "title": title, "is_leader": is_leader},
        )
    forget_scope(user)
    return membership


def unit_remove_member(*, unit: Unit, user: User, actor: User | None) -> bool:
    """End `user`'s membership of `unit` (audited). Returns whether there was one; removing
    a membership that does not exist changes and writes nothing."""
    _check(actor, "change", [unit.area])
    with transaction.atomic():
        membership = UnitMembership.objects.select_for_update().filter(
            unit=unit, user=user).first()
        if membership is None:
            return False
        details = {"user": user.username, "title": membership.title,
                   "is_leader": membership.is_leader}
        membership.delete()
        audit_record(
            actor=actor, event_type=AuditEventType.UNIT_MEMBER_REMOVED, subject=unit,
            username="system" if actor is None else "", details=details,
        )
    forget_scope(user)
    return True
