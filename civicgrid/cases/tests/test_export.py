"""The case list as XLSX: the reader's scope and filters, parties masked, formulas kept as
text, every export audited; more than EXPORT_LIMIT rows says so in the sheet."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.services import PartyInput
from civicgrid.cases.services import exports as exports_module
from civicgrid.cases.tests.conftest import new_case
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


def _sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_export_is_the_readers_filtered_list_masked_and_audited(office):
    noise = new_case(office, description="=HYPERLINK(\"http://x\") 楼上噪音", parties=[
        PartyInput(role="applicant", name="欧阳明", phone="13912345678")])
    other = new_case(office, description="另一件事情:楼道堆物")
    client = Client()
    client.force_login(office.people["dispatcher"])
    rows = _sheet(client.get(reverse("cases:export"), {"inbox": "all", "q": "噪音"}))
    assert rows[0][:3] == ["编号", "登记时间", "来源"]
    assert [r[0] for r in rows[1:]] == [noise.number]
    text = " ".join(str(v) for v in rows[1] if v)
    assert "欧阳*(申请人)" in text and "欧阳明" not in text and "13912345678" not in text
    assert rows[1][6].startswith("'=HYPERLINK")  # a formula stays text
    entry = AuditEntry.objects.get(event_type="document.case_list_exported")
    assert entry.actor_username == office.people["dispatcher"].username
    assert entry.details["rows"] == 1 and entry.details["truncated"] is False
    assert "q=" in entry.details["query"]
    # Out of scope: the outsider's export holds none of street A's cases.
    outsider = Client()
    outsider.force_login(office.people["outsider"])
    rows = _sheet(outsider.get(reverse("cases:export"), {"inbox": "all"}))
    assert [r[0] for r in rows[1:]] == []
    assert other.number  # (created, but not the outsider's)


def test_more_rows_than_the_limit_say_so(office, monkeypatch):
    monkeypatch.setattr(exports_module, "EXPORT_LIMIT", 2)
    for _ in range(3):
        new_case(office)
    client = Client()
    client.force_login(office.people["dispatcher"])
    rows = _sheet(client.get(reverse("cases:export"), {"inbox": "all"}))
    assert len(rows) == 1 + 2 + 1
    assert "仅导出前 2 件" in rows[-1][0]
    assert AuditEntry.objects.get(event_type="document.case_list_exported").details[
        "truncated"] is True


def test_anonymous_is_sent_to_sign_in(db):
    response = Client().get(reverse("cases:export"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
