"""Every write to accounts: users, roles, jurisdiction, sign-in security, second factor."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import (
    CredentialAction,
    CredentialChangeRequest,
    Lockout,
    LoginFailure,
    TOTPDevice,
    User,
    UserJurisdiction,
    UserRole,
)
from civicgrid.accounts.roles import EXCLUSIVE_ROLES, PRIVILEGED_ROLES, Role
from civicgrid.areas.models import Area, PositionType
from civicgrid.areas.services import grid_assign
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.crypto import decrypt_text, encrypt_text
from civicgrid.core.refcache import ACCESS, revision_bump
from civicgrid.core.scope import forget_scope, get_scope, user_can
from civicgrid.units.models import Unit
from civicgrid.units.services import unit_add_member


class LoginOutcome(enum.Enum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None


def _active_lockout(kind: str, key: str | None, now: datetime) -> Lockout | None:
    if not key:
        return None
    return (
        Lockout.objects.filter(kind=kind, key=key, until__gt=now).order_by("-until").first()
    )


def _failures_since(kind: str, key: str, now: datetime) -> int:
    window_start = now - settings.LOGIN_FAILURE_WINDOW
    last_lock_end = Lockout.objects.filter(kind=kind, key=key).aggregate(m=Max("until"))["m"]
    since = max(window_start, last_lock_end) if last_lock_end else window_start
    field = "username" if kind == Lockout.Kind.ACCOUNT else "source_ip"
    return LoginFailure.objects.filter(**{field: key, "time__gte": since}).count()


def login_failure_record(*, username: str, source_ip: str | None, reason: str) -> datetime | None:
    """Count one failed sign-in; lock the account (and the address) past the limit.

    Returns the end of the lockout if this failure started one.
    """
    now = timezone.now()
    locked_until = None
    with transaction.atomic():
        LoginFailure.objects.create(username=username, source_ip=source_ip, time=now)
        audit_record(
            actor=None, username=username, event_type=AuditEventType.LOGIN_FAILED, success=False,
            subject_type="accounts.user", subject_repr=username, details={"reason": reason},
        )
        checks = [(Lockout.Kind.ACCOUNT, username, settings.LOGIN_FAILURE_LIMIT)]
        if source_ip:
            checks.append((Lockout.Kind.ADDRESS, source_ip, settings.LOGIN_ADDRESS_FAILURE_LIMIT))
        for kind, key, limit in checks:
            if _failures_since(kind, key, now) >= limit:
                until = now + settings.LOGIN_LOCKOUT
                Lockout.objects.create(kind=kind, key=key, locked_at=now, until=until)
                audit_record(
                    actor=None, username=username, event_type=AuditEventType.LOCKOUT, success=True,
                    subject_type="accounts.user" if kind == Lockout.Kind.ACCOUNT else "address",
                    subject_repr=key,
                    details={"kind": kind, "until": until.isoformat(), "failures": limit},
                )
                if kind == Lockout.Kind.ACCOUNT:
                    locked_until = until
    return locked_until


class AccountLocked(Exception):
    """Sign-in refused because the account or the address is locked (until `until`)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


def login_refuse_if_locked(*, username: str, source_ip: str | None, step: str) -> datetime | None:
    """The end of the lockout that refuses this sign-in step (audited), or None.

    Every step checks this before it checks anything the user typed: a locked account can
    neither guess passwords nor second-factor codes, nor finish signing in."""
    now = timezone.now()
    lock = _active_lockout(Lockout.Kind.ACCOUNT, username, now) or _active_lockout(
        Lockout.Kind.ADDRESS, source_ip, now
    )
    if lock is None:
        return None
    audit_record(
        actor=None, username=username, event_type=AuditEventType.LOGIN_REFUSED_LOCKED,
        success=False, subject_type="accounts.user", subject_repr=username,
        details={"kind": lock.kind, "until": lock.until.isoformat(), "step": step},
    )
    return lock.until


def _failure_locks(*, username: str, source_ip: str | None, reason: str) -> datetime | None:
    """Count one failure; the end of the lockout now in force (account or address), if any."""
    login_failure_record(username=username, source_ip=source_ip, reason=reason)
    now = timezone.now()
    lock = _active_lockout(Lockout.Kind.ACCOUNT, username, now) or _active_lockout(
        Lockout.Kind.ADDRESS, source_ip, now
    )
    return lock.until if lock is not None else None


def login_check_password(*, username: str, password: str, source_ip: str | None) -> LoginResult:
    """First step of sign-in: lockouts first, then the password."""
    username = username.strip()
    until = login_refuse_if_locked(username=username, source_ip=source_ip, step="password")
    if until is not None:
        return LoginResult(LoginOutcome.LOCKED, locked_until=until)
    user = authenticate(username=username, password=password)
    if user is None:
        until = login_failure_record(
            username=username, source_ip=source_ip, reason="bad_credentials"
        )
        if until is not None:
            return LoginResult(LoginOutcome.LOCKED, locked_until=until)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    return LoginResult(LoginOutcome.OK, user=user)


def second_factor_required(user: User) -> bool:
    """Whether this user must pass a TOTP step: always if enrolled, else if privileged."""
    device = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    if device:
        return True
    return settings.TOTP_REQUIRED_FOR_PRIVILEGED and bool(
        get_scope(user).roles & PRIVILEGED_ROLES or user.is_superuser
    )


def login_complete(
    *, request: HttpRequest, user: User, second_factor: bool, source_ip: str | None
) -> None:
    """Open the session (after every required factor) and audit the sign-in.

    The last guard: a lockout that started since the earlier steps (a password guessed
    wrong elsewhere meanwhile) still refuses, with `AccountLocked`, and opens nothing."""
    until = login_refuse_if_locked(
        username=user.username, source_ip=source_ip, step="complete"
    )
    if until is not None:
        raise AccountLocked(until)
    with transaction.atomic():
        django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session["second_factor"] = second_factor
        audit_record(
            actor=user, event_type=AuditEventType.LOGIN, subject=user,
            details={"second_factor": second_factor},
        )


def logout_complete(*, request: HttpRequest) -> None:
    """End the session and audit the sign-out, together: the entry names the user who
    signed out (read before the session forgets them)."""
    # The logout view is behind @access(): only a signed-in user reaches this point.
    user = cast(User, request.user)
    with transaction.atomic():
        audit_record(actor=user, event_type=AuditEventType.LOGOUT, subject=user)
        django_logout(request)


# --- second factor (TOTP, RFC 6238) ------------------------------------------------------

def _totp(device: TOTPDevice) -> pyotp.TOTP:
    return pyotp.TOTP(decrypt_text(device.secret_encrypted))


def totp_begin_enrollment(*, user: User) -> str:
    """Create (or restart) an unconfirmed device; returns its provisioning URI."""
    secret = pyotp.random_base32()
    with transaction.atomic():
        device, _created = TOTPDevice.objects.select_for_update().get_or_create(
            user=user,
            defaults={"secret_encrypted": encrypt_text(secret), "created_at": timezone.now()},
        )
        if device.confirmed:
            raise ValidationError(_("已启用两步验证。如需更换,请联系管理员重置。"))
        device.secret_encrypted = encrypt_text(secret)
        device.created_at = timezone.now()
        device.save(update_fields=["secret_encrypted", "created_at"])
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=settings.TOTP_ISSUER
    )


def totp_pending_uri(*, user: User) -> str:
    """The provisioning URI of the device being enrolled (to show it again)."""
    device = TOTPDevice.objects.get(user=user, confirmed_at__isnull=True)
    return _totp(device).provisioning_uri(name=user.username, issuer_name=settings.TOTP_ISSUER)


def _accept_code(device: TOTPDevice, code: str) -> bool:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    totp = _totp(device)
    now = timezone.now()
    for drift in (0, -1, 1):  # one step of clock drift either way
        at = now + timedelta(seconds=30 * drift)
        step = totp.timecode(at)
        if step > device.last_used_step and totp.verify(code, for_time=at):
            device.last_used_step = step
            device.save(update_fields=["last_used_step"])
            return True
    return False


def totp_confirm(*, user: User, code: str) -> TOTPDevice:
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None or not _accept_code(device, code):
            raise ValidationError(_("验证码不正确或已使用,请输入验证器当前显示的6位数字。"))
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        audit_record(actor=user, event_type=AuditEventType.TOTP_ENROLLED, subject=user)
    return device


def login_check_second_factor(*, user: User, code: str, source_ip: str | None) -> LoginResult:
    """Second step of sign-in: lockouts first, then the code. A wrong code counts into
    the same per-account and per-address failures as a wrong password."""
    until = login_refuse_if_locked(
        username=user.username, source_ip=source_ip, step="second_factor"
    )
    if until is not None:
        return LoginResult(LoginOutcome.LOCKED, locked_until=until)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(
            user=user, confirmed_at__isnull=False
        ).first()
        ok = device is not None and _accept_code(device, code)
    if ok:
        return LoginResult(LoginOutcome.OK, user=user)
    until = _failure_locks(username=user.username, source_ip=source_ip, reason="bad_totp")
    if until is not None:
        return LoginResult(LoginOutcome.LOCKED, locked_until=until)
    return LoginResult(LoginOutcome.BAD_CREDENTIALS)


def login_confirm_enrollment(
    *, user: User, code: str, source_ip: str | None
) -> tuple[LoginResult, str]:
    """Second step of a sign-in that enrols the second factor: as `login_check_second_factor`,
    confirming the device being enrolled. Returns the result and, for a wrong code, the
    message to show."""
    until = login_refuse_if_locked(
        username=user.username, source_ip=source_ip, step="second_factor_enrolment"
    )
    if until is not None:
        return LoginResult(LoginOutcome.LOCKED, locked_until=until), ""
    try:
        totp_confirm(user=user, code=code)
    except ValidationError as exc:
        until = _failure_locks(
            username=user.username, source_ip=source_ip, reason="bad_totp_enrolment"
        )
        if until is not None:
            return LoginResult(LoginOutcome.LOCKED, locked_until=until), ""
        return LoginResult(LoginOutcome.BAD_CREDENTIALS), exc.messages[0]
    return LoginResult(LoginOutcome.OK, user=user), ""


def totp_reset(*, user: User, actor: User) -> None:
    """Remove the user's second factor (a lost phone). Refused for a privileged account
    (三员分立: two administrators or the break-glass command)."""
    _guard(actor=actor, user=user, action=CredentialAction.RESET_TOTP)
    _apply_reset_totp(user=user, actor=actor)


def _apply_reset_totp(
    *, user: User, actor: User | None, username: str = "", via: dict[str, object] | None = None
) -> None:
    with transaction.atomic():
        deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            actor=actor, event_type=AuditEventType.TOTP_RESET, subject=user,
            details={"had": bool(deleted), **(via or {})}, username=username,
        )


# --- users -------------------------------------------------------------------------------

def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str = "",
    roles: Iterable[str] = (),
    area_codes: Iterable[str] = (),
    actor: User | None,
    password_hash: str | None = None,
) -> User:
    """Create a user with roles and jurisdiction. `actor=None` only for system seeding."""
    if actor is not None and not user_can(actor, User, "add"):
        raise PermissionDenied
    roles = list(dict.fromkeys(roles))
    roles_check(roles)
    if actor is not None and set(roles) & PRIVILEGED_ROLES:
        # Create the account without them, then ask a second administrator to grant them.
        raise ApprovalRequired
    codes = list(dict.fromkeys(area_codes))
    areas = list(Area.objects.filter(code__in=codes))
    if len(areas) != len(codes):
        missing = set(codes) - {a.code for a in areas}
        raise ValidationError(_("区域不存在:%(codes)s") % {"codes": ", ".join(sorted(missing))})
    if actor is not None:
        scope = get_scope(actor)
        if not all(scope.covers_code(a.code) for a in areas):
            raise PermissionDenied
    # A password an administrator chose is known to them: the owner replaces it first.
    user = User(username=username, display_name=display_name, phone=phone,
                password_change_required=actor is not None and bool(password))
    if password_hash:
        user.password = password_hash
    elif password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.full_clean(exclude=["password"])
        user.save()
        UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
        UserJurisdiction.objects.bulk_create([UserJurisdiction(user=user, area=a) for a in areas])
        revision_bump(ACCESS)  # (bulk_create sends no signal)
        audit_record(
            actor=actor, event_type=AuditEventType.USER_CREATED, subject=user,
            details={"roles": roles, "areas": codes}, username="system" if actor is None else "",
        )
    forget_scope(user)
    return user


def user_set_roles(*, user: User, roles: Iterable[str], actor: User) -> User:
    """Grant and revoke roles so that `user` holds exactly `roles`. One audit entry names
    the roles before and after and what was granted and revoked; setting the roles the
    user already holds changes nothing and writes nothing. An administrator alone may not
    change their own roles, nor grant, revoke or touch a privileged role (三员分立)."""
    if not user_can(actor, User, "change"):
        raise PermissionDenied
    wanted = sorted({str(r) for r in roles})
    roles_check(wanted)
    if sorted(_roles_of(user)) == wanted:
        return user
    _guard(actor=actor, user=user, action=CredentialAction.SET_ROLES, roles=wanted)
    _apply_set_roles(user=user, roles=wanted, actor=actor)
    return user


def _apply_set_roles(
    *, user: User, roles: list[str], actor: User | None, username: str = "",
    via: dict[str, object] | None = None,
) -> None:
    with transaction.atomic():
        before = sorted(
            UserRole.objects.select_for_update().filter(user=user).values_list("role", flat=True)
        )
        if before == roles:
            return
        granted = [r for r in roles if r not in before]
        revoked = [r for r in before if r not in roles]
        UserRole.objects.filter(user=user, role__in=revoked).delete()
        UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in granted])
        revision_bump(ACCESS)  # (bulk_create sends no signal)
        audit_record(
            actor=actor, event_type=AuditEventType.USER_ROLES_CHANGED, subject=user,
            username=username,
            details={"before": before, "after": roles, "granted": granted, "revoked": revoked,
                     **(via or {})},
        )
    forget_scope(user)


def user_set_password(*, user: User, password: str, actor: User) -> User:
    """Set another user's password (an administrator's reset). Refused for a privileged
    account: see `credential_change_request` and the break-glass command."""
    _guard(actor=actor, user=user, action=CredentialAction.SET_PASSWORD)
    _apply_set_password(user=user, password=password, actor=actor)
    return user


def _apply_set_password(
    *, user: User, password: str, actor: User | None, username: str = "",
    via: dict[str, object] | None = None,
) -> None:
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_change_required = True  # someone else knows it now
        user.save(update_fields=["password", "password_change_required"])
        audit_record(actor=actor, event_type=AuditEventType.USER_PASSWORD_SET, subject=user,
                     username=username, details=dict(via or {}))


def password_change_own(
    *, user: User, current_password: str, new_password: str, source_ip: str | None
) -> User:
    """The owner replaces their password (required after an administrator set it). The
    current password is checked like a sign-in: a wrong one counts toward the account's
    lockout, and a locked account cannot change it. The new one must meet the policy and
    differ from the current one. Audited; the flag that forced the change is cleared."""
    until = login_refuse_if_locked(username=user.username, source_ip=source_ip,
                                   step="password_change")
    if until is not None:
        raise AccountLocked(until)
    if not user.check_password(current_password):
        until = _failure_locks(username=user.username, source_ip=source_ip,
                               reason="password_change")
        if until is not None:
            raise AccountLocked(until)
        raise ValidationError({"current_password": _("当前密码不正确。")})
    if new_password == current_password:
        raise ValidationError({"new_password": _("新密码不能与当前密码相同。")})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    was_required = user.password_change_required
    with transaction.atomic():
        user.set_password(new_password)
        user.password_change_required = False
        user.save(update_fields=["password", "password_change_required"])
        audit_record(actor=user, event_type=AuditEventType.USER_PASSWORD_CHANGED, subject=user,
                     details={"was_required": was_required})
    return user


def user_set_active(*, user: User, active: bool, actor: User) -> User:
    """Enable or disable an account (a disabled account cannot sign in). Refused for a
    privileged account and for oneself (三员分立)."""
    _guard(actor=actor, user=user, action=CredentialAction.SET_ACTIVE)
    _apply_set_active(user=user, active=active, actor=actor)
    return user


def _apply_set_active(
    *, user: User, active: bool, actor: User | None, username: str = "",
    via: dict[str, object] | None = None,
) -> None:
    with transaction.atomic():
        before = User.objects.select_for_update().values_list("is_active", flat=True).get(
            pk=user.pk)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, event_type=AuditEventType.USER_ACTIVE_SET, subject=user,
                     username=username,
                     details={"before": before, "after": active, **(via or {})})


# --- user administration from the web (issue 13) -------------------------------------------

def user_set_jurisdictions(*, user: User, areas: Iterable[Area], actor: User) -> User:
    """Give `user` exactly these jurisdiction areas. The actor may only grant or take away
    areas within their own scope; setting what the user already has writes nothing. One
    audit entry names the areas before and after, granted and revoked."""
    if not user_can(actor, User, "change"):
        raise PermissionDenied
    wanted = {a.code: a for a in areas}
    before = dict(UserJurisdiction.objects.filter(user=user).values_list("area__code", "area_id"))
    granted = sorted(set(wanted) - set(before))
    revoked = sorted(set(before) - set(wanted))
    if not granted and not revoked:
        return user
    scope = get_scope(actor)
    outside = [code for code in granted + revoked if not scope.covers_code(code)]
    if outside:
        raise PermissionDenied(_("只能授予或收回您管辖范围内的区域:%(codes)s 不在其中。") % {
            "codes": ", ".join(outside)})
    with transaction.atomic():
        UserJurisdiction.objects.filter(user=user, area__code__in=revoked).delete()
        UserJurisdiction.objects.bulk_create(
            [UserJurisdiction(user=user, area=wanted[code]) for code in granted])
        revision_bump(ACCESS)  # (bulk_create sends no signal)
        audit_record(
            actor=actor, event_type=AuditEventType.USER_JURISDICTIONS_CHANGED, subject=user,
            details={"before": sorted(before), "after": sorted(wanted), "granted": granted,
                     "revoked": revoked},
        )
    forget_scope(user)
    return user


def password_one_time(*, username: str, display_name: str = "") -> str:
    """A random password meeting the policy for a new account, shown once to whoever
    creates it and hands it over in person."""
    return _one_time_password(User(username=username, display_name=display_name))


@dataclass(frozen=True)
class Onboarded:
    user: User
    one_time_password: str | None  # shown once when the password was generated


def user_onboard(
    *,
    username: str,
    display_name: str,
    password: str | None,
    roles: Iterable[str],
    area_codes: Iterable[str],
    units: Iterable[Unit] = (),
    grid: Area | None = None,
    position: PositionType | None = None,
    actor: User,
) -> Onboarded:
    """Create a person ready to work, in one transaction: the account with roles and
    jurisdiction (`user_create`), their unit memberships (`unit_add_member`) and, for a
    grid worker, their grid (`grid_assign`). Each part checks its own rules and audits;
    a refusal of any part creates nothing. Without a password, a one-time password is
    generated and returned. A grid worker's grid must lie in their jurisdiction (the grid
    itself when no jurisdiction is given)."""
    codes = list(dict.fromkeys(area_codes))
    if grid is not None and not codes:
        codes = [grid.code]
    if grid is not None and not any(grid.code.startswith(c) for c in codes):
        raise ValidationError(_("网格 %(grid)s 不在该人员的管辖区域内。") % {"grid": grid.name})
    one_time = None
    if not password:
        one_time = password = password_one_time(username=username, display_name=display_name)
    with transaction.atomic():
        user = user_create(username=username, password=password, display_name=display_name,
                           roles=roles, area_codes=codes, actor=actor)
        for unit in units:
            unit_add_member(unit=unit, user=user, actor=actor)
        if grid is not None:
            grid_assign(grid=grid, user=user, actor=actor,
                        position=position or PositionType.objects.get(code="grid_worker"))
    return Onboarded(user, one_time)


# --- separation of duties (等保 2.0 三员分立) ----------------------------------------------
#
# An administrator alone cannot take over a privileged account (an administrator's or an
# auditor's: reset its password or second factor, enable or disable it, change its roles),
# cannot grant a privileged role, and cannot change their own roles or active flag. Such a
# change is asked for by one administrator (`credential_change_request`) and applies only
# when a second, different administrator approves it (`credential_change_approve`), or it
# is made on the server with `manage.py break_glass` (`break_glass_apply`). Every path
# writes its audit entries; the refusals change nothing.

CREDENTIAL_REQUEST_TTL = timedelta(hours=24)


class ApprovalRequired(PermissionDenied):
    """Refused: this change to an account needs a second administrator (三员分立)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or _(
            "三员分立:管理员和审计员账号的密码、两步验证、启用状态和角色,授予管理员或审计员"
            "角色,以及变更本人的角色,须由另一名管理员批准(账号变更申请),或在服务器上使用"
            "应急命令 break_glass。"))


def _roles_of(user: User) -> list[str]:
    return list(UserRole.objects.filter(user=user).values_list("role", flat=True))


def roles_check(roles: Iterable[str]) -> None:
    """Known roles, never two that one person may not hold together."""
    held = set(roles)
    unknown = held - set(Role.values)
    if unknown:
        raise ValidationError(_("未知角色:%(roles)s") % {"roles": ", ".join(sorted(unknown))})
    for exclusive in EXCLUSIVE_ROLES:
        if exclusive <= held:
            raise ValidationError(_("三员分立:%(roles)s 不能由同一人兼任。") % {
                "roles": "、".join(str(Role(r).label) for r in sorted(exclusive))})


def requires_second_administrator(
    *, actor: User, user: User, action: str, roles: Iterable[str] = ()
) -> bool:
    """Whether one administrator alone may not make this change to `user` (三员分立).

    The one rule that the services, the admin site and the tests all read."""
    if actor.pk == user.pk and action in (CredentialAction.SET_ROLES,
                                          CredentialAction.SET_ACTIVE):
        return True
    if user.is_superuser or set(_roles_of(user)) & PRIVILEGED_ROLES:
        return True
    return action == CredentialAction.SET_ROLES and bool(set(roles) & PRIVILEGED_ROLES)


def _guard(*, actor: User, user: User, action: str, roles: Iterable[str] = ()) -> None:
    if not user_can(actor, User, "change"):
        raise PermissionDenied
    if requires_second_administrator(actor=actor, user=user, action=action, roles=roles):
        raise ApprovalRequired


def _one_time_password(user: User) -> str:
    """A random password meeting the policy, shown once to whoever hands it over."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate


def _apply_change(
    *, user: User, action: str, roles: list[str], active: bool | None, actor: User | None,
    username: str, via: dict[str, object],
) -> str | None:
    """Make a change that the two-person rule or the break-glass command allowed.
    Returns the one-time password of a password reset."""
    if action == CredentialAction.SET_PASSWORD:
        password = _one_time_password(user)
        _apply_set_password(user=user, password=password, actor=actor, username=username,
                            via=via)
        return password
    if action == CredentialAction.RESET_TOTP:
        _apply_reset_totp(user=user, actor=actor, username=username, via=via)
    elif action == CredentialAction.SET_ACTIVE:
        if active is None:
            raise ValidationError(_("请选择启用或停用。"))
        _apply_set_active(user=user, active=active, actor=actor, username=username, via=via)
    elif action == CredentialAction.SET_ROLES:
        roles_check(roles)
        _apply_set_roles(user=user, roles=sorted(set(roles)), actor=actor, username=username,
                         via=via)
    else:
        raise ValidationError(_("未知的变更类型。"))
    return None


def credential_change_check(
    *, action: str, reason: str, roles: Iterable[str] = (), active: bool | None = None
) -> tuple[str, list[str]]:
    """Check a requested change (also for the form that asks for it): the reason, and the
    roles or the active flag it sets. Returns the reason and the roles, cleaned."""
    if action not in CredentialAction.values:
        raise ValidationError(_("未知的变更类型。"))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写理由。"))
    wanted = sorted({str(r) for r in roles}) if action == CredentialAction.SET_ROLES else []
    if action == CredentialAction.SET_ROLES:
        roles_check(wanted)
    if action == CredentialAction.SET_ACTIVE and active is None:
        raise ValidationError(_("请选择启用或停用。"))
    return reason, wanted


def credential_change_request(
    *, user: User, action: str, reason: str, actor: User,
    roles: Iterable[str] = (), active: bool | None = None,
) -> CredentialChangeRequest:
    """The first administrator asks for a change to `user`; nothing changes yet."""
    if not user_can(actor, User, "change"):
        raise PermissionDenied
    reason, wanted = credential_change_check(action=action, reason=reason, roles=roles,
                                             active=active)
    now = timezone.now()
    with transaction.atomic():
        request = CredentialChangeRequest.objects.create(
            target=user, action=action, roles=wanted,
            active=active if action == CredentialAction.SET_ACTIVE else None,
            reason=reason, requested_by=actor, requested_at=now,
            expires_at=now + CREDENTIAL_REQUEST_TTL,
        )
        audit_record(
            actor=actor, event_type=AuditEventType.CREDENTIAL_CHANGE_REQUESTED, subject=user,
            details={"request": request.pk, "action": action, "roles": wanted,
                     "active": request.active, "reason": reason},
        )
    return request


def _pending_request(request: CredentialChangeRequest) -> CredentialChangeRequest:
    locked = CredentialChangeRequest.objects.select_for_update().select_related("target").get(
        pk=request.pk)
    if locked.status != CredentialChangeRequest.Status.PENDING:
        raise ValidationError(_("该申请已处理。"))
    if locked.expires_at <= timezone.now():
        raise ValidationError(_("该申请已过期,请重新申请。"))
    return locked


def credential_change_approve(*, request: CredentialChangeRequest, actor: User) -> str | None:
    """A second administrator approves: the change applies now. Returns the one-time
    password of a password reset (to hand to the account's owner in person)."""
    if not user_can(actor, User, "change"):
        raise PermissionDenied
    with transaction.atomic():
        locked = _pending_request(request)
        if actor.pk == locked.requested_by_id:
            raise ApprovalRequired(_("须由另一名管理员批准:申请人不能批准自己的申请。"))
        if actor.pk == locked.target_id:
            raise ApprovalRequired(_("须由另一名管理员批准:不能批准对本人账号的变更。"))
        locked.status = CredentialChangeRequest.Status.APPLIED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor, event_type=AuditEventType.CREDENTIAL_CHANGE_APPROVED,
            subject=locked.target,
            details={"request": locked.pk, "action": locked.action,
                     "requested_by": locked.requested_by.username},
        )
        password = _apply_change(
            user=locked.target, action=locked.action, roles=list(locked.roles),
            active=locked.active, actor=actor, username="",
            via={"request": locked.pk, "requested_by": locked.requested_by.username},
        )
    request.refresh_from_db()
    return password


def credential_change_reject(*, request: CredentialChangeRequest, actor: User) -> None:
    """Any administrator (the requester too, to withdraw it) rejects a pending request."""
    if not user_can(actor, User, "change"):
        raise PermissionDenied
    with transaction.atomic():
        locked = _pending_request(request)
        locked.status = CredentialChangeRequest.Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor, event_type=AuditEventType.CREDENTIAL_CHANGE_REJECTED,
            subject=locked.target, details={"request": locked.pk, "action": locked.action},
        )
    request.refresh_from_db()


def break_glass_apply(
    *, user: User, action: str, reason: str, operator: str,
    roles: Iterable[str] = (), active: bool | None = None,
) -> str | None:
    """The documented emergency path (`manage.py break_glass`, run on the server): make a
    change to a privileged account without a second administrator, e.g. the only
    administrator lost their phone. Written to the audit log as a high-severity
    `auth.break_glass` entry naming the operating-system user and the reason, followed by
    the change's own entry. Returns the one-time password of a password reset."""
    reason, wanted = credential_change_check(action=action, reason=reason, roles=roles,
                                             active=active)
    with transaction.atomic():
        entry = audit_record(
            actor=None, username="break_glass", event_type=AuditEventType.BREAK_GLASS,
            subject=user, success=True,
            details={"severity": "high", "action": action, "reason": reason,
                     "operator": operator, "roles": wanted, "active": active},
        )
        return _apply_change(user=user, action=action, roles=wanted, active=active,
                             actor=None, username="break_glass",
                             via={"break_glass": entry.pk})
