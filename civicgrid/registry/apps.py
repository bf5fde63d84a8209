from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "civicgrid.registry"
    label = "registry"
    verbose_name = _("实有人口、房屋与单位(一标三实)")
