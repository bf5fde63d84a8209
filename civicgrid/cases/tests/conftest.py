"""A small district at work: categories, units of every kind, people in every role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    Category,
    CategoryAttribute,
    Channel,
    ExtensionRequest,
    HandOff,
)
from civicgrid.cases.services import PartyInput, case_intake
from civicgrid.conftest import PASSWORD
from civicgrid.stats.rollups import stats_current
from civicgrid.units.models import Specialty, Unit, UnitKind
from civicgrid.units.services import unit_add_member, unit_create

W, C = "working", "calendar"


def sla(accept=(3, W), dispatch=(1, W), handle=(30, C), verify=(3, W), follow_up=(5, W),
        receipt=(3, W)) -> dict:
    return {name: {"days": d, "unit": u} for name, (d, u) in {
        "accept": accept, "dispatch": dispatch, "handle": handle, "verify": verify,
        "follow_up": follow_up, "handoff_receipt": receipt}.items()}


@dataclass
class Office:
    world: object
    neighbour: Category  # community-level dispute
    labour: Category  # street-level dispute with a required attribute
    petition: Category  # county-level, statutory limits
    community_committee: Unit
    centre_a: Unit
    centre_county: Unit
    police: Unit
    court: Unit
    procuratorate: Unit
    petition_office: Unit
    legal_aid: Unit
    county_labour: Unit
    people: dict[str, User]


def _person(username, role, codes, unit=None):
    user = user_create(username=username, password=PASSWORD, display_name=username,
                       roles=[role], area_codes=codes, actor=None)
    if unit is not None:
        unit_add_member(unit=unit, user=user, actor=None)
    return user


@pytest.fixture
def office(world) -> Office:
    """Test categories use codes 9x so they never meet the built-in taxonomy's.

    Built for each test that asks for it here; a module whose tests all start from it
    builds it once instead (`office_once, office = shared(build_office, name="office")`,
    civicgrid/testing.py). This per-test form stays for the tests that cannot share:
    transactional ones (two connections, the browser) and single-test modules."""
    spec = {s.code: s for s in Specialty.objects.all()}
    dispute = Category.objects.create(code="91", name="矛盾纠纷(测试)", kind="dispute",
                                      default_level="community", sla=sla())
    neighbour = Category.objects.create(code="9102", name="邻里纠纷", parent=dispute,
                                        kind="dispute", default_level="community",
                                        specialty=spec["neighbourhood"], sla=sla())
    labour = Category.objects.create(code="9103", name="劳资纠纷", parent=dispute,
                                     kind="dispute", default_level="street",
                                     specialty=spec["labour"], sla=sla(handle=(15, W)))
    CategoryAttribute.objects.create(category=labour, code="amount", description="涉及金额",
                                     datatype="number", required=True)
    CategoryAttribute.objects.create(category=labour, code="kind", description="争议类型",
                                     datatype="singlevaluelist", required=False,
                                     values=[["wage", "拖欠工资"], ["injury", "工伤"]])
    root = Category.objects.create(code="95", name="信访(测试)", kind="petition",
                                   default_level="county", sla=sla(accept=(15, C)))
    petition = Category.objects.create(
        code="9501", name="来信", parent=root, kind="petition", default_level="county",
        specialty=spec["petition"], sla=sla(accept=(15, C), handle=(60, C)),
        max_extensions=1, max_extension_days=30)
    w = world
    community_committee = unit_create(
        code="c-tjw", name="桃坞社区人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE,
        area=w.community_a, actor=None, specialties=[spec["neighbourhood"]])
    centre_a = unit_create(code="a-zzzx", name="城东街道综治中心",
                           kind=UnitKind.GOVERNANCE_CENTRE, area=w.street_a, actor=None)
    centre_county = unit_create(code="county-zzzx", name="区综治中心",
                                kind=UnitKind.GOVERNANCE_CENTRE, area=w.county, actor=None)
    police = unit_create(code="a-pcs", name="城东派出所", kind=UnitKind.POLICE_STATION,
                         area=w.street_a, actor=None)
    procuratorate = unit_create(code="jcy", name="区人民检察院", kind=UnitKind.PROCURATORATE,
                                area=w.county, actor=None)
    petition_office = unit_create(code="xfj", name="区信访局", kind=UnitKind.PETITION_OFFICE,
                                  area=w.county, actor=None, specialties=[spec["petition"]])
    legal_aid = unit_create(code="flyz", name="区法律援助中心", kind=UnitKind.LEGAL_AID,
                            area=w.county, actor=None)
    county_labour = unit_create(code="lz", name="区劳动争议调委会",
                                kind=UnitKind.SPECIALISED_COMMITTEE, area=w.county,
                                actor=None, specialties=[spec["labour"]])
    people = {
        "dispatcher": w.users[Role.SUPERVISOR],  # street A, member of centre_a below
        "county_dispatcher": _person("c_disp", Role.SUPERVISOR, [w.county.code],
                                     centre_county),
        "mediator": w.users[Role.HANDLER],  # member of unit_a (street A committee)
        "community_mediator": _person("c_med", Role.HANDLER, [w.community_a.code],
                                      community_committee),
        "police": _person("c_police", Role.HANDLER, [w.street_a.code], police),
        "court": _person("c_court", Role.HANDLER, [w.county.code], w.unit_county),
        "procurator": _person("c_proc", Role.HANDLER, [w.county.code], procuratorate),
        "petition": _person("c_xf", Role.HANDLER, [w.county.code], petition_office),
        "legal_aid": _person("c_aid", Role.HANDLER, [w.county.code], legal_aid),
        "labour": _person("c_lz", Role.HANDLER, [w.county.code], county_labour),
        "grid": w.users[Role.GRID_WORKER],
        "leader": w.users[Role.LEADER],
        "outsider": w.outsider,
    }
    unit_add_member(unit=centre_a, user=people["dispatcher"], actor=None)
    return Office(w, neighbour, labour, petition, community_committee, centre_a,
                  centre_county, police, w.unit_county, procuratorate, petition_office,
                  legal_aid, county_labour, people)


def new_case(office: Office, *, category=None, channel=Channel.PATROL, actor=None,
             **kwargs) -> Case:
    kwargs.setdefault("area", office.world.grid_a1)
    kwargs.setdefault("description", "楼上住户深夜装修噪音扰民,多次协商无果")
    kwargs.setdefault("parties", [PartyInput(role="applicant", name="张三",
                                             phone="13812345678"),
                                  PartyInput(role="respondent", name="李四")])
    if actor is None:  # someone whose jurisdiction holds the place (case_intake checks)
        area = kwargs["area"]
        in_grid = area is None or area.code.startswith(office.world.grid_a1.code)
        actor = office.people["grid" if in_grid else "county_dispatcher"]
    return case_intake(channel=channel, category=category or office.neighbour, actor=actor,
                       **kwargs)


def snapshot(case: Case) -> dict:
    """Everything a refused action must leave unchanged."""
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return {
        "case": row,
        "events": CaseEvent.objects.filter(case=case).count(),
        "handoffs": list(HandOff.objects.filter(case=case).values()),
        "extensions": list(ExtensionRequest.objects.filter(case=case).values()),
        "rollups": stats_current(),
        "audit": AuditEntry.objects.count(),
    }
