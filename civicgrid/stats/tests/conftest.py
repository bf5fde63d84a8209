"""The case fixtures (a small district at work), shared with the stats tests; and the same
district with the nine-case `history` (civicgrid/stats/tests/test_indicators.py) built once
per test module for the modules that read it (civicgrid/testing.py)."""

from __future__ import annotations

from civicgrid.cases.tests.conftest import Office, office  # noqa: F401
from civicgrid.testing import build_office, parts, shared


def _office_with_history() -> tuple[Office, dict]:
    from civicgrid.stats.tests import test_indicators

    built = build_office()
    return built, test_indicators.build_history(built)


office_history_once, office_history = shared(_office_with_history, name="office_history")


def history_parts() -> list:
    """`office`, `history` and `world` of the shared district with its history, for a module
    whose every test may start from them: `office, history, world = history_parts()`."""
    return parts("office_history", office=lambda b: b[0], history=lambda b: b[1],
                 world=lambda b: b[0].world)
