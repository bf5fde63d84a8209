"""core/rows.py: `insert_rows()` writes exactly the row the ORM would, faster (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.models import Case, CaseEvent, Category, Party
from civicgrid.cases.services import PartyInput
from civicgrid.cases.services.parties import party_row
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.refcache import REFERENCE, revisions
from civicgrid.core.rows import insert_rows, insert_unless_taken

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _row(obj) -> dict:
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    row.pop("id")
    return row


def _parties(case: Case) -> list[Party]:
    inputs = [PartyInput(role="applicant", name="王五", phone="13912345678",
                         id_number="110101199003074477"),
              PartyInput(role="respondent", name="赵六", sex="female", age=41,
                         address="城东街道1号"),
              PartyInput(role="other", name="钱七")]
    return [party_row(case, p) for p in inputs]


def test_rows_are_the_rows_the_orm_writes(office):
    case = new_case(office)
    ours, orms = _parties(case), _parties(case)
    for a, b in zip(ours, orms, strict=True):  # the same ciphertexts on both copies
        b.phone_encrypted, b.id_number_encrypted = a.phone_encrypted, a.id_number_encrypted
    insert_rows(ours)
    Party.objects.bulk_create(orms)
    assert [p.name for p in Party.objects.filter(pk__in=[p.pk for p in ours])
            .order_by("pk")] == ["王五", "赵六", "钱七"]  # keys set in the rows' order
    for a, b in zip(ours, orms, strict=True):
        assert a.pk is not None and not a._state.adding and a._state.db == "default"
        assert _row(a) == _row(b)
    assert _row(ours[0])["phone_masked"] == "139****5678"

    event, twin = (CaseEvent(case=case, type="registered", time=AT, actor_name="某人",
                             data={"text": "现场核实", "n": [1, 2]}) for _ in range(2))
    insert_rows([event])
    twin.save()
    assert _row(event) == _row(twin)
    assert _row(event)["data"] == {"text": "现场核实", "n": [1, 2]}


def test_one_statement_for_many_rows(office):
    case = new_case(office)
    rows = _parties(case)
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(rows)
    assert len(ctx.captured_queries) == 1
    assert Party.objects.filter(case=case).count() == 2 + 3  # new_case's two, and these


def test_a_watched_model_still_tells_its_receivers(office):
    """Category is reference data (core/refcache.py watches its saves): insert_rows goes
    through save(), so the revision moves and every process re-reads the taxonomy."""
    before = revisions()[REFERENCE]
    parent = Category.objects.get(code="91")
    category = Category(code="9109", name="噪声纠纷", parent=parent, kind="dispute",
                        default_level="community")
    insert_rows([category])
    assert category.pk is not None
    assert revisions()[REFERENCE] == before + 1


def test_bad_input_writes_nothing(office):
    case = new_case(office)
    events = CaseEvent.objects.count()
    saved = CaseEvent.objects.filter(case=case).first()
    with pytest.raises(ValueError, match="new instances"):
        insert_rows([saved])
    with pytest.raises(ValueError, match="expression"):
        insert_rows([CaseEvent(case=case, type="registered", time=AT, note=F("actor_name"))])
    with pytest.raises(ValueError, match="new instances"):
        insert_rows([CaseEvent(case=case, type="registered", time=AT), Party(case=case, name="x")])
    assert CaseEvent.objects.count() == events
    assert insert_rows([]) == []


@pytest.mark.parametrize("returning", [True, False])
def test_insert_unless_taken(office, monkeypatch, returning):
    """A taken value writes nothing and leaves the transaction usable (on PostgreSQL a
    failed INSERT would abort it); a free one is written. Without RETURNING (SQLite before
    3.35) the value is asked for first."""
    if not returning:  # (on SQLite the one follows from the other)
        monkeypatch.setattr(connection.features, "can_return_columns_from_insert"
                            if connection.vendor == "sqlite"
                            else "can_return_rows_from_bulk_insert", False)
    case = new_case(office)
    copy = Case.objects.get(pk=case.pk)
    copy.pk, copy.number = None, "320602-20260302-99999"
    cases = Case.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        assert insert_unless_taken(copy, "tracking_code") is False
    assert len(ctx.captured_queries) == 1
    assert copy.pk is None and Case.objects.count() == cases  # (and the connection works)
    copy.tracking_code = "ZZZZZZZZ8"
    assert insert_unless_taken(copy, "tracking_code") is True
    assert Case.objects.get(pk=copy.pk).number == "320602-20260302-99999"
    # A conflict on another unique index is not swallowed.
    twin = Case.objects.get(pk=copy.pk)
    twin.pk, twin.tracking_code = None, "ZZZZZZZZ9"
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_unless_taken(twin, "tracking_code")
    assert Case.objects.count() == cases + 1
