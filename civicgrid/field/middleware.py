"""Calls of an app older than the server accepts are told to update (426), before any view
runs: the app keeps what it was sending and sends it again once updated."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _

from civicgrid.field.versions import APP_VERSION, HEADER, OLDEST_ACCEPTED, accepted


class AppVersionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and accepted(request.headers.get(HEADER)) is False:
            return JsonResponse({
                "detail": _("网格员移动端版本过旧,请联网后重新打开以更新;"
                            "未发送的内容会保留,更新后自动发送。"),
                "code": "app_update_required",
                "current_version": APP_VERSION, "oldest_accepted": OLDEST_ACCEPTED,
            }, status=426)
        return self.get_response(request)
