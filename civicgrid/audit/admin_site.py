"""The administrators' site: Django admin, restricted to the administrator role, every
change written to the audit log in the same transaction.

It lives in audit (not core) because auditing every change is what it adds: core is the
kernel and imports no app, while every app's admin.py may import audit."""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.access import has_permission


class CivicAdminSite(admin.AdminSite):
    site_header = _("civicgrid 系统管理")
    site_title = _("civicgrid 系统管理")
    index_title = _("区域、单位、人员与基础数据")

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_authenticated and has_permission(
            user, "core.admin_site.view"
        )

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if not self.has_permission(request):
                if request.user.is_authenticated:
                    raise PermissionDenied
                return redirect_to_login(request.get_full_path())
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request, extra_context=None):
        # One sign-in page for everything (lockout, second factor, audit); a signed-in user
        # without the administrator role is refused rather than sent round in circles.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.get_full_path())


class AuditedAdminMixin:
    """Every add, change and delete made in the admin lands in the audit log."""

    def _audit(self, request, obj, event: str, details: dict) -> None:
        audit_record(actor=request.user, event_type=event, subject=obj, details=details)

    def log_addition(self, request, obj, message):
        self._audit(request, obj, AuditEventType.ADMIN_ADD, {"message": str(message)})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, AuditEventType.ADMIN_CHANGE, {"message": str(message)})
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, obj, AuditEventType.ADMIN_DELETE, {})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action runs outside the admin's transaction: audit and
        # delete together, so a failed delete leaves no audit entry claiming it happened.
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, AuditEventType.ADMIN_DELETE, {})
            super().delete_queryset(request, queryset)

    # Admin permissions follow the civicgrid role table, not Django's per-model permissions.
    def _perm(self, request, action: str) -> bool:
        meta = self.model._meta
        return has_permission(request.user, f"{meta.app_label}.{meta.model_name}.{action}")

    def has_view_permission(self, request, obj=None):
        return self._perm(request, "view")

    def has_add_permission(self, request, *args):
        return self._perm(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._perm(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._perm(request, "delete")

    def has_module_permission(self, request):
        return self._perm(request, "view")


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


class AuditedInline(admin.TabularInline):
    """Inline changes are reported in the parent's change message, which is audited."""

    extra = 0

    def _perm(self, request, action: str) -> bool:
        meta = self.model._meta
        return has_permission(request.user, f"{meta.app_label}.{meta.model_name}.{action}")

    def has_view_permission(self, request, obj=None):
        return self._perm(request, "view")

    def has_add_permission(self, request, obj=None):
        return self._perm(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._perm(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._perm(request, "delete")



