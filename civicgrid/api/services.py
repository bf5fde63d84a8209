"""Every write to API tokens: create (the plain token is returned once) and revoke."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.api.models import ApiToken, IdempotencyRecord, TokenAction
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import user_can
from civicgrid.units.models import Unit, UnitKind
from civicgrid.units.services import unit_add_member

TOKEN_PREFIX = "cg_"  # noqa: S105 (the public marker of a token, not a secret)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def service_account_role(unit: Unit, actions: Iterable[str]) -> str:
    """The least-privileged role that lets the token do what its actions allow.

    - cases:act at a governance centre: supervisor (the centre dispatches and supervises);
    - cases:act elsewhere: handler (acts on cases assigned or handed off to the unit);
    - cases:create or open311: grid worker (may register cases, nothing else a token
      could use: the workflow endpoints refuse a token without cases:act);
    - read only: leader (reads the unit's jurisdiction, changes nothing).
    """
    chosen = set(actions)
    if TokenAction.CASES_ACT in chosen:
        return Role.SUPERVISOR if unit.kind == UnitKind.GOVERNANCE_CENTRE else Role.HANDLER
    if chosen & {TokenAction.CASES_CREATE, TokenAction.OPEN311}:
        return Role.GRID_WORKER
    return Role.LEADER


def _clean_actions(actions: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(a.strip() for a in actions if a and a.strip()))
    unknown = set(chosen) - set(TokenAction.values)
    if unknown:
        raise ValidationError({"actions": _("未知的令牌操作:%(a)s") % {
            "a": ", ".join(sorted(unknown))}})
    if not chosen:
        raise ValidationError({"actions": _("请至少选择一项允许的操作。")})
    return chosen


def _new_prefix() -> str:
    while True:
        prefix = secrets.token_hex(4)  # 8 characters, no "_" so the token splits cleanly
        if not User.objects.filter(username=f"api-{prefix}").exists():
            return prefix


def api_token_create(*, name: str, unit: Unit, actions: Iterable[str], actor: User | None,
                     rate_limit_per_minute: int = 120) -> tuple[ApiToken, str]:
    """Create a token and its service account; return the token and the plain token, which
    is shown this once and never stored. `actor=None` only for the management command."""
    if actor is not None and not user_can(actor, ApiToken, "add"):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称。")})
    chosen = _clean_actions(actions)
    if rate_limit_per_minute < 1:
        raise ValidationError({"rate_limit_per_minute": _("每分钟请求上限须大于0。")})
    if not unit.active:
        raise ValidationError({"unit": _("该单位已停用。")})
    prefix = _new_prefix()
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    area_codes = [unit.area.code, *unit.jurisdiction.values_list("code", flat=True)]
    with transaction.atomic():
        account = user_create(
            username=f"api-{prefix}", password=None, display_name=name[:50],
            roles=[service_account_role(unit, chosen)], area_codes=area_codes, actor=actor)
        unit_add_member(unit=unit, user=account, actor=actor, title="API")
        token = ApiToken.objects.create(
            name=name[:100], unit=unit, actions=chosen, prefix=prefix,
            key_hash=token_hash(plain), user=account, created_by=actor,
            created_at=timezone.now(), rate_limit_per_minute=rate_limit_per_minute)
        audit_record(actor=actor, event_type=AuditEventType.API_TOKEN_CREATED, subject=token,
                     username="system" if actor is None else "",
                     details={"unit": unit.code, "actions": chosen, "prefix": prefix,
                              "rate_limit_per_minute": rate_limit_per_minute})
    return token, plain


def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke at once: the token answers 401 from the next request on, and its service
    account is deactivated so no other path can use it."""
    if actor is not None and not user_can(actor, ApiToken, "change"):
        raise PermissionDenied
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        User.objects.filter(pk=token.user_id).update(is_active=False)  # (the save above
        # bumped the cached tokens' counter: the next request anywhere sees the revocation)
        audit_record(actor=actor, event_type=AuditEventType.API_TOKEN_REVOKED, subject=token,
                     username="system" if actor is None else "",
                     details={"prefix": token.prefix, "name": token.name,
                              "unit": token.unit.code,
                              "service_account": token.user.username})
    return token


def idempotency_purge(*, older_than_hours: int = 24) -> int:
    """Drop idempotency records older than the replay window (run by the due jobs)."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
