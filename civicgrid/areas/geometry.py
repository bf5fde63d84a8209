"""Geometry helpers for area boundaries (GeoJSON, WGS84) on top of shapely."""

from __future__ import annotations

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

POLYGON_TYPES = {"Polygon", "MultiPolygon"}
# 1 m² is about 1e-10 square degrees at this latitude; smaller slivers are rounding noise.
AREA_TOLERANCE = 1e-10


class BoundaryError(ValueError):
    pass


def parse_boundary(geojson: dict | None) -> BaseGeometry | None:
    """Validate a GeoJSON Polygon/MultiPolygon in WGS84 and return the shapely geometry."""
    if geojson is None:
        return None
    if not isinstance(geojson, dict) or geojson.get("type") not in POLYGON_TYPES:
        raise BoundaryError("boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise BoundaryError(f"boundary is not valid GeoJSON: {exc}") from exc
    if geom.is_empty:
        raise BoundaryError("boundary is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError("boundary coordinates are not WGS84 longitude/latitude")
    if not geom.is_valid:
        raise BoundaryError(f"boundary is not a valid polygon: {explain_validity(geom)}")
    return geom


def to_geojson(geom: BaseGeometry) -> dict:
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _lists(data["coordinates"])}


def _lists(value):
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return value


def centroid(geom: BaseGeometry) -> tuple[float, float]:
    """A point inside the area (representative point), as (lng, lat)."""
    point = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    return round(point.x, 7), round(point.y, 7)
