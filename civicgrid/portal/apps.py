from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "civicgrid.portal"
    label = "portal"
