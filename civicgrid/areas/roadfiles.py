"""Reading a GeoJSON file of roads for the local base map (no database: the service
`roads_import` in areas/services.py writes what this returns, or nothing).

The file is a GeoJSON FeatureCollection of LineString or MultiLineString features in
longitude/latitude, two-dimensional, with a `name` property (docs/areas.md has an
example). Everything is checked before anything is written, and any problem refuses the
whole file with a message naming the feature and what is wrong: not UTF-8, not JSON,
NaN or Infinity, nesting deeper than GeoJSON needs, not a FeatureCollection, another
geometry type, a position that is not two finite numbers (Z values included), longitude or
latitude out of range, a line of fewer than two distinct positions, a name too long, too
many features or vertices, a file too large. Coordinates given in GCJ-02 or BD-09 (roads
traced on Amap, Tencent or Baidu maps) are converted to WGS 84 (areas/coords.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from civicgrid.areas.coords import CoordinateSystem, to_wgs84
from civicgrid.areas.models import RoadKind

MAX_FILE_BYTES = 16 * 1024 * 1024  # (under nginx's client_max_body_size 20m: operations.md)
MAX_FEATURES = 20_000
MAX_VERTICES_PER_ROAD = 10_000
MAX_VERTICES = 500_000
MAX_NAME = 100
MAX_ERRORS = 20  # listed; more are counted
DECIMALS = 7  # ≈ 1 cm: what a survey gives, no more
LINE_TYPES = ("LineString", "MultiLineString")

# The kind of a road from its `kind` property (ours), or the OpenStreetMap `highway` tag, or
# the Chinese class names of urban road design (城市道路分类: 快速路, 主干路, 次干路, 支路).
KIND_NAMES: dict[str, str] = {
    **dict.fromkeys((
        "major", "motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
        "primary_link", "快速路", "主干路", "主干道", "高速公路", "国道", "省道"), RoadKind.MAJOR),
    **dict.fromkeys((
        "minor", "tertiary", "unclassified", "residential", "secondary_link",
        "tertiary_link", "road", "次干路", "次干道", "支路", "县道", "乡道"), RoadKind.MINOR),
    **dict.fromkeys((
        "lane", "living_street", "service", "alley", "街巷", "巷", "弄", "胡同", "小区道路"),
        RoadKind.LANE),
    **dict.fromkeys((
        "path", "footway", "pedestrian", "cycleway", "steps", "track", "bridleway",
        "步行道", "人行道", "绿道"), RoadKind.PATH),
}


class _Refused(Exception):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class RoadRow:
    name: str
    kind: str
    geometry: dict[str, Any]  # GeoJSON LineString/MultiLineString, WGS 84, 2-D
    bounds: tuple[float, float, float, float]  # west, south, east, north
    vertices: int


@dataclass
class RoadFile:
    sha256: str
    size: int
    roads: list[RoadRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    more_errors: int = 0  # beyond the MAX_ERRORS listed

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def vertices(self) -> int:
        return sum(r.vertices for r in self.roads)

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        else:
            self.more_errors += 1


def _no_constant(name: str) -> float:
    raise ValueError(_("JSON 中不能有 %(name)s。") % {"name": name})


def _load(content: bytes) -> object:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refused(_("文件不是 UTF-8 编码的文本(第 %(n)d 个字节起无法解码)。")
                       % {"n": exc.start + 1}) from exc
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise _Refused(_("文件嵌套层次过深,不是道路数据。")) from exc
    except json.JSONDecodeError as exc:
        raise _Refused(_("文件不是有效的 JSON:第 %(line)d 行第 %(col)d 列,%(msg)s。")
                       % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}) from exc
    except ValueError as exc:  # NaN / Infinity (parse_constant)
        raise _Refused(str(exc)) from exc


def _position(value: object, where: str, system: CoordinateSystem) -> list[float]:
    if not isinstance(value, list) or not 2 <= len(value) <= 4:
        raise ValueError(_("%(where)s:坐标应为 [经度, 纬度]。") % {"where": where})
    if len(value) > 2:
        raise ValueError(_("%(where)s:坐标含高程等第三个值(Z),请导出二维数据。")
                         % {"where": where})
    lng, lat = value
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lng, lat)):
        raise ValueError(_("%(where)s:坐标必须是数字。") % {"where": where})
    if not (math.isfinite(lng) and math.isfinite(lat)):
        raise ValueError(_("%(where)s:坐标不是有限的数字。") % {"where": where})
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError(_("%(where)s:坐标 (%(lng)s, %(lat)s) 超出经纬度范围,文件应使用经纬度"
                           "(WGS 84 等),不能是投影坐标。")
                         % {"where": where, "lng": lng, "lat": lat})
    if system != CoordinateSystem.WGS84:
        lng, lat = to_wgs84(float(lng), float(lat), system)
    return [round(float(lng), DECIMALS), round(float(lat), DECIMALS)]


def _line(value: object, where: str, system: CoordinateSystem) -> list[list[float]]:
    if not isinstance(value, list):
        raise ValueError(_("%(where)s:线的坐标应为坐标数组。") % {"where": where})
    if len(value) > MAX_VERTICES_PER_ROAD:
        raise ValueError(_("%(where)s:一条道路的顶点超过 %(n)d 个,请先抽稀或分段。")
                         % {"where": where, "n": MAX_VERTICES_PER_ROAD})
    line = [_position(p, where, system) for p in value]
    if len({(x, y) for x, y in line}) < 2:
        raise ValueError(_("%(where)s:一条线至少要有两个不同的点。") % {"where": where})
    return line


def _geometry(geometry: object, where: str, system: CoordinateSystem) -> dict[str, Any]:
    if not isinstance(geometry, dict):
        raise ValueError(_("%(where)s:缺少几何(geometry)。") % {"where": where})
    kind = geometry.get("type")
    if kind not in LINE_TYPES:
        raise ValueError(_("%(where)s:几何类型 %(kind)s 不是道路,只接受 LineString 和 "
                           "MultiLineString。") % {"where": where, "kind": str(kind)[:30]})
    coordinates = geometry.get("coordinates")
    if kind == "LineString":
        return {"type": kind, "coordinates": _line(coordinates, where, system)}
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError(_("%(where)s:MultiLineString 的坐标应为线的数组。")
                         % {"where": where})
    lines = [_line(part, where, system) for part in coordinates]
    if sum(len(part) for part in lines) > MAX_VERTICES_PER_ROAD:
        raise ValueError(_("%(where)s:一条道路的顶点超过 %(n)d 个,请先抽稀或分段。")
                         % {"where": where, "n": MAX_VERTICES_PER_ROAD})
    return {"type": kind, "coordinates": lines}


def _text(properties: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = properties.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _road(feature: object, where: str, system: CoordinateSystem) -> RoadRow:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError(_("%(where)s:不是 GeoJSON 要素(Feature)。") % {"where": where})
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValueError(_("%(where)s:properties 应为对象。") % {"where": where})
    name = _text(properties, "name", "NAME", "名称", "道路名称")
    if len(name) > MAX_NAME:
        raise ValueError(_("%(where)s:名称超过 %(n)d 个字。") % {"where": where, "n": MAX_NAME})
    kind_text = _text(properties, "kind", "highway", "class", "等级", "道路等级").lower()
    geometry = _geometry(feature.get("geometry"), where, system)
    lines = ([geometry["coordinates"]] if geometry["type"] == "LineString"
             else geometry["coordinates"])
    xs = [p[0] for line in lines for p in line]
    ys = [p[1] for line in lines for p in line]
    return RoadRow(name=name, kind=KIND_NAMES.get(kind_text, RoadKind.MINOR),
                   geometry=geometry, bounds=(min(xs), min(ys), max(xs), max(ys)),
                   vertices=len(xs))


def read_road_file(content: bytes, *,
                   system: CoordinateSystem = CoordinateSystem.WGS84) -> RoadFile:
    """Every road of the file, or the reasons it is refused (then no road at all)."""
    result = RoadFile(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    if len(content) > MAX_FILE_BYTES:
        result.error(_("文件超过 %(mb)d MB,请分区域导出后分次添加。")
                     % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return result
    try:
        data = _load(content)
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise _Refused(_("文件必须是 GeoJSON FeatureCollection。"))
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise _Refused(_("文件中没有道路要素(features 为空)。"))
        if len(features) > MAX_FEATURES:
            raise _Refused(_("文件有 %(n)d 个要素,超过 %(max)d 个,请分区域导出后分次添加。")
                           % {"n": len(features), "max": MAX_FEATURES})
    except _Refused as exc:
        result.error(str(exc))
        return result
    vertices = 0
    for i, feature in enumerate(features):
        where = _("第 %(n)d 个要素") % {"n": i + 1}
        try:
            road = _road(feature, where, system)
        except ValueError as exc:
            result.error(str(exc))
            continue
        vertices += road.vertices
        if vertices > MAX_VERTICES:
            result.roads = []
            result.error(_("文件的顶点总数超过 %(n)d 个,请先抽稀或分区域导出。")
                         % {"n": MAX_VERTICES})
            return result
        result.roads.append(road)
    if result.errors:
        result.roads = []
    return result
