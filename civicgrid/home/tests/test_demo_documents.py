"""Every document of every demo case renders: the 受理登记表 of each case and the
人民调解协议书 of each case with an agreement, downloaded through the pages as the district
centre's dispatcher (who sees the whole district) would."""

from __future__ import annotations

import io

from django.test import Client
from pypdf import PdfReader

from civicgrid.accounts.models import User
from civicgrid.cases.models import Agreement, Case
from civicgrid.home.demo_cases import demo_cases_seed

DEMO_CASES = 400  # what `make run` loads


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_every_document_of_every_demo_case_renders(demo):
    assert demo_cases_seed(count=DEMO_CASES) == DEMO_CASES
    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    cases = list(Case.objects.order_by("number").values_list("number", "supervision"))
    supervised = [number for number, supervision in cases if supervision]
    assert supervised, "the demo has supervised cases"
    for number, _supervision in cases:
        text = _pdf_text(client.get(f"/cases/{number}/registration.pdf"))
        assert number in text
    with_agreement = list(Agreement.objects.values_list("case__number", flat=True))
    assert with_agreement, "the demo has mediation agreements"
    for number in with_agreement:
        text = _pdf_text(client.get(f"/cases/{number}/agreement.pdf"))
        assert "人民调解协议书" in text.replace(" ", "")
