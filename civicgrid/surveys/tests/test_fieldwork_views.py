"""The interviewer's pages (/surveys/calls/…) and the resident's web link (/s/<token>/):
who sees what, what each form does, what a refused form keeps, what is audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.surveys.models import (
    CallAttempt,
    Question,
    Response,
    RoundStatus,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.tests.test_fieldwork import ANSWERS, calling_round, my_units, phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(survey):
    round_ = calling_round(survey)
    return survey, round_, my_units(survey, round_)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def unit_url(unit, name="unit") -> str:
    return reverse(f"survey_calls:{name}", args=[unit.pk])


def interview_post(answers=None, mode="cati", action="submit") -> dict:
    data = {"mode": mode, "action": action}
    for key, value in (ANSWERS if answers is None else answers).items():
        data[f"q_{key}"] = value
    return data


# --- the call sheet -----------------------------------------------------------------------

def test_the_sheet_lists_my_open_units_with_due_appointments_first(setup):
    survey, round_, units = setup
    first, second, third, fourth = units
    fieldwork.call_record(unit=second, code="no_answer", mode="cati",
                          actor=survey.interviewer)
    fieldwork.call_record(unit=third, code="callback", mode="cati", actor=survey.interviewer,
                          callback_at=timezone.now() + timedelta(hours=2))
    fieldwork.call_record(unit=fourth, code="callback", mode="cati", actor=survey.interviewer,
                          callback_at=timezone.now() + timedelta(hours=1))
    SampleUnit.objects.filter(pk=fourth.pk).update(
        callback_at=timezone.now() - timedelta(minutes=5))  # the appointment has come
    html = signed_in(survey.interviewer).get(reverse("survey_calls:sheet")).content.decode()
    cards = re.findall(r'data-testid="unit-card" data-unit="(\d+)"( data-due="1")?', html)
    assert [int(pk) for pk, _due in cards] == [fourth.pk, first.pk, second.pk, third.pk]
    assert [bool(due) for _pk, due in cards] == [True, False, False, False]
    assert "cg-due" in html and "已到时间" in html
    assert "已联系 1/5 次" in html and "上次:无人接听" in html
    # my units only: street B's are the other grid worker's
    for unit in SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer_b):
        assert f'data-unit="{unit.pk}"' not in html
    # the address in clear, the phone never
    assert fieldwork.contact_for(unit=first, actor=survey.interviewer).address in html
    assert "1390000" not in html


def test_the_sheet_shows_finished_units_on_request(setup):
    survey, _round, units = setup
    fieldwork.call_record(unit=units[0], code="2.11", mode="cati", actor=survey.interviewer)
    client = signed_in(survey.interviewer)
    html = client.get(reverse("survey_calls:sheet")).content.decode()
    assert 'data-testid="show-done"' in html and 'data-testid="done-unit"' not in html
    # the refusal released a reserve, now on the sheet
    assert html.count('data-testid="unit-card"') == 4
    assert 'data-testid="reserve-badge"' in html
    html = client.get(reverse("survey_calls:sheet") + "?done=1").content.decode()
    assert html.count('data-testid="done-unit"') == 1
    assert "2.11 拒绝访问" in html


def test_the_sheet_takes_the_same_queries_for_more_units(setup):
    survey, round_, units = setup
    client = signed_in(survey.interviewer)
    url = reverse("survey_calls:sheet")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    # more units on the sheet: the reserves of the worker's grid, released to them
    SampleUnit.objects.filter(round=round_, reserve=True,
                              area_code=survey.world.grid_a1.code).update(
        released=True, interviewer=survey.interviewer)
    for unit in SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer):
        fieldwork.call_record(unit=unit, code="no_answer", mode="cati",
                              actor=survey.interviewer)
    with CaptureQueriesContext(connection) as more:
        html = client.get(url).content.decode()
    on_sheet = SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer,
                                         released=True).exclude(status="done").count()
    assert on_sheet > 4
    assert html.count('data-testid="unit-card"') == on_sheet
    assert len(more) == len(few)


@pytest.mark.parametrize("role", [Role.HANDLER, Role.UNIT_LEADER, Role.LEADER,
                                  Role.ADMINISTRATOR, Role.AUDITOR])
def test_roles_that_do_not_interview_are_refused(setup, role):
    survey, _round, units = setup
    client = signed_in(survey.world.users[role])
    assert client.get(reverse("survey_calls:sheet")).status_code == 403
    for name in ("unit", "interview"):
        assert client.get(unit_url(units[0], name)).status_code == 403
    assert client.post(unit_url(units[0], "reveal")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(setup):
    _survey, _round, units = setup
    for url in (reverse("survey_calls:sheet"), unit_url(units[0]),
                unit_url(units[0], "interview")):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_supervisor_sees_an_empty_sheet(setup):
    survey, _round, _units = setup
    response = signed_in(survey.world.users[Role.SUPERVISOR]).get(reverse("survey_calls:sheet"))
    assert response.status_code == 200
    assert 'data-testid="sheet-empty"' in response.content.decode()


# --- a unit -------------------------------------------------------------------------------

def test_someone_elses_unit_answers_like_a_missing_one(setup):
    survey, round_, units = setup
    unit = units[0]
    reserve = SampleUnit.objects.filter(stratum=unit.stratum, reserve=True).first()
    assert reserve is not None
    SampleUnit.objects.filter(pk=reserve.pk).update(interviewer=survey.interviewer)
    for user in (survey.interviewer_b, survey.organiser, survey.world.users[Role.SUPERVISOR]):
        client = signed_in(user)
        for name in ("unit", "interview"):
            assert client.get(unit_url(unit, name)).status_code == 404, (user, name)
        assert client.post(unit_url(unit), {"mode": "cati", "code": "2.11"}).status_code == 404
        assert client.post(unit_url(unit, "interview"),
                           interview_post()).status_code == 404
        assert client.post(unit_url(unit, "reveal")).status_code == 404
    mine = signed_in(survey.interviewer)
    missing = mine.get(reverse("survey_calls:unit", args=[999999]))
    assert missing.status_code == mine.get(unit_url(reserve)).status_code == 404  # unreleased
    unit.refresh_from_db()
    assert (unit.attempts, unit.status) == (0, UnitStatus.PENDING)
    assert not CallAttempt.objects.exists() and not Response.objects.exists()
    assert not AuditEntry.objects.filter(event_type="survey.contact_revealed").exists()


def test_the_unit_page_masks_the_phone_until_it_is_revealed(setup):
    survey, _round, units = setup
    unit = units[0]
    client = signed_in(survey.interviewer)
    html = client.get(unit_url(unit)).content.decode()
    contact = fieldwork.contact_for(unit=unit, actor=survey.interviewer)
    assert contact.address in html
    assert "1390000" not in html and 'data-testid="reveal"' in html
    assert client.get(unit_url(unit, "reveal")).status_code == 405
    assert not AuditEntry.objects.filter(event_type="survey.contact_revealed").exists()
    response = client.post(unit_url(unit, "reveal"), HTTP_HX_REQUEST="true")
    found = re.search(r'href="tel:(\d+)"', response.content.decode())
    assert found is not None
    number = found.group(1)
    assert number.startswith("1390000")
    assert "<html" not in response.content.decode()  # the partial only
    # without htmx: the whole page, with the number
    html = client.post(unit_url(unit, "reveal")).content.decode()
    assert f'href="tel:{number}"' in html and 'data-testid="call-form"' in html
    entries = AuditEntry.objects.filter(event_type="survey.contact_revealed")
    assert entries.count() == 2
    assert {e.actor_id for e in entries} == {survey.interviewer.pk}


def test_recording_an_attempt(setup):
    survey, _round, units = setup
    unit = units[0]
    client = signed_in(survey.interviewer)
    html = client.get(unit_url(unit) + "?mode=cati").content.decode()
    # the telephone's outcomes, interim first; a visit's are not offered
    assert html.index('value="no_answer"') < html.index('value="2.11"')
    assert 'value="not_home"' not in html and 'value="1.1"' not in html
    face = client.get(unit_url(unit) + "?mode=face").content.decode()
    assert 'value="not_home"' in face and 'value="no_answer"' not in face
    response = client.post(unit_url(unit), {"mode": "cati", "code": "no_answer",
                                            "note": "无人接"})
    assert response.status_code == 302 and response["Location"] == reverse("survey_calls:sheet")
    attempt = CallAttempt.objects.get(unit=unit)
    assert (attempt.code, attempt.mode, attempt.note) == ("no_answer", "cati", "无人接")
    html = client.get(response["Location"]).content.decode()
    assert "已记录:无人接听(第 1 次,最多 5 次)" in html


def test_a_refused_attempt_shows_again_with_what_was_typed(setup):
    survey, _round, units = setup
    unit = units[0]
    client = signed_in(survey.interviewer)
    response = client.post(unit_url(unit), {"mode": "cati", "code": "callback",
                                            "note": "请晚上再打", "callback_at": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请填写今后 60 天内的约定时间" in html
    assert "请晚上再打" in html and re.search(r'value="callback"[^>]*checked', html)
    # an outcome of another mode, and no outcome at all
    assert "请选择联系结果" in client.post(unit_url(unit), {"mode": "cati",
                                                         "code": "not_home"}).content.decode()
    assert "请选择联系结果" in client.post(unit_url(unit), {"mode": "cati"}).content.decode()
    unit.refresh_from_db()
    assert unit.attempts == 0 and not CallAttempt.objects.exists()
    later = timezone.localtime() + timedelta(days=1)
    response = client.post(unit_url(unit), {"mode": "cati", "code": "callback",
                                            "callback_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.callback_at == later.replace(second=0, microsecond=0)


def test_a_refusal_says_a_reserve_was_released(setup):
    survey, _round, units = setup
    client = signed_in(survey.interviewer)
    response = client.post(unit_url(units[0]), {"mode": "cati", "code": "2.11"}, follow=True)
    html = response.content.decode()
    assert "已记录:拒绝访问,样本结束(2.11)" in html
    assert "已启用备用样本(备用" in html
    html = client.get(unit_url(units[0])).content.decode()
    assert 'data-testid="reserve-released"' in html and 'data-testid="call-form"' not in html
    # a finished unit takes no attempt and shows no number
    assert 'data-testid="reveal"' not in html
    response = client.post(unit_url(units[0]), {"mode": "cati", "code": "busy"})
    assert response.status_code == 200 and "这个样本已经结束" in response.content.decode()
    assert CallAttempt.objects.filter(unit=units[0]).count() == 1


# --- the interview ------------------------------------------------------------------------

def test_the_interview_form_asks_the_rounds_questions_in_order(setup):
    survey, round_, units = setup
    html = signed_in(survey.interviewer).get(unit_url(units[0], "interview")).content.decode()
    keys = re.findall(r'data-testid="question" data-key="([a-z_]+)"', html)
    assert keys == list(Question.objects.filter(round=round_).order_by("position")
                        .values_list("key", flat=True))
    assert keys[:3] == ["sex", "age", "resident"]
    assert html.count('class="cg-scale"') == 4  # the mode and the three scales
    assert 'type="checkbox" name="q_worries"' in html
    assert '<textarea name="q_suggestion"' in html
    assert 'data-screen-out="1"' in html


def test_a_complete_interview_from_the_page(setup):
    survey, _round, units = setup
    unit = units[0]
    client = signed_in(survey.interviewer)
    response = client.post(unit_url(unit, "interview"), interview_post())
    assert response.status_code == 302
    assert response["Location"] == unit_url(unit) + "#result"
    assert Response.objects.get(unit=unit).answers == ANSWERS
    html = client.get(response["Location"]).content.decode()
    assert "访问完成,问卷已保存" in html and 'data-testid="result-code">1.1<' in html
    assert 'data-testid="reserve-released"' not in html
    # the interview form of a finished unit leads back to the unit
    assert client.get(unit_url(unit, "interview")).status_code == 302


def test_a_refused_interview_keeps_every_answer(setup):
    survey, _round, units = setup
    unit = units[0]
    answers = {k: v for k, v in ANSWERS.items() if k != "safety"}
    response = signed_in(survey.interviewer).post(unit_url(unit, "interview"),
                                                  interview_post(answers, mode="face"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "请回答这道题" in html
    safety = html[html.index('data-key="safety"'):html.index('data-key="night"')]
    assert "请回答这道题" in safety
    for key, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            if key == "suggestion":
                assert f"{one}</textarea>" in html
            else:
                assert re.search(rf'name="q_{key}" value="{one}"[^>]*checked', html), key
    assert re.search(r'name="mode" value="face"[^>]*checked', html)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.PENDING and not Response.objects.exists()


@pytest.mark.parametrize(("answers", "action", "code", "text"), [
    ({"resident": "1", "age": "2"}, "breakoff", "2.12", "记为“中途拒绝”"),
    ({"resident": "1", "age": "2", "sex": "1", "safety": "3"}, "breakoff", "1.2",
     "按“部分完成”保存"),
    ({**ANSWERS, "resident": "2"}, "submit", "4.7", "甄别不符"),
])
def test_interview_endings_are_said_afterwards(setup, answers, action, code, text):
    survey, _round, units = setup
    unit = units[0]
    client = signed_in(survey.interviewer)
    response = client.post(unit_url(unit, "interview"), interview_post(answers,
                                                                      action=action),
                           follow=True)
    html = response.content.decode()
    unit.refresh_from_db()
    assert unit.disposition == code
    assert text in html
    assert ("已启用备用样本" in html) is (code != "1.2")


def test_questions_in_english(setup):
    survey, round_, units = setup
    Question.objects.filter(round=round_, key="trend").update(text_en="")
    client = signed_in(survey.interviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(unit_url(units[0], "interview")).content.decode()
    assert "Overall, how safe do you feel in the area where you live?" in html
    assert "Very safe" in html
    assert "与一年前相比" in html  # no English text: the Chinese one


def test_how_an_interview_ended_is_said_in_the_readers_language(setup):
    survey, _round, units = setup
    unit = units[0]
    client = signed_in(survey.interviewer)
    assert client.post(unit_url(unit, "interview"), interview_post()).status_code == 302
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(unit_url(unit)).content.decode()
    assert "Interview complete; the questionnaire is saved." in html
    assert "访问完成" not in html


# --- the web link -------------------------------------------------------------------------

@pytest.fixture
def link(setup):
    survey, round_, units = setup
    [(unit, token)] = fieldwork.web_links_issue(round_=round_, units=[units[0]],
                                                actor=survey.organiser)
    return unit, token


def public() -> Client:
    return Client(REMOTE_ADDR="203.0.113.9")


def web_post(answers=None) -> dict:
    data = {f"q_{k}": v for k, v in (ANSWERS if answers is None else answers).items()}
    data["website"] = ""
    return data


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|name="next" '
                  rb'value)="[^"]+"', rb"\1=''", content)


def test_the_web_link_opens_once(link):
    unit, token = link
    client = public()
    url = reverse("survey_web:form", args=[token])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'data-testid="web-form"' in html and 'name="mode"' not in html
    response = client.post(url, web_post())
    assert response.status_code == 302 and response["Location"] == reverse("survey_web:thanks")
    assert Response.objects.get(unit=unit).mode == "web"
    assert "感谢您的参与" in client.get(response["Location"]).content.decode()
    used = client.get(url)
    again = client.post(url, web_post())
    missing = client.get(reverse("survey_web:form", args=["x" * 22]))
    assert used.status_code == again.status_code == missing.status_code == 404
    assert _without_csrf(used.content) == _without_csrf(missing.content)
    assert Response.objects.count() == 1


def test_a_closed_rounds_link_answers_like_a_missing_one(link):
    unit, token = link
    unit.round.status = RoundStatus.CLOSED
    unit.round.save(update_fields=["status"])
    client = public()
    closed = client.get(reverse("survey_web:form", args=[token]))
    missing = client.get(reverse("survey_web:form", args=["y" * 22]))
    assert closed.status_code == missing.status_code == 404
    assert _without_csrf(closed.content) == _without_csrf(missing.content)


def test_a_refused_web_answer_keeps_what_was_typed(link):
    unit, token = link
    answers = {k: v for k, v in ANSWERS.items() if k != "sex"}
    response = public().post(reverse("survey_web:form", args=[token]), web_post(answers))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请回答这道题" in html and "路灯坏了请修</textarea>" in html
    assert re.search(r'name="q_safety" value="2"[^>]*checked', html)
    assert not Response.objects.exists()
    assert fieldwork.unit_for_token(token) is not None


def test_the_honeypot_stores_nothing(link):
    _unit, token = link
    data = {**web_post(), "website": "http://spam.example"}
    response = public().post(reverse("survey_web:form", args=[token]), data)
    assert response.status_code == 400 and not Response.objects.exists()


def test_too_many_wrong_links_close_every_link_from_that_address(link, settings):
    _unit, token = link
    settings.SURVEY_WEB_OPEN_LIMIT = 3
    client = public()
    for i in range(2):
        assert client.get(reverse("survey_web:form", args=[f"wrong{i}"])).status_code == 404
    # a good link does not count against anyone …
    for _i in range(5):
        assert client.get(reverse("survey_web:form", args=[token])).status_code == 200
    assert client.get(reverse("survey_web:form", args=["wrong2"])).status_code == 404
    assert client.get(reverse("survey_web:form", args=["wrong3"])).status_code == 429
    # … but once over the limit every link is refused alike, so the refusal tells nothing
    assert client.get(reverse("survey_web:form", args=[token])).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.4").get(
        reverse("survey_web:form", args=[token])).status_code == 200


def test_answers_are_limited_per_address(link, settings):
    _unit, token = link
    settings.SURVEY_WEB_SUBMIT_LIMIT = 1
    client = public()
    url = reverse("survey_web:form", args=[token])
    assert client.post(url, web_post({"resident": "1"})).status_code == 400
    response = client.post(url, web_post())
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert "路灯坏了请修</textarea>" in response.content.decode()
    assert not Response.objects.exists()


def test_phone_numbers_never_reach_the_web_page(link):
    unit, token = link
    html = public().get(reverse("survey_web:form", args=[token])).content.decode()
    revealed = fieldwork.contact_for(unit=unit, actor=unit.interviewer)
    assert revealed.address not in html
    assert phone(0)[:7] not in html


def test_the_interview_form_asks_for_the_quota_once_sex_and_age_are_known(setup):
    survey, round_, units = setup
    from civicgrid.surveys.services.rounds import quota_set

    quota_set(round_=round_, cell="1|2", target=1, actor=survey.organiser)
    client = signed_in(survey.interviewer)
    url = reverse("survey_calls:quota", args=[units[0].pk])
    assert 'data-testid="quota-full"' not in client.get(url, {"sex": "1", "age": "2"}
                                                        ).content.decode()
    fieldwork.interview_record(unit=units[1], answers={
        "sex": "1", "age": "2", "resident": "1", "safety": "1", "night": "1", "trend": "1",
        "worries": ["1"], "satisfaction": "1"}, mode="cati", actor=survey.interviewer)
    html = client.get(url, {"sex": "1", "age": "2"}).content.decode()
    assert 'data-testid="quota-full"' in html
    assert 'data-testid="quota-full"' not in client.get(url, {"sex": "2", "age": "2"}
                                                        ).content.decode()
    form = client.get(reverse("survey_calls:interview", args=[units[0].pk])).content.decode()
    assert f'data-quota-url="{url}"' in form and 'data-cell-part="sex"' in form
    # someone else's unit: missing
    assert signed_in(survey.interviewer_b).get(url, {"sex": "1", "age": "2"}
                                               ).status_code == 404
