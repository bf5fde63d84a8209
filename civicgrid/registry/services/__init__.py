"""Every write of the registry (CONVENTIONS: one typed function per change, the acting
user, the audit entry and the figures in the same transaction). Pages and the API parse
input and call these; the rules live here."""

from civicgrid.registry.services.housing import (
    RentalInput,
    dormitory_record,
    household_add_member,
    household_create,
    permit_record,
    rental_check_occupancy,
    rental_end,
    rental_record,
    room_set_owner,
)
from civicgrid.registry.services.organisations import (
    OrganisationInput,
    organisation_create,
    organisation_update,
)
from civicgrid.registry.services.people import (
    DuplicatePerson,
    PersonInput,
    person_change_undo,
    person_correct_id,
    person_create,
    person_leave,
    person_move_in,
    person_move_out,
    person_reveal,
    person_update,
    person_verify,
)
from civicgrid.registry.services.places import (
    BuildingInput,
    building_create,
    building_verify,
    lay_out_rooms,
    room_number,
    room_set_use,
)
from civicgrid.registry.services.retention import retention_apply

__all__ = [
    "BuildingInput", "DuplicatePerson", "OrganisationInput", "PersonInput", "RentalInput",
    "building_create", "building_verify", "dormitory_record", "household_add_member",
    "household_create", "lay_out_rooms", "organisation_create", "organisation_update",
    "permit_record", "person_change_undo", "person_correct_id", "person_create",
    "person_leave", "person_move_in", "person_move_out", "person_reveal", "person_update",
    "person_verify", "rental_check_occupancy", "rental_end", "rental_record",
    "retention_apply", "room_number", "room_set_owner", "room_set_use",
]
