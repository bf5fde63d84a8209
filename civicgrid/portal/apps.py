from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "civicgrid.portal"
    label = "portal"

    def ready(self) -> None:
        # The port of the case pipeline this app fills (civicgrid/cases/hooks.py): a portal
        # case reaching 待回访 texts the applicant the rating link.
        from civicgrid.cases import hooks
        from civicgrid.portal.services import rating_link_on_verified

        hooks.case_changed.connect(rating_link_on_verified)
