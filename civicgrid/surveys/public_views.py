"""The resident's web questionnaire (/s/<token>/): no sign-in, phone first.

The link's token opens its unit's questionnaire while the unit may still be answered
(`fieldwork.unit_for_token`); once answered, or when the round has closed, it opens nothing.
A link that is unknown, used or closed answers the same friendly 404 page, so that the page
never tells whether a link ever existed.

Abuse is held off as on the public consultation pages (civicgrid/risk/public_views.py):
opening a link is counted per client address before the token is looked up, and the count
is given back when the link was good — an address that has tried too many wrong links is
refused every link, good or not, so the refusal tells nothing either; answers are counted
per address and for everyone; a honeypot field; the CSRF token. Nothing is kept by shared
caches, and the token does not leave in a Referer header.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from civicgrid.audit.context import client_ip
from civicgrid.core import limits
from civicgrid.core.access import access
from civicgrid.surveys.fieldwork_forms import HONEYPOT, WebForm
from civicgrid.surveys.models import Question, SampleUnit
from civicgrid.surveys.services import fieldwork

# Limits per client address (an IPv6 address by its /64) and for everyone; settings win.
LIMITS = {
    "open": ("SURVEY_WEB_OPEN_LIMIT", 30, 3600),  # wrong links tried
    "submit": ("SURVEY_WEB_SUBMIT_LIMIT", 20, 3600),
    "all": ("SURVEY_WEB_GLOBAL_LIMIT", 5000, 600),
}


def _count(scope: str, key: str) -> int:
    """Count one attempt in the window of `scope`; 0 if allowed, else the minutes to
    wait."""
    setting, default, window = LIMITS[scope]
    counted = limits.count(f"survey-web-{scope}", key,
                           limit=getattr(settings, setting, default), window=window)
    return 0 if counted.allowed else counted.retry_minutes


def _private(response: HttpResponse) -> HttpResponse:
    """Nothing a resident typed or saw is kept by shared caches; the link's token is not
    sent on to another page."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _missing(request: HttpRequest, wait: int = 0) -> HttpResponse:
    return _private(render(request, "surveys/public/missing.html", {"wait": wait},
                           status=429 if wait else 404))


def _page(request: HttpRequest, unit: SampleUnit, form: WebForm, status: int = 200
          ) -> HttpResponse:
    return _private(render(request, "surveys/public/questionnaire.html", {
        "round": unit.round, "form": form, "blocks": form.blocks(),
        "honeypot": HONEYPOT}, status=status))


@access(public=True)
def questionnaire_view(request: HttpRequest, token: str) -> HttpResponse:
    address = limits.address_key(client_ip(request))
    wait = _count("open", address)
    if wait:
        return _missing(request, wait)
    unit = fieldwork.unit_for_token(token)
    if unit is None:
        return _missing(request)
    limits.refund("survey-web-open", address)  # a good link: not counted against anyone
    questions = list(Question.objects.filter(round_id=unit.round_id).order_by("position"))
    if request.method != "POST":
        return _page(request, unit, WebForm(questions=questions))
    form = WebForm(request.POST, questions=questions)
    valid = form.is_valid()
    wait = _count("submit", address) or _count("all", "all")
    if wait:
        form.errors.clear()
        form.add_error(None, _("提交过于频繁,请 %(n)d 分钟后再试,已填写的内容仍在本页。") % {
            "n": wait})
        return _page(request, unit, form, status=429)
    if request.POST.get(HONEYPOT, "").strip():
        form.errors.clear()
        form.add_error(None, _("提交未成功,请检查后重试。"))
        return _page(request, unit, form, status=400)
    if valid:
        try:
            fieldwork.web_response_submit(token=token, answers=form.answers())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied:  # answered (or closed) a moment ago
            return _missing(request)
        else:
            return _private(redirect("survey_web:thanks"))
    return _page(request, unit, form, status=400)


@access(public=True)
def thanks_view(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "surveys/public/thanks.html"))
