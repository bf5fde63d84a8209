from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.field.models import FieldDevice


@admin.register(FieldDevice)
class FieldDeviceAdmin(AuditedModelAdmin):
    """The phones the offline app runs on. Revoking one makes the app wipe what it keeps the
    next time it starts with a connection (civicgrid/field, docs/field.md)."""

    list_display = ("user", "label", "app_version", "created_at", "last_sync_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "device_id", "label")
    readonly_fields = ("device_id", "user", "label", "app_version", "created_at", "last_sync_at",
                       "revoked_at")
    exclude = ("secret_hash",)
    actions = ["revoke"]

    @admin.action(description=_("停用所选设备(设备上的数据将被清除)"))
    def revoke(self, request, queryset):
        now = timezone.now()
        changed = 0
        for device in queryset.filter(revoked_at__isnull=True):
            device.revoked_at = now
            device.save(update_fields=["revoked_at"])
            self.log_change(request, device, "revoked")
            changed += 1
        self.message_user(request, _("已停用 %(n)s 台设备。") % {"n": changed}, messages.SUCCESS)

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
