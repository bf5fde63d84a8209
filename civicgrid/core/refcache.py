"""Reference data cached per process, kept right across processes by revision counters.

What a request reads again and again but people rarely change — the category tree, the
routing rules and units, the areas, the webhook endpoints (REFERENCE); API tokens with
their account and its scope (ACCESS) — is kept in each process's memory. Every change of
such data bumps its domain's counter (`core.Revision`) *in the same transaction*, from the
models' save and delete signals (`watch`) and, for bulk writes that send no signals, from
the service that makes them (`revision_bump`). A request reads every counter once, in one
statement, at its first use of a cache (`revisions`), and a cache whose counter moved is
emptied: a change committed by one process is seen by every other at its next request.

The counter is read before the data it guards, so a cache can only ever hold data at
least as new as its counter says; a race costs one extra reload, never a stale answer.
Outside a request (Celery tasks, commands) the counters are read at every use.

Cached values are shared by every request of the process: they are model instances that
callers read and never change (a service that changes one reads it from the database).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save

REFERENCE = "reference"  # categories, attributes, routing rules, units, areas, webhooks
ACCESS = "access"  # API tokens, accounts, roles, jurisdictions, unit memberships
DOMAINS = (REFERENCE, ACCESS)

_V = TypeVar("_V")
_UNSET: dict[str, int] = {}


class _RequestMemo(threading.local):
    """The counters as this thread's request read them: None outside a request (read at
    every use), _UNSET in a request that has not read them yet. (A thread, not a context
    variable: the request's code may run in copied contexts, the thread is the request's.)"""

    value: dict[str, int] | None = None


_memo = _RequestMemo()


def revisions() -> dict[str, int]:
    """Every domain's counter: read once per request (one statement), remembered until it
    ends; read afresh at every call outside a request."""
    memo = _memo.value
    if memo is not None and memo is not _UNSET:
        return memo
    from civicgrid.core.models import Revision

    values = dict(Revision.objects.values_list("name", "value"))
    if memo is _UNSET:
        _memo.value = values
    return values


def revision_bump(*domains: str) -> None:
    """Mark the domains' data as changed, in the caller's transaction: other processes
    reload at their first request after the commit; this one at once."""
    from civicgrid.core.models import Revision

    table = connection.ops.quote_name(Revision._meta.db_table)
    with connection.cursor() as cursor:
        for domain in domains:
            cursor.execute(
                f"INSERT INTO {table} (name, value) VALUES (%s, 1) "  # noqa: S608
                f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1", [domain])
    if _memo.value is not None:
        _memo.value = _UNSET  # this request reads the counters again
    for cache in RefCache.registry:
        if cache.domain in domains:
            cache.clear()


class RevisionMiddleware:
    """Requests read the counters once (at their first use of a cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        outer, _memo.value = _memo.value, _UNSET
        try:
            return self.get_response(request)
        finally:
            _memo.value = outer


class RefCache(Generic[_V]):
    """A per-process map key → value for one domain, emptied when its counter moves.
    `max_entries` bounds it: past that, it is emptied and filled again as asked."""

    registry: list[RefCache[Any]] = []

    def __init__(self, name: str, domain: str, *, max_entries: int = 100_000) -> None:
        assert domain in DOMAINS, domain
        self.name, self.domain, self.max_entries = name, domain, max_entries
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._data: dict[Hashable, _V] = {}
        RefCache.registry.append(self)

    def get(self, key: Hashable, load: Callable[[], _V]) -> _V:
        revision = revisions().get(self.domain, 0)
        with self._lock:
            if self._revision != revision:
                self._data, self._revision = {}, revision
            if key in self._data:
                return self._data[key]
        value = load()  # (outside the lock: a slow load does not hold other threads)
        with self._lock:
            if self._revision == revision:
                if len(self._data) >= self.max_entries:
                    self._data = {}
                self._data[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._data, self._revision = {}, None

    @classmethod
    def clear_all(cls) -> None:
        for cache in cls.registry:
            cache.clear()


def watch(domain: str, *models_: type[models.Model],
          ignore_fields: Iterable[str] = ()) -> None:
    """Bump `domain` whenever a row of these models is saved or deleted, or a many-to-many
    relation between them changes. A save that writes only `ignore_fields` (a user's
    last_login) changes nothing a cache holds and does not bump."""
    ignored = frozenset(ignore_fields)

    def saved(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
        if raw or (update_fields is not None and set(update_fields) <= ignored):
            return
        revision_bump(domain)

    def deleted(sender, instance, **kwargs) -> None:
        revision_bump(domain)

    def related(sender, instance, action, **kwargs) -> None:
        if action in ("post_add", "post_remove", "post_clear"):
            revision_bump(domain)

    for model in models_:
        uid = f"civicgrid-refcache-{domain}-{model._meta.label_lower}"
        post_save.connect(saved, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=uid)
        for field in model._meta.many_to_many:
            m2m_changed.connect(related, sender=field.remote_field.through, weak=False,
                                dispatch_uid=f"{uid}-{field.name}")
