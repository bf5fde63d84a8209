from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "civicgrid.risk"
    label = "risk"
    verbose_name = _("重大事项社会稳定风险评估")
