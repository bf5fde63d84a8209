"""The offline app's tests start from the cases' office (categories, units, people)."""

from civicgrid.cases.tests.conftest import office  # noqa: F401
