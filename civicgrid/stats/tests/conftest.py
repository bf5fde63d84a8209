"""The case fixtures (a small district at work), shared with the stats tests."""

from civicgrid.cases.tests.conftest import office  # noqa: F401
