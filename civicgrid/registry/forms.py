"""The registry's page forms. They parse what people type; every rule (ranges, the grid,
the point, the room's version) is the service's (civicgrid/registry/services.py), whose
refusals land on the fields they name."""

from __future__ import annotations

from dataclasses import MISSING, fields
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import StyledForm
from civicgrid.registry.models import Building, Room, RoomUse
from civicgrid.registry.services import BuildingInput

# The uses a grid worker records (待核实 is where a room starts, never a choice).
SETTABLE_USES = [(value, label) for value, label in RoomUse.choices if value != RoomUse.UNKNOWN]

# The fields of BuildingInput that are no column of Building.
EXTRA_LABELS = {"rooms_per_floor": _("每层户数")}
HELP = {
    "rooms_per_floor": _("填写后按单元、层、户自动生成楼盘表(如 301、302);不填则只登记楼栋。"),
    "lng": _("可选,WGS84 坐标,须在本网格内。"),
}
NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*"}


def _building_field(name: str) -> forms.Field:
    """The page field of one BuildingInput field: its column's type and label."""
    if name in EXTRA_LABELS:
        return forms.IntegerField(label=EXTRA_LABELS[name], required=False, min_value=0,
                                  widget=forms.NumberInput(attrs=NUMERIC))
    column = Building._meta.get_field(name)
    field = column.formfield()
    assert field is not None
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.FloatField):
        field.widget.attrs.update(NUMERIC)
    if isinstance(field, forms.FloatField):
        field.widget.attrs.update({"inputmode": "decimal", "step": "any"})
    return field


class BuildingForm(StyledForm):
    """Built from BuildingInput's fields (the API's body is too): one declaration."""

    def to_input(self) -> BuildingInput:
        data = self.cleaned_data
        values = {}
        for f in fields(BuildingInput):
            value = data.get(f.name)
            if value in (None, "") and f.default is not MISSING:
                value = f.default
            values[f.name] = value
        return BuildingInput(**values)

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


# The fields are declared from BuildingInput once, at import.
for _f in fields(BuildingInput):
    BuildingForm.base_fields[_f.name] = _building_field(_f.name)
    if _f.name in HELP:
        BuildingForm.base_fields[_f.name].help_text = HELP[_f.name]
BuildingForm.base_fields["name"].widget.attrs["placeholder"] = _("如 3幢")
BuildingForm.base_fields["road"].widget.attrs["placeholder"] = _("如 人民路")
BuildingForm.base_fields["house_number"].widget.attrs["placeholder"] = _("如 88号")


class RoomUseForm(StyledForm):
    """What the grid worker saw at the room: its use, optionally its floor area, and the
    version of the room they looked at (an edit from an older view is refused)."""

    use = forms.ChoiceField(label=_("用途"), choices=SETTABLE_USES, widget=forms.RadioSelect)
    area_m2 = forms.DecimalField(label=Room._meta.get_field("area_m2").verbose_name,
                                 required=False, max_digits=8, decimal_places=2,
                                 min_value=Decimal("0.01"),
                                 widget=forms.NumberInput(attrs={"inputmode": "decimal",
                                                                 "step": "0.01"}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """The service's errors on the fields they name; the rest (the version, the grid) on
    the whole form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = name if name in form.fields and name != "version" else None
        for message in messages:
            form.add_error(field, message)
