"""Importing buildings (with their layout tables) and organisations: outcomes by hand,
re-import, undo, figures."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.imports.models import ImportStatus, StagedRow
from civicgrid.imports.services import import_undo, import_undo_job
from civicgrid.imports.tests.helpers import applied, checked, csv_bytes
from civicgrid.registry.figures import figures_differences
from civicgrid.registry.models import Building, GridFigures, Organisation, Room

pytestmark = pytest.mark.django_db

BUILDING_HEADER = ["网格代码", "楼栋名称", "街路巷", "门牌号", "楼栋用途", "地上层数", "单元数",
                   "每层户数", "建成年份"]
GOOD_CODE = "91350100M000100Y43"  # GB 32100 check character Y… (as in the registry's tests)


def _staged(run):
    return {r.row_number: (r.outcome, r.reason, r.changes) for r in StagedRow.objects.filter(
        run=run)}


def _undo(run, actor):
    return import_undo_job(import_undo(run=run, actor=actor, version=run.version,
                                       start=False).pk)


def test_buildings_come_in_with_their_layout_and_go_with_undo(world):
    admin = world.users[Role.ADMINISTRATOR]
    rows = [BUILDING_HEADER,
            [world.grid_a1.code, "1幢", "人民路", "8", "住宅", "3", "2", "2", "1998"],
            [world.grid_a1.code, "2幢", "人民路", "8", "商住混合", "2", "1", "1", ""],
            [world.grid_b1.code, "1幢", "和平路", "1", "住宅", "3", "1", "2", ""],
            [world.grid_a2.code, "3幢", "人民路", "9", "住宅", "0", "1", "1", ""],
            [world.grid_a2.code, "4幢", "人民路", "9", "厂房", "1", "1", "1", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="civicgrid-buildings", name="buildings.csv")
    assert run.status == ImportStatus.CHECKED, run.error
    staged = _staged(run)
    assert [n for n, s in staged.items() if s[0] == "new"] == [2, 3]
    assert staged[4] == ("rejected", "网格代码:代码不存在或不在本次导入的区域内。",
                         [])
    assert staged[5] == ("rejected", "地上层数:应为 1 至 200 之间的整数。", [])
    assert staged[6] == ("rejected", "楼栋用途:取值不在代码表中。", [])
    run = applied(run, admin)
    first = Building.objects.get(name="1幢")
    assert (first.code, first.address, first.use, first.built_year) == (
        f"{world.grid_a1.code}00001", "城东街道人民路8号1幢", "residential", 1998)
    assert first.rooms.count() == 3 * 2 * 2
    assert sorted(first.rooms.filter(unit=2).values_list("number", flat=True)) == [
        "101", "102", "201", "202", "301", "302"]
    assert Building.objects.get(name="2幢").code == f"{world.grid_a1.code}00002"
    assert figures_differences() == {}
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).rooms == 12 + 2
    # again: nothing to change; a new use is a change
    again = checked(actor=admin, area=world.street_a, content=csv_bytes(rows[:3]),
                    profile="civicgrid-buildings")
    assert (again.counts["unchanged"], again.counts["new"]) == (2, 0)
    rows[1][4] = "商业"
    changed = checked(actor=admin, area=world.street_a, content=csv_bytes(rows[:3]),
                      profile="civicgrid-buildings")
    assert _staged(changed)[2] == ("changed", "", ["use"])
    changed = applied(changed, admin)
    assert Building.objects.get(name="1幢").use == "commercial"
    _undo(changed, admin)
    assert Building.objects.get(name="1幢").use == "residential"
    # undoing the first run removes both buildings and their rooms
    undone = _undo(run, admin)
    assert undone.report["kept"] == []
    assert (Building.objects.count(), Room.objects.count()) == (0, 0)
    assert figures_differences() == {}


def test_a_building_whose_room_was_used_since_is_kept_on_undo(world):
    from civicgrid.registry.services import room_set_use

    admin = world.users[Role.ADMINISTRATOR]
    rows = [BUILDING_HEADER, [world.grid_a1.code, "1幢", "人民路", "8", "住宅", "1", "1", "2",
                              ""]]
    run = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                          profile="civicgrid-buildings"), admin)
    room = Room.objects.get(number="101")
    room_set_use(room=room, use="vacant", actor=world.users[Role.SUPERVISOR],
                 version=room.version)
    undone = _undo(run, admin)
    building = Building.objects.get()
    assert undone.report["kept"] == [{"model": "registry.building", "id": building.pk,
                                      "row": 2}]
    assert building.rooms.count() == 2
    assert figures_differences() == {}


ORG_HEADER = ["统一社会信用代码", "单位名称", "单位类型", "网格代码", "从业人数", "建立工会"]


def test_organisations_match_on_the_credit_code(world):
    admin = world.users[Role.ADMINISTRATOR]
    rows = [ORG_HEADER,
            [GOOD_CODE, "桃坞科技有限公司", "企业", world.grid_a1.code, "12", "是"],
            ["91350100M000100Y44", "错码公司", "企业", world.grid_a1.code, "", ""],
            ["", "桃坞书画社", "社区社会组织", world.grid_a2.code, "", ""],
            ["", "无码公司", "企业", world.grid_a2.code, "", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="civicgrid-organisations")
    staged = _staged(run)
    assert [n for n, s in staged.items() if s[0] == "new"] == [2, 4]
    assert staged[3][0] == "rejected" and staged[3][1].startswith("统一社会信用代码:")
    assert staged[5] == ("rejected", "统一社会信用代码:请填写统一社会信用代码。", [])
    applied(run, admin)
    company = Organisation.objects.get(credit_code=GOOD_CODE)
    assert (company.grid_code, company.staff_count, company.has_trade_union,
            company.authority) == (world.grid_a1.code, 12, True, "market")
    assert Organisation.objects.get(name="桃坞书画社").authority == "civil_affairs"
    assert figures_differences() == {}
    figures = GridFigures.objects.get(grid_code=world.grid_a1.code)
    assert (figures.organisations, figures.non_public_economic) == (1, 1)
    again = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                    profile="civicgrid-organisations")
    assert (again.counts["unchanged"], again.counts["new"]) == (2, 0)
    rows[1][4] = "15"
    changed = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(rows[:2]),
                              profile="civicgrid-organisations"), admin)
    assert Organisation.objects.get(pk=company.pk).staff_count == 15
    _undo(changed, admin)
    assert Organisation.objects.get(pk=company.pk).staff_count == 12


RENTAL_HEADER = ["楼栋编码", "楼层", "室号", "出租人证件号码", "出租单位统一社会信用代码",
                 "限住人数", "租赁起始日期", "出租用途"]


def test_rentals_name_their_room_and_a_registered_lessor(world):
    from civicgrid.imports.tests.helpers import building
    from civicgrid.registry.models import Rental
    from civicgrid.registry.services import PersonInput, person_create

    admin = world.users[Role.ADMINISTRATOR]
    b = building(world)
    lessor = person_create(grid=world.grid_a1, actor=world.users[Role.SUPERVISOR],
                           data=PersonInput(name="房东甲", kind="registered",
                                            id_number="11010519491231002X"))
    rows = [RENTAL_HEADER,
            [b.code, "1", "101", "11010519491231002X", "", "4", "2026-01-01", "居住"],
            [b.code, "1", "102", "320602198001010013", "", "2", "", ""],
            [b.code, "2", "201", "", "", "2", "", ""],
            [b.code, "2", "209", "11010519491231002X", "", "2", "", ""],
            [b.code, "2", "202", "11010519491231002X", "", "0", "", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="civicgrid-rentals")
    assert _staged(run) == {
        2: ("new", "", []),
        3: ("rejected", "出租人证件号码:该出租人尚未登记为实有人口,请先登记(或导入)。", []),
        4: ("rejected", "出租人:请填写出租人证件号码或出租单位统一社会信用代码(二者选一)。", []),
        5: ("rejected", "住址:在本次导入的区域内找不到该房屋(按标准地址或楼栋编码、单元、楼层、"
                        "室号查找)。", []),
        6: ("rejected", "限住人数:应为 1 至 500 之间的整数。", [])}
    run = applied(run, admin)
    rental = Rental.objects.get()
    assert (rental.room.number, rental.lessor_person_id, rental.occupant_limit,
            str(rental.lease_start), rental.purpose) == ("101", lessor.pk, 4, "2026-01-01",
                                                         "dwelling")
    assert figures_differences() == {}
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).rentals == 1
    again = checked(actor=admin, area=world.street_a, content=csv_bytes(rows[:2]),
                    profile="civicgrid-rentals")
    assert again.counts["unchanged"] == 1
    rows[1][5] = "6"
    changed = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(rows[:2]),
                              profile="civicgrid-rentals"), admin)
    assert _staged(changed)[2] == ("changed", "", ["occupant_limit"])
    assert Rental.objects.get().occupant_limit == 6
    _undo(changed, admin)
    assert Rental.objects.get().occupant_limit == 4
    _undo(run, admin)
    assert Rental.objects.count() == 0
    assert figures_differences() == {}


def test_an_ended_rental_taken_up_again_counts_again_and_undo_ends_it(world):
    from civicgrid.imports.tests.helpers import building
    from civicgrid.registry.models import Rental
    from civicgrid.registry.services import (
        PersonInput,
        RentalInput,
        person_create,
        rental_end,
        rental_record,
    )

    admin, sup = world.users[Role.ADMINISTRATOR], world.users[Role.SUPERVISOR]
    b = building(world)
    lessor = person_create(grid=world.grid_a1, actor=sup, data=PersonInput(
        name="房东甲", kind="registered", id_number="11010519491231002X"))
    rental = rental_record(room=b.rooms.get(number="101"), actor=sup,
                           data=RentalInput(occupant_limit=4, lessor_person=lessor))
    rental_end(rental=rental, actor=sup, version=rental.version)
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).rentals == 0
    rows = [RENTAL_HEADER, [b.code, "1", "101", "11010519491231002X", "", "4", "", ""]]
    run = checked(actor=admin, area=world.street_a, content=csv_bytes(rows),
                  profile="civicgrid-rentals")
    assert _staged(run) == {2: ("changed", "", ["active"])}
    run = applied(run, admin)
    assert Rental.objects.get().active is True
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).rentals == 1
    assert figures_differences() == {}
    _undo(run, admin)
    assert Rental.objects.get().active is False
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).rentals == 0
    assert figures_differences() == {}


def test_undo_keeps_a_person_another_record_refers_to_and_a_room_lived_in(world):
    from civicgrid.imports.tests.helpers import building
    from civicgrid.registry.models import Person, Rental, Residence
    from civicgrid.registry.services import PersonInput, person_create, person_move_in

    admin, sup = world.users[Role.ADMINISTRATOR], world.users[Role.SUPERVISOR]
    b = building(world)
    people = [["公民身份号码", "姓名", "人口类型", "楼栋编码", "楼层", "室号", "居住方式"],
              ["11010519491231002X", "房东甲", "户籍人口", b.code, "1", "101", "居住"],
              ["320602198001010013", "租客乙", "流动人口", b.code, "2", "201", "租住"]]
    first = applied(checked(actor=admin, area=world.street_a, content=csv_bytes(people)),
                    admin)
    assert Room.objects.get(number="201").use == "rented"
    rentals = [RENTAL_HEADER, [b.code, "1", "102", "11010519491231002X", "", "2", "", ""]]
    applied(checked(actor=admin, area=world.street_a, content=csv_bytes(rentals),
                    profile="civicgrid-rentals"), admin)
    # someone else moves into 201 after the import
    other = person_create(grid=world.grid_a1, actor=sup, data=PersonInput(
        name="丙", kind="floating", id_number="E1234567", document_type="passport",
        nationality="", ))
    person_move_in(person=other, room=Room.objects.get(number="201"), kind="renting",
                   actor=sup)
    undone = _undo(first, admin)
    lessor = Person.objects.get(name="房东甲")
    room_101, room_201 = Room.objects.get(number="101"), Room.objects.get(number="201")
    home = Residence.objects.get(person=lessor)
    # the lessor stays (the rental refers to them) with the home the run gave them, so the
    # use of 101 stays; 201's too (丙 lives there); 租客乙 goes with their residence
    assert {(k["model"], k["id"]) for k in undone.report["kept"]} == {
        ("registry.person", lessor.pk), ("registry.residence", home.pk),
        ("registry.room", room_101.pk), ("registry.room", room_201.pk)}
    assert Rental.objects.get().lessor_person_id == lessor.pk
    assert (home.room_id, room_101.use, room_201.use) == (room_101.pk, "owner", "rented")
    assert not Person.objects.filter(name="租客乙").exists()
    assert sorted(Residence.objects.values_list("person__name", flat=True)) == ["丙", "房东甲"]
    assert figures_differences() == {}
