"""Uploads are reached only through the views that check the reader's scope, in every
setting (DEBUG too: there is no /media/ route), and what a signed-in user is sent with
personal data is never kept by a cache (Cache-Control: no-store)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, clear_url_caches, resolve, reverse

from civicgrid.cases.services import PartyInput
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_workflow import PNG
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _case_with_photo(office):
    return new_case(office, uploads=[SimpleUploadedFile("scene.png", PNG, "image/png")],
                    parties=[PartyInput(role="applicant", name="张三", phone="13812345678",
                                        id_number="11010519491231002X")])


@pytest.fixture
def debug_urls(settings):
    """config.urls as imported with DEBUG on (the local settings)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_uploads_have_no_public_route_even_with_debug(office, debug_urls):
    assert django_settings.DEBUG is True
    case = _case_with_photo(office)
    attachment = case.attachments.get()
    assert Path(attachment.file.path).is_file()
    for name in (attachment.file.name, attachment.thumbnail.name):
        path = f"{django_settings.MEDIA_URL}{name}"
        with pytest.raises(Resolver404):
            resolve(path)
        assert Client().get(path).status_code == 404
        assert _client(office.people["grid"]).get(path).status_code == 404


def test_uploads_are_served_by_the_scoped_views_only(office):
    case = _case_with_photo(office)
    attachment = case.attachments.get()
    urls = [reverse("cases:attachment", args=[case.number, attachment.pk]),
            reverse("cases:attachment_thumb", args=[case.number, attachment.pk])]
    outsider, grid = _client(office.people["outsider"]), _client(office.people["grid"])
    for url in urls:
        assert outsider.get(url).status_code == 404
        assert Client().get(url).status_code == 302  # to the sign-in page
        response = grid.get(url)
        assert response.status_code == 200
    assert b"".join(grid.get(urls[0]).streaming_content) == PNG


# Pages and files with personal data, by URL name: each is asked by a user who may see it.
PRIVATE = [
    "cases:list", "cases:detail", "cases:party_reveal", "cases:attachment",
    "cases:attachment_thumb", "cases:registration_pdf", "cases:notices",
    "accounts:user_list", "accounts:user_detail", "accounts:security", "core:home",
    "api:case_detail", "api:case_list",
]


def _url(name: str, case, user) -> str:
    attachment, party = case.attachments.get(), case.parties.get()
    args = {
        "cases:detail": [case.number], "cases:registration_pdf": [case.number],
        "cases:party_reveal": [case.number, party.pk],
        "cases:attachment": [case.number, attachment.pk],
        "cases:attachment_thumb": [case.number, attachment.pk],
        "accounts:user_detail": [user.pk], "api:case_detail": [case.number],
    }.get(name, [])
    return reverse(name, args=args)


@pytest.mark.parametrize("name", PRIVATE)
def test_private_pages_are_not_stored(office, name):
    case = _case_with_photo(office)
    user = office.people["dispatcher"]  # street A supervisor: may reveal parties
    response = _client(user).get(_url(name, case, user))
    assert response.status_code == 200, name
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives, (name, response["Cache-Control"])
    assert not any(d.startswith("max-age=") and d != "max-age=0" for d in directives)


def test_the_agreement_pdf_is_not_stored_either(office):
    """Checked in test_documents for a case with an agreement; the rule holds for any
    answer of that view, e.g. the redirect when there is none."""
    case = _case_with_photo(office)
    response = _client(office.people["dispatcher"]).get(
        reverse("cases:agreement_pdf", args=[case.number]))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


def test_answers_to_nobody_signed_in_are_left_to_their_views(db):
    response = Client().get("/api/v1/ping")
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")
