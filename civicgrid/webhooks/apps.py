from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "civicgrid.webhooks"
    label = "webhooks"
    verbose_name = _("Webhook 推送")

    def ready(self) -> None:
        # The port of the case pipeline this app fills (civicgrid/cases/hooks.py).
        from civicgrid.cases import hooks
        from civicgrid.webhooks.services import webhook_enqueue_for_event

        hooks.case_event_recorded.connect(webhook_enqueue_for_event)
