"""Undoing an applied import, a batch of its changes at a time (latest first): a record it
created is deleted, a record it changed gets its previous values back — unless the record
changed since (its version moved on; a residence ended), which is kept as it is and listed.
The figures move by the difference of the records' contributions, as in applying."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError

from civicgrid.imports.models import ImportChange
from civicgrid.registry.figures import contributions, figures_move
from civicgrid.registry.models import (
    Building,
    HouseholdMember,
    Organisation,
    Person,
    PersonChange,
    Rental,
    Residence,
    ResidencePermit,
    Room,
)

MODELS: dict[str, type[models.Model]] = {
    "registry.person": Person, "registry.residence": Residence, "registry.room": Room,
    "registry.organisation": Organisation, "registry.building": Building,
    "registry.rental": Rental}


def _restored(model: type[models.Model], before: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in before.items():
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        out[model_field.attname] = model_field.to_python(value)
    return out


def _unchanged_since(model: type[models.Model], record: Any, change: ImportChange) -> bool:
    if model is Residence:
        return record.until is None
    return record.version == change.version_after


def _touched(batch: list[ImportChange], residences: dict[int, Residence]) -> dict[str, set[int]]:
    touched: dict[str, set[int]] = {"people": set(), "rooms": set(), "organisations": set(),
                                    "buildings": set(), "rentals": set()}
    for change in batch:
        if change.model == "registry.person":
            touched["people"].add(change.object_id)
        elif change.model == "registry.room":
            touched["rooms"].add(change.object_id)
        elif change.model == "registry.organisation":
            touched["organisations"].add(change.object_id)
        elif change.model == "registry.rental":
            touched["rentals"].add(change.object_id)
        elif change.model == "registry.building":
            touched["buildings"].add(change.object_id)
            touched["rooms"] |= set(Room.objects.filter(
                building_id=change.object_id).values_list("pk", flat=True))
        elif change.object_id in residences:
            touched["people"].add(residences[change.object_id].person_id)
    return touched


def _attached(people: dict[int, None]) -> set[int]:
    """People with records the import did not make: a residence (the import's own are
    undone before their person, being later in the run), a household, a permit, a change."""
    ids = list(people)
    if not ids:
        return set()
    attached: set[int] = set()
    for model in (Residence, HouseholdMember, ResidencePermit, PersonChange):
        attached |= set(model._default_manager.filter(person_id__in=ids).values_list(
            "person_id", flat=True))
    return attached


def undo_batch(batch: list[ImportChange]) -> list[dict[str, Any]]:
    """Undo these changes in the caller's transaction; those kept as edited since."""
    records: dict[str, dict[int, Any]] = {}
    for label, model in MODELS.items():
        ids = [c.object_id for c in batch if c.model == label]
        if ids:
            records[label] = {r.pk: r for r in model._default_manager.select_for_update().filter(
                pk__in=ids)}
    touched = _touched(batch, records.get("registry.residence", {}))
    before = contributions(**touched)
    kept: list[dict[str, Any]] = []
    # created people last: by then the residences this run gave them are gone
    later = [c for c in batch if c.created and c.model == "registry.person"]
    first = [c for c in batch if not (c.created and c.model == "registry.person")]
    for part in (first, later):
        attached = _attached({c.object_id: None for c in part}) if part is later else set()
        for change in part:
            model = MODELS[change.model]
            record = records.get(change.model, {}).get(change.object_id)
            if record is None:
                continue  # (deleted since: nothing to put back)
            if not _unchanged_since(model, record, change) or record.pk in attached:
                kept.append({"model": change.model, "id": change.object_id,
                             "row": change.row_number})
                continue
            if change.created:
                try:
                    with transaction.atomic():  # (a building goes with its layout table)
                        if model is Building:
                            if Room.objects.filter(building_id=record.pk,
                                                   version__gt=1).exists():
                                raise ProtectedError("rooms changed since", set())
                            Room.objects.filter(building_id=record.pk).delete()
                        model._default_manager.filter(pk=record.pk).delete()
                except ProtectedError:
                    kept.append({"model": change.model, "id": change.object_id,
                                 "row": change.row_number})
            else:
                model._default_manager.filter(pk=record.pk).update(
                    **_restored(model, change.before))
    figures_move(before, contributions(**touched))
    return kept
