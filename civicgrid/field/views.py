"""The offline app's shell, service worker and manifest (/field/).

The shell is the same for everyone and holds no data: the app reads what it shows from
the phone's encrypted store, filled from GET /api/v1/field/bundle. So the shell, the
service worker and the manifest are public; every read of data goes through the API with
the user's session.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from civicgrid.core.access import access
from civicgrid.field.texts import app_texts
from civicgrid.field.versions import APP_VERSION, HEADER

# What the service worker keeps for the app to start offline (static URLs as deployed:
# hashed names with the manifest storage).
ASSETS = ("field/app.css", "field/store.js", "field/app.js", "field/icon.svg",
          "field/icon-192.png", "field/icon-512.png", "vendor/leaflet/leaflet.js",
          "vendor/leaflet/leaflet.css", "build/core/basemap.js", "core/basemap.css",
          "vendor/gcoord/gcoord.global.prod.js")


def _context() -> dict:
    return {"app_version": APP_VERSION, "version_header": HEADER,
            "texts": app_texts(), "lang": get_language()}


@access(public=True)
@require_GET
def shell_view(request):
    response = render(request, "field/app.html", _context())
    response["Cache-Control"] = "no-cache"  # revalidated online; the worker keeps a copy
    return response


def _worker_source() -> str:
    assets = [static(name) for name in ASSETS]
    source = render_to_string("field/sw.js", {
        "app_version": APP_VERSION, "assets": json.dumps(assets),
        "store_js": static("field/store.js"), "version_header": HEADER})
    return source


def _build_id(source: str) -> str:
    """Changes with anything the phone keeps of the app: the worker's text, every asset's
    content (not only its URL: without hashed names a changed app.js keeps its URL), the
    shell's template and texts. A new build id is a new worker with a new cache."""
    digest = hashlib.sha256(source.encode())
    for name in ASSETS:
        path = finders.find(name)
        if path:
            digest.update(Path(str(path)).read_bytes())
    shell = loader.get_template("field/app.html")
    digest.update(getattr(getattr(shell, "template", None), "source", "").encode())
    digest.update(json.dumps(app_texts(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:12]


@access(public=True)
@require_GET
def worker_view(request):
    """The service worker. Its text changes with the app version and with any asset's
    deployed URL, so a new deployment installs a new worker (and a new cache)."""
    source = _worker_source()
    response = HttpResponse(source.replace("__BUILD__", _build_id(source)),
                            content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/field/"
    return response


@access(public=True)
@require_GET
def manifest_view(request):
    texts = app_texts()
    data = {
        "name": texts["app_name"], "short_name": texts["short_name"],
        "start_url": "/field/", "scope": "/field/", "display": "standalone",
        "background_color": "#f4f6fa", "theme_color": "#1d3557",
        "lang": get_language() or settings.LANGUAGE_CODE,
        "icons": [
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("field/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False),
                            content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
