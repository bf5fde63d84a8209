from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area, Level
from civicgrid.imports.models import ImportMode
from civicgrid.imports.profiles import PROFILES

IMPORT_LEVELS = (Level.COUNTY, Level.STREET, Level.COMMUNITY, Level.GRID)


class UploadForm(forms.Form):
    """What an upload asks; the service checks the rules (scope, profile, size)."""

    area = forms.ModelChoiceField(label=_("导入区域"), queryset=Area.objects.none(),
                                  to_field_name="code",
                                  widget=forms.Select(attrs={"class": "form-select"}),
                                  help_text=_("文件中的记录须在该区域内,区域外的行将被拒绝。"))
    profile = forms.ChoiceField(label=_("映射方案"), choices=(),
                                widget=forms.Select(attrs={"class": "form-select"}))
    mode = forms.ChoiceField(label=_("导入方式"), choices=ImportMode.choices,
                             initial=ImportMode.UPDATE,
                             widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    file = forms.FileField(label=_("文件"),
                           help_text=_("CSV(UTF-8 或 GB18030 编码)或 Excel(.xlsx),第一行为表头。"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt",
                                                                  "class": "form-control"}))

    def __init__(self, *args, areas, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = areas
        field.label_from_instance = lambda a: f"{a.name}({a.code})"
        self.fields["profile"].choices = [(p.code, p.label) for p in PROFILES.values()]


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
