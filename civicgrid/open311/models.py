"""What an Open311 client sent with a request beyond the case itself.

Every Open311 request becomes a case (channel `api`); this row keeps the token the client
exchanges for the case number (GeoReport v2 "batch" services), the api_key it came with,
and the fields of the spec the case has no column for. The e-mail address is personal data:
stored encrypted with a mask for display, like a party's phone.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Open311Request(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311",
                                verbose_name=_("事件"))
    token = models.CharField(_("查询令牌"), max_length=40, unique=True)
    api_token = models.ForeignKey("api.ApiToken", on_delete=models.PROTECT,
                                  related_name="open311_requests", verbose_name=_("接口令牌"))
    jurisdiction_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(_("账号"), max_length=100, blank=True)
    device_id = models.CharField(_("设备"), max_length=100, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    media_url = models.CharField(_("媒体链接"), max_length=500, blank=True)
    email_encrypted = models.TextField(blank=True)
    email_masked = models.CharField(_("电子邮箱"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")
        indexes = [models.Index(fields=["api_token", "case"], name="open311_req_token_case")]

    def __str__(self) -> str:
        return f"{self.case_id} ({self.token[:6]}…)"
