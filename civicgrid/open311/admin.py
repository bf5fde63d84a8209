from django.contrib import admin

from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.open311.models import Open311Request


@admin.register(Open311Request)
class Open311RequestAdmin(AuditedModelAdmin):
    """Read-only: which api_key sent which case, and what else it sent (the e-mail only
    masked)."""

    list_display = ("case", "api_token", "created_at", "account_id", "email_masked")
    list_select_related = ("case", "api_token")
    search_fields = ("case__number", "account_id")
    readonly_fields = ("case", "api_token", "jurisdiction_id", "account_id", "device_id",
                       "address_id", "media_url", "email_masked", "created_at")
    exclude = ("token", "email_encrypted")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
