"""Pages of the weekly checks and area warnings.

Every area is read through `area_for` (civicgrid/areas/readers.py) and every selector takes
the reader and checks the scope itself, so an area outside the user's jurisdiction answers
404 exactly like one that does not exist. Views parse input
and call a selector or a service; each page runs a fixed number of queries.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.mapdata import (
    fit_param,
    map_response,
    simplify_features,
    simplify_geometry,
    zoom_param,
)
from civicgrid.areas.maplayers import map_layers
from civicgrid.areas.models import Area
from civicgrid.areas.readers import area_breadcrumbs, area_for
from civicgrid.areas.selectors import area_roots, label_point
from civicgrid.core.access import access, has_permission
from civicgrid.warnings import selectors
from civicgrid.warnings.forms import WeeklyCheckForm
from civicgrid.warnings.models import EVALUATED_LEVELS, CheckConflict, StatusColour
from civicgrid.warnings.services import (
    check_conflict_resolve,
    weekly_check_remind,
    weekly_check_submit,
)
from civicgrid.warnings.weeks import (
    WEEK,
    current_week,
    due_at,
    last_due_week,
    local_date,
    week_end,
    week_of,
)


def _area(request: HttpRequest, code: str) -> Area:
    try:
        return area_for(actor=request.user, code=code)
    except Area.DoesNotExist as exc:
        raise Http404 from exc


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _parse_month(text: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01") if text else None
    except ValueError:
        return None


def _week_param(request: HttpRequest, name: str = "week") -> date | None:
    day = _parse_date(request.GET.get(name) or request.POST.get(name))
    return week_of(day) if day else None


# --- weekly checks ---------------------------------------------------------------------------

@access("warnings.weeklycheck.view")
def checks_home_view(request):
    """Where a user starts: the areas they report for, and the overviews of their areas."""
    user = request.user
    can_add = has_permission(user, "warnings.weeklycheck.add")
    reportable = selectors.reportable_areas(actor=user) if can_add else []
    now = timezone.now()
    states = [(area, selectors.recent_weeks(actor=user, area=area, weeks=2, now=now))
              for area in reportable[:20]]
    roots = [a for a in area_roots(actor=user)[:50] if a.level in EVALUATED_LEVELS]
    if not reportable and len(roots) == 1:
        return redirect("warnings:overview", code=roots[0].code)
    return render(request, "warnings/checks_home.html", {
        "reportable": states, "roots": roots, "can_add": can_add,
        "settings": selectors.check_settings(), "this_week": current_week(now)})


@access("warnings.weeklycheck.view", model=Area, lookup={"code": "code"})
def check_report_view(request, code: str):
    """An area's weekly check for one week: the form (prefilled with the last submission)
    for the people who submit, the submission and its revisions for everyone."""
    area = _area(request, code)
    user = request.user
    now = timezone.now()
    can_submit = has_permission(user, "warnings.weeklycheck.add")
    week = _week_param(request) or selectors.default_report_week(actor=user, area=area,
                                                                             now=now)
    this_week = current_week(now)
    if week > this_week:
        week = this_week
    cfg = selectors.check_settings()
    check = selectors.weekly_check(actor=user, area=area, week=week)
    expected = selectors.reporter_expected(actor=user, area=area, week=week)
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = WeeklyCheckForm(request.POST)
        if form.is_valid():
            try:
                saved = weekly_check_submit(area=area, week=form.cleaned_data["week"],
                                            data=form.to_input(), actor=user)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if saved.revision > 1:
                    messages.success(request, _("已更新本周排查(第 %(n)s 次报送)。")
                                     % {"n": saved.revision})
                else:
                    messages.success(request, _("已报送本周排查。"))
                return redirect(reverse("warnings:report", args=[area.code])
                                + f"?week={saved.week:%Y-%m-%d}")
    else:
        initial = {"week": week}
        if check is not None:
            initial.update(disputes_found=check.disputes_found or None,
                           resolved_on_spot=check.resolved_on_spot or None,
                           risk_points=check.risk_points or None, notes=check.notes,
                           is_zero=check.is_zero)
        form = WeeklyCheckForm(initial=initial)
    due = due_at(week, cfg)
    return render(request, "warnings/check_report.html", {
        "area": area, "breadcrumbs": area_breadcrumbs(actor=request.user, area=area), "week": week,
        "week_end": week_end(week), "due": due, "past_due": now > due, "check": check,
        "revisions": selectors.check_revisions(actor=user, check=check) if check else [],
        "conflicts": selectors.check_conflicts(actor=user, check=check) if check else [],
        "can_resolve": has_permission(user, "warnings.weeklycheck.resolve"),
        "expected": expected, "can_submit": can_submit and expected, "form": form,
        "recent": selectors.recent_weeks(actor=user, area=area, weeks=8, now=now),
        "previous_week": week - WEEK, "next_week": week + WEEK if week < this_week else None,
        "can_overview": area.level in EVALUATED_LEVELS,
    })


@access("warnings.weeklycheck.view", model=Area, lookup={"code": "code"})
def check_overview_view(request, code: str):
    """Completeness and timeliness of an area and its children for a week or a month; the
    missing reporters of the week, with a reminder button for supervisors."""
    area = _area(request, code)
    now = timezone.now()
    cfg = selectors.check_settings()
    month = _parse_month(request.GET.get("month"))
    week = None if month else (_week_param(request) or last_due_week(now, cfg))
    if week is not None and week > current_week(now):
        week = current_week(now)
    overview = selectors.check_overview(actor=request.user, area=area, week=week,
                                        month=month, now=now)
    this_month = local_date(now).replace(day=1)
    context = {
        "area": area, "breadcrumbs": area_breadcrumbs(actor=request.user, area=area), "o": overview,
        "can_remind": has_permission(request.user, "warnings.weeklycheck.remind"),
        "can_add": has_permission(request.user, "warnings.weeklycheck.add"),
        "now": now,
    }
    if week is not None:
        context.update(week_end=week_end(week), previous_week=week - WEEK,
                       next_week=week + WEEK if week < current_week(now) else None,
                       week_month=week.replace(day=1), past_due=now > due_at(week, cfg))
    else:
        assert month is not None
        previous_month = (month - timedelta(days=1)).replace(day=1)
        next_month = (month + timedelta(days=32)).replace(day=1)
        context.update(previous_month=previous_month,
                       next_month=next_month if next_month <= this_month else None)
    return render(request, "warnings/check_overview.html", context)


@access("warnings.weeklycheck.remind", model=Area, lookup={"code": "code"})
@require_POST
def check_remind_view(request, code: str):
    """催报: notices to the people of every missing reporter of the area's subtree."""
    area = _area(request, code)
    now = timezone.now()
    week = _week_param(request) or last_due_week(now, selectors.check_settings())
    try:
        report = weekly_check_remind(area=area, week=week, actor=request.user, now=now)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if report.areas:
            messages.success(request, _("已提醒 %(areas)s 个未报单位(%(notices)s 条通知)。")
                             % {"areas": report.areas, "notices": report.notices})
        else:
            messages.info(request, _("没有需要提醒的未报单位(12小时内已提醒过的不再重复提醒)。"))
    return redirect(reverse("warnings:overview", args=[area.code]) + f"?week={week:%Y-%m-%d}")


@access("warnings.weeklycheck.resolve", model=CheckConflict,
        lookup={"code": "check_row.area_code", "conflict_id": "pk"})
@require_POST
def check_conflict_view(request, code: str, conflict_id: int):
    """A supervisor keeps one of two values of a field edited apart (offline phones)."""
    area = _area(request, code)
    conflict = CheckConflict.objects.filter(pk=conflict_id, check_row__area=area).first()
    if conflict is None:
        raise Http404
    try:
        check_conflict_resolve(conflict=conflict, take=request.POST.get("take", ""),
                               actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已裁定:%(field)s 保留所选的值。")
                         % {"field": conflict.get_field_display()})
    return redirect(reverse("warnings:report", args=[area.code])
                    + f"?week={conflict.check_row.week:%Y-%m-%d}")


# --- area warnings -----------------------------------------------------------------------------

@access("warnings.areastatus.view")
def status_home_view(request):
    roots = list(area_roots(actor=request.user)[:50])
    if len(roots) == 1:
        return redirect("warnings:status", code=roots[0].code)
    return render(request, "warnings/status_home.html", {"roots": roots})


@access("warnings.areastatus.view", model=Area, lookup={"code": "code"})
def status_view(request, code: str):
    """The area's status with its reasons and history, a map of its children coloured by
    status, and every yellow or red area below it with the reasons."""
    area = _area(request, code)
    latest = selectors.latest_status_day()
    day = _parse_date(request.GET.get("day")) or latest
    only = request.GET.get("only", "")
    warnings, warnings_total = selectors.status_warnings(actor=request.user, area=area,
                                                          day=day, only=only)
    history = selectors.status_history(actor=request.user, area=area, days=90)
    status = next((s for s in history if s.day == day), None) if day else None
    map_url = reverse("warnings:status_map", args=[area.code])
    if day and day != latest:
        map_url += f"?day={day:%Y-%m-%d}"
    return render(request, "warnings/status.html", {
        "area": area, "breadcrumbs": area_breadcrumbs(actor=request.user, area=area), "day": day,
        "latest": latest, "status": status,
        "reason_texts": [selectors.reason_text(r) for r in status.reasons] if status else [],
        "warnings": warnings, "warnings_total": warnings_total, "only": only,
        "day_query": f"day={day:%Y-%m-%d}&" if day and day != latest else "",
        "counts": selectors.status_counts(actor=request.user, area=area, day=day),
        "history": history, "changes": [s for s in history if s.previous_status != s.status
                                         and (s.previous_status or s.status != "green")],
        "evaluated": area.level in EVALUATED_LEVELS, "map_url": map_url,
        "map_layers": map_layers(request.user, area),
        "colours": StatusColour,
    })


@access("warnings.areastatus.view", model=Area, lookup={"code": "code"})
def status_map_view(request, code: str):
    """GeoJSON of the area's children with their status (for the status map)."""
    area = _area(request, code)
    data = selectors.area_status_features(actor=request.user, parent=area,
                                          day=_parse_date(request.GET.get("day")))
    # Where the map writes each name (the children are readable: the parent is).
    points = {child: (lng, lat) for child, lng, lat in Area.objects.filter(
        parent=area).values_list("code", "centroid_lng", "centroid_lat")}
    for feature in data["features"]:
        lng, lat = points.get(feature["properties"]["code"], (None, None))
        feature["properties"]["label"] = label_point(lng, lat, feature["geometry"])
    simplify_features(data, zoom=zoom_param(request), fit=fit_param(request),
                      extra=[area.boundary])
    data["area"] = {"code": area.code, "name": area.name,
                    "boundary": simplify_geometry(area.boundary, data["zoom"])}
    return map_response(request, data, public=False)
