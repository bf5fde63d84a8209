from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.roles import GLOBAL_ROLES, Role, permissions_for
from civicgrid.core.scope import RestrictedQuerySet, Scope

if TYPE_CHECKING:
    from civicgrid.accounts.scope import Reader


class CivicUserManager(UserManager["User"]):
    """Django's user manager, reading through restrict() like every other model."""

    def get_queryset(self) -> RestrictedQuerySet[User]:
        return RestrictedQuerySet(self.model, using=self._db)

    def restrict(self, user: Reader, action: str = "view") -> RestrictedQuerySet[User]:
        return self.get_queryset().restrict(user, action)


class User(AbstractUser):
    """One account per person; shared accounts are not allowed (等保 2.0)."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Set when someone else chose this password (an administrator's reset, a one-time
    # password, the break-glass command): every page asks for a new one until it is changed.
    password_change_required = models.BooleanField(_("须修改密码"), default=False)

    objects: ClassVar[CivicUserManager] = CivicUserManager()
    # The scope get_scope() caches on the user object (once per request); not a field.
    _civicgrid_scope: Scope

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def compute_scope(self) -> Scope:
        """What this user may do and where: roles, jurisdiction subtrees and units.

        Read by civicgrid.core.scope.get_scope, which caches it on the user object."""
        roles = frozenset(UserRole.objects.filter(user=self).values_list("role", flat=True))
        codes = tuple(
            sorted(
                UserJurisdiction.objects.filter(user=self).values_list("area__code", flat=True)
            )
        )
        unit_ids = frozenset(self.unit_memberships.values_list("unit_id", flat=True))
        is_global = self.is_superuser or bool(roles & GLOBAL_ROLES)
        return Scope(self.pk, roles, permissions_for(roles), codes, unit_ids, is_global)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Yourself, and colleagues whose jurisdiction overlaps yours."""
        visible = UserJurisdiction.objects.filter(scope.overlap_q("area__code")).values("user_id")
        return Q(pk=scope.user_id) | Q(pk__in=visible)


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("角色授予")
        verbose_name_plural = _("角色授予")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_userrole_unique"),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="accounts_userrole_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class UserJurisdiction(models.Model):
    """A subtree of areas the user works in; a user may have several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="jurisdictions")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("管辖区域")
        verbose_name_plural = _("管辖区域")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "area"], name="accounts_userjurisdiction_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.area}"


class LoginFailure(models.Model):
    """One failed sign-in; counted per account and per source address within a window."""

    username = models.CharField(max_length=150)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    time = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["username", "time"], name="accounts_loginfail_user_time"),
            models.Index(fields=["source_ip", "time"], name="accounts_loginfail_ip_time"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.source_ip} {self.time:%Y-%m-%d %H:%M:%S}"


class Lockout(models.Model):
    class Kind(models.TextChoices):
        ACCOUNT = "account", _("账号")
        ADDRESS = "address", _("来源地址")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=150)
    locked_at = models.DateTimeField()
    until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "until"], name="accounts_lockout_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__gt=models.F("locked_at")), name="accounts_lockout_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} until {self.until:%Y-%m-%d %H:%M}"


class TOTPDevice(models.Model):
    """Time-based one-time password (RFC 6238) second factor; the secret is encrypted."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted time step: a code is never accepted twice (replay protection).
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP {self.user}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class CredentialAction(models.TextChoices):
    """What one administrator alone may not do to a privileged account (三员分立)."""

    SET_PASSWORD = "set_password", _("重置密码")
    RESET_TOTP = "reset_totp", _("重置两步验证")
    SET_ACTIVE = "set_active", _("启用或停用账号")
    SET_ROLES = "set_roles", _("变更角色")


class CredentialChangeRequest(models.Model):
    """A change to a privileged account (an administrator's or auditor's credentials or
    roles, or anyone's own roles) asked for by one administrator; it applies only when a
    second, different administrator approves it before it expires (two-person rule)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待批准")
        APPLIED = "applied", _("已批准并生效")
        REJECTED = "rejected", _("已驳回")

    target = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("账号"))
    action = models.CharField(_("变更"), max_length=20, choices=CredentialAction.choices)
    roles = models.JSONField(_("角色"), default=list, blank=True)
    active = models.BooleanField(_("启用"), null=True, blank=True)
    reason = models.TextField(_("理由"))
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("批准/驳回人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号变更申请(双人批准)")
        verbose_name_plural = _("账号变更申请(双人批准)")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=CredentialAction.values),
                name="accounts_credreq_known_action",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("requested_at")),
                name="accounts_credreq_expires_after_request",
            ),
            # The second person is a different person: whoever asked never approves.
            models.CheckConstraint(
                condition=~Q(status="applied") | (
                    Q(decided_by__isnull=False) & ~Q(decided_by=models.F("requested_by"))),
                name="accounts_credreq_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.target}"
