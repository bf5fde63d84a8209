from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import (
    CredentialAction,
    CredentialChangeRequest,
    User,
    UserJurisdiction,
    UserRole,
)
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import (
    ApprovalRequired,
    credential_change_approve,
    credential_change_check,
    credential_change_reject,
    credential_change_request,
    requires_second_administrator,
    roles_check,
    totp_reset,
    user_set_roles,
)
from civicgrid.audit.admin_site import AuditedInline, AuditedModelAdmin
from civicgrid.core.access import has_permission

# Access is granted by civicgrid roles (civicgrid.accounts.roles), not Django groups.
admin.site.unregister(Group)


class UserRolesForm(UserChangeForm):
    """The user's change form with their roles as one field: the admin saves them through
    `user_set_roles`, which checks the actor and audits the grant and revocation (a role
    inline would write UserRole rows past the service)."""

    roles = forms.MultipleChoiceField(label=_("角色"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    actor: User  # set by UserAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held = sorted(UserRole.objects.filter(user=self.instance).values_list(
            "role", flat=True)) if self.instance.pk else []
        if self.instance.pk and "roles" in self.fields:
            self.fields["roles"].initial = self.held

    def clean_roles(self):
        roles = sorted(self.cleaned_data["roles"])
        roles_check(roles)
        if roles != self.held and requires_second_administrator(
                actor=self.actor, user=self.instance, action=CredentialAction.SET_ROLES,
                roles=roles):
            raise ValidationError(ApprovalRequired().args[0])
        return roles


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

    # 三员分立: what one administrator may not change on this account (a privileged account,
    # or their own) is shown read-only; the services refuse it whatever is posted, and the
    # change is asked for as a CredentialChangeRequest that a second administrator approves.
    def _needs_second_administrator(self, request, obj, action: str) -> bool:
        return obj is not None and obj.pk is not None and requires_second_administrator(
            actor=request.user, user=obj, action=action)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._needs_second_administrator(request, obj, CredentialAction.SET_ACTIVE):
            fields.append("is_active")
        if self._needs_second_administrator(request, obj, CredentialAction.SET_ROLES):
            fields.append("roles")
        return fields

    @admin.display(description=_("角色"))
    def roles(self, obj):
        return "、".join(str(Role(r).label) for r in sorted(
            UserRole.objects.filter(user=obj).values_list("role", flat=True))) or "—"

    def has_delete_permission(self, request, obj=None):
        if self._needs_second_administrator(request, obj, CredentialAction.SET_ACTIVE):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if self._needs_second_administrator(request, user, CredentialAction.SET_PASSWORD):
            messages.error(request, ApprovalRequired().args[0])
            return redirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data:  # the add form has no roles field
            user_set_roles(user=form.instance, roles=form.cleaned_data["roles"],
                           actor=request.user)

    @admin.action(description=_("重置两步验证"))
    def reset_second_factor(self, request, queryset):
        done, refused = [], []
        for user in queryset:
            try:
                totp_reset(user=user, actor=request.user)
            except ApprovalRequired:
                refused.append(user.username)
            else:
                done.append(user.username)
        if done:
            messages.success(request, _("已重置两步验证:%(users)s。") % {"users": "、".join(done)})
        if refused:
            messages.error(request, _("未重置:%(users)s。") % {"users": "、".join(refused)}
                           + " " + ApprovalRequired().args[0])


class CredentialChangeRequestForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(label=_("角色(变更角色时)"), choices=Role.choices,
                                      required=False, widget=forms.CheckboxSelectMultiple)
    active = forms.TypedChoiceField(
        label=_("启用(启用或停用账号时)"), required=False, empty_value=None,
        choices=[("", "—"), ("1", _("启用")), ("0", _("停用"))],
        coerce=lambda v: v == "1")

    class Meta:
        model = CredentialChangeRequest
        fields = ["target", "action", "roles", "active", "reason"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                credential_change_check(action=data["action"], reason=data["reason"],
                                        roles=data.get("roles") or (),
                                        active=data.get("active"))
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return data


@admin.register(CredentialChangeRequest)
class CredentialChangeRequestAdmin(AuditedModelAdmin):
    """The two-person rule (三员分立): one administrator asks, another approves (or either
    rejects); only the approval applies the change, through the accounts services."""

    form = CredentialChangeRequestForm
    list_display = ["target", "action", "requested_by", "requested_at", "expires_at",
                    "status", "decided_by"]
    list_filter = ["status", "action"]
    autocomplete_fields = ["target"]
    actions = ["approve_requests", "reject_requests"]

    # Whoever may change users (the administrators) asks and decides; nobody deletes.
    def _perm(self, request, action: str) -> bool:
        return action != "delete" and has_permission(request.user, "accounts.user.change")

    def has_change_permission(self, request, obj=None):
        return obj is None and self._perm(request, "change")  # decided by the actions only

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = credential_change_request(
            user=form.cleaned_data["target"], action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"], actor=request.user,
            roles=form.cleaned_data.get("roles") or (), active=form.cleaned_data.get("active"))
        obj.pk = created.pk
        obj.refresh_from_db()

    @admin.action(description=_("批准所选申请(第二名管理员)"))
    def approve_requests(self, request, queryset):
        passwords = []
        for item in queryset.select_related("target"):
            try:
                password = credential_change_approve(request=item, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else (
                    exc.args[0] if exc.args else _("无权操作。"))
                messages.error(request, f"{item}: {text}")
                continue
            messages.success(request, _("已批准并生效:%(item)s。") % {"item": item})
            if password is not None:
                passwords.append((item.target, password))
        if passwords:
            # Shown once, on this page only (not in a message that a cookie would carry).
            response = TemplateResponse(request, "admin/accounts/one_time_passwords.html", {
                **self.admin_site.each_context(request), "passwords": passwords,
                "title": _("一次性密码"), "opts": self.opts,
            })
            add_never_cache_headers(response)
            return response
        return None

    @admin.action(description=_("驳回所选申请"))
    def reject_requests(self, request, queryset):
        for item in queryset:
            try:
                credential_change_reject(request=item, actor=request.user)
            except ValidationError as exc:
                messages.error(request, f"{item}: {'; '.join(exc.messages)}")
            else:
                messages.success(request, _("已驳回:%(item)s。") % {"item": item})

