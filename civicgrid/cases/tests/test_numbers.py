"""Case numbers from sharded day counters (ADR 0011): unique whatever the number of
shards, the plain day sequence with one, and intakes on different shards of one county
never wait for each other."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from civicgrid.cases.models import CaseNumberSequence
from civicgrid.cases.services.intake import _next_number, case_number
from civicgrid.cases.tests.conftest import new_case
from civicgrid.conftest import is_postgres
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

DAY = timezone.localdate().strftime("%Y%m%d")


@pytest.mark.parametrize(("shard", "n", "suffix"), [
    (0, 1, "00001"), (0, 9999, "09999"), (3, 12, "30012"), (9, 9999, "99999"),
    (0, 10000, "010000"), (1, 10000, "110000"),  # past 9999 a shard's number grows a digit
])
def test_the_number_reads_county_day_shard_and_sequence(shard, n, suffix):
    assert case_number("320602", date(2026, 12, 5), shard, n) == f"320602-20261205-{suffix}"


def test_one_shard_numbers_the_day_one_by_one(office):
    numbers = [new_case(office).number[-5:] for _ in range(3)]
    assert numbers == ["00001", "00002", "00003"]


def test_shards_number_apart_and_never_collide(office, settings, monkeypatch):
    settings.CASE_NUMBER_SHARDS = 8
    drawn = iter([3, 5, 3, 0])
    monkeypatch.setattr("civicgrid.cases.services.intake.secrets.randbelow",
                        lambda n: next(drawn))
    numbers = [new_case(office).number[-5:] for _ in range(4)]
    assert numbers == ["30001", "50001", "30002", "00001"]
    assert sorted(CaseNumberSequence.objects.values_list("shard", "last")) == [
        (0, 1), (3, 2), (5, 1)]


def test_changing_the_number_of_shards_during_a_day_repeats_no_number(office, settings,
                                                                      monkeypatch):
    first = [new_case(office).number for _ in range(2)]  # one shard: -00001, -00002
    settings.CASE_NUMBER_SHARDS = 4
    drawn = iter([0, 1])
    monkeypatch.setattr("civicgrid.cases.services.intake.secrets.randbelow",
                        lambda n: next(drawn))
    later = [new_case(office).number for _ in range(2)]
    assert [n[-5:] for n in first + later] == ["00001", "00002", "00003", "10001"]


def test_numbers_made_before_shards_are_not_made_again(db):
    """A day that had gone past 9999 before the upgrade used numbers that now read as
    shards 1–9's: the migration starts those shards above them."""
    migration = importlib.import_module("civicgrid.cases.migrations.0013_number_shards")
    CaseNumberSequence.objects.create(county_code="320602", day=date(2026, 12, 5), last=23456)
    CaseNumberSequence.objects.create(county_code="320611", day=date(2026, 12, 5), last=9000)
    migration.reserve_old_numbers(apps, None)
    assert sorted(CaseNumberSequence.objects.values_list("county_code", "shard", "last")) == [
        ("320602", 0, 23456), ("320602", 1, 9999), ("320602", 2, 3456),
        ("320611", 0, 9000)]


def test_postgres_intakes_on_other_shards_do_not_wait(db, settings, monkeypatch):
    """One transaction holds shard 0 of a county's day until it commits (another
    connection here); a number from shard 1 is handed out at once, one from shard 0 waits."""
    if not is_postgres():
        pytest.skip("row locks between connections: PostgreSQL")
    import psycopg
    from django.db import connections

    settings.CASE_NUMBER_SHARDS = 2
    now = timezone.now()
    other = psycopg.connect(**connections["default"].get_connection_params())
    try:
        other.execute(
            "INSERT INTO cases_casenumbersequence (county_code, day, shard, last) "
            "VALUES ('320699', %s, 0, 1)", [timezone.localdate(now)])  # not committed
        monkeypatch.setattr("civicgrid.cases.services.intake.secrets.randbelow", lambda n: 1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            assert _next_number("320699", now) == f"320699-{DAY}-10001"
        monkeypatch.setattr("civicgrid.cases.services.intake.secrets.randbelow", lambda n: 0)
        with pytest.raises(Exception, match="lock timeout"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
            _next_number("320699", now)
    finally:
        other.rollback()
        other.close()
