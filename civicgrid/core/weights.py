"""Page weight: the bytes a browser downloads to show a page on a first visit (empty cache).

`measure_page(client, url)` renders the page with Django's test client (as the signed-in
user of that client), collects every same-origin file the HTML makes the browser fetch —
`<link rel=stylesheet|icon|manifest|modulepreload|preload|…>`, `<script src>`,
`<img src>`, `<source src>`, `<video poster>`, `url(…)` in inline styles, and recursively
`url(…)` and `@import` inside every stylesheet, and the icons a web-app manifest lists —
reads each from the staticfiles finders (or, outside STATIC_URL, from the site itself with
the same client), and adds up their sizes as production serves them:

- static files as WhiteNoise's `CompressedManifestStaticFilesStorage` stores them: a gzip
  (level 9) and, where the `brotli` package is installed, a Brotli copy of each file that
  compresses to at most 95% of its size (images and fonts are sent as they are);
- the HTML as the middleware stack answers a browser that accepts gzip (Django's
  `GZipMiddleware`, text answers only: civicgrid/core/compression.py).

A `url(…)` inside a stylesheet is counted although the browser fetches it only when a rule
that uses it applies: the figures are an upper bound. What scripts fetch after the page has
loaded (map outlines, htmx partials) is not part of the first paint and is not counted.

The test civicgrid/core/tests/test_page_weight.py measures the pages of grid workers and
residents with it and prints the table of docs/performance.md.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from whitenoise.compress import Compressor

try:  # WhiteNoise writes .br copies only where the brotli package is installed
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

BROTLI_AVAILABLE = brotli is not None
ORIGIN = "http://testserver"
LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "mask-icon", "manifest",
             "modulepreload", "preload"}
MEDIA_TAGS = ("img", "source", "embed", "audio", "video", "iframe", "input")  # src=
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_COMPRESSOR = Compressor(quiet=True)


class PageWeightError(Exception):
    """The page or one of its files could not be read (a broken reference)."""


@dataclass(frozen=True)
class Asset:
    url: str
    kind: str  # css, js, image, font, manifest, other
    raw: int
    gzip: int  # bytes sent to a browser that accepts gzip (not Brotli)
    brotli: int  # bytes sent to a browser that accepts Brotli (= gzip without the package)


@dataclass
class PageWeight:
    name: str
    url: str
    html_raw: int
    html_sent: int  # as the middleware answered a browser that accepts gzip
    assets: list[Asset] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # other origins (CSP forbids them)

    def _sum(self, attr: str, kinds: tuple[str, ...] | None = None) -> int:
        return sum(getattr(a, attr) for a in self.assets if kinds is None or a.kind in kinds)

    @property
    def css_gzip(self) -> int:
        return self._sum("gzip", ("css",))

    @property
    def js_gzip(self) -> int:
        return self._sum("gzip", ("js",))

    @property
    def other_gzip(self) -> int:
        return self._sum("gzip", ("image", "font", "manifest", "other"))

    @property
    def css_brotli(self) -> int:
        return self._sum("brotli", ("css",))

    @property
    def js_brotli(self) -> int:
        return self._sum("brotli", ("js",))

    @property
    def other_brotli(self) -> int:
        return self._sum("brotli", ("image", "font", "manifest", "other"))

    @property
    def total_raw(self) -> int:
        return self.html_raw + self._sum("raw")

    @property
    def total_gzip(self) -> int:
        return self.html_sent + self._sum("gzip")

    @property
    def total_brotli(self) -> int:
        return self.html_sent + self._sum("brotli")


def compressed_sizes(name: str, data: bytes) -> tuple[int, int]:
    """(gzip, brotli) bytes WhiteNoise would send for a static file `name` holding `data`."""
    size = len(data)
    if not size or not _COMPRESSOR.should_compress(name):
        return size, size
    gz = len(_COMPRESSOR.compress_gzip(data))
    gz = gz if gz <= 0.95 * size else size
    if brotli is None:
        return gz, gz
    br = len(brotli.compress(data))
    # WhiteNoise skips gzip too when Brotli did not help (compress.Compressor.compress).
    return (gz, br) if br <= 0.95 * size else (size, size)


def kind_of(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".css":
        return "css"
    if suffix in (".js", ".mjs"):
        return "js"
    if suffix in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".avif"):
        return "image"
    if suffix in (".woff", ".woff2", ".ttf", ".otf", ".eot"):
        return "font"
    if suffix in (".webmanifest",) or path.endswith("manifest.json"):
        return "manifest"
    return "other"


class _References(HTMLParser):
    """The URLs in a page that the browser fetches while it loads the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (url, hint: "css" for stylesheets, "")
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & LINK_RELS and a.get("href"):
                self.urls.append((a["href"], "css" if "stylesheet" in rels else ""))
        elif a.get("src") and (tag == "script" or tag in MEDIA_TAGS and (
                tag != "input" or a.get("type", "").lower() == "image")):
            self.urls.append((a["src"], ""))
        if tag == "video" and a.get("poster"):
            self.urls.append((a["poster"], ""))
        if a.get("style"):
            self.inline_css.append(a["style"])
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)


def css_references(css: str) -> list[str]:
    """The URLs a stylesheet refers to (`url(…)`, `@import`), data: URIs left out."""
    css = CSS_COMMENT.sub("", css)
    found = [m.group(2).strip() for m in CSS_URL.finditer(css)]
    found += [m.group(1).strip() for m in CSS_IMPORT.finditer(css)]
    return [u for u in found if u and not u.lower().startswith(("data:", "#", "about:"))]


class _Collector:
    def __init__(self, client) -> None:
        self.client = client
        self.seen: set[str] = set()
        self.assets: list[Asset] = []
        self.external: list[str] = []

    def add(self, base: str, ref: str, hint: str = "") -> None:
        if ref.lower().startswith(("data:", "blob:", "javascript:", "#", "about:")):
            return
        absolute = urljoin(base, ref)
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
            self.external.append(absolute)
            return
        path = parts.path
        if path in self.seen:
            return
        self.seen.add(path)
        data = self.read(path)
        kind = hint or kind_of(path)
        gz, br = compressed_sizes(path, data)
        self.assets.append(Asset(path, kind, len(data), gz, br))
        if kind == "css":
            for inner in css_references(data.decode("utf-8", "replace")):
                self.add(ORIGIN + path, inner)
        elif kind == "manifest":
            try:
                manifest = json.loads(data)
            except ValueError as exc:
                raise PageWeightError(f"{path}: not JSON ({exc})") from exc
            for icon in manifest.get("icons", []):
                if isinstance(icon, dict) and icon.get("src"):
                    self.add(ORIGIN + path, icon["src"])

    def read(self, path: str) -> bytes:
        static_url = urlsplit(settings.STATIC_URL).path
        if path.startswith(static_url):
            name = path[len(static_url):]
            found = finders.find(name)
            if not found:
                raise PageWeightError(f"static file not found: {path}")
            with open(found, "rb") as f:
                return f.read()
        response = self.client.get(path)
        if response.status_code != 200:
            raise PageWeightError(f"{path} answered {response.status_code}")
        return b"".join(response.streaming_content) if response.streaming else response.content


def measure_page(client, url: str, name: str = "") -> PageWeight:
    """The first-visit weight of the page at `url` for the user `client` is signed in as."""
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    if response.status_code != 200:
        raise PageWeightError(f"{url} answered {response.status_code}")
    sent = b"".join(response.streaming_content) if response.streaming else response.content
    html = gzip.decompress(sent) if response.get("Content-Encoding") == "gzip" else sent
    page = PageWeight(name or url, url, html_raw=len(html), html_sent=len(sent))
    parser = _References()
    parser.feed(html.decode(response.charset or "utf-8", "replace"))
    collector = _Collector(client)
    base = ORIGIN + url
    for ref, hint in parser.urls:
        collector.add(base, ref, hint)
    for css in parser.inline_css:
        for ref in css_references(css):
            collector.add(base, ref)
    page.assets = collector.assets
    page.external = collector.external
    return page


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def weight_table(pages: list[PageWeight]) -> str:
    """A Markdown table: KB (1,024 bytes) per page, as sent (gzip / Brotli)."""
    br = "Brotli" if BROTLI_AVAILABLE else "Brotli (n/a: package not installed)"
    lines = [
        f"| page | HTML | CSS gzip / {br} | JS gzip / Brotli | other | total gzip | total Brotli "
        "| uncompressed |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for p in pages:
        lines.append(
            f"| {p.name} | {kb(p.html_sent)} | {kb(p.css_gzip)} / {kb(p.css_brotli)} "
            f"| {kb(p.js_gzip)} / {kb(p.js_brotli)} | {kb(p.other_gzip)} "
            f"| **{kb(p.total_gzip)}** | {kb(p.total_brotli)} | {kb(p.total_raw)} |")
    return "\n".join(lines)


def asset_table(pages: list[PageWeight]) -> str:
    """Every file the pages load, once, with its sizes (KB)."""
    seen: dict[str, Asset] = {}
    for p in pages:
        for a in p.assets:
            seen.setdefault(a.url, a)
    lines = ["| file | uncompressed | gzip | Brotli |", "|---|--:|--:|--:|"]
    for a in sorted(seen.values(), key=lambda a: -a.gzip):
        lines.append(f"| `{a.url}` | {kb(a.raw)} | {kb(a.gzip)} | {kb(a.brotli)} |")
    return "\n".join(lines)
