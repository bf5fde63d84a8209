"""The portal's limits on the cache production uses (Redis, shared by every server process):
ten attempts at the same moment, each on its own connection, and only the limit passes.
Skipped where no Redis answers on 127.0.0.1:6379 (the embedded default needs none)."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

from civicgrid.core import limits

REDIS = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


def test_ten_attempts_at_once_on_redis_pass_only_up_to_the_limit():
    prefix = f"cgtest-{uuid.uuid4().hex}"
    config = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS, "KEY_PREFIX": prefix}}
    with override_settings(CACHES=config):
        barrier = threading.Barrier(10)
        results: list[bool] = []

        def attempt() -> None:
            barrier.wait()
            results.append(limits.hit("report", "10.1.2.3", limit=5, window=60).allowed)
            caches["default"].close()

        threads = [threading.Thread(target=attempt) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            assert sorted(results) == [False] * 5 + [True] * 5
            window = limits.hit("report", "10.1.2.3", limit=5, window=60)
            assert not window.allowed and 1 <= window.retry_after <= 60
            assert limits.hit("report", "10.1.2.4", limit=5, window=60).allowed
        finally:
            caches["default"].delete_many([  # only this test's keys (never flush the db)
                f"portal-limit:report:{ip}{end}" for ip in ("10.1.2.3", "10.1.2.4")
                for end in ("", ":ends")])
            caches["default"].close()
