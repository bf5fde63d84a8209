"""core/rows.py `together()`: statements that need no answer at once go to the server with
the next one (ADR 0012) — in order, with their keys set, their errors raised, and nothing
sent for a block that fails."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.models import Case, CaseEvent, Party
from civicgrid.cases.services import PartyInput
from civicgrid.cases.services.parties import party_row
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.rows import SEPARATOR, can_combine, flush, insert_rows, later, together

pytestmark = pytest.mark.django_db


def _combining() -> None:
    if not can_combine():
        pytest.skip("several statements in one message: PostgreSQL")


def _messages(ctx) -> list[int]:
    """The number of statements in each message the block sent (the savepoint of the test's
    own block left out)."""
    return [len(q["sql"].split(SEPARATOR)) for q in _sent(ctx)]


def _sent(ctx) -> list[dict]:
    return [q for q in ctx.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def _party(case: Case, name: str) -> Party:
    return party_row(case, PartyInput(role="other", name=name))


def _event(case: Case, note: str) -> CaseEvent:
    return CaseEvent(case=case, type="note", time=case.registered_at, actor_name="某人",
                     note=note, data={})


def test_waiting_rows_go_with_the_next_statement_and_get_their_keys(office):
    _combining()
    case = new_case(office)
    parties = [_party(case, "甲"), _party(case, "乙")]
    event = _event(case, "一")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), together():
        insert_rows(parties)
        insert_rows([event])
        assert parties[0].pk is None and event.pk is None  # not sent yet
        assert _sent(ctx) == []
        # Any statement carries them, in front of it, and reads what they wrote.
        assert Party.objects.filter(case=case, name__in=["甲", "乙"]).count() == 2
        assert parties[0].pk is not None and parties[1].pk > parties[0].pk
        assert event.pk is not None
    assert _messages(ctx) == [3]
    written = Party.objects.filter(case=case, name__in=["甲", "乙"]).order_by("pk")
    assert list(written.values_list("pk", "name")) == [(parties[0].pk, "甲"),
                                                       (parties[1].pk, "乙")]
    assert CaseEvent.objects.get(pk=event.pk).note == "一"


def test_what_waits_at_the_end_goes_in_one_message(office):
    _combining()
    case = new_case(office)
    event, party = _event(case, "二"), _party(case, "丙")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        with together():
            insert_rows([event])
            later(f"UPDATE {Case._meta.db_table} SET address = %s WHERE id = %s",  # noqa: S608
                  ["100% 城东", case.pk])
            insert_rows([party])
        assert event.pk is not None and party.pk is not None
    assert _messages(ctx) == [3]
    assert Case.objects.get(pk=case.pk).address == "100% 城东"


def test_a_statement_that_needs_its_answer_carries_the_waiting_ones(office):
    _combining()
    case = new_case(office)
    event = _event(case, "三")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), together():
        insert_rows([event])
        with connection.cursor() as cursor:  # no parameters: its % is literal
            cursor.execute("SELECT '100%'")
            assert cursor.fetchone() == ("100%",)
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone() == (42,)
        flush()  # nothing waits: nothing sent
    assert _messages(ctx) == [2, 1]
    assert event.pk is not None


def test_an_executemany_goes_after_the_waiting_ones(office):
    _combining()
    case = new_case(office)
    event = _event(case, "四")
    table = Case._meta.db_table
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), together():
        insert_rows([event])
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET address = %s WHERE id = %s",  # noqa: S608
                               [["甲地", case.pk], ["乙地", case.pk]])
    assert event.pk is not None and CaseEvent.objects.filter(pk=event.pk).exists()
    assert Case.objects.get(pk=case.pk).address == "乙地"
    assert len(_sent(ctx)) == 1  # (the waiting insert's own message is not logged)


def test_flush_sends_now(office):
    _combining()
    case = new_case(office)
    event = _event(case, "五")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), together():
        insert_rows([event])
        flush()
        assert event.pk is not None
    assert _messages(ctx) == [1]


def test_a_failing_waiting_statement_raises_and_the_block_writes_nothing(office):
    _combining()
    case = new_case(office)
    events = CaseEvent.objects.count()
    event, party = _event(case, "六"), _party(case, "丁")
    with pytest.raises(DatabaseError), transaction.atomic(), together():
        insert_rows([event])
        later(f"UPDATE {Case._meta.db_table} SET satisfaction = %s WHERE id = %s",  # noqa: S608
              ["不是数字", case.pk])
        insert_rows([party])
    assert CaseEvent.objects.count() == events
    assert not Party.objects.filter(case=case, name="丁").exists()


def test_a_block_that_raises_sends_nothing_that_waits(office):
    case = new_case(office)
    events = CaseEvent.objects.count()
    event = _event(case, "七")
    with (CaptureQueriesContext(connection) as ctx, pytest.raises(ValueError, match="停"),
          transaction.atomic(), together()):
        insert_rows([event])
        raise ValueError("停")
    sent = [q["sql"] for q in ctx.captured_queries if "caseevent" in q["sql"]]
    # PostgreSQL: never sent; SQLite: sent at once (one INSERT), then rolled back.
    assert len(sent) == (0 if can_combine() else 1)
    assert CaseEvent.objects.count() == events
    # The connection waits for nothing more: the next statement is sent alone.
    with CaptureQueriesContext(connection) as ctx:
        assert Case.objects.filter(pk=case.pk).exists()
    assert _messages(ctx) == [1]


def test_an_inner_block_leaves_the_sending_to_the_outer_one(office):
    _combining()
    case = new_case(office)
    first, second = _event(case, "八"), _event(case, "九")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), together():
        insert_rows([first])
        with together():
            insert_rows([second])
        assert second.pk is None  # still waiting: the outer block sends
    assert _messages(ctx) == [2]
    assert first.pk is not None and second.pk is not None


def test_without_combining_every_statement_is_sent_at_once(office, monkeypatch):
    monkeypatch.setattr("civicgrid.core.rows.can_combine", lambda using="default": False)
    case = new_case(office)
    event = _event(case, "十")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), together():
        insert_rows([event])
        assert event.pk is not None
        later(f"UPDATE {Case._meta.db_table} SET address = %s WHERE id = %s",  # noqa: S608
              ["十里", case.pk])
    assert _messages(ctx) == [1, 1]
    assert Case.objects.get(pk=case.pk).address == "十里"


def test_a_savepoint_rolled_back_takes_its_waiting_rows_unsent(office):
    _combining()
    case = new_case(office)
    events = CaseEvent.objects.count()
    kept, undone = _event(case, "留"), _event(case, "撤")
    with transaction.atomic(), together():
        insert_rows([kept])
        with pytest.raises(ValueError), transaction.atomic():  # SAVEPOINT carries `kept`
            insert_rows([undone])
            raise ValueError
        assert kept.pk is not None and undone.pk is None  # never sent
    assert CaseEvent.objects.count() == events + 1
    assert CaseEvent.objects.get(pk=kept.pk).note == "留"


def test_named_parameters_go_after_the_waiting_ones(office):
    _combining()
    case = new_case(office)
    event = _event(case, "名")
    with transaction.atomic(), together():
        insert_rows([event])
        with connection.cursor() as cursor:
            cursor.execute("SELECT %(n)s::int * 2", {"n": 21})
            assert cursor.fetchone() == (42,)
        assert event.pk is not None
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_other_execute_wrappers_see_the_message_as_sent(office):
    _combining()
    case = new_case(office)
    event = _event(case, "见")
    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch), transaction.atomic(), together():
        insert_rows([event])
        assert Case.objects.filter(pk=case.pk).exists()
    carried = [sql for sql in seen if "caseevent" in sql]
    assert len(carried) == 1 and len(carried[0].split(SEPARATOR)) == 2
