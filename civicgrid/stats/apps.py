from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "civicgrid.stats"
    label = "stats"
    verbose_name = _("统计与考核")

    def ready(self) -> None:
        # The ports of the case pipeline this app fills (civicgrid/cases/hooks.py).
        from civicgrid.cases import hooks
        from civicgrid.stats.rollups import rollup_case_changed
        from civicgrid.stats.selectors import drilldown

        hooks.case_changed.connect(rollup_case_changed)
        hooks.drilldown.provide(drilldown)
