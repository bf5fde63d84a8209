"""API tokens for systems that call the JSON API, and the idempotency log of their POSTs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.scope import RestrictedManager, Scope


class TokenAction(models.TextChoices):
    CASES_READ = "cases:read", _("读取事件")
    CASES_CREATE = "cases:create", _("登记事件")
    CASES_ACT = "cases:act", _("办理事件(流转操作)")
    OPEN311 = "open311", _("Open311 接口")


class ApiToken(models.Model):
    """A token a system uses instead of a session. The plain token is shown once; only its
    sha256 is stored. Each token acts as its own service account (`user`), a member of the
    token's unit with the unit's areas as jurisdiction, so every scope rule that applies to
    people applies to the token unchanged."""

    name = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="api_tokens",
                             verbose_name=_("所属单位"))
    actions = models.JSONField(_("允许的操作"), default=list)
    prefix = models.CharField(_("前缀"), max_length=8, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="api_token", editable=False,
                                verbose_name=_("服务账号"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False,
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=120)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_limit_per_minute__gte=1),
                                   name="api_token_rate_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (cg_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q(unit_id__in=scope.unit_ids)


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an Idempotency-Key: a retry gets it back
    instead of doing the work twice."""

    principal = models.CharField(max_length=40)  # "token:<id>" or "user:<id>"
    key = models.CharField(max_length=200)
    method_path = models.CharField(max_length=300)
    body_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The exact JSON text sent, so a replay is byte-identical (jsonb would reorder keys).
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="api_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
