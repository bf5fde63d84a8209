def is_htmx(request) -> bool:
    """Whether htmx sent this request (it then wants only a partial)."""
    return request.headers.get("HX-Request") == "true"
