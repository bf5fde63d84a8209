from celery import shared_task

from civicgrid.audit.services import audit_seal


@shared_task(name="audit.seal", acks_late=True, ignore_result=True)
def seal() -> int:
    """Chain the entries written since the last run (beat, every AUDIT_SEAL_SECONDS). Two
    overlapping runs are harmless: the second finds the first at work and returns."""
    return audit_seal(wait=False)
