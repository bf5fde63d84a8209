"""The English catalog is complete, compiled, and used."""

import ast
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


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "ngettext", "gettext_noop"}


def _python_msgids(source: str) -> list[str]:
    """Chinese literals passed to a gettext function (adjacent literals joined, as the
    compiler and makemessages join them)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        first = node.args[0]
        if (name in GETTEXT_NAMES and isinstance(first, ast.Constant)
                and isinstance(first.value, str) and re.search("[\u4e00-\u9fff]", first.value)):
            found.append(first.value)
    return found


def test_every_wrapped_string_in_the_code_is_in_the_catalog():
    """A string wrapped for translation but missing from the .po (run `make messages`)."""
    known = {msgid.replace('\\"', '"').replace("\\n", "\n")
             for msgid, _s, _f in _entries(PO.read_text(encoding="utf-8"))}
    template_pattern = re.compile(
        r"""translate\s*["']([^"'{}%]*[\u4e00-\u9fff][^"'{}%]*)["']"""
    )
    missing = set()
    for path in Path(settings.BASE_DIR, "civicgrid").rglob("*"):
        skip = {"tests", "migrations"} & set(path.parts)
        if path.suffix not in {".py", ".html"} or skip:
            continue
        text = path.read_text(encoding="utf-8")
        found = _python_msgids(text) if path.suffix == ".py" else template_pattern.findall(text)
        for msgid in found:
            if msgid not in known:
                missing.add(f"{path.name}: {msgid}")
    assert sorted(missing) == []


def test_english_is_used_when_chosen():
    with translation.override("en"):
        assert translation.gettext("工作台") == "Workspace"
    with translation.override("zh-hans"):
        assert translation.gettext("工作台") == "工作台"


def test_gettext_is_imported_under_names_makemessages_extracts():
    """`makemessages` (xgettext) only extracts calls named `_`, `gettext`, `gettext_lazy`,
    `ngettext`, `pgettext`…: a string wrapped in an alias (`gettext_lazy as _lazy`) is
    translated at run time from an old catalog entry, then silently dropped from the
    catalog by the next `makemessages --no-obsolete` (it happened to the notice texts)."""
    alias = re.compile(r"import\s+(\w*gettext\w*)\s+as\s+(\w+)")
    strays = []
    for path in Path(settings.BASE_DIR, "civicgrid").rglob("*.py"):
        for name, as_name in alias.findall(path.read_text(encoding="utf-8")):
            if as_name != "_":
                strays.append(f"{path.name}: {name} as {as_name}")
    assert strays == []
