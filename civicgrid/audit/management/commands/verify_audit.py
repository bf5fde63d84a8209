from django.core.management.base import BaseCommand, CommandError

from civicgrid.audit.services import audit_seal, audit_verify_chain


class Command(BaseCommand):
    help = ("Seal the entries written since the sealer last ran, then verify the audit log's "
            "hash chain and name the first broken entry.")

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true",
                            help="verify only: leave unsealed entries to the sealer")

    def handle(self, *args, **options):
        if not options["no_seal"]:
            audit_seal(wait=True)
        report = audit_verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at entry {report.broken_id}: {report.reason} "
                f"({report.checked} entries before it verified)."
            )
        self.stdout.write(self.style.SUCCESS(
            f"Audit chain intact: {report.checked} entries"
            + (f" ({report.unsealed} recent ones not sealed yet)." if report.unsealed else ".")))
