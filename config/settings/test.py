"""pytest settings: SQLite by default, PostgreSQL when DATABASE_URL says so."""

import os
import uuid

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests
TOTP_REQUIRED_FOR_PRIVILEGED = False
CASE_NUMBER_SHARDS = 1  # numbers -00001, -00002… on both databases (a test sets more)
IMPORTS_IN_THREAD = False  # the import steps run inline (after the commit)
SMS_BACKEND = "civicgrid.notices.sms.LocmemBackend"  # messages in civicgrid.notices.sms.outbox
# Each run creates and drops its own database, so parallel runs on one server never collide.
# scripts/with_test_postgres.py names the run (TEST_DATABASE_TAG) and afterwards drops only
# that run's leftovers, never those of a run that started beside it.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    _tag = os.environ.get("TEST_DATABASE_TAG") or uuid.uuid4().hex[:10]
    DATABASES["default"]["TEST"] = {"NAME": f"test_civicgrid_{_tag}"}
else:
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-{os.getpid()}.sqlite3")}
# One folder per xdist worker: tests that list the folder before and after an upload must
# not see another worker's files (case numbers repeat across workers' databases).
MEDIA_ROOT = str(BASE_DIR / "test-output" / "media" / os.environ.get("PYTEST_XDIST_WORKER", "main"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
