"""The case fixtures, shared with the API tests."""

from civicgrid.cases.tests.conftest import office  # noqa: F401
