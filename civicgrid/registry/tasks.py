"""Celery tasks: thin wrappers around services, safe to run again."""

from celery import shared_task

from civicgrid.audit.context import acting_from
from civicgrid.registry.services.retention import retention_apply


@shared_task(name="registry.apply_retention", acks_late=True)
def apply_retention() -> dict:
    with acting_from(None):
        report = retention_apply()
    return {"cutoff": report.cutoff.isoformat(), "people": report.people}
