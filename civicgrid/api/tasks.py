from celery import shared_task

from civicgrid.api.services import idempotency_purge


@shared_task(name="api.purge_idempotency", acks_late=True)
def purge_idempotency() -> int:
    """Idempotency records older than 24 h are dropped (a retry after that runs afresh)."""
    return idempotency_purge(older_than_hours=24)
