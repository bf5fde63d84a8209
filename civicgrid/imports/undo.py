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
    ChangeRequest,
    Dormitory,
    Household,
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
    if model is Person and record.scrubbed_at is not None:
        return False  # (the retention removed their details: nothing is put back)
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


# What refers to a record an import created: such a record is not deleted by undo (the
# reference would be emptied or the delete refused), it is kept and listed.
REFERENCES: dict[str, tuple[tuple[type[models.Model], str], ...]] = {
    "registry.person": (
        (Residence, "person_id"), (HouseholdMember, "person_id"),
        (ResidencePermit, "person_id"), (PersonChange, "person_id"),
        (Rental, "lessor_person_id"), (Room, "owner_person_id"),
        (Organisation, "legal_representative_id"), (Organisation, "safety_lead_id"),
        (ChangeRequest, "person_id")),
    "registry.organisation": (
        (Rental, "lessor_organisation_id"), (Room, "owner_organisation_id"),
        (Person, "employer_id"), (Dormitory, "operator_id"), (ChangeRequest, "organisation_id")),
    "registry.building": (
        (Organisation, "building_id"), (Dormitory, "building_id"),
        (Residence, "room__building_id"), (Household, "room__building_id"),
        (Rental, "room__building_id"), (ChangeRequest, "room__building_id")),
}


def _attached(label: str, ids: list[int], *, but: type[models.Model] | None = None
              ) -> set[int]:
    """Of these created records, those something else now refers to (the import's own
    residences are undone before their person, being later in the run; `but` leaves one
    kind of reference out)."""
    if not ids or label not in REFERENCES:
        return set()
    attached: set[int] = set()
    for model, column in REFERENCES[label]:
        if model is but:
            continue
        attached |= set(model._default_manager.filter(**{f"{column}__in": ids}).values_list(
            column, flat=True))
    return attached


def _occupied(model: type[models.Model], record: Any, change: ImportChange) -> bool:
    """A room whose use the run set, lived in now (by someone else, or by someone the
    run's undo keeps): its use stays."""
    return (model is Room and not change.created
            and Residence.objects.filter(room_id=record.pk, until__isnull=True).exists())


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
    # residences first (a room's use is put back only if nobody lives there then), created
    # people, organisations and buildings last (by then the residences this run gave them
    # are gone, and what still refers to them keeps them)
    referable = set(REFERENCES)
    people = records.get("registry.person", {})
    edited = {c.object_id for c in batch if c.model == "registry.person"
              and c.object_id in people and (
                  people[c.object_id].version != c.version_after
                  or people[c.object_id].scrubbed_at is not None)}
    # people the undo keeps whatever their residences: edited since, or referred to by other
    # records than a residence: their residences from the run stay with them
    edited |= _attached("registry.person", [c.object_id for c in batch if c.created and
                                            c.model == "registry.person"], but=Residence)
    later = [c for c in batch if c.created and c.model in referable]
    first = sorted((c for c in batch if not (c.created and c.model in referable)),
                   key=lambda c: c.model != "registry.residence")
    for part in (first, later):
        attached: set[tuple[str, int]] = set()
        if part is later:
            for label in referable:
                attached |= {(label, pk) for pk in _attached(
                    label, [c.object_id for c in part if c.model == label])}
        for change in part:
            model = MODELS[change.model]
            record = records.get(change.model, {}).get(change.object_id)
            if record is None:
                continue  # (deleted since: nothing to put back)
            if not _unchanged_since(model, record, change) or (
                    change.model, record.pk) in attached or _occupied(model, record, change) \
                    or (model is Residence and record.person_id in edited):
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
