"""Secrets in URLs stay out of the logs.

Open311 clients send their key as `?api_key=…` (the spec's way), and other clients put
tokens in query strings too; access logs keep every request line for months. The filter
here replaces the value of such parameters with "[redacted]" in a record's message and
arguments — the request line of `django.server` (runserver) and `gunicorn.access`, the
messages of `django.request` and of the application — before any handler writes it.

`configure` is Django's LOGGING_CONFIG: it applies LOGGING, then puts the filter on the
loggers whose handlers LOGGING does not own (gunicorn sets up its access log itself, and
Django its runserver log), without replacing their handlers.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

# Query parameters whose value is a credential (matched whole, case-insensitive).
SECRET_PARAMETERS = ("api_key", "apikey", "api-key", "access_token", "token", "key",
                     "secret", "password", "passwd", "signature", "sig", "auth")
REDACTED = "[redacted]"

# A parameter at the start of a query string or after ?, & or ; (so "service_code" and
# "page_token" do not match "code" and "token"), up to the next separator.
_SECRET = re.compile(
    r"(?i)(^|[?&;\s\"'])(" + "|".join(re.escape(p) for p in SECRET_PARAMETERS)
    + r")=[^&;\s\"'#]*")

# Loggers that write request lines or URLs with handlers of their own.
REDACTED_LOGGERS = ("django.request", "django.server", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """`text` with the values of secret query parameters replaced."""
    if "=" not in text:
        return text
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}", text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecretsFilter(logging.Filter):
    """Redacts secret query parameters in the record's message and arguments (a tuple, or
    gunicorn's dict of access-log atoms); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            # In place: gunicorn's atoms are a dict subclass whose lookups its format needs.
            for key, value in list(record.args.items()):
                record.args[key] = _redact_value(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(v) for v in record.args)
        return True


def configure(config: dict[str, Any]) -> None:
    """LOGGING_CONFIG: dictConfig(LOGGING), then the filter on REDACTED_LOGGERS."""
    logging.config.dictConfig(config)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())
