"""The report and release pages: every number links to the cases behind it, the XLSX and
PDF downloads say what the page says, the number of queries does not grow with the cases,
the public version prints no count below 5, and who may do what."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.tests.conftest import at, make_cases
from civicgrid.reports.tests.pages import (
    as_number,
    listed,
    page_numbers,
    pdf_text,
    squeeze,
    xlsx_tables,
)
from civicgrid.reports.tests.scenario import build
from civicgrid.testing import build_office, parts, shared

KINDS = ("weekly", "monthly", "quarterly")


def _office_and_scenario():
    built = build_office()
    return built, build(built)


# Every test starts from the district at work in the scenario's months: built once for the
# module, rolled back after each test (civicgrid/testing.py).
office_scenario_once, office_scenario = shared(_office_and_scenario, name="office_scenario")
office, scenario, world = parts("office_scenario", office=lambda b: b[0],
                                scenario=lambda b: b[1], world=lambda b: b[0].world)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish(client: Client, code: str, month: str, *, public: bool, **kw):
    """Publish as the page does: open the confirmation, then confirm what it showed."""
    params = {"month": month, **({"public": "1"} if public else {})}
    confirm = client.get(f"/reports/{code}/release/publish/", params)
    assert confirm.status_code == 200, confirm.status_code
    return client.post(f"/reports/{code}/release/publish/",
                       {**params, "digest": confirm.context["digest"]}, **kw)


def anchor(kind: str, month, day) -> str:
    if kind == "weekly":
        return f"week={day:%Y-%m-%d}"
    if kind == "monthly":
        return f"period={month:%Y-%m}"
    return f"period={month.year}-Q{(month.month - 1) // 3 + 1}"


def report_url(kind: str, code: str, scenario, suffix: str = "/") -> str:
    return f"/reports/{code}/{kind}{suffix}?{anchor(kind, scenario.month, scenario.day)}"


# --- drill-down --------------------------------------------------------------------------

def assert_every_count_drills_down(user, html: bytes) -> int:
    """Every whole number on the page is a link to the case list, and the list has exactly
    that many cases. Returns how many numbers were checked."""
    parsed = page_numbers(html)
    checked = 0
    for number in parsed.numbers:
        value = as_number(number.text)
        if not isinstance(value, int) or number.text.startswith(("+", "-")):
            assert not number.href, number  # rates and changes: derived, no list
            continue
        assert number.href.startswith("/cases/?"), f"count without a link: {number}"
        assert listed(user, number.href) == value, (number, listed(user, number.href))
        checked += 1
    return checked


@pytest.mark.parametrize("kind", KINDS)
def test_every_number_of_a_report_lists_its_cases(kind, office, scenario, reader):
    response = client_for(reader).get(report_url(kind, office.world.county.code, scenario))
    assert response.status_code == 200
    checked = assert_every_count_drills_down(reader, response.content)
    assert checked > 60
    numbers = page_numbers(response.content)
    # The headline numbers as built: 15 registered, 14 due (one rejected), 3 closed.
    assert numbers.rows[("cards", "")][:3] == ["15", "14", "3"]
    # The two overdue cases, most overdue first, with their 超时倍数.
    assert response.content.count(b"data-case=") == 2
    assert numbers.rows[("overdue", "")] == ["2"]


def test_a_community_report_counts_from_the_cases(office, scenario, reader):
    url = report_url("monthly", office.world.community_a.code, scenario)
    response = client_for(reader).get(url)
    assert assert_every_count_drills_down(reader, response.content) > 40
    assert page_numbers(response.content).rows[("cards", "")][0] == "11"  # not street B's


def test_the_case_list_shows_the_number_clicked(office, scenario, reader):
    """End to end through the real case list page (its drill-down banner)."""
    client = client_for(reader)
    html = client.get(report_url("monthly", office.world.county.code, scenario)).content
    numbers = [n for n in page_numbers(html).numbers if n.href][:12]
    for number in numbers:
        page = client.get(number.href.replace("&amp;", "&"))
        assert page.status_code == 200
        match = re.search(rb'data-testid="drill-total">(\d+)<', page.content)
        assert match is not None, number
        assert int(match.group(1)) == as_number(number.text), number


def test_every_number_of_the_internal_release_lists_its_cases(office, scenario, reader):
    response = client_for(reader).get(
        f"/reports/{office.world.county.code}/release/?month={scenario.month:%Y-%m}")
    assert response.status_code == 200
    assert assert_every_count_drills_down(reader, response.content) >= 18 + 12
    release = page_numbers(response.content).rows
    assert release[("release", "total")][0] == "15"
    assert release[("release", "dispute")][0] == "12"  # 6 + 2 + 3 neighbour, 1 labour
    assert release[("release", "petition")][0] == "2"
    assert release[("release", "hazard")][0] == "1"


# --- exports -----------------------------------------------------------------------------

def page_tables(html: bytes) -> dict[str, list[tuple[str, list[str]]]]:
    """{table key: [(row label as shown, [number texts])]} in page order."""
    parsed = page_numbers(html)
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for (table, row), texts in parsed.rows.items():
        if table in ("cards", "overdue", "release", "children"):
            continue
        out.setdefault(table, []).append((parsed.labels[(table, row)], texts))
    return out


def xlsx_number(value):
    if isinstance(value, float):
        return round(value, 2)
    return value


@pytest.mark.parametrize("kind", KINDS)
def test_xlsx_and_pdf_say_what_the_page_says(kind, office, scenario, reader):
    client = client_for(reader)
    code = office.world.county.code
    html = client.get(report_url(kind, code, scenario)).content
    tables = page_tables(html)
    titles = dict(re.findall(
        r'data-table="(\w+)">\s*<div class="card-header"><h3 class="card-title">([^<]+)<',
        html.decode()))
    assert set(tables) <= set(titles)

    xlsx = client.get(report_url(kind, code, scenario, ".xlsx"))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = xlsx_tables(xlsx.content)
    for key, rows in tables.items():
        sheet = sheets[titles[key]]
        header, body = sheet[0], sheet[1:]
        skip = 2 if header[1] == "代码" else 1
        assert len(body) == len(rows), key
        for (label, texts), xrow in zip(rows, body, strict=True):
            assert squeeze(label) == squeeze("".join(str(v) for v in xrow[:skip])), (label, xrow)
            assert [xlsx_number(v) for v in xrow[skip:]] == [as_number(t) for t in texts], (
                key, label, xrow)
    overview = {row[0]: row[1] for row in sheets["说明"] if row and row[0]}
    cards = page_numbers(html).rows[("cards", "")]
    assert [overview[label] for label in ("登记数", "应结案数", "结案数")] == [
        as_number(t) for t in cards[:3]]
    assert len(sheets["超时事件"]) == 1 + 2

    pdf = client.get(report_url(kind, code, scenario, ".pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    text = squeeze(pdf_text(pdf.content))
    for key, rows in tables.items():
        assert squeeze(titles[key]) in text, key
        for label, texts in rows:  # the label and the row's numbers, in this order
            assert squeeze(label) + "".join(texts) in text, (key, label, texts)


def test_release_exports_say_what_the_page_says(office, scenario, reader):
    client = client_for(reader)
    code = office.world.county.code
    for version in ("", "&version=public"):
        url = f"/reports/{code}/release/?month={scenario.month:%Y-%m}{version}"
        rows = page_numbers(client.get(url).content).rows
        page = {row: texts for (table, row), texts in rows.items() if table == "release"}
        xlsx = xlsx_tables(client.get(url.replace("/release/", "/release.xlsx")).content)
        sheet = xlsx["平安数据"]
        header_at = next(i for i, r in enumerate(sheet) if r and r[0] == "项目")
        body = sheet[header_at + 1:header_at + 7]
        for (key, texts), xrow in zip(page.items(), body, strict=True):
            assert [as_number(t) for t in texts] == [
                v if isinstance(v, int) else str(v) for v in xrow[1:4]], (key, xrow)
        text = squeeze(pdf_text(client.get(url.replace("/release/", "/release.pdf")).content))
        for key, texts in page.items():
            assert "".join(texts) in text, (key, texts)


# --- the public version ------------------------------------------------------------------

DATES = re.compile(r"\d{4}年\d{1,2}月(\d{1,2}日)?|\d{4}-\d{2}(-\d{2})?( \d{2}:\d{2})?")
RATES = re.compile(r"[+-]?\d+(\.\d+)?%")
FOOTER = re.compile(r"第\s*\d+\s*页\s*共\s*\d+\s*页")


def small_numbers(text: str) -> list[str]:
    """Every number below 5 left in a text once dates, rates (%) and the page footer are
    taken out."""
    text = FOOTER.sub(" ", RATES.sub(" ", DATES.sub(" ", text)))
    return [n for n in re.findall(r"(?<![\d.<])\d[\d,]*(?![\d.])", text)
            if int(n.replace(",", "")) < 5]


def visible_text(html: bytes) -> str:
    body = html.decode()
    body = body[body.index("<main"):body.index("</main>")]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body).replace("&lt;", "<")


def test_the_public_release_shows_no_count_below_five(office, scenario, reader, publisher):
    code = office.world.county.code
    month = f"{scenario.month:%Y-%m}"
    client = client_for(reader)
    response = publish(client_for(publisher), code, month, public=True)
    assert response.status_code == 302
    public = Client()  # nobody signed in
    page = public.get(f"/reports/public/release/?district={code}&month={month}")
    assert page.status_code == 200
    text = visible_text(page.content)
    assert small_numbers(text) == [], text
    rows = {row: texts for (table, row), texts in page_numbers(page.content).rows.items()
            if table == "release"}
    assert rows["total"][0] == "15"
    assert rows["petition"][0] == rows["hazard"][0] == "<5"
    assert rows["dispute"][0] == "—"  # 12, hidden: total − the others would give 3 away
    assert "/cases/" not in page.content.decode()  # no links into staff pages
    assert b"t_supervisor" not in page.content and b"c_disp" not in page.content

    book = load_workbook(io.BytesIO(public.get(
        f"/reports/public/release.xlsx?district={code}&month={month}").content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, int):
                    assert cell.value >= 5, cell
                elif isinstance(cell.value, float):  # a change, printed as a percentage
                    assert "%" in cell.number_format, cell
                elif isinstance(cell.value, str):
                    assert small_numbers(cell.value) == [], cell.value
    pdf = pdf_text(public.get(f"/reports/public/release.pdf?district={code}&month={month}")
                   .content)
    assert small_numbers(pdf) == [], pdf
    assert "<5" in pdf

    # The internal page's preview of the public version is the same.
    preview = client.get(f"/reports/{code}/release/?month={month}&version=public")
    assert {row: texts for (table, row), texts in page_numbers(preview.content).rows.items()
            if table == "release"} == rows


def test_public_pages(office, scenario, publisher):
    code = office.world.county.code
    month = f"{scenario.month:%Y-%m}"
    anonymous = Client()
    assert anonymous.get("/reports/public/").status_code == 200
    # No parameters: the list of releases; unknown or unpublished: 404.
    assert anonymous.get("/reports/public/release/").status_code == 302
    assert anonymous.get(f"/reports/public/release/?district={code}&month={month}"
                         ).status_code == 404
    assert anonymous.get(f"/reports/public/release/?district={code}&month=2026-13"
                         ).status_code == 404
    publish(client_for(publisher), code, month, public=False)  # internal
    assert MonthlyRelease.objects.get().public is False
    assert anonymous.get(f"/reports/public/release/?district={code}&month={month}"
                         ).status_code == 404
    assert anonymous.get(f"/reports/public/release.pdf?district={code}&month={month}"
                         ).status_code == 404
    assert month not in anonymous.get("/reports/public/").content.decode()
    # The internal pages need sign-in.
    response = anonymous.get(f"/reports/{code}/release/?month={month}")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- who may do what ---------------------------------------------------------------------

def test_readers_and_scope(office, scenario):
    w = office.world
    leader, supervisor = w.users[Role.LEADER], w.users[Role.SUPERVISOR]
    url = report_url("monthly", w.street_a.code, scenario)
    assert client_for(leader).get(url).status_code == 200
    for role in (Role.GRID_WORKER, Role.HANDLER, Role.UNIT_LEADER, Role.ADMINISTRATOR):
        assert client_for(w.users[role]).get(url).status_code == 403, role
    # Street A's people: street B and the district are out of scope, like a missing area.
    for code in (w.street_b.code, w.county.code, "320602999"):
        assert client_for(supervisor).get(
            report_url("monthly", code, scenario)).status_code == 404
        assert client_for(supervisor).get(f"/reports/{code}/release/").status_code == 404
    # The street's overdue list shows street A's overdue case only.
    html = client_for(supervisor).get(url).content
    assert html.count(b"data-case=") == 1
    assert assert_every_count_drills_down(supervisor, html) > 40


def test_who_may_publish(office, scenario, reader, publisher):
    w = office.world
    month = f"{scenario.month:%Y-%m}"
    code = w.county.code
    before = (MonthlyRelease.objects.count(), AuditEntry.objects.count())
    # The district's dispatcher (指挥调度员) reads the release but may not publish it: no
    # button, no confirmation page, and a forged POST is refused with nothing changed.
    page = client_for(reader).get(f"/reports/{code}/release/?month={month}")
    assert page.status_code == 200 and b'data-testid="publish-card"' not in page.content
    assert client_for(reader).get(f"/reports/{code}/release/publish/",
                                  {"month": month}).status_code == 403
    assert client_for(reader).post(f"/reports/{code}/release/publish/",
                                   {"month": month, "public": "1"}).status_code == 403
    # A street leader cannot reach the district; their own street is not a district.
    leader = office.people["leader"]
    assert client_for(leader).post(f"/reports/{code}/release/publish/",
                                   {"month": month}).status_code == 404
    response = client_for(leader).post(f"/reports/{w.street_a.code}/release/publish/",
                                       {"month": month, "digest": "x"}, follow=True)
    assert "平安数据按区县发布" in response.content.decode()
    # The current month has not ended.
    this_month = f"{timezone.localdate():%Y-%m}"
    response = client_for(publisher).post(f"/reports/{code}/release/publish/",
                                          {"month": this_month, "digest": "x"}, follow=True)
    assert "只能发布已经结束的月份" in response.content.decode()
    # A POST without the confirmation (no digest, or a wrong one) publishes nothing.
    for digest in ("", "0" * 64):
        response = client_for(publisher).post(f"/reports/{code}/release/publish/",
                                              {"month": month, "digest": digest}, follow=True)
        assert "请重新核对后再发布" in response.content.decode()
    assert (MonthlyRelease.objects.count(), AuditEntry.objects.count()) == before
    # The district's leader may: the page offers it, the confirmation asks, then published.
    page = client_for(publisher).get(f"/reports/{code}/release/?month={month}")
    assert b'data-testid="publish"' in page.content
    response = publish(client_for(publisher), code, month, public=True, follow=True)
    assert "已发布" in response.content.decode()
    assert b'data-testid="publish"' not in response.content
    assert MonthlyRelease.objects.count() == before[0] + 1
    # Twice is refused, the confirmation page too.
    response = client_for(publisher).get(f"/reports/{code}/release/publish/",
                                         {"month": month}, follow=True)
    assert "不能发布" in response.content.decode()
    response = client_for(publisher).post(f"/reports/{code}/release/publish/",
                                          {"month": month, "digest": "x"}, follow=True)
    assert "已经发布" in response.content.decode()
    assert MonthlyRelease.objects.count() == before[0] + 1


def test_the_confirmation_shows_exactly_what_becomes_public(office, scenario, publisher):
    """15 cases last month: 12 disputes, 2 petitions, 1 hazard (scenario.py). The page lists
    the internal numbers that will be frozen and the public version as it will be read,
    its withheld cells marked; opening it writes nothing."""
    code = office.world.county.code
    month = f"{scenario.month:%Y-%m}"
    client = client_for(publisher)
    before = (MonthlyRelease.objects.count(), AuditEntry.objects.count())
    response = client.get(f"/reports/{code}/release/publish/", {"month": month, "public": "1"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    internal = html[html.index('data-testid="confirm-internal"'):
                    html.index('data-testid="confirm-public"')]
    public = html[html.index('data-testid="confirm-public"'):
                  html.index('data-testid="confirm-form"')]
    internal_rows = {row: texts for (table, row), texts in page_numbers(internal).rows.items()
                     if table == "release"}
    public_rows = {row: texts for (table, row), texts in page_numbers(public).rows.items()
                   if table == "release"}
    assert (internal_rows["total"][0], internal_rows["dispute"][0],
            internal_rows["petition"][0], internal_rows["hazard"][0]) == ("15", "12", "2", "1")
    assert (public_rows["total"][0], public_rows["dispute"][0], public_rows["petition"][0],
            public_rows["hazard"][0]) == ("15", "—", "<5", "<5")
    assert 'data-published="1"' in public
    assert '<span class="cg-n cg-hidden" data-hidden="complementary"' in public
    assert public.count('data-hidden="small"') == response.context["public_view"].hidden[
        "small"] > 0
    assert "将向社会公开" in html and "任何人无需登录即可查看" in html
    assert 'name="public" value="1"' in html and response.context["digest"] in html
    assert 'data-testid="confirm-publish"' in html and "并向社会公开" in html
    # Without the public version: said plainly, and the form does not carry it.
    html = client.get(f"/reports/{code}/release/publish/", {"month": month}).content.decode()
    assert "公开版不会向社会公开" in html and 'data-published="0"' in html
    assert 'name="public"' not in html and "(仅内部)" in html
    assert (MonthlyRelease.objects.count(), AuditEntry.objects.count()) == before
    # The release page: the public version is not ticked, and the button leads here.
    page = client.get(f"/reports/{code}/release/?month={month}").content.decode()
    box = re.search(r'<input[^>]*data-testid="publish-public"[^>]*>', page).group(0)
    assert "checked" not in box
    assert f'<form method="get" action="/reports/{code}/release/publish/">' in page


def test_publishing_a_correction(office, scenario, reader, publisher):
    w = office.world
    month = f"{scenario.month:%Y-%m}"
    url = f"/reports/{w.county.code}/release/correct/"
    page_url = f"/reports/{w.county.code}/release/?month={month}"
    client = client_for(publisher)
    publish(client, w.county.code, month, public=True)
    make_cases(office, 3, at(scenario.month.replace(day=9)))
    before = (MonthlyRelease.objects.count(), AuditEntry.objects.count())
    # Who may not: a dispatcher (reads, does not publish), a street outside the district,
    # no GET.
    assert client_for(reader).post(url, {"month": month, "note": "x"}).status_code == 403
    assert client_for(office.people["leader"]).post(  # street A's leader
        url, {"month": month, "note": "x"}).status_code == 404
    assert client.get(url).status_code == 405
    # Bad input: a clear message, nothing changed, and what was typed is still there.
    response = client.post(url, {"month": month, "note": "  "}, follow=True)
    assert "请写明更正的原因" in response.content.decode()
    long_note = "补录迟报" * 126  # 504 characters
    response = client.post(url, {"month": month, "note": long_note}, follow=True)
    html = response.content.decode()
    assert "更正说明最多500个字" in html and long_note in html
    response = client.post(url, {"month": "2026-13", "note": "补录"}, follow=True)
    assert "月份无效" in response.content.decode()
    assert (MonthlyRelease.objects.count(), AuditEntry.objects.count()) == before
    # The district's leader corrects; the page shows the new version and its reason.
    response = client.post(url, {"month": month, "note": "补录迟报事件 3 件"}, follow=True)
    assert response.redirect_chain[-1][0] == page_url
    html = response.content.decode()
    assert "第2版" in html and "补录迟报事件 3 件" in html
    assert page_numbers(html).rows[("release", "total")][0] == "18"
    assert MonthlyRelease.objects.count() == before[0] + 1


def test_index_lists_the_readers_areas(office, scenario, reader):
    html = client_for(reader).get(reverse("reports:index")).content.decode()
    assert office.world.street_a.name in html and office.world.street_b.name in html
    html = client_for(office.world.users[Role.SUPERVISOR]).get(reverse("reports:index")
                                                               ).content.decode()
    assert office.world.street_a.name in html and office.world.street_b.name not in html
