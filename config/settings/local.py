"""Embedded default: SQLite, no broker, DEBUG on, two-factor not enforced (demo)."""

from config.env import env_bool

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MIDDLEWARE, STORAGES, TEMPLATES

DEBUG = env_bool("DEBUG", True)
TEMPLATES[0]["OPTIONS"]["debug"] = DEBUG

# Static files through WhiteNoise, as in production (docs/performance.md, "Static files").
# DEBUG on (the default here): read from the apps' folders on each request, so an edit
# shows at once. DEBUG off (`DEBUG=false make run`, the embedded set-up as a small
# deployment): from STATIC_ROOT, which `make run` fills with collectstatic first: hashed
# names cached for a year (immutable) and gzip-compressed copies, as production sends them.
# runserver_nostatic: runserver leaves /static/ to WhiteNoise (it must come before
# staticfiles).
_staticfiles = INSTALLED_APPS.index("django.contrib.staticfiles")
INSTALLED_APPS = [*INSTALLED_APPS[:_staticfiles], "whitenoise.runserver_nostatic",
                  *INSTALLED_APPS[_staticfiles:]]
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {**STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
