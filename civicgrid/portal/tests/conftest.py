"""Portal tests use the cases app's small district (office) and start with empty limits."""

import pytest
from django.core.cache import cache

from civicgrid.cases.tests.conftest import office  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _empty_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from civicgrid.notices import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()
