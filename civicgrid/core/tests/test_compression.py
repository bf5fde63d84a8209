"""Pages and JSON are sent gzip-compressed to a browser that accepts it; images, PDFs and
spreadsheets are not compressed again (civicgrid/core/compression.py)."""

from __future__ import annotations

import gzip

from django.http import HttpResponse
from django.test import RequestFactory

from civicgrid.core.compression import TextGZipMiddleware

BODY = ("<!doctype html><title>x</title>" + "<p>社会治理综合信息平台</p>" * 200).encode()


def answer(content_type: str, accept: str = "gzip, deflate, br"):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)
    middleware = TextGZipMiddleware(lambda r: HttpResponse(BODY, content_type=content_type))
    return middleware(request)


def test_a_page_is_compressed_for_a_browser_that_accepts_gzip():
    response = answer("text/html; charset=utf-8")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == BODY
    assert len(response.content) < len(BODY) / 5


def test_json_is_compressed_too():
    assert answer("application/json")["Content-Encoding"] == "gzip"


def test_nothing_is_compressed_for_a_browser_that_does_not_accept_gzip():
    response = answer("text/html; charset=utf-8", accept="identity")
    assert not response.has_header("Content-Encoding")
    assert response.content == BODY


def test_images_pdfs_and_spreadsheets_are_sent_as_they_are():
    for content_type in ("image/jpeg", "application/pdf",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
        response = answer(content_type)
        assert not response.has_header("Content-Encoding"), content_type
        assert response.content == BODY


def test_the_middleware_is_installed(client, db):
    from django.conf import settings

    assert "civicgrid.core.compression.TextGZipMiddleware" in settings.MIDDLEWARE
    response = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert b"csrfmiddlewaretoken" in gzip.decompress(response.content)
