from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area
from civicgrid.audit.admin_site import AuditedModelAdmin
from civicgrid.stats.models import KpiTarget


class KpiTargetForm(forms.ModelForm):
    class Meta:
        model = KpiTarget
        fields = ("indicator", "area_code", "year", "value", "note")

    def clean_area_code(self) -> str:
        code = self.cleaned_data["area_code"].strip()
        if code and not Area.objects.filter(code=code).exists():
            raise forms.ValidationError(_("没有这个区域代码。"))
        return code

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year and not 2000 <= year <= 2100:
            raise forms.ValidationError(_("年度须为 2000–2100,或 0 表示每年。"))
        return year


@admin.register(KpiTarget)
class KpiTargetAdmin(AuditedModelAdmin):
    """目标管理考核: targets per indicator, area (and its subtree) and year."""

    form = KpiTargetForm
    list_display = ("indicator", "area_code", "year", "value", "note")
    list_filter = ("indicator", "year")
    search_fields = ("area_code", "note")
