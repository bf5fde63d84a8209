"""Data built once per module (civicgrid/testing.py) is rolled back after each test
and after the module: what one test writes, in the database or in memory, no other test
sees. (The tests of this module run in order.)"""

from __future__ import annotations

from decimal import Decimal

from civicgrid.accounts.models import User
from civicgrid.cases.models import Case
from civicgrid.stats.models import Indicator, KpiTarget
from civicgrid.stats.tests.conftest import history_parts

office, history, world = history_parts()


def test_nothing_of_an_earlier_module_is_left(db):
    # test_drilldown_page.py and test_indicators.py shared the same district before this.
    assert not User.objects.filter(username="c_disp").exists()
    assert not Case.objects.exists()


def test_a_test_that_writes(office, history):
    leader = office.people["leader"]
    leader.display_name = "改过的名字"
    leader.save()
    office.world.street_a.name = "改过的街道"
    history["d6"].delete()
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code="", year=0,
                             value=Decimal("90"))
    assert Case.objects.count() == 8


def test_the_next_test_starts_from_the_shared_data(office, history, world):
    assert world is office.world  # one copy per test, its parts linked as built
    assert office.people["leader"] is world.users["leader"]
    assert office.people["leader"].display_name != "改过的名字"
    assert User.objects.get(pk=office.people["leader"].pk).display_name != "改过的名字"
    assert office.world.street_a.name == "城东街道"
    assert Case.objects.count() == 9 and history["d6"].pk is not None
    assert not KpiTarget.objects.filter(indicator=Indicator.CLOSURE_RATE).exists()
