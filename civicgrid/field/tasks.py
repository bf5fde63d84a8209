"""The offline app's periodic job: photo uploads left unfinished are given up (daily)."""

from __future__ import annotations

from celery import shared_task

from civicgrid.audit.context import acting_from


@shared_task(name="field.sweep_uploads", acks_late=True)
def sweep_uploads() -> int:
    from civicgrid.field.services import uploads_sweep

    with acting_from(None):
        return uploads_sweep()
