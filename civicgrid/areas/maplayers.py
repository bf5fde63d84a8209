"""Which base-map layers a staff map of an area offers its reader (basemap.js options,
written into the map element's data attributes by the page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from civicgrid.areas.models import Area, Level
from civicgrid.core.access import has_permission

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


def map_layers(user: User | None, area: Area, *, grids_shown: bool = False,
               ) -> dict[str, str]:
    """The base map's data for a staff map of `area` (basemap.js options), as far as the
    reader may read them: names of the areas below, the grid outlines (when the map's own
    layer shows communities), the registry's buildings, the imported roads."""
    layers = {"labelsUrl": reverse("areas:labels", args=[area.code]),
              "roadsUrl": reverse("areas:roads_geojson")}
    if area.level == Level.STREET and not grids_shown:  # (a community's children are grids)
        layers["outlinesUrl"] = reverse("areas:map", args=[area.code]) + "?depth=grid"
    if has_permission(user, "registry.building.view"):
        layers["buildingsUrl"] = reverse("areas:buildings", args=[area.code])
    return layers
