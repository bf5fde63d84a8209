from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User, UserJurisdiction, UserRole
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import totp_reset, user_set_roles
from civicgrid.audit.admin_site import AuditedInline, AuditedModelAdmin

# Access is granted by civicgrid roles (civicgrid.accounts.roles), not Django groups.
admin.site.unregister(Group)


class UserRolesForm(UserChangeForm):
    """The user's change form with their roles as one field: the admin saves them through
    `user_set_roles`, which checks the actor and audits the grant and revocation (a role
    inline would write UserRole rows past the service)."""

    roles = forms.MultipleChoiceField(label=_("角色"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(
                UserRole.objects.filter(user=self.instance).values_list("role", flat=True))


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
        (_("角色"), {"fields": ("roles",)}),
    )
    form = UserRolesForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "password1",
                                                 "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [JurisdictionInline]
    actions = ["reset_second_factor"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data:  # the add form has no roles field
            user_set_roles(user=form.instance, roles=form.cleaned_data["roles"],
                           actor=request.user)

    @admin.action(description=_("重置两步验证"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            totp_reset(user=user, actor=request.user)
        messages.success(request, _("已重置所选用户的两步验证。"))
