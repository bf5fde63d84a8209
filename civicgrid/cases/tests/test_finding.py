"""Finding a case (issue 13, point 4): a grid worker's own reports have their tab and open by
default when they have no other work; the search box finds a case by the tail of its number
and by a party's full name or phone — within scope only."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.cases.selectors import CaseFilters, case_list, inbox_counts
from civicgrid.cases.services import PartyInput
from civicgrid.cases.tests.conftest import new_case
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


def numbers_in(html: str) -> set[str]:
    return set(re.findall(r'data-number="([^"]+)"', html))


def test_a_grid_worker_finds_what_they_reported_by_default(office):
    grid = office.people["grid"]
    mine = new_case(office, actor=grid)
    other = new_case(office, actor=office.people["county_dispatcher"])
    counts = inbox_counts(actor=grid)
    assert counts["reported"] == 1
    client = Client()
    client.force_login(grid)
    html = client.get(reverse("cases:list")).content.decode()
    assert 'data-inbox="reported" aria-current="page"' in html  # the open tab
    assert numbers_in(html) == {mine.number}
    assert other.number not in html
    # The dispatcher, who registers nothing here, keeps their own default (their work).
    dispatcher_counts = inbox_counts(actor=office.people["dispatcher"])
    assert dispatcher_counts["reported"] == 0


def _found(office, actor, text: str) -> set[str]:
    return set(case_list(actor=actor, filters=CaseFilters(q=text))
               .values_list("number", flat=True))


def test_search_by_the_tail_of_the_number_and_by_a_party(office):
    a = new_case(office, parties=[PartyInput(role="applicant", name="欧阳明", phone="13912345678")])
    b = new_case(office, parties=[PartyInput(role="applicant", name="张三", phone="13800001111")])
    dispatcher = office.people["dispatcher"]
    tail = a.number[-5:]  # "00001"
    assert _found(office, dispatcher, tail) == {a.number}
    assert _found(office, dispatcher, a.number[-10:]) == {a.number}  # "1205-00001"
    assert _found(office, dispatcher, "欧阳明") == {a.number}
    assert _found(office, dispatcher, "欧阳") == set()  # a whole name, not a fishing prefix
    assert _found(office, dispatcher, "139 1234 5678") == {a.number}  # a phone, by its hash
    assert _found(office, dispatcher, "1234") == set()  # never a part of a phone
    assert _found(office, dispatcher, "张三") == {b.number}
    # Out of scope finds nothing, even by the exact name.
    assert _found(office, office.people["outsider"], "欧阳明") == set()


def test_the_list_sorts_by_its_column_headers(office):
    first, second = new_case(office), new_case(office)
    third = new_case(office)
    now = timezone.now()
    # The second case's stage is the most overdue, the first's the least.
    for case, hours in ((first, 30), (second, -5), (third, 2)):
        Case.objects.filter(pk=case.pk).update(stage_due_at=now + timedelta(hours=hours))
    client = Client()
    client.force_login(office.people["dispatcher"])
    url = reverse("cases:list")

    def order(**params) -> list[str]:
        html = client.get(url, {"inbox": "all", **params}).content.decode()
        return list(dict.fromkeys(re.findall(r'data-number="([^"]+)"', html)))

    assert order() == [third.number, second.number, first.number]  # newest first
    assert order(ordering="oldest") == [first.number, second.number, third.number]
    assert order(ordering="overdue") == [second.number, third.number, first.number]
    html = client.get(url, {"inbox": "all", "q": "噪音"}).content.decode()
    assert 'data-sort="oldest"' in html and "q=%E5%99%AA%E9%9F%B3" in html  # keeps filters
