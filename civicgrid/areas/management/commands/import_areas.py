import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.areas.services import areas_import
from civicgrid.audit.context import acting_from


class Command(BaseCommand):
    help = (
        "Load areas from a GeoJSON FeatureCollection (properties: code, name, and optionally "
        "level, parent_code, urban_rural_class, population, households). Every code is "
        "checked; overlaps and gaps between sibling grids are reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--strict", action="store_true",
                            help="Refuse to import when sibling grids overlap or leave gaps.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            collection = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: not valid JSON ({exc})") from exc
        with acting_from("127.0.0.1"):
            report = areas_import(collection=collection, actor=None, strict=options["strict"])
        for code_a, code_b, m2 in report.overlaps:
            self.stdout.write(self.style.WARNING(f"overlap: {code_a} × {code_b}: {m2:.1f} m²"))
        for parent, m2 in report.gaps:
            self.stdout.write(self.style.WARNING(f"gap: grids of {parent} leave {m2:.1f} m² "
                                                 "uncovered"))
        if not report.ok:
            for error in report.errors:
                self.stderr.write(self.style.ERROR(error))
            raise CommandError(f"{len(report.errors)} error(s); nothing was imported.")
        self.stdout.write(self.style.SUCCESS(
            f"Imported: {report.created} created, {report.updated} updated; "
            f"{len(report.overlaps)} overlap(s), {len(report.gaps)} gap(s)."
        ))
