"""Text messages (短信) to residents' phones: one port, `sms_send`, and pluggable backends.

Like Django's EMAIL_BACKEND, `settings.SMS_BACKEND` names the class that delivers:

- `civicgrid.notices.sms.LogBackend` (the default): writes one log line per message, with
  the phone masked (138****5678) and the text, for the embedded set-up and demos;
- `civicgrid.notices.sms.LocmemBackend` (the tests): keeps the messages in `outbox`.

A carrier gateway plugs in as another class with the same `send(phone, text)` method,
named in SMS_BACKEND (docs/operations.md, "Text messages"). Callers send after their
transaction commits (`transaction.on_commit`), so a rolled-back write sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from civicgrid.core.masking import mask_phone

logger = logging.getLogger("civicgrid.sms")


@dataclass(frozen=True)
class Sms:
    phone: str
    text: str


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


outbox: list[Sms] = []  # LocmemBackend's messages (tests empty it)


class LocmemBackend:
    """Keeps the messages in `outbox` (tests)."""

    def send(self, phone: str, text: str) -> None:
        outbox.append(Sms(phone, text))


class LogBackend:
    """Logs each message, the phone masked; delivers nothing (embedded set-up, demos)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


@lru_cache(maxsize=4)
def _backend(path: str) -> SmsBackend:
    backend: SmsBackend = import_string(path)()
    return backend


def sms_send(phone: str, text: str) -> None:
    """Send `text` to `phone` through the configured backend."""
    _backend(settings.SMS_BACKEND).send(phone, text)
