from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "civicgrid.surveys"
    label = "surveys"
    verbose_name = _("群众安全感调查")
