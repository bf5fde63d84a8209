"""Pages of the resident portal: public (no sign-in), phone first.

Views parse input and call a selector or a service; the abuse limits (per client address,
in the cache) are checked here because they are about requests, not about cases.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.audit.context import client_ip
from civicgrid.cases.forms import attribute_rows, attribute_values
from civicgrid.cases.models import Category
from civicgrid.core.access import access
from civicgrid.portal import limits
from civicgrid.portal.forms import HONEYPOT, RatingForm, ReportForm, TrackForm
from civicgrid.portal.selectors import (
    case_by_tracking,
    case_from_token,
    grid_features,
    public_status,
    status_token,
)
from civicgrid.portal.services import portal_categories, portal_rate, portal_report


def _private(response: HttpResponse) -> HttpResponse:
    """Nothing a resident typed or saw is kept by shared caches."""
    add_never_cache_headers(response)
    return response


@access(public=True)
def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@access(public=True)
@require_GET
def grids_view(request: HttpRequest) -> HttpResponse:
    """Grid boundaries and names for the report map; nothing else about an area."""
    response = JsonResponse(grid_features(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    return response


def _category(raw: str) -> Category | None:
    return portal_categories().filter(pk=int(raw)).first() if raw.isdigit() else None


@access(public=True)
@require_GET
def report_attributes_view(request: HttpRequest) -> HttpResponse:
    """The chosen category's questions (htmx partial), like the staff intake form's."""
    category = _category(request.GET.get("category", ""))
    return render(request, "cases/partials/attributes.html",
                  {"attributes": attribute_rows(category, None, {})})


def _apply_errors(exc: ValidationError, form: ReportForm, attribute_errors: dict[str, str],
                  photo_errors: list[str]) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        if key.startswith("attribute_"):
            attribute_errors[key] = " ".join(errors)
        elif key == "attachments":
            photo_errors.extend(errors)
        elif key in form.fields:
            form.add_error(key, errors)
        elif key == "parties":
            form.add_error("phone", errors)
        else:
            form.add_error(None, errors)


@access(public=True)
def report_view(request: HttpRequest) -> HttpResponse:
    attribute_errors: dict[str, str] = {}
    photo_errors: list[str] = []
    category = None
    status = 200
    address = client_ip(request)
    limit = {"limit": settings.PORTAL_REPORT_LIMIT, "window": settings.PORTAL_REPORT_WINDOW}
    if request.method == "POST":
        form = ReportForm(request.POST)
        photos = request.FILES.getlist("photos")
        category = _category(request.POST.get("category", ""))
        room = limits.peek("report", address, **limit)
        status = 400
        if not room.allowed:
            status = 429
            form.is_valid()
            form.errors.clear()
            form.add_error(None, _("提交过于频繁,请 %(n)d 分钟后再试。已填写的内容仍保留在下方。")
                           % {"n": room.retry_minutes})
        elif request.POST.get(HONEYPOT, "").strip():
            # Filled by a bot (people cannot see the field). A generic error rather than a
            # fake success: a browser that autofilled it must not leave a real resident
            # with a tracking number that does not exist. It counts towards the limit.
            limits.hit("report", address, **limit)
            form.is_valid()
            form.errors.clear()
            form.add_error(None, _("提交未成功,请检查后重试。"))
        elif form.is_valid():
            data = form.cleaned_data
            category = data["category"]
            try:
                case = portal_report(
                    category=category, description=data["description"],
                    attributes=attribute_values(category, request.POST),
                    area=data.get("community"), lng=data.get("lng"), lat=data.get("lat"),
                    address=data.get("address", ""), name=data.get("name", ""),
                    phone=data.get("phone", ""), photos=photos)
            except ValidationError as exc:
                _apply_errors(exc, form, attribute_errors, photo_errors)
            else:
                limits.hit("report", address, **limit)
                return redirect("portal:report_done", token=status_token(case))
        if photos:
            photo_errors.append(_("已选择的 %(n)d 张照片没有保存:出错后浏览器不能保留所选文件,"
                                  "请重新选择。") % {"n": len(photos)})
    else:
        form = ReportForm()
    context = {
        "form": form, "photo_errors": photo_errors,
        "attributes": attribute_rows(category, request.POST if request.method == "POST"
                                     else None, attribute_errors),
        "has_errors": status != 200,
        "grids_url": reverse("portal:grids"),
    }
    return _private(render(request, "portal/report.html", context, status=status))


@access(public=True)
def report_done_view(request: HttpRequest, token: str) -> HttpResponse:
    case = case_from_token(token)
    if case is None:
        raise Http404
    return _private(render(request, "portal/report_done.html", {
        "number": case.number, "token": token,
        "has_phone": case.parties.exclude(phone_last4="").exists()}))


@access(public=True)
def track_view(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        window = limits.hit("lookup", client_ip(request), limit=settings.PORTAL_LOOKUP_LIMIT,
                            window=settings.PORTAL_LOOKUP_WINDOW)
        if not window.allowed:
            status = 429
            form.is_valid()
            form.errors.clear()
            form.add_error(None, _("查询次数过多,请 %(n)d 分钟后再试。")
                           % {"n": window.retry_minutes})
        elif form.is_valid():
            case = case_by_tracking(number=form.cleaned_data["number"],
                                    last4=form.cleaned_data["last4"])
            if case is not None:
                return redirect("portal:status", token=status_token(case))
            # Unknown number and wrong digits answer exactly alike.
            form.add_error(None, _("未找到,请核对编号和手机号后四位"))
    else:
        form = TrackForm(initial={"number": request.GET.get("number", "")[:24]})
    return _private(render(request, "portal/track.html", {"form": form}, status=status))


@access(public=True)
def status_view(request: HttpRequest, token: str) -> HttpResponse:
    case = case_from_token(token)
    if case is None:
        raise Http404
    rating_form = RatingForm()
    thanks = False
    if request.method == "POST":
        rating_form = RatingForm(request.POST)
        if rating_form.is_valid():
            try:
                portal_rate(case=case, rating=rating_form.cleaned_data["rating"],
                            comment=rating_form.cleaned_data["comment"],
                            source_ip=client_ip(request))
            except ValidationError as exc:
                for message in exc.messages:
                    rating_form.add_error(None, message)
            else:
                return redirect(reverse("portal:status", args=[token]) + "?rated=1")
    else:
        thanks = request.GET.get("rated") == "1"
    return _private(render(request, "portal/status.html", {
        "s": public_status(case), "token": token, "rating_form": rating_form,
        "thanks": thanks}))
