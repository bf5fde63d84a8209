from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicgrid.core"
    label = "core"

    def ready(self) -> None:
        from civicgrid.core import checks  # noqa: F401  (registers the system checks)
