"""Open311 tests: the cases app's small district, a public service category with attributes,
a dispute category, and an api_key of street A's governance centre."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from civicgrid.api.services import api_token_create
from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, Category, CategoryAttribute, Outcome
from civicgrid.cases.tests.conftest import Office, office, sla  # noqa: F401 (a fixture)


@dataclass
class Open311World:
    office: Office
    lamp: Category  # 民生服务 leaf with a required single and an optional multi attribute
    hazard: Category  # 安全隐患 leaf without attributes
    key: str  # plain api_key of the street-A governance centre
    token: object


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def o311(office) -> Open311World:  # noqa: F811
    root = Category.objects.create(code="93", name="民生服务(测试)", kind="service",
                                   default_level="community", sla=sla())
    lamp = Category.objects.create(code="9301", name="路灯损坏", parent=root, kind="service",
                                   default_level="community", sla=sla(),
                                   description="路灯不亮、闪烁或灯杆损坏", keywords="路灯,照明")
    CategoryAttribute.objects.create(category=lamp, code="state", description="路灯状况",
                                     datatype="singlevaluelist", required=True, order=1,
                                     values=[["off", "不亮"], ["flicker", "闪烁"]])
    CategoryAttribute.objects.create(category=lamp, code="hours", description="出现时段",
                                     datatype="multivaluelist", required=False, order=2,
                                     values=[["night", "夜间"], ["day", "白天"]])
    hazard_root = Category.objects.create(code="94", name="安全隐患(测试)", kind="hazard",
                                          default_level="community", sla=sla())
    hazard = Category.objects.create(code="9401", name="井盖缺失", parent=hazard_root,
                                     kind="hazard", default_level="community", sla=sla())
    token, key = api_token_create(name="12345 热线", unit=office.centre_a, actions=["open311"],
                                  actor=None, rate_limit_per_minute=10_000)
    return Open311World(office, lamp, hazard, key, token)


def close_case(office: Office, case: Case) -> Case:  # noqa: F811
    """Staff play the case through to 结案 with the real services."""
    people = office.people
    case.refresh_from_db()
    svc.case_act("accept", case=case, actor=people["dispatcher"], expected_version=case.version)
    svc.case_act("dispatch", case=case, actor=people["dispatcher"], expected_version=case.version,
                      unit=office.world.unit_a)
    svc.case_act("resolve", case=case, actor=people["mediator"], expected_version=case.version,
                     outcome=Outcome.DISPOSED, note="已更换灯泡")
    svc.case_act("verify", case=case, actor=people["grid"], expected_version=case.version)
    svc.case_act("follow_up", case=case, actor=people["dispatcher"], expected_version=case.version,
                       satisfaction=5, note="满意")
    svc.case_act("close", case=case, actor=people["dispatcher"], expected_version=case.version)
    return case
