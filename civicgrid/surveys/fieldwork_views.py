"""The interviewer's pages (/surveys/calls/…), phone first: the call sheet, one unit (its
address, the phone shown on request, the attempts, a form to record one), and the
interview form.

Every unit is read through `SampleUnit.objects.restrict()` (civicgrid/surveys/selectors.py)
and must be assigned to the reader: a unit of someone else's sheet answers 404 like one
that does not exist, whoever else may see it in the organiser's pages. Every write is a
service of civicgrid/surveys/services/fieldwork.py, whose refusals are shown on the form
(the page answers 200 with what was typed, like the hearing pages) or as a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.core.access import access
from civicgrid.core.htmx import is_htmx
from civicgrid.surveys import dispositions, selectors
from civicgrid.surveys.fieldwork_forms import CallForm, InterviewForm, interviewer_modes
from civicgrid.surveys.models import (
    CallAttempt,
    Mode,
    Question,
    Response,
    RoundStatus,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork

CHANGE = "surveys.sampleunit.change"
LOOKUP = {"pk": "pk"}
SHEET_LIMIT = 300  # units shown at once (an interviewer's sheet holds tens)

# What an interview's final code means, as the interviewer reads it afterwards (lazy: in
# the reader's language, not the one of the process that imported this module).
INTERVIEW_OUTCOMES = {
    dispositions.COMPLETE: gettext_lazy("访问完成,问卷已保存。"),
    dispositions.PARTIAL: gettext_lazy(
        "受访者中途停止,已回答安全感题,问卷按“部分完成”保存。"),
    dispositions.BREAK_OFF: gettext_lazy(
        "受访者在回答安全感题之前停止,记为“中途拒绝”,问卷不保存。"),
    dispositions.NOT_ELIGIBLE: gettext_lazy(
        "受访者不符合调查条件(甄别不符),访问结束;甄别和分层题的回答已保存。"),
    dispositions.QUOTA_FILLED: gettext_lazy(
        "该年龄×性别组的配额已满,访问结束;年龄和性别已记录。"),
}


def _actor(request: HttpRequest) -> User:
    """The signed-in user (`access` let only them through)."""
    return cast(User, request.user)


def _mine(request: HttpRequest, pk: int) -> SampleUnit:
    """The unit, if it is on the reader's call sheet (assigned to them, released)."""
    unit = selectors.unit_for(request.user, pk, "change")
    if unit is None or unit.interviewer_id != request.user.pk or not unit.released:
        raise Http404
    return unit


def unit_name(unit: SampleUnit) -> str:
    """How the sheet names a unit: 样本 3 or 备用 2 of its stratum."""
    if unit.reserve:
        return _("备用 %(n)s") % {"n": unit.position + 1}
    return _("样本 %(n)s") % {"n": unit.position + 1}


def area_names(codes: Iterable[str]) -> dict[str, str]:
    """The names of the areas (grids, communities) with these codes."""
    return dict(Area.objects.filter(code__in=set(codes)).values_list("code", "name"))


def _decorate(units: list[SampleUnit], reader: User) -> None:
    """Everything a card shows, for the whole list at once."""
    now = timezone.now()
    phones = fieldwork.has_phone(units)
    addresses = fieldwork.contact_addresses(units=units, actor=reader)
    grids = area_names(u.area_code for u in units)
    for unit in units:
        unit.name = unit_name(unit)  # type: ignore[attr-defined]
        unit.has_phone = unit.pk in phones  # type: ignore[attr-defined]
        unit.address = addresses.get(unit.pk, "")  # type: ignore[attr-defined]
        unit.grid_name = grids.get(unit.area_code, unit.area_code)  # type: ignore[attr-defined]
        unit.due = bool(unit.callback_at and unit.callback_at <= now)  # type: ignore[attr-defined]
        last = getattr(unit, "last_code", "") or ""
        unit.last_label = dispositions.label(last) if last else ""  # type: ignore[attr-defined]
        final = dispositions.label(unit.disposition) if unit.disposition else ""
        unit.final_label = final  # type: ignore[attr-defined]
        unit.modes = [m for m, _label in interviewer_modes(unit.round)]  # type: ignore[attr-defined]


@access(CHANGE)
def call_sheet_view(request: HttpRequest) -> HttpResponse:
    """The reader's units in rounds in fieldwork: appointments due first, then the units
    never tried, then the others least recently tried first, future appointments last.
    With ?done=1 the finished units follow, each with its final code."""
    last_code = Subquery(CallAttempt.objects.filter(unit=OuterRef("pk"))
                         .order_by("-at", "-id").values("code")[:1])
    open_units = list(
        selectors.call_sheet(request.user).select_related("stratum__area")
        .annotate(last_code=last_code)[:SHEET_LIMIT])
    show_done = request.GET.get("done") == "1"
    done_units: list[SampleUnit] = []
    if show_done:
        done_units = list(
            selectors.call_sheet(request.user, include_done=True)
            .filter(status=UnitStatus.DONE).select_related("stratum__area")
            .annotate(last_code=last_code)
            .order_by(F("last_attempt_at").desc(nulls_last=True), "-id")[:SHEET_LIMIT])
    _decorate(open_units + done_units, _actor(request))
    done_count = selectors.call_sheet(request.user, include_done=True).filter(
        status=UnitStatus.DONE).count()
    return render(request, "surveys/fieldwork/sheet.html", {
        "units": open_units, "done_units": done_units, "show_done": show_done,
        "done_count": done_count,
        "due_count": sum(1 for u in open_units if getattr(u, "due", False)),
        "limit": SHEET_LIMIT, "truncated": len(open_units) == SHEET_LIMIT})


def _default_mode(unit: SampleUnit, has_phone: bool, asked: str = "") -> str:
    modes = [m for m, _label in interviewer_modes(unit.round)]
    if asked in modes:
        return asked
    if Mode.CATI in modes and has_phone:
        return Mode.CATI
    if Mode.FACE in modes:
        return Mode.FACE
    return modes[0] if modes else Mode.CATI


def _result(unit: SampleUnit) -> dict[str, Any]:
    """How a finished unit ended, and the reserve that replaced it (if one was released)."""
    response = Response.objects.filter(unit=unit).only("status").first()
    reserve = SampleUnit.objects.filter(replaces=unit).select_related("stratum").first()
    if reserve is not None:
        reserve.name = unit_name(reserve)  # type: ignore[attr-defined]
    return {"code": unit.disposition, "label": dispositions.label(unit.disposition),
            "text": INTERVIEW_OUTCOMES.get(unit.disposition, ""),
            "response": response,
            "reserve": reserve if reserve is not None and
            reserve.interviewer_id == unit.interviewer_id else None}


def _unit_page(request: HttpRequest, unit: SampleUnit, *, form: CallForm | None = None,
               revealed: fieldwork.ContactDetails | None = None, reveal_error: str = "",
               status: int = 200) -> HttpResponse:
    contact = fieldwork.contact_for(unit=unit, actor=_actor(request))
    has_phone = bool(fieldwork.has_phone([unit]))
    working = unit.status != UnitStatus.DONE and unit.round.status == RoundStatus.FIELDWORK
    mode = form.mode_value if form is not None else \
        _default_mode(unit, has_phone, request.GET.get("mode", ""))
    if form is None and working:
        form = CallForm(round_=unit.round, mode=mode)
    attempts = list(CallAttempt.objects.filter(unit=unit).order_by("at", "id"))
    for attempt in attempts:
        attempt.label = dispositions.label(attempt.code)  # type: ignore[attr-defined]
        outcome = dispositions.BY_CODE.get(attempt.code)
        attempt.final = outcome is not None and outcome.final  # type: ignore[attr-defined]
    unit.name = unit_name(unit)  # type: ignore[attr-defined]
    grid = area_names([unit.area_code]).get(unit.area_code, unit.area_code)
    return render(request, "surveys/fieldwork/unit.html", {
        "unit": unit, "round": unit.round, "grid_name": grid, "contact": contact,
        "has_phone": has_phone, "revealed": revealed, "reveal_error": reveal_error,
        "attempts": attempts, "form": form, "working": working, "mode": mode,
        "modes": interviewer_modes(unit.round),
        "left": max(unit.round.max_attempts - unit.attempts, 0),
        "result": _result(unit) if unit.status == UnitStatus.DONE else None,
    }, status=status)


def _call_message(result: fieldwork.CallResult) -> str:
    unit = result.unit
    code = result.attempt.code
    if unit.status != UnitStatus.DONE:
        if code == "callback" and unit.callback_at:
            text = _("已记录:约定 %(time)s 再联系。") % {
                "time": timezone.localtime(unit.callback_at).strftime("%m-%d %H:%M")}
        else:
            text = _("已记录:%(label)s(第 %(n)s 次,最多 %(max)s 次)。") % {
                "label": dispositions.label(code), "n": unit.attempts,
                "max": unit.round.max_attempts}
    elif unit.disposition == code:
        text = _("已记录:%(label)s,样本结束(%(code)s)。") % {
            "label": dispositions.label(code), "code": code}
    else:
        text = _("已联系 %(n)s 次,达到上限,样本结束:%(code)s %(label)s。") % {
            "n": unit.attempts, "code": unit.disposition,
            "label": dispositions.label(unit.disposition)}
    if result.released is not None:
        text += " " + _("已启用备用样本(%(name)s),已加入您的调查名单。") % {
            "name": unit_name(result.released)}
    return text


@access(CHANGE, model=SampleUnit, lookup=LOOKUP)
def unit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit of the sheet; POST records an attempt (call_record)."""
    unit = _mine(request, pk)
    if request.method != "POST":
        return _unit_page(request, unit)
    has_phone = bool(fieldwork.has_phone([unit]))
    mode = _default_mode(unit, has_phone, request.POST.get("mode", ""))
    form = CallForm(request.POST, round_=unit.round, mode=mode)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = fieldwork.call_record(unit=unit, code=data["code"], mode=data["mode"],
                                           note=data["note"], callback_at=data["callback_at"],
                                           actor=_actor(request))
        except ValidationError as exc:  # (RuleViolation too: the unit ended meanwhile)
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _call_message(result))
            return redirect("survey_calls:sheet")
    return _unit_page(request, unit, form=form)


@access(CHANGE, model=SampleUnit, lookup=LOOKUP)
@require_POST
def reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone (and name) in clear, each reveal audited by the service; htmx swaps the
    masked number for a tel: link, a plain POST shows the unit page with it."""
    unit = _mine(request, pk)
    revealed, error = None, ""
    try:
        revealed = fieldwork.contact_for(unit=unit, actor=_actor(request), reveal=True)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except PermissionDenied as exc:
        raise Http404 from exc
    if is_htmx(request):
        return render(request, "surveys/fieldwork/partials/contact.html",
                      {"revealed": revealed, "reveal_error": error, "unit": unit})
    return _unit_page(request, unit, revealed=revealed, reveal_error=error)


def _questions(unit: SampleUnit) -> list[Question]:
    return list(Question.objects.filter(round_id=unit.round_id).order_by("position"))


@access(CHANGE, model=SampleUnit, lookup=LOOKUP)
def interview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire of the unit's round; "submit" or "break-off" → interview_record.
    A refused form is shown again with every answer as it was typed."""
    unit = _mine(request, pk)
    if unit.status == UnitStatus.DONE or unit.round.status != RoundStatus.FIELDWORK:
        messages.info(request, _("这个样本已经结束,不能再录入问卷。"))
        return redirect("survey_calls:unit", pk=unit.pk)
    questions = _questions(unit)
    if request.method == "POST":
        form = InterviewForm(request.POST, questions=questions, round_=unit.round)
        breakoff = request.POST.get("action") == "breakoff"
        if form.is_valid():
            try:
                fieldwork.interview_record(
                    unit=unit, answers=form.answers(), mode=form.cleaned_data["mode"],
                    breakoff=breakoff, actor=_actor(request))
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:  # (the unit's page says how it ended, and which reserve came)
                return redirect(reverse("survey_calls:unit", args=[unit.pk]) + "#result")
    else:
        has_phone = bool(fieldwork.has_phone([unit]))
        form = InterviewForm(questions=questions, round_=unit.round,
                             initial={"mode": _default_mode(unit, has_phone,
                                                            request.GET.get("mode", ""))})
    unit.name = unit_name(unit)  # type: ignore[attr-defined]
    return render(request, "surveys/fieldwork/interview.html", {
        "unit": unit, "round": unit.round, "form": form, "blocks": form.blocks(),
        "errors_count": len(form.errors)})


@access(CHANGE, model=SampleUnit, lookup=LOOKUP)
def quota_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Asked by the interview form once the sex and age are answered (?sex=&age=, the option
    codes): a note when the cell's quota is full (empty otherwise)."""
    unit = _mine(request, pk)
    full = fieldwork.quota_full_for(unit=unit, sex=request.GET.get("sex", "")[:2],
                                    age=request.GET.get("age", "")[:2], actor=_actor(request))
    return render(request, "surveys/fieldwork/partials/quota.html", {"full": full})
