from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "civicgrid.portal"
    label = "portal"
    verbose_name = _("群众门户")

    def ready(self) -> None:
        # The port of the case pipeline this app fills (civicgrid/cases/hooks.py): a portal
        # case reaching 待回访 texts the applicant the rating link.
        from civicgrid.cases import hooks
        from civicgrid.portal.services import rating_link_on_verified

        hooks.case_changed.connect(rating_link_on_verified)
