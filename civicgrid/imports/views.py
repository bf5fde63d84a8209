"""Pages of the import: the history, the upload, a run with its progress, dry-run report,
rows and the apply / undo / discard buttons, and the template files.

Views parse input and call the services (civicgrid/imports/services.py); every run is read
through `restrict()`, so one outside the reader's area answers 404 like a missing one. The
report shows counts, column names, row numbers and reasons — never a cell's value.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from civicgrid.areas.models import Area
from civicgrid.core.access import access, has_permission
from civicgrid.core.errors import RuleViolation
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import request_page
from civicgrid.core.xlsx import column_widths, header_row, workbook_bytes
from civicgrid.imports import services
from civicgrid.imports.forms import IMPORT_LEVELS, UploadForm, VersionForm
from civicgrid.imports.models import ImportRun, ImportStatus, Outcome, StagedRow
from civicgrid.imports.profiles import PROFILES

RUNS_PER_PAGE = 30
ROWS_PER_PAGE = 100
RUNNING = (ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.APPLYING,
           ImportStatus.UNDOING)


def _run(request: HttpRequest, pk: int) -> ImportRun:
    run = (ImportRun.objects.restrict(request.user).select_related(
        "area", "created_by", "applied_by", "undone_by").filter(pk=pk).first())
    if run is None:
        raise Http404
    return run


@access("imports.importrun.view")
def runs_view(request):
    """Every import of the reader's areas, newest first."""
    runs = ImportRun.objects.restrict(request.user).select_related("area", "created_by")
    page = request_page(request, runs, ["-id"], RUNS_PER_PAGE)
    return render(request, "imports/runs.html", {
        "page": page, "can_add": has_permission(request.user, "imports.importrun.add"),
        "can_export": has_permission(request.user, "imports.export.view"),
        "can_quality": has_permission(request.user, "registry.gridfigures.view"),
        "profiles": [p for p in PROFILES.values() if p.template]})


def _areas(request: HttpRequest):
    return Area.objects.restrict(request.user).filter(level__in=IMPORT_LEVELS[:3]).order_by(
        "code")


@access("imports.importrun.add")
def upload_view(request):
    form = UploadForm(request.POST or None, request.FILES or None, areas=_areas(request))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.import_upload(
                area=form.cleaned_data["area"], profile=form.cleaned_data["profile"],
                mode=form.cleaned_data["mode"], file_name=upload.name, content=upload,
                actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except PermissionDenied:
            form.add_error("area", _("您无权向该区域导入数据。"))
        else:
            return redirect("imports:run", pk=run.pk)
    return render(request, "imports/upload.html", {
        "form": form, "profiles": [p for p in PROFILES.values() if p.template]})


def _report(run: ImportRun) -> dict[str, object]:
    counts = run.counts or {}
    return {
        "outcomes": [(value, label, counts.get(value, 0)) for value, label in Outcome.choices],
        "to_write": counts.get(Outcome.NEW, 0) + counts.get(Outcome.CHANGED, 0),
        "percent": (100 * run.rows_done // run.rows_total) if run.rows_total else 0,
    }


@access("imports.importrun.view", model=ImportRun, lookup={"pk": "pk"})
def run_view(request, pk: int):
    run = _run(request, pk)
    rejected = StagedRow.objects.filter(run=run, outcome=Outcome.REJECTED).order_by(
        "row_number")[:20]
    may_apply = (has_permission(request.user, "imports.importrun.apply")
                 and run.status == ImportStatus.CHECKED)
    return render(request, "imports/run.html", {
        "run": run, **_report(run), "rejected": rejected, "running": run.status in RUNNING,
        "profile": PROFILES.get(run.profile), "may_apply": may_apply,
        "may_discard": (has_permission(request.user, "imports.importrun.add")
                        and run.status in (ImportStatus.CHECKED, ImportStatus.FAILED)
                        and not run.changes.exists()),
        "may_undo": (has_permission(request.user, "imports.importrun.apply")
                     and run.status in (ImportStatus.APPLIED, ImportStatus.FAILED)
                     and run.changes.exists()),
        "field_changes": sorted((run.report or {}).get("field_changes", {}).items())})


@access("imports.importrun.view", model=ImportRun, lookup={"pk": "pk"})
def progress_view(request, pk: int):
    """The progress bar (htmx, every second while the run works); once it is done the page
    reloads to show the report."""
    run = _run(request, pk)
    if run.status not in RUNNING:
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/partials/progress.html", {"run": run, **_report(run)})


@access("imports.importrun.view", model=ImportRun, lookup={"pk": "pk"})
def rows_view(request, pk: int):
    """The rows of one outcome (row number, outcome, fields that differ, reason)."""
    run = _run(request, pk)
    outcome = request.GET.get("outcome", Outcome.REJECTED)
    if outcome not in Outcome.values:
        outcome = Outcome.REJECTED
    rows = StagedRow.objects.filter(run=run, outcome=outcome).only(
        "row_number", "outcome", "changes", "reason")
    page = request_page(request, rows, ["row_number"], ROWS_PER_PAGE)
    context = {"run": run, "page": page, "outcome": outcome,
               "outcome_label": Outcome(outcome).label,
               "more_url": reverse("imports:rows", args=[run.pk]),
               "outcomes": Outcome.choices}
    if is_htmx(request):
        return render(request, "imports/partials/row_list.html", context)
    return render(request, "imports/rows.html", context)


def _act(request: HttpRequest, pk: int, action, done: str):
    run = _run(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请求无效,请刷新后重试。"))
        return redirect("imports:run", pk=run.pk)
    try:
        action(run=run, actor=request.user, version=form.cleaned_data["version"])
    except PermissionDenied as exc:
        raise Http404 from exc
    except (RuleViolation, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("imports:run", pk=run.pk)


@require_POST
@access("imports.importrun.apply", model=ImportRun, lookup={"pk": "pk"})
def apply_view(request, pk: int):
    return _act(request, pk, services.import_apply, _("已开始导入。"))


@require_POST
@access("imports.importrun.apply", model=ImportRun, lookup={"pk": "pk"})
def undo_view(request, pk: int):
    return _act(request, pk, services.import_undo, _("已开始撤销。"))


@require_POST
@access("imports.importrun.add", model=ImportRun, lookup={"pk": "pk"})
def discard_view(request, pk: int):
    return _act(request, pk, services.import_discard, _("已放弃该导入。"))


@access("imports.importrun.view", example={"profile": "civicgrid-people"})
def template_view(request, profile: str):
    """civicgrid's own template of a kind: the header row and a sample line."""
    chosen = PROFILES.get(profile)
    if chosen is None or not chosen.template:
        raise Http404
    headers, sample = services.template_rows(chosen)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(chosen.label)[:31]
    header_row(sheet, headers)
    sheet.append(sample)
    column_widths(sheet, [max(10, 2 * len(h) + 2) for h in headers])
    response = HttpResponse(
        workbook_bytes(book),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{chosen.code}.xlsx"'
    return response
