# Load the Celery app with Django so that tasks use its configuration (eager without a broker).
from config.celery import app as celery_app

__all__ = ["celery_app"]
