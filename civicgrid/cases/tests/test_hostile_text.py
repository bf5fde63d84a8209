"""Text a resident or a client typed is shown as text: markup in a description, an address
or a party's name never becomes HTML on the staff pages (docs/security.md)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from civicgrid.cases.services import PartyInput
from civicgrid.cases.tests.conftest import new_case
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

MARKUP = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_markup_in_what_residents_typed_is_escaped_on_the_case_pages(office):
    case = new_case(office, description="楼道堆物 " + MARKUP, address=MARKUP,
                    parties=[PartyInput(role="applicant", name="张" + MARKUP,
                                        phone="13812345678")])
    client = Client()
    client.force_login(office.people["dispatcher"])
    for url in (reverse("cases:detail", args=[case.number]), reverse("cases:list")):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html, url
    detail = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail  # shown, as text
