"""The grid worker's phones and the photos they send in pieces."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldDevice(models.Model):
    """A phone (a browser profile) the offline app was installed on. Its secret, kept by the
    app, lets it ask whether it must wipe its data (account disabled, device revoked) even
    when its session has ended."""

    device_id = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="field_devices", verbose_name=_("用户"))
    secret_hash = models.CharField(max_length=64)
    label = models.CharField(_("设备"), max_length=200, blank=True)
    app_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("首次使用"))
    last_sync_at = models.DateTimeField(_("最近同步"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("已停用"), null=True, blank=True)

    class Meta:
        verbose_name = _("移动设备")
        verbose_name_plural = _("移动设备")
        ordering = ["user", "-last_sync_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.label or self.device_id[:8]}"


class UploadState(models.TextChoices):
    RECEIVING = "receiving", _("接收中")
    ATTACHED = "attached", _("已附到事件")
    REFUSED = "refused", _("被拒绝")


class PhotoUpload(models.Model):
    """A photo sent in chunks for a case (resumable: the app asks how much arrived and
    sends the rest). Each chunk carries its SHA-256; the whole file's SHA-256, declared
    when the upload starts, is checked before the photo is attached to the case through
    the case's own service (case_attach: the same checks and cleaning as every channel)."""

    upload_id = models.UUIDField(unique=True)  # chosen by the app (its outbox item)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    device_id = models.CharField(max_length=64, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # of the bytes the phone sent
    received = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=UploadState.choices,
                             default=UploadState.RECEIVING)
    reason = models.CharField(max_length=300, blank=True)
    attachment = models.ForeignKey("cases.Attachment", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    captured_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "updated_at"], name="field_upload_state")]

    def __str__(self) -> str:
        return f"{self.upload_id} {self.state}"
