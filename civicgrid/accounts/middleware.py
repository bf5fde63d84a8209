from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from civicgrid.accounts.roles import PRIVILEGED_ROLES
from civicgrid.core.scope import get_scope

EXEMPT_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/accounts/security/")


class SecondFactorEnrollmentMiddleware:
    """Where two factors are enforced, a privileged session without one may do nothing
    but enrol a second factor (e.g. a role granted after the user signed in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.TOTP_REQUIRED_FOR_PRIVILEGED
            and user is not None
            and user.is_authenticated
            and not request.session.get("second_factor")
            and (user.is_superuser or get_scope(user).roles & PRIVILEGED_ROLES)
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            return redirect(reverse("accounts:security"))
        return self.get_response(request)


PASSWORD_EXEMPT_PREFIXES = (*EXEMPT_PREFIXES, "/api/", "/open311/")


class PasswordChangeRequiredMiddleware:
    """A session whose password someone else chose (an administrator's reset, a one-time
    password) may do nothing but replace it on the security page (or sign out). The JSON
    API and Open311 use tokens, not this password, and are not held back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.password_change_required
            and not request.path.startswith(PASSWORD_EXEMPT_PREFIXES)
        ):
            return redirect(reverse("accounts:security"))
        return self.get_response(request)
