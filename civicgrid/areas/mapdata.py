"""Map data as the browser draws it: geometry simplified for the zoom it is shown at,
coordinates rounded to what a screen pixel can show, and the answer compressed.

Every map endpoint (areas, warnings, portal, roads) takes the same query parameters:

- `zoom=<0..22>`: the zoom level the data is drawn at. Lines and outlines are simplified
  with a tolerance of half a screen pixel at that zoom (shapely, topology preserved) and
  coordinates rounded to at most half a pixel (4 decimals ≈ 10 m at zoom 12, 5 ≈ 1 m at
  zoom 14–16, 6 from zoom 17). From zoom `FULL_DETAIL_ZOOM` on nothing is simplified.
- `fit=<width>x<height>`: instead of `zoom`, the size in pixels of the map that will show
  the whole answer; the server picks the zoom at which the answer's bounds fit (as
  Leaflet's fitBounds does) and says which in the answer's `zoom`. basemap.js asks with
  `fit` first and again with `zoom` when the reader zooms in further.
- neither: the stored geometry, unchanged (the case intake's point picker reads it).

Simplification never makes an outline disappear or become invalid: where the simplified
polygon would be empty or invalid, the unsimplified one (rounded to 6 decimals) is sent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import shapely
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.text import compress_string
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

MAX_ZOOM = 22
FULL_DETAIL_ZOOM = 18  # from here on a pixel is < 0.6 m: nothing to simplify
PIXEL_FRACTION = 0.5  # simplification tolerance, in screen pixels
TILE_SIZE = 256
MAX_FIT_PIXELS = 10_000
FULL_DECIMALS = 6  # ≈ 0.1 m
MIN_DECIMALS = 3
GZIP_MIN_BYTES = 512
MAX_AGE = 300  # seconds a browser may reuse a map answer
_FIT = re.compile(r"^(\d{1,5})x(\d{1,5})$")
POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")


def pixel_degrees(zoom: float) -> float:
    """Degrees of longitude one screen pixel covers at `zoom` (Web Mercator, 256-px tiles)."""
    return 360.0 / (TILE_SIZE * 2.0 ** zoom)


def decimals_for(zoom: int | None) -> int:
    """Decimals of a degree that still show on screen at `zoom`: a step of at most half a
    pixel (4 decimals at zoom 12, 5 at zoom 14–16, 6 from zoom 17)."""
    if zoom is None:
        return FULL_DECIMALS
    half = pixel_degrees(zoom) / 2
    return max(MIN_DECIMALS, min(FULL_DECIMALS, math.ceil(-math.log10(half))))


def tolerance_for(zoom: int | None) -> float:
    """The simplification tolerance in degrees (0: none)."""
    if zoom is None or zoom >= FULL_DETAIL_ZOOM:
        return 0.0
    return pixel_degrees(zoom) * PIXEL_FRACTION


# --- query parameters --------------------------------------------------------------------

def zoom_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("zoom", "").strip()
    if not raw:
        return None
    try:
        zoom = math.floor(float(raw))
    except ValueError as exc:
        raise BadRequest("zoom must be a number from 0 to 22") from exc
    if not 0 <= zoom <= MAX_ZOOM:
        raise BadRequest("zoom must be a number from 0 to 22")
    return zoom


def fit_param(request: HttpRequest) -> tuple[int, int] | None:
    raw = request.GET.get("fit", "").strip()
    if not raw:
        return None
    match = _FIT.match(raw)
    if not match:
        raise BadRequest("fit must be <width>x<height> in pixels")
    width, height = int(match.group(1)), int(match.group(2))
    if not (1 <= width <= MAX_FIT_PIXELS and 1 <= height <= MAX_FIT_PIXELS):
        raise BadRequest("fit must be <width>x<height> in pixels")
    return width, height


def bbox_param(request: HttpRequest, *, max_span: float = 0.5,
               ) -> tuple[float, float, float, float] | None:
    """`bbox=west,south,east,north` (WGS 84 degrees), at most `max_span` degrees wide and
    high (a viewport, not the country)."""
    raw = request.GET.get("bbox", "").strip()
    if not raw:
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError as exc:
        raise BadRequest("bbox must be west,south,east,north") from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise BadRequest("bbox must be west,south,east,north in WGS 84 degrees")
    if east - west > max_span or north - south > max_span:
        raise BadRequest(f"bbox may span at most {max_span} degrees")
    return west, south, east, north


# --- bounds and the zoom that fits them --------------------------------------------------

def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0511287798), -85.0511287798)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit_zoom(bounds: tuple[float, float, float, float], size: tuple[int, int],
             padding: int = 8) -> int:
    """The zoom at which `bounds` fit a map of `size` pixels, rounded up (finer) and capped
    at FULL_DETAIL_ZOOM: what Leaflet's fitBounds will show, give or take a quarter step."""
    west, south, east, north = bounds
    width, height = (max(size[0] - 2 * padding, 1), max(size[1] - 2 * padding, 1))
    dx = max(east - west, 1e-9) / 360.0 * TILE_SIZE
    dy = max(_mercator_y(north) - _mercator_y(south), 1e-9) / (2 * math.pi) * TILE_SIZE
    zoom = math.log2(min(width / dx, height / dy))
    return max(0, min(FULL_DETAIL_ZOOM, math.ceil(zoom)))


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates[0], coordinates[1]
        return
    for part in coordinates or ():
        yield from _positions(part)


def geometry_bounds(geometry: dict | None) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a GeoJSON geometry, from its coordinates alone."""
    if not geometry:
        return None
    xs, ys = [], []
    for x, y in _positions(geometry.get("coordinates")):
        xs.append(x)
        ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def union_bounds(boxes: Iterable[tuple[float, float, float, float] | None],
                 ) -> tuple[float, float, float, float] | None:
    found = [b for b in boxes if b is not None]
    if not found:
        return None
    return (min(b[0] for b in found), min(b[1] for b in found),
            max(b[2] for b in found), max(b[3] for b in found))


# --- simplification ----------------------------------------------------------------------

def _rounded(value: Any, decimals: int) -> Any:
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], int | float):
            return [round(float(v), decimals) for v in value[:2]]  # (no Z values)
        return [_rounded(v, decimals) for v in value]
    return value


def _as_geojson(geom: BaseGeometry, decimals: int) -> dict[str, Any]:
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _rounded(data["coordinates"], decimals)}


def _usable(geom: BaseGeometry, kinds: tuple[str, ...]) -> bool:
    return not geom.is_empty and geom.geom_type in kinds and geom.is_valid


def simplify_geometry(geometry: dict | None, zoom: int | None) -> dict | None:
    """The GeoJSON geometry as drawn at `zoom`: simplified, rounded, still valid and
    non-empty. Unchanged without a zoom, and for what is not a polygon or a line."""
    if not geometry or zoom is None:
        return geometry
    kind = geometry.get("type")
    kinds = POLYGONAL if kind in POLYGONAL else LINEAR if kind in LINEAR else None
    if kinds is None:
        return geometry
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError):
        return geometry
    decimals = decimals_for(zoom)
    tolerance = tolerance_for(zoom)
    candidate = geom.simplify(tolerance, preserve_topology=True) if tolerance else geom
    candidate = shapely.set_precision(candidate, 10.0 ** -decimals)
    if _usable(candidate, kinds):
        return _as_geojson(candidate, decimals)
    fallback = shapely.set_precision(geom, 10.0 ** -FULL_DECIMALS)
    if _usable(fallback, kinds):
        return _as_geojson(fallback, FULL_DECIMALS)
    return geometry


def simplify_features(collection: dict[str, Any], *, zoom: int | None,
                      fit: tuple[int, int] | None = None,
                      extra: Iterable[dict | None] = ()) -> dict[str, Any]:
    """A FeatureCollection (and `extra` geometries that share its view, e.g. the parent's
    outline) as drawn at `zoom`, or at the zoom that fits a map of `fit` pixels. Adds the
    zoom used (`zoom`, null when unsimplified). Changes the collection in place."""
    features = collection.get("features", [])
    if zoom is None and fit is not None:
        bounds = union_bounds([geometry_bounds(f.get("geometry")) for f in features]
                              + [geometry_bounds(g) for g in extra])
        zoom = fit_zoom(bounds, fit) if bounds else None
    decimals = decimals_for(zoom)
    for feature in features:
        feature["geometry"] = simplify_geometry(feature.get("geometry"), zoom)
        label = (feature.get("properties") or {}).get("label")
        if label and zoom is not None:  # (where a name is written: no finer than a pixel)
            feature["properties"]["label"] = [round(v, decimals) for v in label]
    collection["zoom"] = zoom
    return collection


# --- the answer --------------------------------------------------------------------------

def map_response(request: HttpRequest, data: object, *, public: bool,
                 max_age: int = MAX_AGE) -> HttpResponse:
    """Compact JSON, gzip-compressed when the client accepts it (these answers are geometry
    and names, no secret and nothing reflected from the request, so compression leaks
    nothing: no BREACH), cacheable for `max_age` seconds: by anyone for public data, by the
    reader's own browser only (`private`, varying with the session cookie) for data read
    within a user's scope."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    response = HttpResponse(body, content_type="application/json")
    if public:
        patch_cache_control(response, public=True, max_age=max_age)
    else:
        patch_cache_control(response, private=True, max_age=max_age)
        patch_vary_headers(response, ("Cookie",))
    patch_vary_headers(response, ("Accept-Encoding",))
    accepts = request.headers.get("Accept-Encoding", "")
    if len(body) >= GZIP_MIN_BYTES and re.search(r"\bgzip\b", accepts):
        compressed = compress_string(body)
        if len(compressed) < len(body):
            response.content = compressed
            response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(response.content))
    return response


def buildings_collection(found: Iterable[Any], truncated: bool) -> dict[str, Any]:
    """Buildings (areas.hooks.MapBuilding) as GeoJSON points with their name and number."""
    return {"type": "FeatureCollection", "truncated": truncated, "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": b["at"]},
         "properties": {"name": b["name"], "number": b["number"]}}
        for b in found]}

