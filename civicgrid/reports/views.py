"""Pages of the reports app: the weekly, monthly and quarterly analysis reports of an area,
the monthly safety data release (internal, with the publish step) and its public version.

Views parse input and call a selector or the service. Every selector takes the reader and
checks the scope itself: an area outside the reader's jurisdiction answers 404 like a
missing one.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import area_breadcrumbs, area_for
from civicgrid.core.access import access
from civicgrid.reports import exports
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.selectors import (
    RELEASE_LEVELS,
    RELEASE_MEASURES,
    AnalysisReport,
    ReleaseView,
    analysis_report,
    category_index,
    public_release,
    public_release_for,
    public_releases,
    release_data,
    release_label,
    release_month,
    release_published,
    release_versions,
    release_view,
    releases_in_scope,
    report_areas,
    report_children,
    report_span,
)
from civicgrid.reports.services import (
    CORRECTION_NOTE_MAX,
    release_correct,
    release_differs,
    release_digest,
    release_may_publish,
    release_publish,
)

KIND_LABELS = {"weekly": gettext_lazy("周报"), "monthly": gettext_lazy("月报"),
               "quarterly": gettext_lazy("季度分析")}
SPAN_PARAM = {"weekly": "week", "monthly": "period", "quarterly": "period"}


def _area(request: HttpRequest, code: str) -> Area:
    try:
        return area_for(actor=request.user, code=code)
    except Area.DoesNotExist as exc:
        raise Http404 from exc


def _file(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- index -------------------------------------------------------------------------------

@access("reports.report.view")
def report_index_view(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {
        "groups": report_areas(actor=request.user), "kinds": list(KIND_LABELS.items()),
        "release_levels": RELEASE_LEVELS,
        "releases": releases_in_scope(actor=request.user),
    })


# --- analysis reports --------------------------------------------------------------------

def _report(request: HttpRequest, code: str, kind: str) -> AnalysisReport:
    area = _area(request, code)
    try:
        span = report_span(kind, request.GET.get(SPAN_PARAM[kind], ""))
    except ValueError as exc:
        raise Http404 from exc
    return analysis_report(area=area, span=span, actor=request.user)


def _report_filename(report: AnalysisReport, ext: str) -> str:
    return f"{report.area.name}-{KIND_LABELS[report.span.kind]}-{report.span.key}.{ext}"


@access("reports.report.view", model=Area, lookup={"code": "code"})
def report_view(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    report = _report(request, code, kind)
    span = report.span
    today = timezone.localdate()
    following = span.shifted(1)
    param = SPAN_PARAM[kind]
    context = {
        "report": report,
        "tables": {table.key: table for table in report.tables},
        "kind": kind,
        "kinds": list(KIND_LABELS.items()),
        "param": param,
        "previous_key": span.previous.key,
        "next_key": following.key if following.start <= today else "",
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=report.area),
        "children": report_children(actor=request.user, area=report.area),
        "has_release": report.area.level in RELEASE_LEVELS,
        "charts": report.charts,
    }
    return render(request, "reports/report.html", context)


@access("reports.report.view", model=Area, lookup={"code": "code"})
def report_xlsx_view(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    report = _report(request, code, kind)
    return _private(_file(exports.report_xlsx(report), exports.XLSX_TYPE,
                          _report_filename(report, "xlsx")))


@access("reports.report.view", model=Area, lookup={"code": "code"})
def report_pdf_view(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    report = _report(request, code, kind)
    return _private(_file(exports.report_pdf(report), "application/pdf",
                          _report_filename(report, "pdf")))


# --- the monthly safety data release -----------------------------------------------------

def _release_month(text: str) -> date:
    try:
        return release_month(text)
    except ValueError as exc:
        raise Http404 from exc


def _published_text(release: MonthlyRelease | None, *, staff: bool) -> str:
    if release is None:
        return ""
    when = timezone.localtime(release.published_at).strftime("%Y-%m-%d %H:%M")
    if staff and release.published_by is not None:
        text = _("已于%(when)s由%(who)s发布") % {"when": when, "who": release.published_by}
    else:
        text = _("发布时间:%(when)s") % {"when": when}
    if release.version > 1:
        text = _("更正版(第%(version)s版),%(text)s;更正说明:%(note)s") % {
            "version": release.version, "text": text, "note": release.correction_note}
    return text


def _release(request: HttpRequest, code: str) -> tuple[Area, date, MonthlyRelease | None,
                                                       ReleaseView]:
    area = _area(request, code)
    if area.level not in RELEASE_LEVELS:
        raise Http404
    month = _release_month(request.GET.get("month", ""))
    public = request.GET.get("version") == "public"
    published = release_published(actor=request.user, area=area, month=month)
    if published is not None:
        snapshot = published.snapshot
        data = snapshot["public"] if public else snapshot["internal"]
    else:
        data = release_data(actor=request.user, area=area, month=month)
    # The area is in the reader's jurisdiction (release_data checked it), so the case list
    # behind each count shows all of it: link every count of the internal version.
    view = release_view(data, public=public, index=None if public else category_index())
    return area, month, published, view


def _release_filename(view: ReleaseView, ext: str) -> str:
    suffix = _("公开版") if view.public else _("内部版")
    return f"{_('平安数据')}-{view.area_name}-{view.month}-{suffix}.{ext}"


@access("reports.report.view", model=Area, lookup={"code": "code"})
def release_page_view(request: HttpRequest, code: str) -> HttpResponse:
    area, month, published, view = _release(request, code)
    this_month = timezone.localdate().replace(day=1)
    complete = month < this_month
    context = {
        "area": area,
        "view": view,
        "measures": [release_label(m) for m in RELEASE_MEASURES],
        "month_key": f"{month:%Y-%m}",
        "published": published,
        "published_text": _published_text(published, staff=True),
        "complete": complete,
        "can_publish": (published is None and complete and area.level == Level.COUNTY
                        and release_may_publish(district=area, actor=request.user)),
        "versions": (release_versions(actor=request.user, area=area, month=month)
                     if published else []),
        "correction": _correction(area, month, published, request.user),
        "correction_note": request.session.pop("release_correction_note", ""),
        "previous_key": f"{_shift(month, -1):%Y-%m}",
        "next_key": f"{_shift(month, 1):%Y-%m}" if _shift(month, 1) <= this_month else "",
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=area),
        "kinds": list(KIND_LABELS.items()),
        "notes": exports.release_notes(view, suppression=True),
        "public_url": (f"{reverse('reports:public_release')}?district={area.code}"
                       f"&month={month:%Y-%m}" if published and published.public else ""),
    }
    return render(request, "reports/release.html", context)


def _correction(area: Area, month: date, published: MonthlyRelease | None, user) -> dict | None:
    """For those who may publish a published month: whether its numbers have changed since
    (late or corrected cases), so that a correction may be published."""
    if published is None or not release_may_publish(district=area, actor=user):
        return None
    live = release_data(actor=user, area=area, month=month)
    return {"changed": release_differs(published, live), "max_length": CORRECTION_NOTE_MAX}


def _shift(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@access("reports.report.view", model=Area, lookup={"code": "code"})
def release_xlsx_view(request: HttpRequest, code: str) -> HttpResponse:
    _area_, _month, published, view = _release(request, code)
    data = exports.release_xlsx(view, published=_published_text(published, staff=True))
    return _private(_file(data, exports.XLSX_TYPE, _release_filename(view, "xlsx")))


@access("reports.report.view", model=Area, lookup={"code": "code"})
def release_pdf_view(request: HttpRequest, code: str) -> HttpResponse:
    _area_, _month, published, view = _release(request, code)
    data = exports.release_pdf(view, published=_published_text(published, staff=True))
    return _private(_file(data, "application/pdf", _release_filename(view, "pdf")))


def _posted_month(text: str) -> date:
    if not text:
        raise ValidationError(_("请选择要发布的月份。"))
    try:
        return release_month(text)
    except ValueError as exc:
        raise ValidationError(_("月份无效。")) from exc


@access("reports.monthlyrelease.publish", model=Area, lookup={"code": "code"})
@require_http_methods(["GET", "POST"])
def release_publish_view(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the confirmation page — exactly what publishing freezes and, when asked for,
    what becomes public (withheld cells marked). POST: publish what was confirmed (the
    service refuses when the numbers changed since the page was shown)."""
    area = _area(request, code)
    target = reverse("reports:release", args=[area.code])
    params = request.POST if request.method == "POST" else request.GET
    text = params.get("month", "").strip()
    public = params.get("public") == "1"
    back = f"{target}?month={text}" if text else target
    try:
        month = _posted_month(text)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if request.method == "GET":
        return _release_confirm(request, area, month, public=public, back=back)
    try:
        release = release_publish(district=area, month=month, actor=request.user,
                                  public=public, expected=request.POST.get("digest", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(request, _("已发布%(area)s %(month)s的平安数据。")
                     % {"area": area.name, "month": release.month_key})
    return redirect(f"{target}?month={release.month_key}")


def _release_confirm(request: HttpRequest, area: Area, month: date, *, public: bool,
                     back: str) -> HttpResponse:
    """The confirmation page (nothing is written): the numbers as they would be frozen."""
    if (area.level != Level.COUNTY or month >= timezone.localdate().replace(day=1)
            or release_published(actor=request.user, area=area, month=month) is not None
            or not release_may_publish(district=area, actor=request.user)):
        messages.error(request, _("该月的平安数据不能发布(已经发布、月份未结束或不是区县)。"))
        return redirect(back)
    data = release_data(actor=request.user, area=area, month=month)
    internal = release_view(data, public=False)
    published = release_view(public_release(data), public=True)
    return _private(render(request, "reports/release_confirm.html", {
        "area": area,
        "month_key": f"{month:%Y-%m}",
        "internal": internal,
        "public_view": published,
        "public": public,
        "digest": release_digest(data, public=public),
        "back": back,
        "breadcrumbs": area_breadcrumbs(actor=request.user, area=area),
    }))


@access("reports.monthlyrelease.publish", model=Area, lookup={"code": "code"})
@require_POST
def release_correct_view(request: HttpRequest, code: str) -> HttpResponse:
    area = _area(request, code)
    text = request.POST.get("month", "").strip()
    target = reverse("reports:release", args=[area.code])
    try:
        release = release_correct(district=area, month=_posted_month(text), actor=request.user,
                                  note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        # What was typed is kept: the form shows it again.
        # (The service refused a note over CORRECTION_NOTE_MAX: the whole text comes back
        # for the person to shorten; only a flood far past any note is not kept.)
        request.session["release_correction_note"] = request.POST.get("note", "")[:20000]
        return redirect(f"{target}?month={text}" if text else target)
    messages.success(request, _("已发布%(area)s %(month)s平安数据的更正版(第%(version)s版)。")
                     % {"area": area.name, "month": release.month_key,
                        "version": release.version})
    return redirect(f"{target}?month={release.month_key}")


# --- public ------------------------------------------------------------------------------

def _public(response: HttpResponse) -> HttpResponse:
    """A published file is the same for everyone (the pages carry a CSRF token: not cached)."""
    patch_cache_control(response, public=True, max_age=300)
    return response


@access(public=True)
def public_index_view(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/public_index.html", {"releases": public_releases()})


def _public_release(request: HttpRequest) -> tuple[MonthlyRelease, ReleaseView] | None:
    district = request.GET.get("district", "").strip()
    text = request.GET.get("month", "").strip()
    if not district or not text:
        return None
    month = _release_month(text)
    release = public_release_for(district_code=district, month=month)
    if release is None:
        raise Http404
    return release, release_view(release.snapshot["public"], public=True)


@access(public=True)
def public_release_view(request: HttpRequest) -> HttpResponse:
    found = _public_release(request)
    if found is None:
        return redirect("reports:public_index")
    release, view = found
    return render(request, "reports/public_release.html", {
        "release": release, "view": view, "published_text": _published_text(
            release, staff=False), "notes": exports.release_notes(view)})


@access(public=True)
def public_release_xlsx_view(request: HttpRequest) -> HttpResponse:
    found = _public_release(request)
    if found is None:
        return redirect("reports:public_index")
    release, view = found
    data = exports.release_xlsx(view, published=_published_text(release, staff=False))
    return _public(_file(data, exports.XLSX_TYPE, _release_filename(view, "xlsx")))


@access(public=True)
def public_release_pdf_view(request: HttpRequest) -> HttpResponse:
    found = _public_release(request)
    if found is None:
        return redirect("reports:public_index")
    release, view = found
    data = exports.release_pdf(view, published=_published_text(release, staff=False))
    return _public(_file(data, "application/pdf", _release_filename(view, "pdf")))

