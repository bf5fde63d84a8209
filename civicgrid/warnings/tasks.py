"""Celery tasks: thin wrappers around services, safe to retry (the services are idempotent:
one automatic reminder per area and week, one evaluation per day)."""

from celery import shared_task

from civicgrid.audit.context import acting_from
from civicgrid.warnings.services import area_status_evaluate_due, check_reminders_send


@shared_task(name="warnings.send_check_reminders", acks_late=True)
def send_check_reminders() -> dict:
    with acting_from(None):
        report = check_reminders_send()
    return {"week": report.week.isoformat() if report.week else None, "areas": report.areas,
            "notices": report.notices}


@shared_task(name="warnings.evaluate_area_status", acks_late=True)
def evaluate_area_status() -> dict:
    with acting_from(None):
        report = area_status_evaluate_due()
    return {"day": report.day.isoformat() if report.day else None, "skipped": report.skipped,
            "counts": report.counts, "changed": len(report.changed), "notices": report.notices}
