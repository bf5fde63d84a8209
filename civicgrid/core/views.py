from django.shortcuts import render

from civicgrid.core.access import access
from civicgrid.core.selectors import home_overview


@access()
def home_view(request):
    return render(request, "core/home.html", home_overview(actor=request.user))


def permission_denied_view(request, exception=None):
    return render(request, "403.html", status=403)


def not_found_view(request, exception=None):
    return render(request, "404.html", status=404)
