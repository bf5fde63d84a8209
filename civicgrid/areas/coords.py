"""The coordinate systems a point may be sent in, and the one conversion to WGS 84.

civicgrid stores, locates and answers points in WGS 84 (what satellite positioning gives and
what the grid boundaries are drawn in). Chinese map SDKs and phones often give another
system (docs/decisions/0013-coordinate-systems.md):

- GCJ-02 (国测局坐标, "Mars coordinates"): Amap/高德, Tencent/腾讯, WeChat's
  `wx.getLocation({type: "gcj02"})`, Apple's and Google's maps inside China;
- BD-09 (百度坐标, `bd09ll`): Baidu, which is GCJ-02 shifted once more.

Inside mainland China a GCJ-02 point lies up to 700 m from its WGS 84 original, a BD-09 point
0.7–1.5 km: enough to land in another grid. Every intake channel takes the system
the point was sent in (default WGS 84) and the intake service converts it here, once,
before the grid is looked up (`civicgrid/cases/services/intake.py`).

The formulas are the published ones, by the `prcoords` library (CC0): the forward
obfuscations and their iterative inverses (within centimetres of the point whose forward
conversion gives the input; the one-step inverse many ports use is off by up to a few
metres). Outside the standard "in China" box the systems are all WGS 84, as every
implementation has it; the box is prcoords' (`sanity_in_china_p`): longitude
72.004–137.8347, latitude 0.8293–55.8271.
"""

from __future__ import annotations

import math
import re

import prcoords
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class CoordinateSystem(models.TextChoices):
    WGS84 = "wgs84", gettext_lazy("WGS 84(卫星定位原始坐标)")
    GCJ02 = "gcj02", gettext_lazy("GCJ-02(高德、腾讯、微信)")
    BD09 = "bd09", gettext_lazy("BD-09(百度)")


DEFAULT = CoordinateSystem.WGS84
PARAMETER = "coordinate_system"  # the argument's name in every channel and error

# The spellings accepted for each system, compared without case, spaces, dashes,
# underscores, dots and colons: "WGS-84", "wgs_84", "EPSG:4326", "GCJ-02", "bd09ll"…
_SPELLINGS: dict[str, CoordinateSystem] = {
    "wgs84": CoordinateSystem.WGS84, "wgs1984": CoordinateSystem.WGS84,
    "epsg4326": CoordinateSystem.WGS84,
    # CGCS2000 (天地图, the national surveying datum) differs from WGS 84 by centimetres.
    "cgcs2000": CoordinateSystem.WGS84, "epsg4490": CoordinateSystem.WGS84,
    "gcj02": CoordinateSystem.GCJ02,
    "bd09": CoordinateSystem.BD09, "bd09ll": CoordinateSystem.BD09,
}
_PUNCTUATION = re.compile(r"[\s\-_.:]+")


def allowed_values() -> str:
    """The values to name in a message: `wgs84, gcj02, bd09`."""
    return ", ".join(CoordinateSystem.values)


def parse_coordinate_system(raw: object) -> CoordinateSystem:
    """The system a channel's parameter names; blank or absent is WGS 84. Anything else
    is refused with a message naming the accepted values (a ValidationError on
    `coordinate_system`)."""
    if raw is None or isinstance(raw, CoordinateSystem):
        return raw or DEFAULT
    text = str(raw).strip()
    if not text:
        return DEFAULT
    found = _SPELLINGS.get(_PUNCTUATION.sub("", text.lower()))
    if found is None:
        raise ValidationError({PARAMETER: _(
            "坐标系“%(value)s”无效,可选:%(allowed)s(不填为 wgs84)。") % {
                "value": text[:20], "allowed": allowed_values()}})
    return found


def out_of_china(lng: float, lat: float) -> bool:
    """Outside the box where GCJ-02 and BD-09 differ from WGS 84 (and for a value that is
    no coordinate at all: NaN, infinite)."""
    if not (math.isfinite(lng) and math.isfinite(lat)):
        return True
    return not prcoords.sanity_in_china_p(prcoords.Coords(lat, lng))


def to_wgs84(lng: float, lat: float,
             system: CoordinateSystem | str = DEFAULT) -> tuple[float, float]:
    """The WGS 84 point (lng, lat) of a point given in `system` (any accepted spelling).
    Unchanged for WGS 84 and outside China."""
    system = parse_coordinate_system(system)
    if system == CoordinateSystem.WGS84 or out_of_china(lng, lat):
        return lng, lat
    given = prcoords.Coords(lat, lng)
    if system == CoordinateSystem.GCJ02:
        wgs = prcoords.gcj_wgs_bored(given, False)
    else:
        wgs = prcoords.bd_wgs_bored(given, False)
    return float(wgs.lon), float(wgs.lat)


def from_wgs84(lng: float, lat: float,
               system: CoordinateSystem | str) -> tuple[float, float]:
    """The point (lng, lat) in `system` of a WGS 84 point: what a map SDK working in that
    system shows for it. Unchanged for WGS 84 and outside China."""
    system = parse_coordinate_system(system)
    if system == CoordinateSystem.WGS84 or out_of_china(lng, lat):
        return lng, lat
    given = prcoords.Coords(lat, lng)
    if system == CoordinateSystem.GCJ02:
        point = prcoords.wgs_gcj(given, False)
    else:
        point = prcoords.wgs_bd(given, False)
    return float(point.lon), float(point.lat)
