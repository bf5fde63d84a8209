from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    name = "civicgrid.warnings"
    label = "warnings"
    verbose_name = _("排查与预警")

    def ready(self) -> None:
        from civicgrid.risk import hooks as risk_hooks
        from civicgrid.warnings.selectors import matter_dispute_threshold

        risk_hooks.followup_threshold.provide(matter_dispute_threshold)
