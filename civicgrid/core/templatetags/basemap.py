"""`{% basemap_scripts %}`: what every map page loads after leaflet.js for its base layer.

It writes the deployment's tile configuration (`MAP_TILES`, parsed by
civicgrid/core/maptiles.py; `null` when there is none or it is malformed) into a JSON data
block `#cg-map-config`, loads the GCJ-02 conversion library only when the tiles are GCJ-02,
and loads basemap.js. A page puts it in its own `scripts` block, after Leaflet.
"""

from __future__ import annotations

from django import template
from django.conf import settings

from civicgrid.core.maptiles import parse_tiles

register = template.Library()


@register.inclusion_tag("core/partials/basemap_scripts.html")
def basemap_scripts() -> dict[str, object]:
    config, _errors = parse_tiles(getattr(settings, "MAP_TILES", None))
    return {
        "map_config": {"tiles": config.as_json() if config else None},
        "shifted": bool(config and config.shifted),
    }
