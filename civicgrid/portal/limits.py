"""Per-address limits on what anonymous visitors may do (reports, status look-ups).

Fixed windows counted in Django's cache: the first hit of a window stores its end, every
hit increments a counter that expires with the window. With several server processes the
cache must be shared (Redis) for the limit to hold across them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Window:
    allowed: bool
    retry_after: int  # seconds until the window ends

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def _keys(scope: str, address: str | None) -> tuple[str, str]:
    key = f"portal-limit:{scope}:{address or 'unknown'}"
    return key, key + ":ends"


def peek(scope: str, address: str | None, *, limit: int, window: int) -> Window:
    """Is there room for one more hit (without counting one)?"""
    count_key, ends_key = _keys(scope, address)
    count = cache.get(count_key, 0)
    ends = cache.get(ends_key) or time.time() + window
    return Window(count < limit, max(1, int(ends - time.time())))


def hit(scope: str, address: str | None, *, limit: int, window: int) -> Window:
    """Count one hit; allowed while the window holds at most `limit` hits."""
    count_key, ends_key = _keys(scope, address)
    now = time.time()
    cache.add(ends_key, now + window, window)
    cache.add(count_key, 0, window)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, window)
        count = 1
    ends = cache.get(ends_key) or now + window
    return Window(count <= limit, max(1, int(ends - now)))
