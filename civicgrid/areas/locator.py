"""Point → grid lookup on a shapely STRtree, built once per process.

The tree is rebuilt when boundaries change: services that change a boundary bump
`GeometryRevision` (and drop this process's tree at once); other processes notice the new
revision at most AREA_LOCATOR_RECHECK_SECONDS later.

A point on the shared edge of two grids belongs to the grid with the lowest code, so the
answer is deterministic; a point outside every grid returns None.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from shapely.strtree import STRtree

from civicgrid.areas.geometry import parse_boundary
from civicgrid.areas.models import Area, GeometryRevision, Level


@dataclass
class _Index:
    revision: int
    tree: STRtree
    ids: np.ndarray  # Area primary keys, in the tree's order (sorted by code)
    codes: list[str]
    geoms: np.ndarray
    checked_at: float


class GridLocator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: _Index | None = None

    # -- freshness --
    @staticmethod
    def _current_revision() -> int:
        row = GeometryRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
        return row or 0

    def invalidate(self) -> None:
        with self._lock:
            self._index = None

    def _get_index(self) -> _Index:
        index = self._index
        now = time.monotonic()
        if index is not None and now - index.checked_at < settings.AREA_LOCATOR_RECHECK_SECONDS:
            return index
        revision = self._current_revision()
        if index is not None and index.revision == revision:
            index.checked_at = now
            return index
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = self._build(revision)
            return self._index

    @staticmethod
    def _build(revision: int) -> _Index:
        rows = (
            Area.objects.filter(level=Level.GRID, boundary__isnull=False)
            .order_by("code")
            .values_list("pk", "code", "boundary")
        )
        ids, codes, geoms = [], [], []
        for pk, code, boundary in rows.iterator(chunk_size=2000):
            ids.append(pk)
            codes.append(code)
            geoms.append(parse_boundary(boundary))
        geom_array = np.array(geoms, dtype=object)
        shapely.prepare(geom_array)
        return _Index(
            revision=revision,
            tree=STRtree(geom_array),
            ids=np.array(ids, dtype=np.int64),
            codes=codes,
            geoms=geom_array,
            checked_at=time.monotonic(),
        )

    # -- queries --
    def locate_many(self, points: list[tuple[float, float]]) -> list[int | None]:
        """The grid id containing each (lng, lat) point, or None; one vectorised query."""
        index = self._get_index()
        result: list[int | None] = [None] * len(points)
        if not points or len(index.ids) == 0:
            return result
        pts = shapely.points(np.asarray(points, dtype=float))
        # Pairs (point index, tree index) where the grid polygon covers the point.
        point_idx, tree_idx = index.tree.query(pts, predicate="covered_by")
        # Tree indices follow code order, so the smallest index per point is the lowest code.
        best: dict[int, int] = {}
        for p, t in zip(point_idx.tolist(), tree_idx.tolist(), strict=True):
            if p not in best or t < best[p]:
                best[p] = t
        for p, t in best.items():
            result[p] = int(index.ids[t])
        return result

    def locate(self, lng: float, lat: float) -> int | None:
        return self.locate_many([(lng, lat)])[0]

    def locate_code(self, lng: float, lat: float) -> tuple[int, str] | None:
        """The id and code of the grid holding the point, or None (from the index alone)."""
        pk = self.locate(lng, lat)
        if pk is None:
            return None
        index = self._get_index()
        where = np.flatnonzero(index.ids == pk)
        return (pk, index.codes[int(where[0])]) if len(where) else None


grid_locator = GridLocator()


def locate_grid(lng: float, lat: float, queryset=None) -> Area | None:
    """The grid Area containing the point, or None.

    If the index names a grid that no longer exists (it was built from data another
    transaction then rolled back or deleted), the index is rebuilt and asked again.
    """
    qs = queryset if queryset is not None else Area.objects.all()
    for _attempt in range(2):
        pk = grid_locator.locate(lng, lat)
        if pk is None:
            return None
        area = qs.filter(pk=pk, level=Level.GRID).first()
        if area is not None or Area.objects.filter(pk=pk, level=Level.GRID).exists():
            return area  # None here: the grid exists but lies outside `queryset`
        grid_locator.invalidate()
    return None
