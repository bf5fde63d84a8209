"""Compressed answers: pages and JSON are sent gzip-compressed to browsers that accept it.

WhiteNoise compresses the static files (ahead of time, gzip and Brotli); this compresses
what the views answer. A case list page is about 50 KB of HTML and 8 KB compressed, which
is most of what a grid worker's phone downloads once the static files are cached.

BREACH (a secret in a compressed body guessed from the body's length, docs/security.md):
the attacker must make the victim's browser send many signed-in requests carrying text of
the attacker's choice and watch the encrypted lengths. Here the session cookie is
SameSite=Lax, so another site's page cannot make such requests (images, scripts, frames
and fetches from it carry no cookie; only top-level navigations do); the CSRF token is
masked anew in every answer (Django), so it has no fixed value to guess; and Django's
GZipMiddleware pads each compressed answer with up to 100 random bytes (Heal The Breach).

Only text is compressed: photos, PDFs, spreadsheets and zips are compressed already and
would only cost CPU time and lose their Content-Length. An answer that is compressed
already (WhiteNoise's static files, the map answers of civicgrid/areas/mapdata.py) is left
as it is.
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript",
                "application/xml", "application/manifest+json", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for text answers only."""

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type.startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
