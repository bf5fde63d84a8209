"""The JSON API under /api/v1/ (django-ninja), OpenAPI at /api/v1/openapi.json.

Assembled here, in the top layer, because it mounts every app's router: civicgrid.api
(tokens, auth, idempotency, rate limits, the error format) stays a layer the apps use."""

from ninja import NinjaAPI
from ninja.security import django_auth

from civicgrid.accounts.api import router as accounts_router
from civicgrid.api.auth import TokenBearer, TokenHeader
from civicgrid.api.errors import install_error_handlers
from civicgrid.api.ping import router as ping_router
from civicgrid.api.rendering import ApiRenderer
from civicgrid.areas.api import router as areas_router
from civicgrid.cases.api import router as cases_router
from civicgrid.cases.api_categories import router as categories_router
from civicgrid.cases.api_errors import install_case_error_handlers
from civicgrid.field.api import router as field_router
from civicgrid.imports.api import router as imports_router
from civicgrid.registry.api import router as registry_router
from civicgrid.registry.people_api import router as registry_people_router
from civicgrid.registry.review_api import router as registry_review_router
from civicgrid.risk.api import router as risk_router
from civicgrid.risk.hearing_api import router as hearings_router
from civicgrid.surveys.api import router as surveys_router
from civicgrid.units.api import router as units_router
from civicgrid.warnings.api import router as checks_router

api = NinjaAPI(
    title="civicgrid API",
    version="1",
    description="JSON API of civicgrid. Every read is limited to the caller's jurisdiction; "
    "a record outside it answers 404 exactly like a missing one.",
    # A token (Authorization: Bearer, or X-Api-Key) or the browser session.
    auth=[TokenBearer(), TokenHeader(), django_auth],
    urls_namespace="api",
    renderer=ApiRenderer(),  # times as 2026-11-30T09:15:00+08:00, like Open311
)
install_error_handlers(api)
install_case_error_handlers(api)
api.add_router("/", ping_router)
api.add_router("/", accounts_router)
api.add_router("/areas", areas_router)
api.add_router("/units", units_router)
api.add_router("/cases", cases_router)
api.add_router("/categories", categories_router)
api.add_router("/registry", registry_router)
api.add_router("/registry", registry_people_router)
api.add_router("/registry", registry_review_router)
api.add_router("/imports", imports_router)
api.add_router("/checks", checks_router)
api.add_router("/field", field_router)
api.add_router("/risk", risk_router)
api.add_router("/risk/hearings", hearings_router)
api.add_router("/surveys", surveys_router)
