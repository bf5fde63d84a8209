from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.scope import RestrictedManager, Scope


class AuditEntry(models.Model):
    """One append-only audit record (等保 2.0 安全审计; 网络安全法 Art. 21: kept ≥ 6 months).

    An entry is written without a lock and sealed soon after by the single sealer
    (`audit_seal`, ADR 0010): its place in the chain (`seq`), the previous entry's hash and
    its own `hash`, which covers its fields, its place and the previous hash, so changing or
    deleting any sealed row breaks the chain at that row (`manage.py verify_audit`). On
    PostgreSQL a trigger refuses DELETE and every UPDATE but the sealing of an unsealed row.
    """

    time = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_constraint=False, verbose_name=_("操作人"),
    )
    actor_username = models.CharField(_("账号"), max_length=150, blank=True)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    event_type = models.CharField(_("事件类型"), max_length=60)
    subject_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    subject_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    subject_repr = models.CharField(_("对象"), max_length=200, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    # Set once by the sealer (empty / NULL until then): the chain's order and links.
    seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["event_type", "id"], name="audit_entry_type_id"),
            models.Index(fields=["actor_username", "id"], name="audit_entry_actor_id"),
            models.Index(fields=["subject_type", "subject_id"], name="audit_entry_subject"),
            # What the sealer reads: the few entries not sealed yet, in id order.
            models.Index(fields=["id"], condition=Q(seq__isnull=True),
                         name="audit_entry_unsealed"),
        ]
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.actor_username}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        # Only deployment-wide auditors hold the permission; nobody else sees entries.
        return Q(pk__in=[])
