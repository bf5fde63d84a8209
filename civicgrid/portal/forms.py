"""Forms of the resident portal: parse and validate input, nothing more."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.coords import CoordinateSystem, parse_coordinate_system
from civicgrid.areas.models import Area
from civicgrid.cases.forms import TOO_LONG, counted
from civicgrid.cases.models import Category
from civicgrid.cases.services import DESCRIPTION_MAX_LENGTH, normalize_phone, phone_error
from civicgrid.core.tracking import parse_tracking_code
from civicgrid.portal.selectors import portal_communities
from civicgrid.portal.services import portal_categories

# The honeypot: a field people never see (visually hidden, out of the tab order, no
# autofill) that naive bots fill like any other.
HONEYPOT = "website"


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        parent = obj.parent
        if parent is None:
            return obj.display_name()
        return f"{parent.display_name()} · {obj.display_name()}"


class ReportForm(forms.Form):
    category = CategoryChoiceField(
        label=_("问题类别"), queryset=Category.objects.none(),
        error_messages={"required": _("请选择问题类别。"),
                        "invalid_choice": _("该分类不能在网上反映,请选择其他分类。")})
    # The limit is case_intake's, the same as the staff's (no max_length here: the
    # service refuses a longer text with its message); the counter shows it while typing.
    description = forms.CharField(
        label=_("问题描述"),
        widget=counted(forms.Textarea(attrs={"rows": 5, "placeholder": _(
            "发生了什么、在哪里、持续多久、希望怎样解决")}), DESCRIPTION_MAX_LENGTH),
        error_messages={"required": _("请描述遇到的问题。")})
    lng = forms.FloatField(required=False, min_value=-180, max_value=180,
                           widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90,
                           widget=forms.HiddenInput)
    # The system lng/lat are in: wgs84 (the map's, and the default), gcj02 or bd09 when a
    # page's script takes the point from a Chinese map SDK (areas/coords.py).
    coordinate_system = forms.CharField(required=False, max_length=20,
                                        initial=CoordinateSystem.WGS84.value,
                                        widget=forms.HiddenInput)
    community = forms.ModelChoiceField(
        label=_("所在社区(村)"), queryset=Area.objects.none(), required=False,
        error_messages={"invalid_choice": _("请从列表中选择社区(村)。")})
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _(
                                  "如:某某小区3号楼2单元门口")}))
    name = forms.CharField(label=_("您的称呼"), max_length=30, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                                          "autocomplete": "tel"}))
    website = forms.CharField(required=False, max_length=200)  # the honeypot

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = portal_categories()
        communities = portal_communities()
        self.fields["community"].queryset = Area.objects.filter(
            pk__in=[a.pk for a in communities])
        self.community_choices = communities
        for name, field in self.fields.items():
            if name in ("lng", "lat", "coordinate_system", HONEYPOT):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if raw and not normalize_phone(raw):  # the services' one rule, and its message
            raise forms.ValidationError(phone_error())
        return raw

    def clean(self):
        data = super().clean()
        try:
            data["coordinate_system"] = parse_coordinate_system(data.get("coordinate_system"))
        except ValidationError as exc:  # a hidden field: said above the form
            self.add_error(None, exc.messages)
        if (data.get("lng") is None) != (data.get("lat") is None):
            data["lng"] = data["lat"] = None
        if data.get("lng") is None and not data.get("community"):
            self.add_error("community", _("请在地图上点选位置,或选择所在社区(村)。"))
        return data


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=24,
                           widget=forms.TextInput(attrs={
                               "class": "form-control cg-code-input", "autocomplete": "off",
                               "autocapitalize": "characters", "spellcheck": "false",
                               "placeholder": "ABCD-2345-K"}),
                           error_messages={"required": _("请填写查询码。")})
    last4 = forms.RegexField(label=_("手机号后四位"), regex=r"^\d{4}$", max_length=4,
                             widget=forms.TextInput(attrs={
                                 "class": "form-control", "inputmode": "numeric",
                                 "autocomplete": "off", "pattern": "[0-9]{4}"}),
                             error_messages={"required": _("请填写手机号后四位。"),
                                             "invalid": _("请填写4位数字。")})

    def clean_code(self) -> str:
        """The stored form of the code; a typo (the check symbol does not match) is caught
        here, before any look-up."""
        code = parse_tracking_code(self.cleaned_data.get("code", ""))
        if code is None:
            raise forms.ValidationError(_("查询码有误,请核对。"))
        return code


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("非常满意")), (4, _("满意")), (3, _("基本满意")), (2, _("不满意")),
                 (1, _("非常不满意"))],
        error_messages={"required": _("请选择满意程度。")})
    comment = forms.CharField(label=_("意见或建议(可选)"), max_length=500, required=False,
                              widget=counted(forms.Textarea(attrs={"rows": 3,
                                                                   "class": "form-control"}),
                                             500),
                              error_messages={"max_length": TOO_LONG})
    # The proof that the rater is the applicant when the page was not opened from the
    # rating link (portal_rate decides; the field is not shown on the link's page).
    phone = forms.CharField(label=_("反映时留的完整手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"class": "form-control",
                                                          "type": "tel", "inputmode": "tel",
                                                          "autocomplete": "tel"}))
