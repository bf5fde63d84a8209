"""Celery tasks: thin wrappers around services, safe to retry (the services are idempotent)."""

from celery import shared_task

from civicgrid.audit.context import acting_from
from civicgrid.cases.services import due_jobs_run


@shared_task(name="cases.run_due_jobs", acks_late=True)
def run_due_jobs() -> dict:
    with acting_from(None):
        report = due_jobs_run()
    return {"escalated": report.escalated, "handoff_notices": report.handoff_notices,
            "judicial_reminders": report.judicial_reminders}
