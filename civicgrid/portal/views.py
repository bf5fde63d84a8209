"""Pages of the resident portal: public (no sign-in), phone first.

Views parse input and call a selector or a service; the abuse limits (per client address,
phone, tracking code and case, in the cache: core/limits.py) are checked here because
they are about requests, not about cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.areas.mapdata import (
    bbox_param,
    buildings_collection,
    fit_param,
    map_response,
    zoom_param,
)
from civicgrid.areas.selectors import roads_in_view
from civicgrid.audit.context import client_ip
from civicgrid.cases.forms import attribute_rows, attribute_values
from civicgrid.cases.models import Case, Category
from civicgrid.cases.services import party_search_hashes
from civicgrid.core import limits
from civicgrid.core.access import access
from civicgrid.core.crypto import keyed_hash
from civicgrid.core.tracking import format_tracking_code
from civicgrid.portal.forms import HONEYPOT, RatingForm, ReportForm, TrackForm
from civicgrid.portal.selectors import (
    case_by_tracking,
    case_from_rating_link,
    case_from_token,
    grid_features_for_map,
    map_buildings_in,
    map_labels,
    public_status,
    status_token,
)
from civicgrid.portal.services import (
    ProofRefused,
    RatingProof,
    portal_categories,
    portal_rate,
    portal_report,
    portal_send_rating_link,
)


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
    """Grid boundaries and names for the report map; nothing else about an area. Simplified
    for `zoom` or `fit` and compressed (civicgrid/areas/mapdata.py)."""
    data = grid_features_for_map(zoom=zoom_param(request), fit=fit_param(request))
    return map_response(request, data, public=True)


@access(public=True)
@require_GET
def map_labels_view(request: HttpRequest) -> HttpResponse:
    """The names of the portal area's streets and communities, for the report map."""
    return map_response(request, {"labels": map_labels()}, public=True)


@access(public=True, example={"bbox": "120.80,31.90,120.85,31.95"})
@require_GET
def map_buildings_view(request: HttpRequest) -> HttpResponse:
    """Buildings inside `bbox` (required) as a street sign names them: name, number."""
    bbox = bbox_param(request)
    if bbox is None:
        raise BadRequest("bbox is required")
    return map_response(request, buildings_collection(*map_buildings_in(bbox)), public=True)


@access(public=True, example={"bbox": "120.80,31.90,120.85,31.95", "zoom": "15"})
@require_GET
def map_roads_view(request: HttpRequest) -> HttpResponse:
    """The imported roads crossing `bbox` (required), simplified for `zoom`."""
    bbox = bbox_param(request)
    if bbox is None:
        raise BadRequest("bbox is required")
    return map_response(request, roads_in_view(bbox=bbox, zoom=zoom_param(request)),
                        public=True)


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


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    window: limits.Window


def _refuse(response: HttpResponse, refusal: Refusal | None) -> HttpResponse:
    if refusal is not None:
        response["Retry-After"] = str(refusal.window.retry_after)
    return _private(response)


def _report_refusal(request: HttpRequest) -> Refusal | None:
    """Check and count this report attempt in one step, before anything else is done with
    it: per client address (generous: a carrier NAT or a community office is many people),
    per applicant phone (by its keyed hash, never the number), then across all addresses
    (an anomaly: the system is flooded). Each refusal stops the count there, so attempts
    refused per address or phone do not fill the global window."""
    window = limits.hit("report", client_ip(request), limit=settings.PORTAL_REPORT_LIMIT,
                        window=settings.PORTAL_REPORT_WINDOW)
    if not window.allowed:
        return Refusal(429, _("从您的网络提交过于频繁,请 %(n)d 分钟后(%(time)s 以后)再试。"
                              "已填写的内容仍保留在下方。") % window.retry, window)
    phone_hash, _id_hash = party_search_hashes(phone=request.POST.get("phone", "")[:20])
    if phone_hash:
        window = limits.count("report-phone", phone_hash,
                              limit=settings.PORTAL_REPORT_PHONE_LIMIT,
                              window=settings.PORTAL_REPORT_PHONE_WINDOW)
        if not window.allowed:
            return Refusal(429, _("该手机号提交过于频繁,请 %(n)d 分钟后(%(time)s 以后)再试。"
                                  "已填写的内容仍保留在下方。") % window.retry, window)
    window = limits.count("report-all", "all", limit=settings.PORTAL_REPORT_GLOBAL_LIMIT,
                          window=settings.PORTAL_REPORT_GLOBAL_WINDOW)
    if not window.allowed:
        return Refusal(503, _("系统繁忙,请 %(n)d 分钟后(%(time)s 以后)再试。"
                              "已填写的内容仍保留在下方。") % window.retry, window)
    return None


@access(public=True)
def report_view(request: HttpRequest) -> HttpResponse:
    attribute_errors: dict[str, str] = {}
    photo_errors: list[str] = []
    category = None
    status = 200
    refusal = None
    if request.method == "POST":
        form = ReportForm(request.POST)
        photos = request.FILES.getlist("photos")
        category = _category(request.POST.get("category", ""))
        # Every attempt counts, before validation: refused, failed and bot attempts too.
        refusal = _report_refusal(request)
        status = 400
        if refusal is not None:
            status = refusal.status
            form.is_valid()
            form.errors.clear()
            form.add_error(None, refusal.message)
        elif request.POST.get(HONEYPOT, "").strip():
            # Filled by a bot (people cannot see the field). A generic error rather than a
            # fake success: a browser that autofilled it must not leave a real resident
            # with a tracking code that does not exist.
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
                    coordinate_system=data["coordinate_system"],
                    address=data.get("address", ""), name=data.get("name", ""),
                    phone=data.get("phone", ""), photos=photos)
            except ValidationError as exc:
                _apply_errors(exc, form, attribute_errors, photo_errors)
            else:
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
        "map_layers": {"labelsUrl": reverse("portal:map_labels"),
                       "buildingsUrl": reverse("portal:map_buildings"),
                       "roadsUrl": reverse("portal:map_roads")},
    }
    return _refuse(render(request, "portal/report.html", context, status=status), refusal)


@access(public=True)
def report_done_view(request: HttpRequest, token: str) -> HttpResponse:
    case = case_from_token(token)
    if case is None:
        raise Http404
    return _private(render(request, "portal/report_done.html", {
        "number": case.number, "tracking_code": format_tracking_code(case.tracking_code),
        "token": token, "has_phone": case.parties.exclude(phone_last4="").exists()}))


def _code_key(code: str) -> str:
    return keyed_hash(code, "portal-tracking-code")


@access(public=True)
def track_view(request: HttpRequest) -> HttpResponse:
    """Look a case up by its tracking code and the applicant's phone's last four digits.
    Limited per client address (every attempt) and per tracking code (wrong answers, from
    any address): a code guessed wrongly PORTAL_CODE_GUESS_LIMIT times is locked until its
    window ends, even for the right digits."""
    status = 200
    refusal = None
    if request.method == "POST":
        form = TrackForm(request.POST)
        window = limits.hit("lookup", client_ip(request), limit=settings.PORTAL_LOOKUP_LIMIT,
                            window=settings.PORTAL_LOOKUP_WINDOW)
        if not window.allowed:
            refusal = Refusal(429, _("查询次数过多,请 %(n)d 分钟后(%(time)s 以后)再试。")
                              % window.retry, window)
        elif form.is_valid():
            code, last4 = form.cleaned_data["code"], form.cleaned_data["last4"]
            # Counted before the look-up (atomic: concurrent guesses cannot all slip under
            # the limit), given back when the answer was right.
            guess = limits.count("code", _code_key(code), limit=settings.PORTAL_CODE_GUESS_LIMIT,
                                 window=settings.PORTAL_CODE_GUESS_WINDOW)
            if not guess.allowed:
                refusal = Refusal(429, _("该查询码核对错误次数过多,已暂时锁定,请 %(n)d 分钟后"
                                         "(%(time)s 以后)再试。") % guess.retry, guess)
            else:
                case = case_by_tracking(code=code, last4=last4)
                if case is not None:
                    limits.refund("code", _code_key(code))
                    return redirect("portal:status", token=status_token(case))
                # Unknown code and wrong digits answer exactly alike.
                form.add_error(None, _("未找到,请核对查询码和手机号后四位"))
        if refusal is not None:
            status = refusal.status
            form.is_valid()
            form.errors.clear()
            form.add_error(None, refusal.message)
    else:
        form = TrackForm(initial={"code": request.GET.get("code", "")[:24]})
    return _refuse(render(request, "portal/track.html", {"form": form}, status=status),
                   refusal)


def _rate(request: HttpRequest, case: Case, rating_form: RatingForm,
          link: str) -> Refusal | None:
    """Rate through the service; the full phone number typed counts as a guess on this case
    (given back when right), like the digits on the look-up."""
    key = f"case-{case.pk}"
    if not link:
        guess = limits.count("proof", key, limit=settings.PORTAL_CODE_GUESS_LIMIT,
                             window=settings.PORTAL_CODE_GUESS_WINDOW)
        if not guess.allowed:
            return Refusal(429, _("手机号核对错误次数过多,请 %(n)d 分钟后(%(time)s 以后)"
                                  "再试,或使用发送到手机的评价链接。") % guess.retry, guess)
    proof = RatingProof(link=link, phone="" if link else rating_form.cleaned_data["phone"])
    try:
        portal_rate(case=case, rating=rating_form.cleaned_data["rating"],
                    comment=rating_form.cleaned_data["comment"],
                    source_ip=client_ip(request), proof=proof)
    except ProofRefused as exc:
        for message in exc.messages:
            rating_form.add_error(None, message)
        return None
    except ValidationError as exc:
        for message in exc.messages:
            rating_form.add_error(None, message)
    if not link:
        limits.refund("proof", key)
    return None


def _send_link(request: HttpRequest, case: Case) -> Refusal | str:
    """Text the rating link to the applicant's phone (a few times a day per case at most:
    each message costs money and reaches a person)."""
    window = limits.count("rating-sms", f"case-{case.pk}",
                          limit=settings.PORTAL_RATING_SMS_LIMIT, window=24 * 3600)
    if not window.allowed:
        return Refusal(429, _("评价链接发送次数过多,请 %(n)d 分钟后(%(time)s 以后)再试。")
                       % window.retry, window)
    base_url = settings.PORTAL_PUBLIC_URL or request.build_absolute_uri("/")
    if not portal_send_rating_link(case=case, base_url=base_url,
                                   source_ip=client_ip(request) or "unknown"):
        return _("该事件暂不能发送评价链接。")
    return ""


@access(public=True)
def status_view(request: HttpRequest, token: str) -> HttpResponse:
    """The status page, opened by the status link (tracking code + last four digits) or by
    the rating link texted to the applicant's phone. Only the latter rates without the
    full phone number (portal_rate decides)."""
    link = ""
    case = case_from_token(token)
    if case is None:
        case = case_from_rating_link(token)
        if case is None:
            raise Http404
        link = token
    rating_form = RatingForm()
    thanks = sent = False
    refusal = None
    link_error = ""
    status = 200
    if request.method == "POST" and request.POST.get("action") == "send_link":
        result = _send_link(request, case)
        if result == "":
            return redirect(reverse("portal:status", args=[token]) + "?sent=1")
        if isinstance(result, Refusal):
            refusal, status, link_error = result, result.status, result.message
        else:
            status, link_error = 400, result
    elif request.method == "POST":
        rating_form = RatingForm(request.POST)
        if rating_form.is_valid():
            refusal = _rate(request, case, rating_form, link)
            if refusal is not None:
                rating_form.add_error(None, refusal.message)
            elif not rating_form.errors:
                return redirect(reverse("portal:status", args=[token]) + "?rated=1")
        status = refusal.status if refusal is not None else 400
    else:
        thanks = request.GET.get("rated") == "1"
        sent = request.GET.get("sent") == "1"
    response = render(request, "portal/status.html", {
        "s": public_status(case), "token": token, "rating_form": rating_form,
        "thanks": thanks, "sent": sent, "by_link": bool(link), "link_error": link_error},
        status=status)
    return _refuse(response, refusal)
