from django.contrib import admin

from civicgrid.audit.admin_site import AuditedInline, AuditedModelAdmin
from civicgrid.units.models import Specialty, Unit, UnitMembership


class MembershipInline(AuditedInline):
    model = UnitMembership
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "area", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area", "parent", "jurisdiction"]
    filter_horizontal = ["specialties"]
    inlines = [MembershipInline]
    list_select_related = ["area"]


@admin.register(Specialty)
class SpecialtyAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]
