from civicgrid.audit.context import _source_ip, client_ip


class RequestContextMiddleware:
    """Makes the client address available to the audit log for the whole request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _source_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _source_ip.reset(token)
