"""The ports of the areas app (civicgrid/core/hooks.py): what higher apps provide.

- `area_registry_figures(area_code)`: the registry's figures of an area, for its page
  (people, the linkage, vacancy and dormitory rates); provided by registry. The area page
  asks only for readers who may see them (`registry.gridfigures.view`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civicgrid.core.hooks import Slot

area_registry_figures: Slot[Callable[[str], Any]] = Slot("areas.area_registry_figures")
