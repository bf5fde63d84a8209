"""Pages of the export and of the data-quality report (docs/registry.md, "Export and data
quality").

The export page asks for an area of the reader's jurisdiction, the kind of record, the
profile, the format and — only for those who may reveal — the reason for an export in
clear; it answers the file (`registry_export` writes and audits it; the page streams it).
The quality page shows an area's grids with their pass rates (quality.py): counts only.
Both read areas through `restrict()`: one outside the reader's scope answers 404 like a
missing one.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import area_breadcrumbs, area_for
from civicgrid.cases.forms import StyledForm
from civicgrid.core.access import access, has_permission
from civicgrid.core.scope import get_scope
from civicgrid.imports.exports import (
    EXPORT_PERMISSION,
    REVEAL_PERMISSION,
    ExportFormat,
    registry_export,
)
from civicgrid.imports.profiles import PROFILES, ImportKind
from civicgrid.imports.quality import (
    CHECKS,
    PASS_THRESHOLD,
    QUALITY_PERMISSION,
    grid_quality,
)

AREA_LEVELS = (Level.COUNTY, Level.STREET, Level.COMMUNITY)
GRIDS_LISTED = 200  # a jurisdiction with more grids lists its communities and streets only


def area_choices(user, chosen: Area | None = None) -> tuple[object, list[tuple[str, str]]]:
    """The areas of the reader's jurisdiction an export or report may cover (validated
    against all of them) and those the picker lists: counties, streets and communities,
    and the grids too unless there are more than GRIDS_LISTED (then a grid is reached from
    its quality report's link), the area asked for always."""
    areas = Area.objects.restrict(user, "view").filter(
        level__in=(*AREA_LEVELS, Level.GRID))
    listed = Q(level__in=AREA_LEVELS)
    if areas.filter(level=Level.GRID).count() <= GRIDS_LISTED:
        listed |= Q(level=Level.GRID)
    if chosen is not None:
        listed |= Q(pk=chosen.pk)
    rows = list(areas.filter(listed).order_by("code").values_list("code", "name"))
    top = min((len(code) for code, _name in rows), default=0)
    depth = {2: 0, 4: 1, 6: 2, 9: 3, 12: 4, 15: 5}
    return areas, [(code, "— " * (depth.get(len(code), 0) - depth.get(top, 0))
                    + f"{name}({code})") for code, name in rows]


class ExportForm(StyledForm):
    """What an export asks; the service checks every rule again (scope, reveal)."""

    area = forms.ModelChoiceField(label=gettext_lazy("区域"), queryset=Area.objects.none(),
                                  to_field_name="code")
    kind = forms.ChoiceField(label=gettext_lazy("数据类型"), choices=(
        (ImportKind.PEOPLE, gettext_lazy("实有人口(含现住房屋)")),
        (ImportKind.ORGANISATIONS, gettext_lazy("实有单位")),
        (ImportKind.BUILDINGS, gettext_lazy("楼栋")),
        (ImportKind.RENTALS, gettext_lazy("出租房屋(含出租人)"))),
                             initial=ImportKind.PEOPLE, widget=forms.RadioSelect)
    profile = forms.ChoiceField(label=gettext_lazy("映射方案(表头与代码)"), choices=())
    file_format = forms.ChoiceField(label=gettext_lazy("文件格式"), choices=ExportFormat.choices,
                                    initial=ExportFormat.XLSX, widget=forms.RadioSelect)
    reveal_reason = forms.CharField(
        label=gettext_lazy("导出完整证件号码和联系电话的理由"), required=False, max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("不填写则证件号码和联系电话以脱敏形式导出。填写理由即导出明文,"
                               "导出人、时间、条数和理由记入审计日志。仅适用于实有人口和出租房屋(出租人证件号码)。"))

    def __init__(self, *args, user, chosen: Area | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        areas, listed = area_choices(user, chosen)
        field = self.fields["area"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = areas
        field.widget.choices = listed
        self.fields["profile"].choices = [
            (str(label), [(p.code, str(p.label)) for p in PROFILES.values() if p.kind == kind])
            for kind, label in ImportKind.choices]
        if not get_scope(user).can(REVEAL_PERMISSION):
            del self.fields["reveal_reason"]

    def clean(self):
        data = super().clean()
        profile = PROFILES.get(data.get("profile", ""))
        if profile is not None and data.get("kind") and profile.kind != data["kind"]:
            self.add_error("profile", _("该映射方案不适用于所选数据类型。"))
        return data


def _chosen(request: HttpRequest) -> Area | None:
    code = request.GET.get("area", "")
    if not code:
        return None
    try:
        return area_for(actor=request.user, code=code)
    except Area.DoesNotExist as exc:
        raise Http404 from exc


@access(EXPORT_PERMISSION)
def export_view(request):
    """The export form (GET; `?area=<code>` chooses the area) and the file (POST)."""
    chosen = _chosen(request)
    initial = {"area": chosen.code} if chosen else {}
    form = ExportForm(request.POST or None, user=request.user, chosen=chosen, initial=initial)
    if request.POST.get("reveal_reason", "").strip() and "reveal_reason" not in form.fields:
        raise PermissionDenied  # a reason from someone who may not reveal: nothing is read
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = registry_export(area=data["area"], kind=data["kind"],
                                     profile=data["profile"], file_format=data["file_format"],
                                     actor=request.user,
                                     reveal_reason=data.get("reveal_reason", ""))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
        else:
            response = FileResponse(export.file, as_attachment=True, filename=export.name,
                                    content_type=export.content_type)
            response["Cache-Control"] = "no-store"
            response["X-Export-Rows"] = str(export.rows)
            return response
    return render(request, "imports/export.html", {
        "form": form, "chosen": chosen,
        "can_reveal": "reveal_reason" in form.fields,
        "profile_kinds": json.dumps({p.code: p.kind for p in PROFILES.values()})})


@access(QUALITY_PERMISSION)
def quality_home_view(request):
    """The report of the area picked (`?area=`), else of the reader's first area of
    jurisdiction (the deployment's top area for deployment-wide readers)."""
    code = request.GET.get("area", "").strip()
    if code and not (code.isascii() and code.isdigit() and len(code) <= 15):
        raise Http404
    if not code:
        scope = get_scope(request.user)
        roots = Area.objects.restrict(request.user, "view").order_by("code")
        if scope.area_codes:
            roots = roots.filter(code__in=scope.area_codes)
        first = roots.filter(level__in=(*AREA_LEVELS, Level.GRID)).first()
        if first is None:
            raise Http404
        code = first.code
    return redirect("imports:quality", code=code)


@access(QUALITY_PERMISSION, model=Area, lookup={"code": "code"})
def quality_view(request, code: str):
    """The data-quality report of an area: its grids, each with its people, linkage rate,
    records failing a check, not verified in 12 months, pass rate and flag."""
    try:
        area = area_for(actor=request.user, code=code)
        report = grid_quality(area=area, actor=request.user)
    except Area.DoesNotExist as exc:
        raise Http404 from exc
    _areas, listed = area_choices(request.user, area)
    return render(request, "imports/quality.html", {
        "area": area, "report": report, "threshold": PASS_THRESHOLD,
        "checks": [(c.label, c.short) for c in CHECKS], "areas": listed,
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=area),
        "can_export": has_permission(request.user, EXPORT_PERMISSION)})
