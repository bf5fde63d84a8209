"""The reduced front-end builds (issue 17, point 9): civicgrid/core/static/build/.

- tabler.reduced.min.css (scripts/build_css.py) must style every Tabler/Bootstrap class a
  template, a script or a form widget uses: a class that the full tabler.min.css has and
  the reduced one lacks fails here, naming the class and where it is used, until the
  script is run again.
- bootstrap.civicgrid.min.js (scripts/build_js.sh) has Collapse, Dropdown and Modal only: a
  template that asks for another component through data-bs-* fails here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
FULL = ROOT / "civicgrid/core/static/vendor/tabler/tabler.min.css"
REDUCED = ROOT / "civicgrid/core/static/build/tabler.reduced.min.css"
BOOTSTRAP = ROOT / "civicgrid/core/static/build/bootstrap.civicgrid.min.js"

CLASS_ATTRIBUTE = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""")
CLASS_LIST_CALL = re.compile(r"""classList\.(?:add|remove|toggle|contains)\(([^)]*)\)""")
CLASS_NAME_SET = re.compile(r"""\bclassName\s*[+]?=\s*(["'])(.*?)\1""")
WIDGET_CLASS = re.compile(r"""["']class["']\s*:\s*(["'])(.*?)\1""")
STRING = re.compile(r"""(["'])((?:\\.|(?!\1).)*)\1""")
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
BUILT_COMPONENTS = {"collapse", "dropdown", "modal"}


@cache
def build_css():
    spec = importlib.util.spec_from_file_location("build_css", ROOT / "scripts/build_css.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


@cache
def classes_of(path: Path) -> frozenset[str]:
    b = build_css()
    return frozenset(b.all_classes(b.parse(path.read_text(encoding="utf-8"))))


def _tokens(text: str) -> set[str]:
    """The static class names of a class attribute's value. Template tags are cut out; the
    words between `{% if %}` and `{% endif %}` stay; a word glued to a `{{ value }}` is
    only part of a name (btn-{{ style }}), and so is one ending or starting with "-"."""
    parts = TEMPLATE_SYNTAX.split(text)
    tags = TEMPLATE_SYNTAX.findall(text)
    out: set[str] = set()
    for i, piece in enumerate(parts):
        words = piece.split()
        if not words:
            continue
        if i < len(tags) and tags[i].startswith("{{") and not piece[-1].isspace():
            words = words[:-1]  # glued to the value after it
        if i > 0 and tags[i - 1].startswith("{{") and not piece[0].isspace():
            words = words[1:]  # glued to the value before it
        out.update(w for w in words if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*[A-Za-z0-9_]", w)
                   or re.fullmatch(r"[A-Za-z]", w))
    return out


def used_classes(path: Path, text: str | None = None) -> set[str]:
    """Class names a template, a script or a Python module gives elements: class
    attributes (also in HTML built by scripts), classList calls, className, and the
    "class" of widget attributes."""
    text = path.read_text(encoding="utf-8") if text is None else text
    found: set[str] = set()
    for m in CLASS_ATTRIBUTE.finditer(text):
        found |= _tokens(m.group(1) if m.group(1) is not None else m.group(2))
    if path.suffix in (".js", ".py"):
        for m in CLASS_LIST_CALL.finditer(text):
            for s in STRING.finditer(m.group(1)):
                found |= _tokens(s.group(2))
        for m in CLASS_NAME_SET.finditer(text):
            found |= _tokens(m.group(2))
        for m in WIDGET_CLASS.finditer(text):
            found |= _tokens(m.group(2))
    return found


def sources() -> list[Path]:
    return list(build_css().source_files(ROOT))


@cache
def selectors_of(path: Path) -> frozenset[str]:
    b = build_css()
    return frozenset(s for rule in b.walk_rules(b.parse(path.read_text(encoding="utf-8")))
                     for s in rule.selectors)


def missing_rules(files: dict[Path, str | None]) -> dict[str, list[str]]:
    """selector -> the files that use its classes, for every selector of the full Tabler
    CSS that applies to the classes the files use (all of a selector's classes are used:
    `.table-sort.desc` needs both) and that the reduced CSS left out. A rule that only
    sets custom properties may be left out (nothing reads them)."""
    b = build_css()
    users: dict[str, set[str]] = {}
    for path, text in files.items():
        for name in used_classes(path, text):
            users.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    words = b.collect_usage(ROOT).words
    reduced = selectors_of(REDUCED)
    missing: dict[str, list[str]] = {}
    for rule in b.walk_rules(b.parse(FULL.read_text(encoding="utf-8"))):
        if all(d.strip().startswith("--") for d in rule.declarations):
            continue
        for selector in rule.selectors:
            needed = b.required_classes(selector)
            if (needed and all(c in users for c in needed) and selector not in reduced
                    and all(a in words or a in b.DATA_SAFELIST
                            for a in b.required_data_attributes(selector))):
                missing[selector] = sorted(set().union(*(users[c] for c in needed)))
    return missing


def test_every_rule_for_the_classes_the_pages_use_is_in_the_reduced_css():
    missing = missing_rules(dict.fromkeys(sources()))
    assert not missing, (
        "rules of tabler.min.css for classes the pages use that the reduced build lacks "
        "(run `python3 scripts/build_css.py`, then look at the page):\n" + "\n".join(
            f"  {selector}   used in {', '.join(files)}"
            for selector, files in sorted(missing.items())))


def test_the_check_fails_for_a_template_with_a_class_the_build_left_out():
    assert "accordion-button" in classes_of(FULL) - classes_of(REDUCED)  # no accordion
    template = ROOT / "civicgrid/core/templates/example.html"
    text = ('<div class="card {% if x %}accordion-button{% endif %} btn-{{ style }}">'
            '<span class="list-group-item desc">x</span></div>')
    missing = missing_rules({template: text})
    assert ".accordion-button" in missing
    assert missing[".accordion-button"] == ["civicgrid/core/templates/example.html"]
    # Only rules whose classes are all used: .desc alone is styled by no rule of Tabler.
    assert all("accordion" in selector for selector in missing), sorted(missing)


def test_classes_are_read_from_templates_scripts_and_widgets():
    html = Path("x.html")
    assert used_classes(html, '<a class="btn btn-{{ s }} cg-x{% if a %} d-none{% endif %}">'
                              ) == {"btn", "cg-x", "d-none"}
    js = Path("x.js")
    assert used_classes(js, 'el.classList.toggle("text-danger", on); d.className = "form-hint '
                            'small"; x = \'<div class="alert alert-danger">\'') == {
        "text-danger", "form-hint", "small", "alert", "alert-danger"}
    py = Path("x.py")
    assert used_classes(py, 'attrs={"class": "form-select form-select-sm"}') == {
        "form-select", "form-select-sm"}


def test_the_reduced_css_parses_back_to_the_full_one_and_drops_what_no_page_uses():
    b = build_css()
    css = FULL.read_text(encoding="utf-8")
    squeeze = lambda text: re.sub(r"\s*([{};,])\s*", r"\1",  # noqa: E731
                                  re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)).strip()
    assert squeeze(b.serialize(b.parse(css))) == squeeze(css)
    reduced = REDUCED.read_text(encoding="utf-8")
    assert reduced.startswith('@charset "UTF-8";/*!\n * Tabler v')  # banner kept
    assert len(reduced) < len(css) / 3
    kept = classes_of(REDUCED)
    assert {"navbar", "btn", "card", "table", "badge", "modal", "collapse", "show",
            "dropdown-menu", "form-control", "alert-danger", "is-invalid"} <= kept
    assert not {"accordion", "carousel", "offcanvas", "placeholder-glow"} & kept
    assert "--tblr-primary" in reduced and "[data-bs-theme=dark]" in reduced


def test_pages_ask_only_for_bootstrap_components_the_build_has():
    bundle = BOOTSTRAP.read_text(encoding="utf-8")
    assert bundle.startswith("/*! Bootstrap v")
    for name in ("collapse", "dropdown", "modal"):
        assert f'"{name}"' in bundle or f"'{name}'" in bundle, name
    wanted: dict[str, set[str]] = {}
    for path in sources():
        if path.suffix == ".py":
            continue
        text = path.read_text(encoding="utf-8")
        for kind, value in re.findall(r"""data-bs-(toggle|dismiss|ride|spy)=["']([\w-]+)""",
                                      text):
            wanted.setdefault(f"{kind}={value}", set()).add(str(path.relative_to(ROOT)))
    unknown = {k: v for k, v in wanted.items() if k.split("=")[1] not in BUILT_COMPONENTS}
    assert not unknown, ("data-bs-* asks for components that build/bootstrap.civicgrid.min"
                         f".js leaves out (add them in scripts/build_js.sh): {unknown}")
    assert "toggle=collapse" in wanted and "toggle=dropdown" in wanted
