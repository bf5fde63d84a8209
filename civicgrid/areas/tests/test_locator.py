import random

from shapely import Point
from shapely.geometry import shape

from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.locator import grid_locator, locate_grid
from civicgrid.areas.models import Area, Level
from civicgrid.areas.services import area_set_boundary
from civicgrid.conftest import square


def test_ten_thousand_random_points_agree_with_brute_force(demo):
    grids = list(Area.objects.filter(level=Level.GRID, code__startswith=COUNTY_CODE)
                 .order_by("code").values_list("pk", "boundary"))
    polygons = [(pk, shape(b)) for pk, b in grids]
    minx = min(p.bounds[0] for _, p in polygons)
    miny = min(p.bounds[1] for _, p in polygons)
    maxx = max(p.bounds[2] for _, p in polygons)
    maxy = max(p.bounds[3] for _, p in polygons)
    rng = random.Random(11)
    points = [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(10_000)]
    grid_locator.invalidate()
    found = grid_locator.locate_many(points)

    def brute(lng, lat):
        point = Point(lng, lat)
        return next((pk for pk, polygon in polygons if polygon.covers(point)), None)

    expected = [brute(lng, lat) for lng, lat in points]
    mismatches = [(p, f, e) for p, f, e in zip(points, found, expected, strict=True) if f != e]
    assert mismatches == []
    # The bounding box holds points outside every grid, and they answer None.
    assert 0 < expected.count(None) < len(points)


def test_single_lookup_and_outside(world):
    grid_locator.invalidate()
    assert locate_grid(120.81, 31.91) == world.grid_a1
    assert locate_grid(120.86, 31.91) == world.grid_a2
    assert locate_grid(100.0, 20.0) is None


def test_point_on_shared_edge_goes_to_the_lowest_code(world):
    grid_locator.invalidate()
    assert locate_grid(120.85, 31.92) == world.grid_a1  # the edge between a1 and a2


def test_index_rebuilds_when_a_boundary_changes(world):
    grid_locator.invalidate()
    assert locate_grid(120.99, 31.91) is None
    admin = world.users["administrator"]
    area_set_boundary(area=world.grid_b1, boundary=square(120.95, 31.90, 0.05), actor=admin)
    assert locate_grid(120.99, 31.91) == world.grid_b1
    assert locate_grid(120.91, 31.91) is None


def test_other_process_changes_are_seen_via_the_revision(world, settings):
    from civicgrid.areas.models import GeometryRevision

    settings.AREA_LOCATOR_RECHECK_SECONDS = 0
    grid_locator.invalidate()
    assert locate_grid(120.99, 31.91) is None
    # Another process moved the grid and bumped the revision (no local invalidation here).
    Area.objects.filter(pk=world.grid_b1.pk).update(boundary=square(120.95, 31.90, 0.05))
    GeometryRevision.objects.update_or_create(pk=1, defaults={"revision": 99})
    assert locate_grid(120.99, 31.91) == world.grid_b1
