from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.geometry import BoundaryError, parse_boundary
from civicgrid.areas.models import CODE_LENGTH, LEVEL_ORDER, Area, GridAssignment, PositionType
from civicgrid.areas.services import geometry_revision_bump
from civicgrid.audit.admin_site import AuditedInline, AuditedModelAdmin


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent", "urban_rural_class", "population",
                  "households", "boundary"]

    def clean(self):
        data = super().clean()
        code, level, parent = data.get("code"), data.get("level"), data.get("parent")
        if code and level:
            if not code.isdigit() or len(code) != CODE_LENGTH[level]:
                self.add_error("code", _("该层级的代码应为 %(n)d 位数字。")
                               % {"n": CODE_LENGTH[level]})
            idx = LEVEL_ORDER.index(level)
            if idx > 0 and level not in ("city", "county") and parent is None:
                self.add_error("parent", _("请选择上级区域。"))
            if parent is not None:
                if parent.level != LEVEL_ORDER[idx - 1] if idx > 0 else True:
                    self.add_error("parent", _("上级区域的层级不正确。"))
                elif not code.startswith(parent.code):
                    self.add_error("code", _("代码必须以上级区域代码 %(p)s 开头。")
                                   % {"p": parent.code})
        try:
            parse_boundary(data.get("boundary"))
        except BoundaryError as exc:
            self.add_error("boundary", str(exc))
        return data


class GridAssignmentInline(AuditedInline):
    model = GridAssignment
    autocomplete_fields = ["user"]
    fk_name = "grid"


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    form = AreaForm
    list_display = ["code", "name", "level", "urban_rural_class", "population", "households"]
    list_filter = ["level", "urban_rural_class"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    inlines = [GridAssignmentInline]
    readonly_fields = ["centroid_lng", "centroid_lat"]

    def get_readonly_fields(self, request, obj=None):
        # Codes nest by prefix: changing one would orphan every area below it.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "code", "level", "parent"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        from civicgrid.areas.geometry import centroid

        geom = parse_boundary(obj.boundary)
        obj.centroid_lng, obj.centroid_lat = centroid(geom) if geom else (None, None)
        super().save_model(request, obj, form, change)
        if "boundary" in form.changed_data:
            geometry_revision_bump()


@admin.register(PositionType)
class PositionTypeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en", "sort_order", "builtin"]
    readonly_fields = ["builtin"]

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.builtin) and super().has_delete_permission(request, obj)
