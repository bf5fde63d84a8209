"""The registry's organisations (实有单位): enterprises and sole traders (非公有制经济组织)
and social organisations (社会组织), with the unified social credit code checked (GB 32100,
`core.creditcodes`) and one organisation per code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.services.common import refuse_longer_than_field
from civicgrid.core.creditcodes import CreditCodeError, normalize_credit_code
from civicgrid.core.errors import RuleViolation
from civicgrid.registry.figures import figures_move, organisation_counts
from civicgrid.registry.models import (
    Building,
    Organisation,
    OrganisationKind,
    Person,
    RegistrationAuthority,
)
from civicgrid.registry.services.common import allowed

MAX_STAFF = 1_000_000


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    kind: str
    credit_code: str = ""
    authority: str = ""  # default: by kind (market regulation or civil affairs)
    building: Building | None = None
    address: str = ""
    staff_count: int | None = None
    legal_representative: Person | None = None
    safety_lead: Person | None = None
    has_trade_union: bool = False
    has_party_organisation: bool = False


def _default_authority(kind: str) -> str:
    if kind in (OrganisationKind.ENTERPRISE, OrganisationKind.SOLE_TRADER):
        return RegistrationAuthority.MARKET
    return RegistrationAuthority.CIVIL_AFFAIRS


def _clean(actor: User, data: OrganisationInput, grid_code: str) -> dict[str, Any]:
    name = refuse_longer_than_field(Organisation, "name", (data.name or "").strip())
    if not name:
        raise ValidationError({"name": _("请填写单位名称。")})
    if data.kind not in OrganisationKind.values:
        raise ValidationError({"kind": _("请选择单位类型。")})
    authority = data.authority or _default_authority(data.kind)
    if authority not in RegistrationAuthority.values:
        raise ValidationError({"authority": _("登记管理机关无效。")})
    code: str | None = None
    if (data.credit_code or "").strip():
        try:
            code = normalize_credit_code(data.credit_code)
        except CreditCodeError as exc:
            raise ValidationError({"credit_code": str(exc)}) from exc
    elif data.kind != OrganisationKind.COMMUNITY_GROUP:
        # (社区社会组织 are often filed with the street, not registered: no code)
        raise ValidationError({"credit_code": _("请填写统一社会信用代码。")})
    staff = data.staff_count
    if staff is not None and (isinstance(staff, bool) or not 0 <= staff <= MAX_STAFF):
        raise ValidationError({"staff_count": _("从业人数无效。")})
    for field, person in (("legal_representative", data.legal_representative),
                          ("safety_lead", data.safety_lead)):
        if person is not None and not Person.objects.restrict(actor, "view").filter(
                pk=person.pk).exists():
            raise ValidationError({field: _("该人员不存在。")})
    if data.building is not None and data.building.grid_code != grid_code:
        raise RuleViolation({"building": _("所选楼栋不在该网格内。")})
    address = (data.address or "").strip() or (data.building.address if data.building else "")
    return {
        "name": name, "kind": data.kind, "authority": authority, "credit_code": code,
        "building": data.building,
        "address": refuse_longer_than_field(Organisation, "address", address),
        "staff_count": staff, "legal_representative": data.legal_representative,
        "safety_lead": data.safety_lead, "has_trade_union": bool(data.has_trade_union),
        "has_party_organisation": bool(data.has_party_organisation),
    }


def organisation_columns(data: OrganisationInput) -> dict[str, Any]:
    """A new organisation's stored columns, every rule checked (reads nothing): the
    import's row check applies the same rules. No person or building may be named here —
    their checks need a reader and a grid (`organisation_create`)."""
    if data.legal_representative or data.safety_lead or data.building:
        raise ValueError("organisation_columns checks no person or building")
    return _clean(cast(User, None), data, "")


def _refuse_taken(code: str | None, but: int | None = None) -> None:
    taken = Organisation.objects.filter(credit_code=code)
    if but is not None:
        taken = taken.exclude(pk=but)
    if code and taken.exists():
        raise RuleViolation({"credit_code": _("该统一社会信用代码已登记。")})


def organisation_create_check(*, grid: Area, data: OrganisationInput,
                              actor: User) -> dict[str, Any]:
    """Every rule of `organisation_create`, checked without writing (the service checks the
    credit code again in its transaction): answers the organisation's columns."""
    allowed(actor, Organisation, "add", grid.code)
    if grid.level != Level.GRID:
        raise RuleViolation({"grid": _("实有单位只能登记在网格中。")})
    fields = _clean(actor, data, grid.code)
    _refuse_taken(fields["credit_code"])
    return fields


def organisation_create(*, grid: Area, data: OrganisationInput, actor: User) -> Organisation:
    """Register an organisation in a grid of the actor's jurisdiction."""
    fields = organisation_create_check(grid=grid, data=data, actor=actor)
    try:
        with transaction.atomic():
            _refuse_taken(fields["credit_code"])
            organisation = Organisation.objects.create(grid=grid, grid_code=grid.code,
                                                       verified_at=timezone.now(), **fields)
            figures_move({}, organisation_counts(organisation))
            audit_record(actor=actor, event_type=AuditEventType.REGISTRY_ORGANISATION_CREATED,
                         subject=organisation, details={"grid": grid.code,
                                                        "kind": organisation.kind})
    except IntegrityError as exc:  # (the same code registered meanwhile)
        raise RuleViolation({"credit_code": _("该统一社会信用代码已登记。")}) from exc
    return organisation


def organisation_update(*, organisation: Organisation, data: OrganisationInput, actor: User,
                        version: int, active: bool = True) -> Organisation:
    """Correct an organisation's particulars, or mark it closed (`active=False`: 注销/迁出)."""
    allowed(actor, Organisation, "change", organisation.grid_code)
    fields = _clean(actor, data, organisation.grid_code)
    fields["active"] = bool(active)
    try:
        with transaction.atomic():
            current = Organisation.objects.select_for_update().get(pk=organisation.pk)
            if current.version != version:
                raise RuleViolation({"version": _("该单位信息已被他人修改,请刷新后重试。")})
            _refuse_taken(fields["credit_code"], but=organisation.pk)
            changed = sorted(k for k, v in fields.items() if getattr(current, k) != v)
            if not changed:
                raise ValidationError(_("没有要修改的内容。"))
            Organisation.objects.filter(pk=organisation.pk).update(
                version=F("version") + 1, verified_at=timezone.now(), **fields)
            organisation.refresh_from_db()
            figures_move(organisation_counts(current), organisation_counts(organisation))
            audit_record(actor=actor, event_type=AuditEventType.REGISTRY_ORGANISATION_UPDATED,
                         subject=organisation, details={"fields": changed})
    except IntegrityError as exc:
        raise RuleViolation({"credit_code": _("该统一社会信用代码已登记。")}) from exc
    return organisation
