from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User, UserJurisdiction, UserRole
from civicgrid.accounts.services import totp_reset
from civicgrid.core.admin_site import AuditedInline, AuditedModelAdmin

# Access is granted by civicgrid roles (civicgrid.accounts.roles), not Django groups.
admin.site.unregister(Group)


class RoleInline(AuditedInline):
    model = UserRole


class JurisdictionInline(AuditedInline):
    model = UserJurisdiction
    autocomplete_fields = ["area"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "display_name", "is_active", "last_login"]
    search_fields = ["username", "display_name"]
    list_filter = ["is_active", "role_grants__role"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "phone", "email")}),
        (_("状态"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "password1",
                                                 "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [RoleInline, JurisdictionInline]
    actions = ["reset_second_factor"]

    @admin.action(description=_("重置两步验证"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            totp_reset(user=user, actor=request.user)
        messages.success(request, _("已重置所选用户的两步验证。"))
