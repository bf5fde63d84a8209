from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.utils.cache import add_never_cache_headers

from civicgrid.core.text import unstorable_in_request

# Interfaces that screen such text themselves and answer in their own error format.
SCREENS_NUL_ITSELF = ("/api/", "/open311/")


class NulCharacter(SuspiciousOperation):
    """A request holds U+0000 or a lone surrogate, which no text column can store
    (core/text.py)."""


class RefuseNulMiddleware:
    """A path or query argument holding NUL (or a lone surrogate) answers 400 (Django's
    bad-request page) before any view reads it; it used to reach PostgreSQL as a 500. Form
    bodies are refused by Django's form fields already."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(SCREENS_NUL_ITSELF):
            where = unstorable_in_request(request, body=False)
            if where:
                raise NulCharacter(f"NUL or a lone surrogate in the request's {where}")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header: every asset comes from this deployment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class DefaultLanguageMiddleware:
    """Simplified Chinese unless the user chose another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; on a government
    intranet the working language is Chinese whatever the browser says.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateNoStoreMiddleware:
    """What a signed-in user (a person, or an API token's account) is sent is for them only
    and mostly personal data (cases, parties, attachments, documents, users, the audit
    log): no browser or shared cache may keep it (`Cache-Control: max-age=0, no-cache,
    no-store, must-revalidate, private`). A view that sets its own Cache-Control keeps it.

    Listed before SessionMiddleware: reading `request.user` here, after the session
    middleware has answered, cannot add `Vary: Cookie` to public answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and not response.has_header("Cache-Control")):
            add_never_cache_headers(response)
        return response
