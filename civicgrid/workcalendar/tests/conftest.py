import pytest

from civicgrid.accounts.services import user_create
from civicgrid.workcalendar.calendar import work_calendar


@pytest.fixture(autouse=True)
def fresh_calendar():
    """Each test starts and ends without this process's cached administrator days."""
    work_calendar.invalidate()
    yield
    work_calendar.invalidate()


@pytest.fixture
def administrator(db):
    return user_create(username="cal-admin", password=None, roles=["administrator"],
                       area_codes=[], actor=None)


@pytest.fixture
def grid_worker(db):
    return user_create(username="cal-worker", password=None, roles=["grid_worker"],
                       area_codes=[], actor=None)
