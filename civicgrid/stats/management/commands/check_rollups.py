from django.core.management.base import BaseCommand, CommandError

from civicgrid.audit.context import acting_from
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.stats.rollups import stats_differences, stats_rebuild


class Command(BaseCommand):
    help = ("Recompute the case rollup from the cases and report every difference; "
            "--fix replaces the rollup with the recount.")

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true",
                            help="rebuild the rollup from the cases after reporting")
        parser.add_argument("--limit", type=int, default=50,
                            help="differences to print (default 50)")

    def handle(self, *args, fix: bool, limit: int, **options):
        differences = stats_differences()
        for d in differences[:limit]:
            street, month, category_id = d.key
            self.stdout.write(f"{street} {month:%Y-%m} category {category_id} {d.measure}: "
                              f"stored {d.stored}, recomputed {d.recomputed}")
        if len(differences) > limit:
            self.stdout.write(f"… and {len(differences) - limit} more")
        if not differences:
            self.stdout.write(self.style.SUCCESS("Rollups match the cases."))
            return
        if fix:
            with acting_from("127.0.0.1"):
                rows = stats_rebuild()
                audit_record(actor=None, username="system",
                             event_type=AuditEventType.STATS_ROLLUP_REBUILT,
                             details={"differences": len(differences), "rows": rows})
            self.stdout.write(self.style.SUCCESS(
                f"Rebuilt: {rows} rollup rows from the cases ({len(differences)} differences)."))
            return
        raise CommandError(f"{len(differences)} rollup counters differ from the cases "
                           "(run with --fix to rebuild).")
