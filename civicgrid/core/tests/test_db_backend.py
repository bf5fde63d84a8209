"""The PostgreSQL backend's health check (civicgrid/core/db/postgresql): a kept connection is
checked without a round trip, and one the server has ended is closed and replaced."""

from __future__ import annotations

import select

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")


@pytest.fixture
def kept():
    """A second connection to the test database, as a worker keeps one between requests."""
    _postgresql_only()
    other = connections.create_connection("default")
    other.ensure_connection()
    yield other
    other.close()


def _backend_pid(wrapper) -> int:
    with wrapper.connection.cursor() as cursor:  # psycopg's own: nothing Django counts
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_settings_use_the_backend():
    _postgresql_only()
    assert connection.settings_dict["ENGINE"] == "civicgrid.core.db.postgresql"
    assert type(connections["default"]).__module__ == "civicgrid.core.db.postgresql.base"


def test_an_idle_connection_is_usable_without_a_message_to_the_server(kept, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the health check sent a statement")

    monkeypatch.setattr(kept.connection, "execute", refuse)
    monkeypatch.setattr(kept.connection, "cursor", refuse)
    assert kept.is_usable() is True


def test_a_connection_the_server_ended_is_unusable_and_replaced(kept):
    pid = _backend_pid(kept)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    # The server's farewell (an error message, then the end of the stream) arrives on the
    # socket: wait for it, not for a fixed time.
    readable, _, _ = select.select([kept.connection.pgconn.socket], [], [], 10)
    assert readable
    assert kept.is_usable() is False
    # As at the start of a request with CONN_HEALTH_CHECKS: closed, and a new one opened.
    kept.health_check_enabled, kept.health_check_done = True, False
    kept.close_if_health_check_failed()
    assert kept.connection is None
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert _backend_pid(kept) != pid


def test_a_connection_left_in_a_transaction_is_unusable(kept):
    kept.connection.execute("BEGIN")
    assert kept.is_usable() is False
    kept.connection.execute("ROLLBACK")
    assert kept.is_usable() is True


def test_a_closed_connection_is_unusable(kept):
    kept.connection.close()
    assert kept.is_usable() is False


def test_anything_waiting_on_an_idle_socket_counts_against_the_connection(kept):
    # (A request's connection listens to nothing; here a notification stands for any
    # message that arrives while idle: the server's farewell error arrives the same way.)
    kept.connection.execute("LISTEN civicgrid_probe")
    sender = connections.create_connection("default")
    sender.ensure_connection()
    try:
        sender.connection.execute("NOTIFY civicgrid_probe")
    finally:
        sender.close()
    readable, _, _ = select.select([kept.connection.pgconn.socket], [], [], 10)
    assert readable
    assert kept.is_usable() is False
