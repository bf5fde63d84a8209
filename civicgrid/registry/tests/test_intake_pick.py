"""At intake a party can be picked from the registry: the search answers masked, within the
reader's scope; the case keeps its own copy of the person's particulars, its ID and phone
completed on the server (never through the page); a pick out of scope is refused on the
parties and registers nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, Party
from civicgrid.cases.tests.test_views import intake_data
from civicgrid.registry.services import PersonInput, person_create
from civicgrid.registry.tests.samples import sample_room
from civicgrid.registry.tests.test_people import VALID_ID
from civicgrid.testing import build_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(db):
    return build_office()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _resident(office, grid=None):
    world = office.world
    grid = grid or world.grid_a1
    worker = office.people["grid"] if grid == world.grid_a1 else world.outsider
    return person_create(grid=grid, actor=worker, room=sample_room(world, grid),
                         data=PersonInput(name="王秀英", kind="registered", id_number=VALID_ID,
                                          phone="13812345678", occupation="退休"))


def test_the_search_answers_masked_and_in_scope(office):
    person = _resident(office)
    grid_worker = _client(office.people["grid"])
    html = grid_worker.get(reverse("registry:person_pick"), {"q": "王秀"}).content.decode()
    assert f'data-id="{person.pk}"' in html
    assert 'data-id-masked="110*************2X"' in html and 'data-phone-masked="138****5678"' \
        in html
    assert VALID_ID not in html and "13812345678" not in html
    assert f'data-address="{person.residences.get().room.address}"' in html
    outsider = _client(office.world.outsider)
    assert f'data-id="{person.pk}"' not in outsider.get(
        reverse("registry:person_pick"), {"q": "王秀"}).content.decode()
    # The intake page offers the search to whoever may read the registry.
    page = grid_worker.get(reverse("cases:new")).content.decode()
    assert f'data-url="{reverse("registry:person_pick")}"' in page


def test_a_picked_resident_becomes_the_cases_own_party(office):
    person = _resident(office)
    response = _client(office.people["grid"]).post(reverse("cases:new"), intake_data(
        office, **{"party-0-name": "王秀英", "party-0-phone": "", "party-0-registry_person":
                   str(person.pk)}))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    party = case.parties.get(role="applicant")
    assert (party.name, party.id_number_hash, party.phone_hash) == (
        "王秀英", person.id_number_hash, person.phone_hash)
    assert (party.id_number_masked, party.occupation) == ("110*************2X", "退休")
    assert party.address == person.residences.get().room.address
    used = AuditEntry.objects.get(event_type="registry.person_used_as_party")
    assert used.subject_id == str(person.pk)
    # The person's page lists the case (the party has their ID).
    page = _client(office.people["grid"]).get(reverse("registry:person", args=[person.pk]))
    assert case.number in page.content.decode()


def test_a_pick_out_of_scope_is_refused_and_nothing_registered(office):
    elsewhere = _resident(office, office.world.grid_b1)
    response = _client(office.people["grid"]).post(reverse("cases:new"), intake_data(
        office, **{"party-0-name": "王秀英", "party-0-registry_person": str(elsewhere.pk)}))
    assert response.status_code == 400
    assert "所选实有人口不存在或无权查看" in response.content.decode()
    assert not Case.objects.exists() and not Party.objects.exists()
    assert not AuditEntry.objects.filter(event_type="registry.person_used_as_party").exists()
