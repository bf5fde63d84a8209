from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "civicgrid.units"
    label = "units"
