"""GET /api/v1/ping: the application server is up and serving the API.

For load balancers and monitoring, and the framework's ceiling in `make bench`: it answers
without authentication and without touching the database (no session, no query), so its
cost is Django's request path and django-ninja's alone.
"""

from ninja import Router, Schema

from civicgrid.core.access import access

router = Router(tags=["meta"])


class PingOut(Schema):
    status: str


@router.get("/ping", auth=None, response={200: PingOut}, url_name="ping")
@access(public=True, api=True)
def ping(request):
    """Liveness: `{"status": "ok"}`, no sign-in, no database."""
    return {"status": "ok"}
