from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from civicgrid.core.access import access
from civicgrid.home.selectors import home_overview
from civicgrid.open311.views import not_found as open311_not_found


@access()
def home_view(request):
    return render(request, "home/home.html", home_overview(actor=request.user))


@access(public=True)
@never_cache
def health_view(request):
    """Liveness and database reachability for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def permission_denied_view(request, exception=None):
    return render(request, "403.html", status=403)


def not_found_view(request, exception=None):
    if request.path.startswith("/open311/"):  # machines get the spec's error document
        return open311_not_found(request)
    return render(request, "404.html", status=404)
