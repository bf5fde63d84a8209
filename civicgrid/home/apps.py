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

    def ready(self) -> None:
        # The data every process caches (civicgrid/core/refcache.py) and what bumps its
        # counter: each save or delete of these models, in the writing transaction. Bulk
        # writes, which send no signals, bump in the service that makes them.
        from civicgrid.accounts.models import User, UserJurisdiction, UserRole
        from civicgrid.api.models import ApiToken
        from civicgrid.areas.models import Area
        from civicgrid.cases.models import Category, CategoryAttribute, RoutingRule
        from civicgrid.core.refcache import ACCESS, REFERENCE, watch
        from civicgrid.units.models import Specialty, Unit, UnitMembership
        from civicgrid.webhooks.models import WebhookEndpoint

        watch(REFERENCE, Category, CategoryAttribute, RoutingRule, Unit, Specialty, Area,
              WebhookEndpoint)
        watch(ACCESS, ApiToken, UserRole, UserJurisdiction, UnitMembership)
        watch(ACCESS, User, ignore_fields=("last_login",))
