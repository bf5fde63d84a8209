from django.core.management.base import BaseCommand, CommandError

from civicgrid.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and name the first broken entry."

    def handle(self, *args, **options):
        report = audit_verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at entry {report.broken_id}: {report.reason} "
                f"({report.checked} entries before it verified)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} entries."))
