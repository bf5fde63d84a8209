from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from civicgrid.core.access import access
from civicgrid.home.api import api

urlpatterns = [
    path("", include("civicgrid.home.urls")),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("areas/", include("civicgrid.areas.urls")),
    path("units/", include("civicgrid.units.urls")),
    path("audit/", include("civicgrid.audit.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("portal/", include("civicgrid.portal.urls")),
    path("warnings/", include("civicgrid.warnings.urls")),
    path("registry/", include("civicgrid.registry.urls")),
    path("imports/", include("civicgrid.imports.urls")),
    path("field/", include("civicgrid.field.urls")),
    path("risk/", include("civicgrid.risk.urls")),
    path("consult/", include("civicgrid.risk.public_urls")),
    path("surveys/", include("civicgrid.surveys.urls")),
    path("surveys/calls/", include("civicgrid.surveys.fieldwork_urls")),
    path("s/", include("civicgrid.surveys.public_urls")),
    path("open311/v2/", include("civicgrid.open311.urls")),
    path("dashboard/", include("civicgrid.stats.urls")),
    path("reports/", include("civicgrid.reports.urls")),
    path("i18n/setlang/", access(public=True)(set_language), name="set_language"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "civicgrid.home.views.permission_denied_view"
handler404 = "civicgrid.home.views.not_found_view"

# No /media/ route in any setting (DEBUG included): uploads hold personal data and are
# served only by the views that check the reader's scope (cases:attachment and
# cases:attachment_thumb). MEDIA_URL names no public location.
