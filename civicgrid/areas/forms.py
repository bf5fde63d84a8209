from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.coords import CoordinateSystem
from civicgrid.areas.models import RoadImportMode
from civicgrid.areas.roadfiles import MAX_FILE_BYTES


class RoadImportForm(forms.Form):
    """What a road import asks; the service (roads_import) checks the file itself."""

    file = forms.FileField(
        label=_("道路文件(GeoJSON)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control",
                                               "accept": ".geojson,.json,application/json"}))
    mode = forms.ChoiceField(label=_("导入方式"), choices=RoadImportMode.choices,
                             initial=RoadImportMode.REPLACE, widget=forms.RadioSelect)
    coordinate_system = forms.ChoiceField(
        label=_("文件的坐标系"), choices=CoordinateSystem.choices,
        initial=CoordinateSystem.WGS84, widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("从高德、腾讯地图描绘的道路为 GCJ-02,从百度地图描绘的为 BD-09;"
                    "导入时换算为 WGS 84。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "LineString 或 MultiLineString 要素,属性 name 为道路名称,kind 为类别(可省略);"
            "不超过 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:  # refused before it is read
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB,请分区域导出后分次添加。")
                % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return upload
