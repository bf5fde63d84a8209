"""The versions of the grid worker's offline app (civicgrid/field).

The app sends its version with every call (`X-Civicgrid-App`). The server accepts the
current and the previous version; an older app is answered 426 with a message and keeps
its outbox until it has updated (the service worker fetches the new app on the next start
with a connection). Raise APP_VERSION when the app's requests or the bundle change shape;
keep the previous version working for one release.
"""

APP_VERSION = 1
OLDEST_ACCEPTED = max(1, APP_VERSION - 1)
HEADER = "X-Civicgrid-App"


def accepted(value: str | None) -> bool | None:
    """True/False for a version header, None when the call carries none (not the app)."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return False
    return OLDEST_ACCEPTED <= number <= APP_VERSION
