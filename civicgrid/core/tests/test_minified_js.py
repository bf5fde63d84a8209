"""The minified copies of page scripts (scripts/minify_js.sh, docs/performance.md): each
copy's banner names its source's SHA-256, which must be the source's now — a script edited
without running scripts/minify_js.sh fails here (the pages load the copy, not the source)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BUILD = ROOT / "civicgrid/core/static/build"
COPIES = {"core/basemap.js": "civicgrid/core/static/core/basemap.js",
          "cases/intake.js": "civicgrid/cases/static/cases/intake.js"}
BANNER = re.compile(r"^/\*! (\S+) sha256:([0-9a-f]{64}) \|")


def test_every_minified_copy_is_built_from_its_source_as_it_is_now():
    for copy, source in COPIES.items():
        text = (BUILD / copy).read_text(encoding="utf-8")
        match = BANNER.match(text)
        assert match, f"build/{copy} has no source banner"
        assert match.group(1) == source
        digest = hashlib.sha256((ROOT / source).read_bytes()).hexdigest()
        assert match.group(2) == digest, (
            f"{source} changed since build/{copy} was made: run scripts/minify_js.sh")
        assert len(text) < (ROOT / source).stat().st_size  # minified


def test_the_pages_load_the_copies():
    basemap = (ROOT / "civicgrid/core/templates/core/partials/basemap_scripts.html").read_text()
    intake = (ROOT / "civicgrid/cases/templates/cases/case_new.html").read_text()
    assert "'build/core/basemap.js'" in basemap and "'core/basemap.js'" not in basemap
    assert "'build/cases/intake.js'" in intake and "'cases/intake.js'" not in intake
