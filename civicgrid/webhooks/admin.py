"""Administrators manage webhook endpoints; deliveries are read-only, with "retry now"."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.cases.models import EventType
from civicgrid.core.access import has_permission
from civicgrid.webhooks.models import WebhookDelivery, WebhookEndpoint
from civicgrid.webhooks.services import webhook_retry_now, webhook_secret_new


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("地址"), max_length=500, assume_scheme="https",
                         help_text=WebhookEndpoint._meta.get_field("url").help_text)
    event_types = forms.MultipleChoiceField(
        label=_("事件类型"), choices=EventType.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("不选表示全部类型。"))

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "unit", "category", "event_types", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "unit", "category", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["unit", "category"]
    list_select_related = ["unit", "category"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            plain, obj.secret_encrypted = webhook_secret_new()
            request._webhook_secret = plain  # shown once, by response_add
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """The secret is shown on this page and never again (it is stored encrypted)."""
        plain = getattr(request, "_webhook_secret", None)
        if plain is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "endpoint": obj, "secret": plain, "title": _("签名密钥"),
                   "changelist_url": reverse("admin:webhooks_webhookendpoint_changelist")}
        response = TemplateResponse(request, "webhooks/admin/secret_created.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AuditedModelAdmin):
    list_display = ["id", "endpoint", "case", "event_type", "status", "attempts",
                    "last_status_code", "last_error", "next_attempt_at", "created_at",
                    "delivered_at"]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["case__number"]
    list_select_related = ["endpoint", "case"]
    readonly_fields = ["endpoint", "case", "event", "event_type", "payload", "status",
                       "attempts", "next_attempt_at", "last_status_code", "last_error",
                       "created_at", "delivered_at"]
    actions = ["retry_now"]
    show_full_result_count = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return has_permission(request.user, "webhooks.webhookdelivery.change")

    @admin.action(description=_("立即重试"), permissions=["retry"])
    def retry_now(self, request, queryset):
        ids = webhook_retry_now(deliveries=list(queryset), actor=request.user)
        self.message_user(request, _("已安排 %(n)d 条推送立即重试(已送达的不会重发)。")
                          % {"n": len(ids)}, messages.SUCCESS)
