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
from civicgrid.registry.services.review import (
    MemberAdd,
    MoveIn,
    MoveOut,
    OrganisationAdd,
    Outcome,
    RoomUseSet,
    Submitted,
    change_approve,
    change_return,
    change_submit,
    change_withdraw,
    changes_approve_bulk,
    changes_return_bulk,
    needs_review,
    person_create_with_move_in,
    review_rule_for,
    review_rule_set,
)

__all__ = [
    "BuildingInput", "DuplicatePerson", "MemberAdd", "MoveIn", "MoveOut", "OrganisationAdd",
    "OrganisationInput", "Outcome", "PersonInput", "RentalInput", "RoomUseSet", "Submitted",
    "building_create", "building_verify", "change_approve", "change_return", "change_submit",
    "change_withdraw", "changes_approve_bulk", "changes_return_bulk", "dormitory_record",
    "household_add_member", "household_create", "lay_out_rooms", "needs_review",
    "organisation_create", "organisation_update", "permit_record", "person_change_undo",
    "person_correct_id", "person_create", "person_create_with_move_in", "person_leave",
    "person_move_in", "person_move_out", "person_reveal", "person_update", "person_verify",
    "rental_check_occupancy", "rental_end", "rental_record", "retention_apply",
    "review_rule_for", "review_rule_set", "room_number", "room_set_owner", "room_set_use",
]
