"""Webhooks: outside systems on the intranet that want to hear about case events.

An endpoint says where to POST and which events it wants (unit, category subtree, event
types); a delivery is one event for one endpoint, written in the same transaction as the
event and sent after commit (civicgrid/webhooks/services.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.webhooks.addresses import validate_webhook_url

# Only plain HTTP(S): urllib would also open file:, ftp: and data: URLs.
URL_SCHEMES = ["http", "https"]


class WebhookEndpoint(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(
        _("地址"), max_length=500,
        validators=[URLValidator(schemes=URL_SCHEMES), validate_webhook_url],
        help_text=_("仅限 http/https;只应填写政务内网中的地址。本机、内网、链路本地和组播地址"
                    "须由运维人员在 WEBHOOK_ALLOWED_NETWORKS 中放行。"))
    secret_encrypted = models.TextField(editable=False)
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("单位"), help_text=_("留空表示任意单位;否则仅推送承办或涉及该单位的事件。"))
    category = models.ForeignKey(
        "cases.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("分类"), help_text=_("留空表示任意分类;选择上级分类时包含其下级分类。"))
    event_types = models.JSONField(_("事件类型"), default=list, blank=True,
                                   help_text=_("留空表示全部类型。"))
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook 地址")
        verbose_name_plural = _("Webhook 地址")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SUCCEEDED = "succeeded", _("已送达")
    FAILED = "failed", _("失败待重试")
    GIVING_UP = "giving_up", _("已放弃")


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries", verbose_name=_("地址"))
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("事件"))
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(_("事件类型"), max_length=24)
    # The body without "id", which is added when sending (it is the row's own key).
    payload = models.JSONField(default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook 推送记录")
        verbose_name_plural = _("Webhook 推送记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="webhooks_delivery_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} → {self.endpoint_id}"
