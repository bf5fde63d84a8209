from django.core.management.base import BaseCommand

from civicgrid.api.services import idempotency_purge
from civicgrid.audit.context import acting_from
from civicgrid.audit.services import audit_seal
from civicgrid.cases.services import due_jobs_run
from civicgrid.field.services import uploads_sweep
from civicgrid.imports.services import import_files_expire
from civicgrid.notices.services import notice_digests_send
from civicgrid.registry.services.retention import retention_apply
from civicgrid.warnings.services import area_status_evaluate_due, check_reminders_send
from civicgrid.webhooks.services import webhook_retry_due


class Command(BaseCommand):
    help = ("Run the periodic jobs once: escalate long-overdue cases, notify overdue "
            "hand-off receipts, judicial-confirmation reminders, remind missing weekly "
            "checks, compute today's area warning statuses (once a day), send the daily "
            "notice digests (once a day per person, only with NOTICE_GATEWAY), due webhook "
            "retries, purge API idempotency records older than 24 hours, remove the personal "
            "details of people who left the registry long ago, delete the original files "
            "of old imports, give up photo uploads unfinished for 14 days, and seal the audit "
            "entries left unsealed. In production "
            "Celery beat runs them (CELERY_BEAT_SCHEDULE); in the embedded set-up run this "
            "from cron.")

    def handle(self, *args, **options):
        with acting_from("127.0.0.1"):
            report = due_jobs_run()
            reminders = check_reminders_send()
            evaluation = area_status_evaluate_due()
            digests = notice_digests_send()
            webhooks_delivered = webhook_retry_due()
            # What the beat task api.purge_idempotency does hourly (civicgrid/api/tasks.py).
            idempotency_purged = idempotency_purge(older_than_hours=24)
            retention = retention_apply()
            # What the beat task imports.expire_files does daily: import originals past
            # IMPORT_FILE_RETENTION_DAYS.
            expired = import_files_expire()
            # What the beat task field.sweep_uploads does daily: photo uploads of the
            # offline app unfinished for 14 days.
            uploads = uploads_sweep()
            # What the beat task audit.seal does every few seconds: whatever the jobs above
            # (or a process that died before its own seal) left unsealed.
            sealed = audit_seal(wait=True)
        self.stdout.write(
            f"escalated: {len(report.escalated)} {' '.join(report.escalated)}\n"
            f"hand-off receipt notices: {report.handoff_notices}\n"
            f"judicial confirmation reminders: {report.judicial_reminders}\n"
            f"weekly check reminders: {reminders.areas} areas, {reminders.notices} notices\n"
            f"area statuses: {_evaluation_line(evaluation)}\n"
            f"notice digests: {_digest_line(digests)}\n"
            f"webhook retries delivered: {webhooks_delivered}\n"
            f"idempotency records purged: {idempotency_purged}\n"
            f"registry retention: {retention.people} people before {retention.cutoff}\n"
            f"import files deleted: {expired.files} uploaded before {expired.cutoff}\n"
            f"unfinished photo uploads given up: {uploads}\n"
            f"audit entries sealed: {sealed}"
        )


def _evaluation_line(report) -> str:
    if report.skipped:
        return f"{report.day} already evaluated"
    counts = " ".join(f"{k} {v}" for k, v in report.counts.items())
    return f"{report.day} {counts}, {len(report.changed)} changed, {report.notices} notices"


def _digest_line(report) -> str:
    if report.gateway_off:
        return "gateway off (NOTICE_GATEWAY)"
    return (f"{report.sent} sent, {report.nothing_new} with nothing new, "
            f"{report.without_phone} without a phone")
