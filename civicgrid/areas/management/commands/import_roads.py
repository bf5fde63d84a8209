import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.areas.coords import CoordinateSystem
from civicgrid.areas.demo_roads import build_demo_roads
from civicgrid.areas.models import RoadImportMode
from civicgrid.areas.services import roads_import
from civicgrid.audit.context import acting_from


class Command(BaseCommand):
    help = (
        "Import the roads of the local base map from a GeoJSON FeatureCollection of "
        "LineString/MultiLineString features (properties: name, kind) (docs/areas.md). "
        "Replaces the roads imported before unless --add. --demo imports the demo "
        "district's road network instead of a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument("--add", action="store_true",
                            help="Keep the roads imported before (default: replace them).")
        parser.add_argument("--coordinate-system", default=CoordinateSystem.WGS84,
                            choices=CoordinateSystem.values,
                            help="The file's coordinate system (converted to WGS 84).")
        parser.add_argument("--demo", action="store_true",
                            help="Import the demo district's roads (areas/demo_roads.py).")

    def handle(self, *args, **options):
        path: Path | None = options["file"]
        if options["demo"]:
            content = json.dumps(build_demo_roads(), ensure_ascii=False).encode()
            name = "demo-roads.geojson"
        elif path is None:
            raise CommandError("give a GeoJSON file, or --demo")
        else:
            try:
                content = path.read_bytes()
            except FileNotFoundError as exc:
                raise CommandError(f"{path}: no such file") from exc
            name = path.name
        with acting_from("127.0.0.1"):
            result = roads_import(
                content=content, file_name=name,
                mode=RoadImportMode.ADD if options["add"] else RoadImportMode.REPLACE,
                coordinate_system=options["coordinate_system"], actor=None)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(self.style.ERROR(error))
            more = f" (and {result.more_errors} more)" if result.more_errors else ""
            raise CommandError(f"{len(result.errors)} problem(s){more}; nothing was imported.")
        self.stdout.write(self.style.SUCCESS(
            f"Imported {len(result.roads)} roads ({result.vertices} vertices) from {name}."))
