"""docs/security.md names a test for each control: every test it names must exist, so the
threat model cannot drift from the suite (a renamed or deleted test fails here)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`((?:civicgrid|bench)/[\w/]+\.py)?(?:::(\w+))?(?:\[[^\]]*\])?`")


def named_tests() -> list[tuple[str, str | None]]:
    """(file, test) pairs in the order the doc names them; `::name` belongs to the file
    named last before it."""
    found: list[tuple[str, str | None]] = []
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        for path, name in REFERENCE.findall(line):
            if path:
                current = path
            if current and (path or name):
                found.append((current, name or None))
    return found


def test_every_test_the_threat_model_names_exists():
    named = named_tests()
    assert len(named) > 80
    missing = []
    for path, name in named:
        source = ROOT / path
        if not source.exists():
            missing.append(path)
        elif name and not re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"),
                                    re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert missing == []
