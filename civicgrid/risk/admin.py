from django.contrib import admin

from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.risk.models import MatterKind


@admin.register(MatterKind)
class MatterKindAdmin(AuditedModelAdmin):
    """The list of kinds of major matters and whether each must be assessed (应评尽评).
    A change applies to matters registered afterwards; kinds are retired (not active),
    never deleted, as matters keep theirs (docs/risk.md)."""

    list_display = ("position", "name", "name_en", "code", "mandatory", "active")
    list_display_links = ("name",)
    list_filter = ("mandatory", "active")
    search_fields = ("name", "name_en", "code")
    ordering = ("position", "code")
