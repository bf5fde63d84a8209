"""The English catalog is complete, compiled, and used."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries(text: str):
    for block in text.split("\n\n"):
        if "msgid" not in block:
            continue
        fuzzy = "#, fuzzy" in block
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = "".join(re.findall(r'"(.*)"$', block.split("msgstr", 1)[1], re.M))
        yield msgid, msgstr, fuzzy


def test_every_message_has_an_english_translation():
    problems = [msgid for msgid, msgstr, fuzzy in _entries(PO.read_text(encoding="utf-8"))
                if msgid and (not msgstr or fuzzy)]
    assert problems == []


def test_compiled_catalog_is_not_older_than_the_source():
    assert MO.exists()
    assert MO.stat().st_mtime >= PO.stat().st_mtime - 1


def test_every_wrapped_string_in_the_code_is_in_the_catalog():
    """A string wrapped for translation but missing from the .po (run `make messages`)."""
    known = {msgid for msgid, _s, _f in _entries(PO.read_text(encoding="utf-8"))}
    pattern = re.compile(
        r"""(?:\b_|gettext(?:_lazy)?|translate)\(?\s*"""
        r"""["']([^"'{}%]*[\u4e00-\u9fff][^"'{}%]*)["']"""
    )
    missing = set()
    for path in Path(settings.BASE_DIR, "civicgrid").rglob("*"):
        skip = {"tests", "migrations"} & set(path.parts)
        if path.suffix not in {".py", ".html"} or skip:
            continue
        for text in pattern.findall(path.read_text(encoding="utf-8")):
            if text not in known:
                missing.add(f"{path.name}: {text}")
    assert sorted(missing) == []


def test_english_is_used_when_chosen():
    with translation.override("en"):
        assert translation.gettext("工作台") == "Workspace"
    with translation.override("zh-hans"):
        assert translation.gettext("工作台") == "工作台"
