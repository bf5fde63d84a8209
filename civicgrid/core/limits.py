"""Limits on what anonymous visitors may do (reports, look-ups, proofs), counted in the cache.

Fixed windows: the first hit of a window stores its end, and every hit adds one to a
counter that expires with the window. Checking and counting are ONE step (`hit`): the
counter is raised with the cache's atomic `add` + `incr` *before* the work it guards, so
ten requests arriving together get ten different counts and only as many as the limit
pass. `incr` is atomic in Redis and in the local-memory cache (one process); with several
server processes the cache must be shared (Redis, REDIS_CACHE_URL) for a limit to hold
across them. A hit that turned out not to need counting (a right answer) is given back
with `refund`.

Client addresses are keyed once, here (`address_key`): an IPv4 address as it is, an IPv6
address by its /64 (one subscriber's network: a phone or home router hands out many
addresses of its /64, so keying by full address would not limit it at all).
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Window:
    allowed: bool
    retry_after: int  # seconds until the window ends
    ends: float  # when the window ends (seconds since the epoch)

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def retry_at(self) -> datetime:
        """When the window ends, in Asia/Shanghai, rounded up to the whole minute."""
        moment = datetime.fromtimestamp(self.ends, SHANGHAI)
        if moment.second or moment.microsecond:
            moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return moment

    @property
    def retry(self) -> dict[str, object]:
        """The values of every refusal message: "请 %(n)d 分钟后(%(time)s 以后)再试"."""
        return {"n": self.retry_minutes, "time": self.retry_at.strftime("%H:%M")}


def address_key(address: str | None) -> str:
    """The key of a client address: IPv4 exact, IPv6 by its /64 (an IPv4-mapped IPv6
    address counts as its IPv4 address)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "invalid:" + address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _keys(scope: str, key: str) -> tuple[str, str]:
    count_key = f"portal-limit:{scope}:{key}"
    return count_key, count_key + ":ends"


def count(scope: str, key: str, *, limit: int, window: int) -> Window:
    """Count one hit on `key` and say whether it is within the limit, in one atomic step:
    allowed while the window holds at most `limit` hits (this one included)."""
    count_key, ends_key = _keys(scope, key)
    now = time.time()
    cache.add(ends_key, now + window, window)
    cache.add(count_key, 0, window)
    try:
        hits = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.add(count_key, 0, window)
        hits = cache.incr(count_key)
    ends = cache.get(ends_key) or now + window
    return Window(hits <= limit, max(1, math.ceil(ends - now)), ends)


def refund(scope: str, key: str) -> None:
    """Give back one hit counted by `count` (the attempt proved right)."""
    count_key, _ends = _keys(scope, key)
    try:
        if cache.decr(count_key) < 0:
            cache.incr(count_key)
    except ValueError:  # the window ended meanwhile: nothing to give back
        pass


def hit(scope: str, address: str | None, *, limit: int, window: int) -> Window:
    """Count one hit from a client address (keyed by `address_key`)."""
    return count(scope, address_key(address), limit=limit, window=window)
