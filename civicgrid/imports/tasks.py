"""The import's long steps as jobs: Celery tasks in production (thin wrappers around the
services, safe to run again: each step claims its run's status first); in the embedded
set-up (no broker) a thread of the web process, or inline where settings say so (tests)."""

from __future__ import annotations

import threading

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, transaction

from civicgrid.audit.context import acting_from


def _run(step: str, run_id: int) -> str:
    from civicgrid.imports import services

    job = {"check": services.import_check, "apply": services.import_apply_job,
           "undo": services.import_undo_job}[step]
    with acting_from(None):
        return job(run_id).status


@shared_task(name="imports.step", acks_late=True)
def import_step(step: str, run_id: int) -> str:
    return _run(step, run_id)


def _in_thread(step: str, run_id: int) -> None:
    try:
        _run(step, run_id)
    finally:
        close_old_connections()


def schedule(step: str, run_id: int) -> None:
    """Start the step once the caller's transaction has committed."""
    def start() -> None:
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            import_step.delay(step, run_id)
        elif settings.IMPORTS_IN_THREAD:
            threading.Thread(target=_in_thread, args=(step, run_id), daemon=True,
                             name=f"import-{step}-{run_id}").start()
        else:
            _run(step, run_id)
    transaction.on_commit(start)


@shared_task(name="imports.expire_files", acks_late=True)
def expire_files() -> dict:
    from civicgrid.imports.services import import_files_expire

    with acting_from(None):
        report = import_files_expire()
    return {"files": report.files, "cutoff": report.cutoff}
