#!/usr/bin/env python3
"""Build the reduced Tabler stylesheet: the rules of the vendored tabler.min.css that the
pages can use, nothing else (issue 17, point 9: page weight).

    python3 scripts/build_css.py            # writes civicgrid/core/static/build/
                                            #   tabler.reduced.min.css
    python3 scripts/build_css.py --check    # exits 1 if that file is not what a build gives
    python3 scripts/build_css.py --why btn-ghost-light   # is a class kept, and why (not)

Run it after adding a Bootstrap/Tabler class to a template, a script or a form widget;
civicgrid/core/tests/test_reduced_css.py fails until you have. Standard library only: no
npm, no network; `make run` and `make test` never run it, they use its committed output.

What is kept (PurgeCSS's method, on Tabler's minified CSS):
- every rule with at least one selector whose classes and data-* attributes all occur as
  words in the sources: the templates (civicgrid/**/templates/**/*.html), our scripts
  (civicgrid/**/static/**/*.js outside vendor/ and build/) and the Python code (class names
  set by form widgets, template tags and views: civicgrid/**/*.py outside tests/ and
  migrations/); selectors without a class
  (elements, :root, [type=checkbox]) are kept; classes inside :not(), :is(), :where() and
  :has() are not required. Selectors of a list that are not kept are left out;
- classes built from a prefix (`btn-{{ t.style }}`, `"bg-" + x`, f"text-{x}") with any word
  of the sources as the rest, and the SAFELIST below (state classes that Bootstrap's
  scripts add: show, collapsing, modal-open, …);
- the custom properties (--tblr-*) that kept rules, our own CSS, templates or scripts refer
  to (followed through the values of other kept properties), the @keyframes and @property
  rules whose name kept rules use, every @font-face; --bs-position, which Bootstrap's
  dropdown script reads.
The result keeps Tabler's licence banner.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "civicgrid/core/static/vendor/tabler/tabler.min.css"
TARGET = ROOT / "civicgrid/core/static/build/tabler.reduced.min.css"

# Classes that no source names as a word but the pages get at run time: Bootstrap's
# scripts (build/bootstrap.civicgrid.min.js: collapse, dropdown, modal) add them, Django's
# messages framework names alert colours by message level (base.html), htmx marks
# requests and swaps. (Server-side form errors are named in the templates: is-invalid.)
SAFELIST = {
    "show", "showing", "hiding", "fade", "collapse", "collapsing", "collapsed",
    "collapse-horizontal", "active", "disabled", "modal-open", "modal-backdrop",
    "modal-static", "alert-success", "alert-info", "alert-warning", "alert-danger",
    "is-invalid", "htmx-indicator", "htmx-request", "htmx-added", "htmx-settling",
    "htmx-swapping",
}

WORD = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*")
VAR_NAME = re.compile(r"--[A-Za-z0-9_-]+")
CLASS_IN_SELECTOR = re.compile(r"\.((?:\\.|[A-Za-z0-9_-])+)")
DATA_ATTRIBUTE = re.compile(r"\[\s*(data-[A-Za-z0-9_-]+)")
# data-* attributes that scripts set without a source naming them (Bootstrap, Popper).
DATA_SAFELIST = {"data-bs-popper", "data-popper-placement", "data-popper-reference-hidden",
                 "data-popper-escaped", "data-popper-arrow"}
# Custom properties that scripts read: Bootstrap's dropdown aligns a .dropdown-menu-end
# menu by --bs-position.
VARIABLE_SAFELIST = {"--bs-position"}
FUNCTIONAL_PSEUDO = re.compile(r":(?:not|is|where|has|-webkit-any|-moz-any)\(", re.I)
PREFIX_PATTERNS = [
    re.compile(r"([A-Za-z][A-Za-z0-9_-]*-)\{[{%]"),  # template: btn-{{ x }}, bg-{% if %}
    re.compile(r"""["']([A-Za-z][A-Za-z0-9_-]*-)["']\s*\+"""),  # script: "bg-" + x
    re.compile(r"""f["']([A-Za-z][A-Za-z0-9_-]*-)\{"""),  # Python: f"text-{x}"
]


# --- the sources --------------------------------------------------------------------------

def source_files(root: Path = ROOT) -> Iterator[Path]:
    base = root / "civicgrid"
    yield from sorted(base.glob("**/templates/**/*.html"))
    for path in sorted(base.glob("**/static/**/*.js")):
        if not {"vendor", "build"} & set(path.parts):
            yield path
    for path in sorted(base.glob("**/*.py")):
        if not {"tests", "migrations"} & set(path.parts):
            yield path


def own_css_files(root: Path = ROOT) -> Iterator[Path]:
    for path in sorted((root / "civicgrid").glob("**/static/**/*.css")):
        if not {"vendor", "build"} & set(path.parts):
            yield path


@dataclass
class Usage:
    words: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)

    def uses(self, name: str) -> bool:
        if name in self.words or name in SAFELIST:
            return True
        return any(name.startswith(p) and name[len(p):] in self.words for p in self.prefixes)


def collect_usage(root: Path = ROOT) -> Usage:
    usage = Usage(variables=set(VARIABLE_SAFELIST))
    for path in source_files(root):
        text = path.read_text(encoding="utf-8")
        usage.words.update(WORD.findall(text))
        usage.variables.update(VAR_NAME.findall(text))
        for pattern in PREFIX_PATTERNS:
            usage.prefixes.update(pattern.findall(text))
    for path in own_css_files(root):
        usage.variables.update(VAR_NAME.findall(path.read_text(encoding="utf-8")))
    return usage


# --- a small CSS parser (enough for minified Bootstrap/Tabler) ----------------------------

@dataclass
class Rule:
    selectors: list[str]
    declarations: list[str]


@dataclass
class AtRule:
    name: str  # "media", "keyframes", "font-face", …
    prelude: str
    children: list[Rule | AtRule] | None = None  # nested rules (@media, @supports, …)
    body: str | None = None  # raw body (@keyframes, @font-face, @property); None: a statement


NESTING = {"media", "supports", "container", "layer", "document", "-moz-document"}


def _skip(css: str, i: int) -> int:
    """Past whitespace and comments."""
    while i < len(css):
        if css[i].isspace():
            i += 1
        elif css.startswith("/*", i):
            end = css.find("*/", i + 2)
            i = len(css) if end < 0 else end + 2
        else:
            break
    return i


def _scan(css: str, i: int, stops: str) -> int:
    """The index of the first character of `stops` at depth 0 from `i` (strings, (), []
    and comments skipped)."""
    depth = 0
    while i < len(css):
        c = css[i]
        if c in "\"'":
            i += 1
            while i < len(css) and css[i] != c:
                i += 2 if css[i] == "\\" else 1
        elif css.startswith("/*", i):
            end = css.find("*/", i + 2)
            i = len(css) if end < 0 else end + 1
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c in stops:
            return i
        i += 1
    return i


def _block_end(css: str, i: int) -> int:
    """`i` is just after a '{': the index of its matching '}'."""
    depth = 1
    while i < len(css):
        j = _scan(css, i, "{}")
        if j >= len(css):
            break
        depth += 1 if css[j] == "{" else -1
        if depth == 0:
            return j
        i = j + 1
    raise ValueError("unbalanced braces in the stylesheet")


def split_top(text: str, sep: str) -> list[str]:
    parts, i = [], 0
    while i <= len(text):
        j = _scan(text, i, sep)
        part = text[i:j].strip()
        if part:
            parts.append(part)
        i = j + 1
    return parts


def parse(css: str, start: int = 0, end: int | None = None) -> list[Rule | AtRule]:
    end = len(css) if end is None else end
    nodes: list[Rule | AtRule] = []
    i = start
    while True:
        i = _skip(css, i)
        if i >= end:
            return nodes
        if css[i] == "@":
            name = re.match(r"@([A-Za-z-]+)", css[i:]).group(1)  # type: ignore[union-attr]
            j = _scan(css, i, "{;")
            prelude = css[i + 1 + len(name):j].strip()
            if j >= end or css[j] == ";":
                nodes.append(AtRule(name.lower(), prelude))
                i = j + 1
                continue
            close = _block_end(css, j + 1)
            if name.lower() in NESTING:
                nodes.append(AtRule(name.lower(), prelude, children=parse(css, j + 1, close)))
            else:
                nodes.append(AtRule(name.lower(), prelude, body=css[j + 1:close].strip()))
            i = close + 1
        else:
            j = _scan(css, i, "{")
            close = _block_end(css, j + 1)
            nodes.append(Rule(split_top(css[i:j], ","), split_top(css[j + 1:close], ";")))
            i = close + 1


def _strip_functional_pseudos(selector: str) -> str:
    """The selector without :not(…), :is(…), :where(…) and :has(…): the classes and
    attributes left are the ones an element must have."""
    out, i = [], 0
    while i < len(selector):
        m = FUNCTIONAL_PSEUDO.search(selector, i)
        if not m:
            out.append(selector[i:])
            break
        out.append(selector[i:m.start()])
        depth, j = 1, m.end()
        while j < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[j], 0)
            j += 1
        i = j
    return "".join(out)


def required_classes(selector: str) -> list[str]:
    bare = re.sub(r"\[[^\]]*\]", "", _strip_functional_pseudos(selector))
    return [re.sub(r"\\(.)", r"\1", c) for c in CLASS_IN_SELECTOR.findall(bare)]


def required_data_attributes(selector: str) -> list[str]:
    """data-* attributes an element must have (other attributes are HTML's own)."""
    return DATA_ATTRIBUTE.findall(_strip_functional_pseudos(selector))


def selector_used(selector: str, usage: Usage) -> bool:
    return (all(usage.uses(c) for c in required_classes(selector))
            and all(a in usage.words or a in DATA_SAFELIST
                    for a in required_data_attributes(selector)))


def all_classes(nodes: Iterable[Rule | AtRule]) -> set[str]:
    """Every class that a selector of the stylesheet names."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, Rule):
            for selector in node.selectors:
                found.update(re.sub(r"\\(.)", r"\1", c)
                             for c in CLASS_IN_SELECTOR.findall(re.sub(r"\[[^\]]*\]", "",
                                                                       selector)))
        elif node.children:
            found |= all_classes(node.children)
    return found


# --- reduction ----------------------------------------------------------------------------

def _keep_selectors(nodes: list[Rule | AtRule], usage: Usage) -> list[Rule | AtRule]:
    kept: list[Rule | AtRule] = []
    for node in nodes:
        if isinstance(node, Rule):
            selectors = [s for s in node.selectors if selector_used(s, usage)]
            if selectors:
                kept.append(Rule(selectors, node.declarations))
        elif node.children is not None:
            children = _keep_selectors(node.children, usage)
            if children:
                kept.append(AtRule(node.name, node.prelude, children=children))
        else:
            kept.append(node)
    return kept


def walk_rules(nodes: list[Rule | AtRule]) -> Iterator[Rule]:
    for node in nodes:
        if isinstance(node, Rule):
            yield node
        elif node.children:
            yield from walk_rules(node.children)


def _decl(declaration: str) -> tuple[str, str]:
    name, _, value = declaration.partition(":")
    return name.strip(), value


def _referenced_variables(nodes: list[Rule | AtRule], usage: Usage) -> set[str]:
    """Custom properties that something kept refers to, followed through the values of the
    custom properties so kept."""
    direct: set[str] = set(usage.variables)
    custom: dict[str, set[str]] = {}
    for rule in walk_rules(nodes):
        for declaration in rule.declarations:
            name, value = _decl(declaration)
            refs = set(VAR_NAME.findall(value))
            if name.startswith("--"):
                custom.setdefault(name, set()).update(refs)
            else:
                direct |= refs
    for node in nodes:
        if isinstance(node, AtRule) and node.body is not None and node.name != "property":
            direct |= set(VAR_NAME.findall(node.body))
    seen, todo = set(), list(direct)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(custom.get(name, ()))
    return seen


def _prune_variables(nodes: list[Rule | AtRule], keep: set[str]) -> list[Rule | AtRule]:
    """Custom properties nothing refers to are left out, and so is a custom property that
    the same rule declares again later (the last one wins; Tabler repeats its palette)."""
    out: list[Rule | AtRule] = []
    for node in nodes:
        if isinstance(node, Rule):
            names = [_decl(d)[0] for d in node.declarations]
            declarations = [d for i, (d, name) in enumerate(zip(node.declarations, names,
                                                                strict=True))
                            if not name.startswith("--")
                            or (name in keep and name not in names[i + 1:])]
            if declarations:
                out.append(Rule(node.selectors, declarations))
        elif node.children is not None:
            children = _prune_variables(node.children, keep)
            if children:
                out.append(AtRule(node.name, node.prelude, children=children))
        else:
            out.append(node)
    return out


def _prune_named_at_rules(nodes: list[Rule | AtRule], variables: set[str]) -> list[Rule | AtRule]:
    """@keyframes a kept rule names, @property of a kept custom property."""
    text = serialize([n for n in nodes if not (isinstance(n, AtRule) and n.body is not None)])
    words = set(WORD.findall(text))
    out: list[Rule | AtRule] = []
    for node in nodes:
        if isinstance(node, AtRule) and node.name.endswith("keyframes"):
            if node.prelude in words:
                out.append(node)
        elif isinstance(node, AtRule) and node.name == "property":
            if node.prelude in variables:
                out.append(node)
        else:
            out.append(node)
    return out


def reduce(nodes: list[Rule | AtRule], usage: Usage) -> list[Rule | AtRule]:
    kept = _keep_selectors(nodes, usage)
    variables = _referenced_variables(kept, usage)
    kept = _prune_variables(kept, variables)
    return _prune_named_at_rules(kept, variables)


def serialize(nodes: list[Rule | AtRule]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, Rule):
            out.append(",".join(node.selectors) + "{" + ";".join(node.declarations) + "}")
        elif node.children is not None:
            out.append(f"@{node.name} {node.prelude}{{{serialize(node.children)}}}")
        elif node.body is not None:
            out.append(f"@{node.name} {node.prelude}{{{node.body}}}")
        else:
            out.append(f"@{node.name} {node.prelude};")
    return "".join(out)


def banner(css: str) -> str:
    m = re.search(r"/\*!.*?\*/", css, re.DOTALL)
    return m.group(0) if m else ""


def build(root: Path = ROOT) -> str:
    css = SOURCE.read_text(encoding="utf-8")
    nodes = reduce(parse(css), collect_usage(root))
    # @charset counts only as the file's very first bytes: before the banner.
    charset = [n for n in nodes if isinstance(n, AtRule) and n.name == "charset"]
    rest = [n for n in nodes if n not in charset]
    note = ("/* Reduced by scripts/build_css.py from vendor/tabler/tabler.min.css to the "
            "rules civicgrid's pages use. Do not edit: run the script. */")
    return f"{serialize(charset[:1])}{banner(css)}\n{note}\n{serialize(rest)}\n"


def why(name: str) -> str:
    usage = collect_usage()
    if name in SAFELIST:
        return f"{name}: kept (SAFELIST)"
    if name in usage.words:
        files = [str(p.relative_to(ROOT)) for p in source_files()
                 if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", p.read_text("utf-8"))]
        return f"{name}: kept, a word in {', '.join(files[:8])}" + (" …" if len(files) > 8
                                                                      else "")
    prefixes = [p for p in usage.prefixes if name.startswith(p) and name[len(p):] in usage.words]
    if prefixes:
        return f"{name}: kept, built from the prefix {prefixes[0]!r}"
    return f"{name}: not kept (no source names it)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed file differs from a fresh build")
    parser.add_argument("--why", metavar="CLASS", help="say whether a class is kept and why")
    args = parser.parse_args(argv)
    if args.why:
        print(why(args.why.lstrip(".")))
        return 0
    result = build()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != result:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python3 scripts/build_css.py",
                  file=sys.stderr)
            return 1
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(result, encoding="utf-8")
    import gzip

    full, small = SOURCE.read_bytes(), result.encode()
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(small):,} bytes, "
          f"{len(gzip.compress(small, 9)):,} gzipped "
          f"(from {len(full):,} bytes, {len(gzip.compress(full, 9)):,} gzipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
