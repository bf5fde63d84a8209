from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    name = "civicgrid.warnings"
    label = "warnings"
    verbose_name = _("排查与预警")
