"""Celery tasks: thin wrappers around services, safe to retry (a delivery is claimed before
it is sent and a succeeded one is never sent again)."""

from celery import shared_task

from civicgrid.webhooks.models import WebhookDelivery
from civicgrid.webhooks.services import webhook_deliver, webhook_retry_due


@shared_task(name="webhooks.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> bool:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).select_related("endpoint").first()
    if delivery is None:  # deleted with its endpoint or case
        return False
    return webhook_deliver(delivery=delivery)


@shared_task(name="webhooks.retry_due", acks_late=True)
def retry_due() -> int:
    return webhook_retry_due()
