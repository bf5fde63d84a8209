"""The one form of a time in every interface (JSON API, Open311, webhooks): ISO 8601 to the
second with the deployment's offset — `2026-11-30T09:15:00+08:00`; never `Z`, never
fractions of a second, never a naive time (docs/api.md, "Times")."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def api_time(moment: datetime) -> str:
    if timezone.is_naive(moment):  # not expected (USE_TZ); read as the deployment's time
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).isoformat(timespec="seconds")
