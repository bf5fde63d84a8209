from django.contrib import admin, messages
from django.utils.translation import gettext as _

from civicgrid.api.models import ApiToken
from civicgrid.api.services import api_token_create, api_token_revoke
from civicgrid.audit.admin_site import AuditedModelAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ("name", "prefix", "unit", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "unit__code", "unit__name")
    readonly_fields = ("prefix", "user", "created_by", "created_at", "last_used_at",
                       "revoked_at")
    autocomplete_fields = ()
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a token's unit and actions are fixed: revoke and create anew
            return (*self.readonly_fields, "name", "unit", "actions", "rate_limit_per_minute")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, plain = api_token_create(
            name=obj.name, unit=obj.unit, actions=obj.actions, actor=request.user,
            rate_limit_per_minute=obj.rate_limit_per_minute)
        obj.pk = token.pk
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if k != "_state"})
        obj._state.adding = False
        messages.warning(request, _("令牌只显示这一次,请立即复制保存:%(t)s") % {"t": plain})

    def has_delete_permission(self, request, obj=None):
        return False  # tokens are revoked, never deleted: the audit trail names them

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
        self.message_user(request, _("已吊销。"))
