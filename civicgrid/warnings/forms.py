"""The weekly check form: it parses what people type; the rules (who may submit, which
week, zero report or counts) are the service's (civicgrid/warnings/services.py)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicgrid.warnings.services import MAX_COUNT, MAX_NOTES, CheckInput


def _count_field(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_COUNT,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-lg",
                                        "inputmode": "numeric", "pattern": "[0-9]*",
                                        "min": "0", "max": str(MAX_COUNT),
                                        "data-check-count": ""}),
        error_messages={"invalid": _("请填写整数。"),
                        "min_value": _("不能为负数。"),
                        "max_value": _("不能超过 %(limit_value)s。")})


class WeeklyCheckForm(forms.Form):
    week = forms.DateField(widget=forms.HiddenInput)
    is_zero = forms.BooleanField(
        label=_("本周无情况(零报告)"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "data-zero-report": ""}))
    disputes_found = _count_field(_("排查发现矛盾纠纷(件)"))
    resolved_on_spot = _count_field(_("其中当场化解(件)"))
    risk_points = _count_field(_("排查发现风险隐患点(处)"))
    notes = forms.CharField(
        label=_("情况说明"), required=False, max_length=MAX_NOTES,
        widget=forms.Textarea(attrs={
            "class": "form-control", "rows": 3,
            "placeholder": _("重点情况、处置措施、需要协调的事项(可不填)")}))

    def to_input(self) -> CheckInput:
        data = self.cleaned_data
        return CheckInput(
            disputes_found=data.get("disputes_found") or 0,
            resolved_on_spot=data.get("resolved_on_spot") or 0,
            risk_points=data.get("risk_points") or 0,
            notes=data.get("notes") or "",
            is_zero=bool(data.get("is_zero")))

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's errors on the fields they name (the week's on the whole form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            field = name if name in self.fields and name != "week" else None
            for message in messages:
                self.add_error(field, message)
