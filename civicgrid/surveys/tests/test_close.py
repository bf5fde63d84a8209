"""Closing a round: the estimates kept, the contact details gone, the answers cut from the
sample (acceptance: "contact details are gone after the round closes — a test scans the
tables")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.models import Q

from civicgrid.audit.models import AuditEntry
from civicgrid.surveys.models import (
    CallAttempt,
    Contact,
    FrameSource,
    Response,
    RoundStatus,
    SampleUnit,
    Stratum,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    RoundInput,
    fieldwork_open,
    frame_import,
    round_close,
    round_create,
    round_design_set,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import design
from civicgrid.workcalendar.calendar import SHANGHAI

pytestmark = pytest.mark.django_db

ANSWERS = {"resident": "1", "age": "2", "sex": "1", "safety": "2", "night": "3",
           "trend": "1", "worries": ["1", "2"], "satisfaction": "2",
           "suggestion": "路灯坏了请修"}


def phone(i: int) -> str:
    return f"1390000{i:04d}"


def listed_round(survey, count: int = 40):
    """A county round whose frame is an imported list of `count` phones in grid A1 and B1."""
    world = survey.world
    round_ = round_create(data=RoundInput(area=world.county, year=2026, half=1),
                          actor=survey.organiser)
    round_ = round_design_set(round_=round_, data=design(
        round_, frame_source=FrameSource.IMPORTED, margin=Decimal("0.200"),
        deff=Decimal("1.00"), response_rate=Decimal("1.000"), modes=["cati"]),
        actor=survey.organiser)
    lines = ["区域代码,电话,姓名,地址"]
    for i in range(count):
        grid = world.grid_a1 if i % 2 == 0 else world.grid_b1
        lines.append(f"{grid.code},{phone(i)},住户{i},{grid.name}{i}号")
    frame_import(round_=round_, data="\n".join(lines).encode(), filename="名单.csv",
                 actor=survey.organiser)
    round_ = sample_draw(round_=round_, seed="close-test", actor=survey.organiser)
    for grid, who in ((world.grid_a1, survey.interviewer), (world.grid_b1,
                                                           survey.interviewer_b)):
        units_assign(round_=round_, units=list(SampleUnit.objects.filter(
            round=round_, released=True, area_code=grid.code)), interviewer=who,
            actor=survey.organiser)
    return fieldwork_open(round_=round_, actor=survey.organiser)


def _text_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                yield model, field


def _rows_containing(needle: str) -> list[str]:
    """Every (table.column) holding `needle` anywhere in the database."""
    found = []
    for model, field in _text_columns():
        column = connection.ops.quote_name(field.column)
        table = connection.ops.quote_name(model._meta.db_table)
        cast = f"CAST({column} AS TEXT)" if connection.vendor == "postgresql" else column
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {cast} LIKE %s LIMIT 1",  # noqa: S608
                           [f"%{needle}%"])
            if cursor.fetchone():
                found.append(f"{model._meta.db_table}.{field.column}")
    return found


def test_after_the_close_no_table_holds_a_contact(survey):
    round_ = listed_round(survey)
    assert round_.frame_size == 40
    mine = list(SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer,
                                          released=True))
    revealed = fieldwork.contact_for(unit=mine[0], actor=survey.interviewer, reveal=True)
    assert revealed.phone.startswith("1390000")
    fieldwork.call_record(unit=mine[1], code="callback", mode="cati",
                          actor=survey.interviewer, note="请找住户本人,晚上七点后",
                          callback_at=_tomorrow())
    fieldwork.interview_record(unit=mine[0], answers=ANSWERS, mode="cati",
                               actor=survey.interviewer)
    before = Response.objects.get(round=round_)
    old_id = before.respondent
    contacts = list(Contact.objects.filter(round=round_).values_list(
        "phone_encrypted", "name_encrypted", "address_encrypted"))
    # the draw kept the drawn units' contacts only (issued and reserves), not the list's
    drawn = SampleUnit.objects.filter(round=round_).count()
    assert len(contacts) == drawn < 40
    # before the close the phones are stored (encrypted, never in clear)
    assert _rows_containing(phone(0)) == []
    assert _rows_containing(contacts[0][0][:40]) == ["surveys_contact.phone_encrypted"]

    round_close(round_=round_, actor=survey.organiser)

    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    assert not Contact.objects.filter(round=round_).exists()
    assert not Stratum.objects.filter(round=round_, frame__isnull=False).exists()
    for encrypted in (token for row in contacts for token in row if token):
        assert _rows_containing(encrypted[:40]) == []
    for i in range(40):
        assert _rows_containing(phone(i)) == []
    assert _rows_containing("请找住户本人") == []  # call notes cleared
    after = Response.objects.get(round=round_)
    assert after.respondent != old_id
    assert (after.unit_id, after.interviewer_id, after.completed_at) == (None, None, None)
    assert after.answers["safety"] == "2"
    assert not SampleUnit.objects.filter(round=round_).exclude(frame_key="").exists()
    assert not SampleUnit.objects.filter(round=round_).exclude(web_token_hash="").exists()
    # every released unit has its final code; the unit with the callback became 2.21
    assert not SampleUnit.objects.filter(round=round_, released=True).exclude(
        status=UnitStatus.DONE).exists()
    assert SampleUnit.objects.get(pk=mine[1].pk).disposition == "2.21"
    assert not CallAttempt.objects.filter(unit__round=round_).exists()
    assert round_.results["responses"] == 1
    # nothing left joins an answer to a unit: no interviewer or time on the units, the
    # response dated the day of the close, no unit in the audit of the interview
    assert not SampleUnit.objects.filter(round=round_).filter(
        Q(interviewer__isnull=False) | Q(last_attempt_at__isnull=False)).exists()
    assert after.completed_on == round_.closed_at.astimezone(SHANGHAI).date()
    for entry in AuditEntry.objects.filter(event_type="survey.interview_recorded"):
        assert "unit" not in entry.details


def _tomorrow():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=1)
