from django.contrib import admin
from django.db import transaction

from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.workcalendar.models import CalendarDay
from civicgrid.workcalendar.services import calendar_revision_bump


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    """Holidays and 调休 working days entered by administrators.

    Like every admin page this writes through the ModelAdmin (see docs/architecture.md,
    "Known exception"); it bumps the calendar revision itself so deadlines see the change.
    """

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        calendar_revision_bump()

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            calendar_revision_bump()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            calendar_revision_bump()
