"""Administrators set who reports the weekly check and when it is due, excuse or add
areas, and tune the warning rules. Every change is audited (AuditedModelAdmin); checks
and statuses are never edited here (they are written by the services only)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.warnings.models import KIND_MEASURES, CheckSettings, ReporterOverride, WarningRule
from civicgrid.warnings.weeks import week_of


@admin.register(CheckSettings)
class CheckSettingsAdmin(AuditedModelAdmin):
    list_display = ["__str__", "report_county", "report_street", "report_community",
                    "report_grid", "due_weekday", "due_hour", "updated_at"]
    fieldsets = [
        (_("上报单位(层级)"), {"fields": ["report_county", "report_street", "report_community",
                                          "report_grid"]}),
        (_("截止时间"), {"fields": ["due_weekday", "due_hour"]}),
    ]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not CheckSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ReporterOverrideForm(forms.ModelForm):
    class Meta:
        model = ReporterOverride
        fields = ["area", "mode", "since", "until", "note"]

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            if data.get(name):
                data[name] = week_of(data[name])  # weeks are named by their Monday
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("开始周不能晚于结束周。"))
        return data


@admin.register(ReporterOverride)
class ReporterOverrideAdmin(AuditedModelAdmin):
    form = ReporterOverrideForm
    list_display = ["area", "mode", "since", "until", "note"]
    list_filter = ["mode"]
    search_fields = ["area__code", "area__name", "note"]
    autocomplete_fields = ["area"]
    list_select_related = ["area"]


class WarningRuleForm(forms.ModelForm):
    class Meta:
        model = WarningRule
        fields = ["name", "name_en", "kind", "measure", "yellow_threshold", "red_threshold",
                  "min_count", "for_county", "for_street", "for_community", "active"]

    def clean(self):
        data = super().clean()
        kind, measure = data.get("kind"), data.get("measure")
        if kind and measure and measure not in KIND_MEASURES.get(kind, ()):
            self.add_error("measure", _("这一类规则不能使用该计量方式。"))
        yellow, red = data.get("yellow_threshold"), data.get("red_threshold")
        if yellow is None and red is None:
            raise forms.ValidationError(_("请至少填写黄色或红色阈值之一。"))
        if yellow is not None and red is not None and red < yellow:
            self.add_error("red_threshold", _("红色阈值不能低于黄色阈值。"))
        if not any(data.get(f) for f in ("for_county", "for_street", "for_community")):
            raise forms.ValidationError(_("请至少选择一个适用层级。"))
        return data


@admin.register(WarningRule)
class WarningRuleAdmin(AuditedModelAdmin):
    form = WarningRuleForm
    list_display = ["name", "name_en", "kind", "measure", "yellow_threshold", "red_threshold",
                    "min_count", "for_county", "for_street", "for_community", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "name_en"]
