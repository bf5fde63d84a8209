"""The deployment's tile server (setting `MAP_TILES`): parsed and checked in one place.

Deployments sit on an intranet: a base layer of streets and place names exists only where
the deployment has a tile server of its own (the intranet edition of 天地图, or its own
GIS). `MAP_TILES` describes it; empty (the default) means no tile server, and every map
draws the local base map instead (civicgrid/core/static/core/basemap.js, docs/areas.md).

`MAP_TILES` is a dict (config/settings/base.py builds it from `MAP_TILES_*` variables):

    url          URL template with {z}, {x}, {y} (or {-y}); optional {s} and {r}. Absolute
                 http(s), or a path on this site ("/tiles/{z}/{x}/{y}.png")
    overlay_url  optional second layer drawn on top (天地图's annotation layer cva_w)
    subdomains   the values of {s}: "01234567" (one character each) or "a,b,c"
    attribution  plain text shown in the map's corner (not HTML)
    crs          the tiles' coordinate system: wgs84, cgcs2000 (both drawn as WGS 84) or
                 gcj02 (our WGS 84 data is shifted for display, clicks shifted back)
    min_zoom, max_zoom   what the server has (0–22)

This module imports nothing from Django or the apps: the settings module uses it to add
the tile hosts to the Content-Security-Policy's img-src, the system check
(civicgrid/core/checks.py) to warn about a malformed value, and the pages' template tag
(civicgrid/core/templatetags/basemap.py) to hand the parsed value to the browser. A value
with an error is not used at all: the maps fall back to the local base map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CRS_DRAWN_AS_WGS84 = ("wgs84", "cgcs2000")  # CGCS2000 differs from WGS 84 by centimetres
CRS_SHIFTED = ("gcj02",)
CRS_CHOICES = CRS_DRAWN_AS_WGS84 + CRS_SHIFTED
MAX_ZOOM = 22
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_KNOWN_PLACEHOLDERS = {"z", "x", "y", "-y", "s", "r"}
# Characters that have no business in a tile URL template and would break out of the
# Content-Security-Policy header or of an HTML attribute.
_FORBIDDEN = re.compile(r"[\s\"'<>\\;,`]")


@dataclass(frozen=True)
class TileConfig:
    url: str
    overlay_url: str
    subdomains: tuple[str, ...]
    attribution: str
    crs: str
    min_zoom: int
    max_zoom: int

    @property
    def shifted(self) -> bool:
        """The tiles are GCJ-02: WGS 84 data must be shifted to be drawn on them."""
        return self.crs in CRS_SHIFTED

    def as_json(self) -> dict[str, Any]:
        """What the browser gets (basemap.js)."""
        return {"url": self.url, "overlayUrl": self.overlay_url,
                "subdomains": list(self.subdomains), "attribution": self.attribution,
                "crs": self.crs, "minZoom": self.min_zoom, "maxZoom": self.max_zoom}

    def origins(self) -> list[str]:
        """The origins the browser loads tiles from ("https://t0.example.cn", …), each {s}
        value spelled out; none for tiles on this site."""
        found: list[str] = []
        for template in (self.url, self.overlay_url):
            for value in self.subdomains or ("",):
                origin = _origin(template.replace("{s}", value))
                if origin and origin not in found:
                    found.append(origin)
        return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _subdomains(raw: object) -> tuple[str, ...]:
    if isinstance(raw, list | tuple):
        return tuple(str(s).strip() for s in raw if str(s).strip())
    text = str(raw or "").strip()
    if "," in text:
        return tuple(s.strip() for s in text.split(",") if s.strip())
    return tuple(text)  # "01234567" or "abc": one character each


def _zoom(raw: object, default: int, name: str, errors: list[str]) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors.append(f"{name} must be a whole number from 0 to {MAX_ZOOM}, got {raw!r}")
        return default
    if not 0 <= value <= MAX_ZOOM:
        errors.append(f"{name} must be from 0 to {MAX_ZOOM}, got {value}")
        return default
    return value


def _check_template(name: str, template: str, subdomains: tuple[str, ...],
                    errors: list[str]) -> None:
    if _FORBIDDEN.search(template):
        errors.append(f"{name} must not contain spaces, quotes, commas, semicolons, "
                      f"backslashes or angle brackets: {template!r}")
        return
    parts = urlsplit(template)
    if template.startswith("//") or not (
            (parts.scheme in ("http", "https") and parts.netloc) or template.startswith("/")):
        errors.append(f"{name} must be an http(s) URL or a path on this site starting with "
                      f"'/': {template!r}")
        return
    if "{s}" in template and not subdomains:
        errors.append(f"{name} uses {{s}} but no subdomains are set (MAP_TILES_SUBDOMAINS)")
    placeholders = set(_PLACEHOLDER.findall(template))
    unknown = placeholders - _KNOWN_PLACEHOLDERS
    if unknown:
        errors.append(f"{name} has unknown placeholders {sorted(unknown)}; allowed: "
                      "{z} {x} {y} {-y} {s} {r}")
    if not ({"z", "x"} <= placeholders and placeholders & {"y", "-y"}):
        errors.append(f"{name} must contain {{z}}, {{x}} and {{y}}: {template!r}")


def parse_tiles(raw: object) -> tuple[TileConfig | None, list[str]]:
    """The tile configuration and the problems found in it.

    Returns (None, []) when no tile server is configured (empty value or empty url), and
    (None, [errors…]) when the value is malformed: a broken setting is never half-used.
    """
    if not raw:
        return None, []
    if not isinstance(raw, dict):
        return None, [f"MAP_TILES must be a dict, got {type(raw).__name__}"]
    url = str(raw.get("url") or "").strip()
    if not url:
        return None, []
    errors: list[str] = []
    subdomains = _subdomains(raw.get("subdomains"))
    bad = [s for s in subdomains if not re.fullmatch(r"[A-Za-z0-9-]{1,20}", s)]
    if bad:
        errors.append(f"MAP_TILES subdomains must be letters, digits or '-': {bad}")
    overlay_url = str(raw.get("overlay_url") or "").strip()
    _check_template("MAP_TILES url", url, subdomains, errors)
    if overlay_url:
        _check_template("MAP_TILES overlay_url", overlay_url, subdomains, errors)
    crs = str(raw.get("crs") or "wgs84").strip().lower().replace("-", "").replace("_", "")
    if crs in ("bd09", "bd09ll", "bd09mc"):
        errors.append("MAP_TILES crs bd09: Baidu tiles use their own tile grid and are not "
                      "supported; use wgs84, cgcs2000 or gcj02 tiles")
    elif crs not in CRS_CHOICES:
        errors.append(f"MAP_TILES crs must be one of {', '.join(CRS_CHOICES)}, got {crs!r}")
    min_zoom = _zoom(raw.get("min_zoom"), 0, "MAP_TILES min_zoom", errors)
    max_zoom = _zoom(raw.get("max_zoom"), 18, "MAP_TILES max_zoom", errors)
    if min_zoom > max_zoom:
        errors.append(f"MAP_TILES min_zoom {min_zoom} is above max_zoom {max_zoom}")
    attribution = " ".join(str(raw.get("attribution") or "").split())
    if len(attribution) > 200:
        errors.append("MAP_TILES attribution is longer than 200 characters")
    if errors:
        return None, errors
    return TileConfig(url=url, overlay_url=overlay_url, subdomains=subdomains,
                      attribution=attribution, crs=crs, min_zoom=min_zoom,
                      max_zoom=max_zoom), []


def tile_img_sources(raw: object) -> str:
    """The origins to add to the Content-Security-Policy's img-src ("" for none, and for a
    malformed value, which is not used)."""
    config, _errors = parse_tiles(raw)
    return " ".join(config.origins()) if config else ""


def with_tile_sources(policy: str, raw: object) -> str:
    """`policy` with the tile origins appended to its img-src directive."""
    sources = tile_img_sources(raw)
    if not sources:
        return policy
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for i, directive in enumerate(directives):
        if directive.split()[0] == "img-src":
            directives[i] = f"{directive} {sources}"
            break
    else:
        directives.append(f"img-src 'self' {sources}")
    return "; ".join(directives)
