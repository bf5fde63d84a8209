from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin_site import AuditedInline, AuditedModelAdmin
from civicgrid.cases.models import Category, CategoryAttribute, RoutingRule
from civicgrid.cases.taxonomy import STAGES


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "parent", "kind", "default_level", "specialty", "sla",
                  "max_extensions", "max_extension_days", "description", "keywords", "active"]

    def clean_sla(self):
        sla = self.cleaned_data["sla"] or {}
        if not isinstance(sla, dict):
            raise forms.ValidationError(_("时限须为对象,例如 {\"handle\": {\"days\": 30, "
                                          "\"unit\": \"calendar\"}}。"))
        for stage, rule in sla.items():
            if stage not in STAGES:
                raise forms.ValidationError(_("未知阶段:%(s)s") % {"s": stage})
            if (not isinstance(rule, dict) or not isinstance(rule.get("days"), int)
                    or rule["days"] < 1 or rule.get("unit") not in ("working", "calendar")):
                raise forms.ValidationError(
                    _("阶段 %(s)s 的时限须为正整数天数,单位为 working 或 calendar。")
                    % {"s": stage})
        return sla

    def clean(self):
        data = super().clean()
        code, parent = data.get("code"), data.get("parent")
        if code and parent is not None and (not code.startswith(parent.code)
                                            or len(code) != len(parent.code) + 2):
            self.add_error("code", _("下级分类代码须为上级代码加两位。"))
        if code and parent is None and len(code) != 2:
            self.add_error("code", _("顶级分类代码为两位。"))
        return data


class AttributeForm(forms.ModelForm):
    class Meta:
        model = CategoryAttribute
        fields = ["code", "description", "description_en", "datatype", "required", "values",
                  "values_en", "order"]

    def clean_values_en(self):
        names = self.cleaned_data["values_en"] or {}
        if not isinstance(names, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
            raise forms.ValidationError(_("英文名称须为对象,例如 {\"yes\": \"Yes\"}。"))
        return names


class AttributeInline(AuditedInline):
    model = CategoryAttribute
    form = AttributeForm


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    form = CategoryForm
    list_display = ["code", "name", "name_en", "kind", "default_level", "specialty", "active"]
    list_filter = ["kind", "default_level", "active"]
    search_fields = ["code", "name", "name_en", "keywords"]
    inlines = [AttributeInline]
    list_select_related = ["specialty"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "parent"] if obj is not None else []


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    list_display = ["__str__", "level", "priority", "active"]
    list_filter = ["level", "active"]
    autocomplete_fields = ["category", "area", "unit"]
    list_select_related = ["category", "area", "unit"]
