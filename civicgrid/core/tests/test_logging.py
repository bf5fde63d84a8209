"""Secret query parameters never reach the logs: the request lines of runserver and
gunicorn, and whatever the console handler writes, have their values redacted."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings

from civicgrid.core.logging import RedactSecretsFilter, redact

KEY = "cg_5be0c1d2_Vw2sEcReTvAlUe"


@pytest.mark.parametrize(("text", "expected"), [
    (f"GET /open311/v2/requests.json?api_key={KEY}&status=open HTTP/1.1",
     "GET /open311/v2/requests.json?api_key=[redacted]&status=open HTTP/1.1"),
    (f"/open311/v2/requests.xml?status=open&API_KEY={KEY}",
     "/open311/v2/requests.xml?status=open&API_KEY=[redacted]"),
    (f"api_key={KEY}&service_code=0201", "api_key=[redacted]&service_code=0201"),
    (f"/x?token={KEY};password=hunter2#top", "/x?token=[redacted];password=[redacted]#top"),
    (f"/x?access_token={KEY}&apikey={KEY}&key={KEY}&sig=abc",
     "/x?access_token=[redacted]&apikey=[redacted]&key=[redacted]&sig=[redacted]"),
    # Parameters that only end like a secret one are left alone, and so is a path.
    ("/x?service_code=0201&page_token=2&monkey=1", "/x?service_code=0201&page_token=2&monkey=1"),
    ("/open311/v2/tokens/abc.json", "/open311/v2/tokens/abc.json"),
])
def test_redact(text, expected):
    assert redact(text) == expected


def _written(logger_name: str, msg: str, *args) -> str:
    """What a handler of `logger_name` writes for the record, with the configured loggers'
    filters (settings.LOGGING_CONFIG has run at django.setup())."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info(msg, *args)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return stream.getvalue()


def test_runserver_request_lines_are_redacted():
    line = _written("django.server", '"%s" %s %s',
                    f"GET /open311/v2/requests.json?api_key={KEY} HTTP/1.1", "200", "512")
    assert KEY not in line
    assert line == '"GET /open311/v2/requests.json?api_key=[redacted] HTTP/1.1" 200 512\n'


class Atoms(dict):
    """Like gunicorn's SafeAtoms: a dict whose missing keys format as "-"."""

    def __getitem__(self, key):
        return super().__getitem__(key) if key in self else "-"


def test_gunicorn_access_lines_are_redacted_keeping_its_atoms():
    atoms = Atoms({"h": "10.0.0.9", "r": f"GET /open311/v2/requests.xml?api_key={KEY} HTTP/1.0",
                   "q": f"api_key={KEY}", "s": "200",
                   "f": f"https://app.example/?api_key={KEY}"})
    line = _written("gunicorn.access", '%(h)s "%(r)s" %(s)s q=%(q)s ref=%(f)s ua=%(a)s', atoms)
    assert KEY not in line
    assert line == ('10.0.0.9 "GET /open311/v2/requests.xml?api_key=[redacted] HTTP/1.0" 200 '
                    "q=api_key=[redacted] ref=https://app.example/?api_key=[redacted] ua=-\n")


def test_the_console_handler_redacts_every_logger():
    assert settings.LOGGING_CONFIG == "civicgrid.core.logging.configure"
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact_secrets"]
    console = [h for h in logging.getLogger().handlers
               if any(isinstance(f, RedactSecretsFilter) for f in h.filters)]
    assert len(console) == 1
    record = logging.LogRecord("civicgrid.open311", logging.WARNING, __file__, 1,
                               "refused %s", (f"/open311/v2/requests.json?api_key={KEY}",), None)
    assert console[0].filter(record)
    assert record.getMessage() == "refused /open311/v2/requests.json?api_key=[redacted]"
