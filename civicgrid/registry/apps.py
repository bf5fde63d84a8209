from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "civicgrid.registry"
    label = "registry"
    verbose_name = _("实有人口、房屋与单位(一标三实)")

    def ready(self) -> None:
        from civicgrid.areas import hooks as area_hooks
        from civicgrid.cases import hooks
        from civicgrid.registry.figures import area_figures
        from civicgrid.registry.map_layer import map_buildings
        from civicgrid.registry.services.people import party_from_person

        hooks.party_from_registry.provide(
            lambda actor, person_id, given: party_from_person(actor=actor, person_id=person_id,
                                                              given=given))
        area_hooks.area_registry_figures.provide(
            lambda code: area_figures(code, unverified=False))
        area_hooks.area_map_buildings.provide(
            lambda reader, code, bbox, limit: map_buildings(reader=reader, area_code=code,
                                                            bbox=bbox, limit=limit))
