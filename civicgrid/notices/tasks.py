"""Celery tasks: thin wrappers around the services, safe to retry."""

from celery import shared_task

from civicgrid.audit.context import acting_from
from civicgrid.notices.services import notice_deliver, notice_digests_send


@shared_task(name="notices.deliver", acks_late=True, ignore_result=True)
def deliver(notice_ids: list[int]) -> int:
    return notice_deliver(notice_ids)


@shared_task(name="notices.send_digests", acks_late=True)
def send_digests() -> dict:
    with acting_from(None):
        report = notice_digests_send()
    return {"gateway_off": report.gateway_off, "sent": report.sent,
            "without_phone": report.without_phone, "nothing_new": report.nothing_new}
