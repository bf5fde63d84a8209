from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The top layer: what spans every app — the home page and navigation, the site-wide
    URL handlers, the JSON API that mounts every app's router, the demo district and the
    commands that touch every app (seed_demo, rotate_encryption_keys). Nothing imports it
    but config/."""

    name = "civicgrid.home"
    label = "home"
    verbose_name = _("首页")
