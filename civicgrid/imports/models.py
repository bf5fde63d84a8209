"""Imports of registry data from other systems (issue 16; docs/registry.md, "Import").

An `ImportRun` is one file brought in: uploaded (kept encrypted), checked (every row staged
with its outcome: the dry run), applied in batches, perhaps undone. `StagedRow` holds a
row's outcome; its cleaned values are encrypted (`payload`) and cleared once the run is
applied, discarded or undone. `ImportChange` is what applying did to one record — created,
or updated from `before` — so that the run can be undone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area
from civicgrid.core.scope import RestrictedManager, Scope
from civicgrid.imports.profiles import ImportKind


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("待校验")
    CHECKING = "checking", _("校验中")
    CHECKED = "checked", _("待确认导入")
    APPLYING = "applying", _("导入中")
    APPLIED = "applied", _("已导入")
    UNDOING = "undoing", _("撤销中")
    UNDONE = "undone", _("已撤销")
    DISCARDED = "discarded", _("已放弃导入")
    FAILED = "failed", _("失败")


class ImportMode(models.TextChoices):
    UPDATE = "update", _("新增并更新已有记录")
    ADD_ONLY = "add_only", _("只新增,不改已有记录")


class Outcome(models.TextChoices):
    NEW = "new", _("新增")
    CHANGED = "changed", _("变更")
    UNCHANGED = "unchanged", _("无变化")
    EXISTING = "existing", _("已存在(未更新)")
    REJECTED = "rejected", _("拒绝")
    DROPPED = "dropped", _("按政策剔除")


class ImportRun(models.Model):
    kind = models.CharField(_("数据类型"), max_length=16, choices=ImportKind.choices)
    profile = models.CharField(_("映射方案"), max_length=32)
    mode = models.CharField(_("导入方式"), max_length=10, choices=ImportMode.choices,
                            default=ImportMode.UPDATE)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("导入区域"))
    area_code = models.CharField(_("区域代码"), max_length=15)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    file_size = models.BigIntegerField(_("文件大小(字节)"))
    file_format = models.CharField(_("文件格式"), max_length=4)
    file_path = models.CharField(max_length=80, blank=True)  # "" once deleted
    file_deleted_at = models.DateTimeField(_("原文件删除时间"), null=True, blank=True)
    encoding = models.CharField(_("编码"), max_length=12, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices,
                              default=ImportStatus.UPLOADED)
    rows_read = models.PositiveIntegerField(_("已读行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    counts = models.JSONField(_("统计"), default=dict)
    report = models.JSONField(_("报告"), default=dict)
    error = models.CharField(_("失败原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("校验完成时间"), null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("导入人"))
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("撤销人"))
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")
        ordering = ["-id"]
        indexes = [models.Index(fields=["area_code", "id"], name="imports_run_area")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.pk})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("area_code")


class StagedRow(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("行号"))
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    key_hash = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    grid_code = models.CharField(max_length=15, blank=True)
    payload = models.TextField(blank=True)  # the cleaned values, encrypted JSON
    changes = models.JSONField(default=list, blank=True)  # the fields that differ
    reason = models.CharField(_("原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["run", "row_number"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["run", "row_number"],
                                               name="imports_row_unique")]
        indexes = [models.Index(fields=["run", "outcome", "row_number"],
                                name="imports_row_outcome"),
                   models.Index(fields=["run", "key_hash"], name="imports_row_key")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.row_number} {self.outcome}"


class ImportChange(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=40)  # "registry.person"
    object_id = models.BigIntegerField()
    created = models.BooleanField()
    before = models.JSONField(default=dict, blank=True)  # the previous values of what changed
    version_after = models.PositiveIntegerField(null=True, blank=True)
    row_number = models.PositiveIntegerField()

    class Meta:
        ordering = ["run", "id"]
        default_permissions = ()
        indexes = [models.Index(fields=["run", "id"], name="imports_change_run_id")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.model}#{self.object_id}"
