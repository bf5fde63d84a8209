"""The registry's people pages: masked by default, the reveal with a reason and its record,
the auditor's access log and its export, registering into a room (入住), a duplicate
refused with a link to the first, moving out, leaving and undoing, organisations, figures."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.registry.models import Organisation, Person, PersonChange, Residence
from civicgrid.registry.services import PersonInput, person_create
from civicgrid.registry.tests.samples import sample_room
from civicgrid.registry.tests.test_people import VALID_ID

pytestmark = pytest.mark.django_db


def _resident(world):
    return person_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                         room=sample_room(world, world.grid_a1),
                         data=PersonInput(name="王秀英", kind="registered", id_number=VALID_ID,
                                          phone="13812345678"))


def test_the_person_page_shows_masks_and_records_the_view(world, client):
    person = _resident(world)
    client.force_login(world.users[Role.GRID_WORKER])
    page = client.get(reverse("registry:person", args=[person.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    assert "110*************2X" in html and "138****5678" in html
    assert VALID_ID not in html and "13812345678" not in html
    assert "no-store" in page["Cache-Control"]
    viewed = AuditEntry.objects.filter(event_type="registry.person_viewed").get()
    assert (viewed.subject_id, viewed.actor_username) == (str(person.pk), "t_grid")


def test_reveal_with_a_reason_then_the_auditor_sees_and_exports_it(world, client):
    person = _resident(world)
    client.force_login(world.users[Role.GRID_WORKER])
    url = reverse("registry:person_reveal", args=[person.pk])
    refused = client.post(url, {"reason": ""})
    assert "请填写理由。" in refused.content.decode()
    assert not AuditEntry.objects.filter(event_type="pii.revealed").exists()
    shown = client.post(url, {"reason": "办理居住证核对"}).content.decode()
    assert VALID_ID in shown and "13812345678" in shown
    assert AuditEntry.objects.filter(event_type="pii.revealed").count() == 2  # ID and phone
    # The handler may read the person but not reveal.
    client.force_login(world.users[Role.HANDLER])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert AuditEntry.objects.filter(event_type="pii.revealed").count() == 2  # no third
    client.force_login(world.users[Role.AUDITOR])
    log = client.get(reverse("registry:person_access_log", args=[person.pk]))
    text = log.content.decode()
    assert log.status_code == 200 and text.count("办理居住证核对") == 2
    export = client.get(reverse("registry:person_access_log", args=[person.pk]),
                        {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("时间", "账号", "来源地址", "操作", "字段", "理由")
    reveals = [r for r in rows[1:] if r[3] == "查看完整个人信息"]
    assert sorted((r[1], r[4], r[5]) for r in reveals) == [
        ("t_grid", "id_number", "办理居住证核对"), ("t_grid", "phone", "办理居住证核对")]
    assert AuditEntry.objects.filter(event_type="pii.access_log_exported",
                                     subject_id=str(person.pk)).count() == 1
    # Nobody but the auditor reads the log.
    client.force_login(world.users[Role.SUPERVISOR])
    assert client.get(reverse("registry:person_access_log", args=[person.pk])).status_code == 403


def test_registering_into_a_room_and_a_duplicate_links_to_the_first(world, client):
    room = sample_room(world, world.grid_a1)
    first = _resident(world)
    client.force_login(world.users[Role.GRID_WORKER])
    url = reverse("registry:person_new", args=[world.grid_a1.code]) + f"?room={room.pk}"
    form = {"name": "李雷", "kind": "floating", "document_type": "id_card", "phone": "",
            "id_number": "", "residence_kind": "renting", "source": "visit", "room": room.pk}
    done = client.post(url, form)
    assert done.status_code == 302 and done["Location"] == reverse("registry:room", args=[room.pk])
    lei = Person.objects.get(name="李雷")
    assert Residence.objects.get(person=lei).room == room
    before = Person.objects.count()
    again = client.post(url, {**form, "name": "王秀英", "id_number": VALID_ID})
    html = again.content.decode()
    assert again.status_code == 200 and Person.objects.count() == before
    assert f"该证件号码已登记(实有人口编号 {first.pk})" in html
    assert f'href="{reverse("registry:person", args=[first.pk])}"' in html
    # Someone who may not see the first gets the message without the link.
    from civicgrid.accounts.services import user_create

    a2_worker = user_create(username="t_grid_a2", password="x-Pass-12345!", display_name="a2",
                            roles=[Role.GRID_WORKER], area_codes=[world.grid_a2.code],
                            actor=None)
    client.force_login(a2_worker)
    elsewhere = {k: v for k, v in form.items() if k != "room"}
    html = client.post(reverse("registry:person_new", args=[world.grid_a2.code]),
                       {**elsewhere, "name": "王秀英", "id_number": VALID_ID}).content.decode()
    assert "该证件号码已在其他辖区登记" in html and f"编号 {first.pk}" not in html
    assert reverse("registry:person", args=[first.pk]) not in html


def test_move_out_leave_and_undo_from_the_pages(world, client):
    person = _resident(world)
    client.force_login(world.users[Role.GRID_WORKER])
    residence = person.residences.get()
    client.post(reverse("registry:residence_end", args=[residence.pk]), {"next": "room"})
    residence.refresh_from_db()
    assert residence.until is not None
    change = PersonChange.objects.filter(person=person).first()
    missing_reason = client.post(reverse("registry:change_undo", args=[change.pk]), {})
    assert missing_reason.status_code == 302
    residence.refresh_from_db()
    assert residence.until is not None  # nothing undone without a reason
    client.post(reverse("registry:change_undo", args=[change.pk]), {"reason": "登记错误"})
    residence.refresh_from_db()
    assert residence.until is None
    client.post(reverse("registry:person_leave", args=[person.pk]),
                {"status": "moved_away", "reason": "迁往上海"})
    person.refresh_from_db()
    assert person.status == "moved_away"
    page = client.get(reverse("registry:person", args=[person.pk])).content.decode()
    assert "迁往上海" in page


def test_people_search_by_name_and_by_exact_id(world, client):
    person = _resident(world)
    client.force_login(world.users[Role.GRID_WORKER])
    for query in ("王秀", "11010519491231002x", "138-1234-5678"):
        html = client.get(reverse("registry:people"), {"q": query}).content.decode()
        assert reverse("registry:person", args=[person.pk]) in html, query
    html = client.get(reverse("registry:people"), {"q": "1101051949"}).content.decode()
    assert "没有找到" in html  # part of an ID finds nobody: exact only
    # By where they live: part of the room's standard address, typed loosely.
    room = person.residences.get().room
    assert room.address.endswith("1幢1单元101室")
    html = client.get(reverse("registry:people"), {"q": "1幢 1单元"}).content.decode()
    assert reverse("registry:person", args=[person.pk]) in html


def test_organisation_registration_and_lists(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    url = reverse("registry:organisation_new", args=[world.grid_a1.code])
    bad = client.post(url, {"name": "某公司", "kind": "enterprise",
                            "credit_code": "91350100M000100Y44"})
    assert bad.status_code == 200 and not Organisation.objects.exists()
    assert "校验" in bad.content.decode()
    done = client.post(url, {"name": "某公司", "kind": "enterprise",
                             "credit_code": "91350100M000100Y43"})
    organisation = Organisation.objects.get()
    assert done["Location"] == reverse("registry:organisation", args=[organisation.pk])
    listed = client.get(reverse("registry:organisations"), {"kind": "economic"}).content.decode()
    assert "某公司" in listed
    assert "某公司" not in client.get(reverse("registry:organisations"),
                                    {"kind": "social"}).content.decode()


def test_leaders_see_figures_and_no_person(world, client):
    _resident(world)
    client.force_login(world.users[Role.LEADER])
    page = client.get(reverse("registry:figures", args=[world.street_a.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "王秀英" not in html and 'data-testid="linkage">100.0%' in html
    assert client.get(reverse("registry:people")).status_code == 403


def test_the_dashboard_shows_the_registry_figures_to_leaders(world, client):
    _resident(world)
    client.force_login(world.users[Role.LEADER])
    html = client.get(reverse("stats:dashboard"), {"area": world.street_a.code}).content.decode()
    card = html[html.index('data-testid="registry-figures"'):]
    card = card[:card.index("</div></div>\n</div>")]
    assert "人房关联率" in card and "100.0%" in card  # the one resident lives in a room
    assert "王秀英" not in html
    assert reverse("registry:figures", args=[world.street_a.code]) in card


def test_the_area_page_shows_the_registry_figures_to_who_may_see_them(world, client):
    _resident(world)
    client.force_login(world.users[Role.LEADER])
    html = client.get(reverse("areas:detail", args=[world.street_a.code])).content.decode()
    card = html[html.index('data-testid="registry-figures"'):]
    assert "人房关联率" in card[:2000] and "100.0%" in card[:2000]
    client.force_login(world.users[Role.ADMINISTRATOR])  # the administrator: nothing of it
    html = client.get(reverse("areas:detail", args=[world.street_a.code])).content.decode()
    assert 'data-testid="registry-figures"' not in html


def test_owner_rental_household_and_permit_from_the_pages(world, client):
    from civicgrid.cases.models import Case
    from civicgrid.registry.models import Household, Rental, ResidencePermit

    person = _resident(world)
    room = person.residences.get().room
    client.force_login(world.users[Role.GRID_WORKER])
    client.post(reverse("registry:room_owner", args=[room.pk]),
                {"owner_person": person.pk, "version": room.version})
    room.refresh_from_db()
    assert room.owner_person == person
    page = client.get(reverse("registry:room", args=[room.pk])).content.decode()
    assert 'data-testid="owner"' in page and "王秀英" in page
    # A rental for one occupant: the resident is one; a newcomer makes two → a case.
    client.post(reverse("registry:room_rental", args=[room.pk]), {
        "occupant_limit": 1, "lessor_person": person.pk, "purpose": "dwelling",
        "fire_exits": 1, "hazard_level": "none", "filing_number": "nt-1"})
    rental = Rental.objects.get(room=room)
    assert (rental.occupant_limit, rental.lessor_person, rental.filing_number) == (
        1, person, "NT-1")
    assert not Case.objects.exists()
    client.post(reverse("registry:person_new", args=[world.grid_a1.code]) + f"?room={room.pk}",
                {"name": "李雷", "kind": "floating", "document_type": "id_card",
                 "residence_kind": "renting", "source": "visit", "room": room.pk})
    case = Case.objects.get()
    rental.refresh_from_db()
    assert rental.hazard_case == case
    assert case.number in client.get(reverse("registry:room", args=[room.pk])).content.decode()
    # Household headed by the resident, the newcomer a member; a permit.
    home = person.residences.get()
    client.post(reverse("registry:household_new", args=[person.pk]), {"residence": home.pk})
    household = Household.objects.get()
    lei = Person.objects.get(name="李雷")
    client.post(reverse("registry:household_member", args=[person.pk]),
                {"person": lei.pk, "relation": "other"})
    assert sorted(household.members.values_list("relation", flat=True)) == ["head", "other"]
    client.post(reverse("registry:permit_new", args=[lei.pk]), {
        "number": "3206020011", "issued_on": "2025-03-01", "expires_on": "2030-03-01",
        "endorsed_until": "2026-03-01"})
    assert ResidencePermit.objects.get().person == lei
    # A member the user may not see is refused, nothing added.
    elsewhere = person_create(grid=world.grid_b1, actor=world.outsider,
                              data=PersonInput(name="外人", kind="registered"))
    client.post(reverse("registry:household_member", args=[person.pk]),
                {"person": elsewhere.pk, "relation": "child"})
    assert household.members.count() == 2
    client.post(reverse("registry:room_rental_end", args=[room.pk]),
                {"version": rental.version})
    rental.refresh_from_db()
    assert not rental.active


def test_employer_and_legal_representative_are_picked_from_the_registry(world, client):
    from civicgrid.registry.models import Organisation as Org

    person = _resident(world)
    client.force_login(world.users[Role.GRID_WORKER])
    client.post(reverse("registry:organisation_new", args=[world.grid_a1.code]), {
        "name": "某公司", "kind": "enterprise", "credit_code": "91350100M000100Y43",
        "legal_representative": person.pk, "safety_lead": "abc"})
    assert not Org.objects.exists()  # a pick that is no number: nothing registered
    client.post(reverse("registry:organisation_new", args=[world.grid_a1.code]), {
        "name": "某公司", "kind": "enterprise", "credit_code": "91350100M000100Y43",
        "legal_representative": person.pk})
    company = Org.objects.get()
    assert company.legal_representative == person
    found = client.get(reverse("registry:organisation_pick"), {"q": "某公司"}).content.decode()
    assert f'data-id="{company.pk}"' in found
    client.post(reverse("registry:person_new", args=[world.grid_a1.code]), {
        "name": "李雷", "kind": "floating", "document_type": "id_card",
        "employer": company.pk})
    assert Person.objects.get(name="李雷").employer == company
    # An employer out of scope: refused on the form, nobody registered.
    elsewhere = Org.objects.create(name="外地公司", kind="community_group", grid=world.grid_b1,
                                   grid_code=world.grid_b1.code)
    page = client.post(reverse("registry:person_new", args=[world.grid_a1.code]), {
        "name": "韩梅梅", "kind": "floating", "document_type": "id_card",
        "employer": elsewhere.pk})
    assert page.status_code == 200 and "所选人员或单位不存在或无权查看" in page.content.decode()
    assert not Person.objects.filter(name="韩梅梅").exists()


def test_a_building_registered_as_a_dormitory_from_its_page(world, client):
    from civicgrid.registry.models import Dormitory
    from civicgrid.registry.services import OrganisationInput, organisation_create
    from civicgrid.registry.tests.samples import sample_building

    building = sample_building(world, world.grid_a1)
    company = organisation_create(grid=world.grid_a1, actor=world.users[Role.SUPERVISOR],
                                  data=OrganisationInput(name="某纺织公司", kind="enterprise",
                                                         credit_code="91350100M000100Y43"))
    client.force_login(world.users[Role.GRID_WORKER])
    url = reverse("registry:dormitory_new", args=[building.code])
    client.post(url, {"name": "员工宿舍", "capacity": 40})  # no operator picked
    assert not Dormitory.objects.exists()
    client.post(url, {"name": "员工宿舍", "capacity": 40, "operator": company.pk,
                      "services": ["canteen", "security"]})
    dormitory = Dormitory.objects.get()
    assert (dormitory.operator, dormitory.services) == (company, ["canteen", "security"])
    page = client.get(reverse("registry:building", args=[building.code])).content.decode()
    assert 'data-testid="dormitory"' in page and "某纺织公司" in page
    # Now a 集体宿舍 residence may be recorded in its rooms.
    person = person_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                           room=building.rooms.first(), residence_kind="dormitory",
                           data=PersonInput(name="工人", kind="floating"))
    assert person.residences.get().kind == "dormitory"
