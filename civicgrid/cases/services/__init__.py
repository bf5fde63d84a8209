"""Every write to cases, by concern (Zulip's `zerver/actions/`, HackSoft services):

- `intake`: registration from every channel, the place-in-jurisdiction rule
- `routing`: levels, the dispatch queue, the units that may take a case
- `transitions`: one service per row of the workflow table
- `handoffs`: 对接 to police, procuratorate, court, petition office, legal aid
- `attachments`: uploads, checked and stored
- `documents`: the mediation agreement and its PDF
- `parties`: personal data of parties, encrypted, masked, revealed with a reason; parties
  added, corrected and removed after intake
- `facts`: correcting a case's category, place and scale after intake
- `matters`: tagging a case with the major matter (civicgrid/risk) it is about
- `inbox`, `due_jobs`: notices and the periodic jobs
- `common`: optimistic saving, deadlines, the timeline event, the transition registry

Callers import from here (`from civicgrid.cases import services`).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from civicgrid.accounts.actors import Actor
from civicgrid.accounts.models import User
from civicgrid.cases.inputs import AgreementInput, PartyInput
from civicgrid.cases.models import Case
from civicgrid.cases.services.attachments import (
    ALLOWED_UPLOADS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOADS,
    case_attach,
    store_attachment,
    validate_uploads,
)
from civicgrid.cases.services.batch import BATCH_LIMIT, BatchResult, cases_dispatch_batch
from civicgrid.cases.services.common import (
    SERVICES,
    StaleCase,
    TransitionService,
    unavailable_reason,
)
from civicgrid.cases.services.documents import (
    agreement_create,
    agreement_document,
    may_download_agreement,
)
from civicgrid.cases.services.due_jobs import DueJobsReport, due_jobs_run
from civicgrid.cases.services.exports import EXPORT_LIMIT, case_list_export
from civicgrid.cases.services.facts import case_correct_facts
from civicgrid.cases.services.handoffs import (
    HANDOFF_UNIT_KINDS,
    case_acknowledge_handoff,
    case_hand_off,
    case_handoff_outcome,
    handoff_targets,
)
from civicgrid.cases.services.intake import (
    DESCRIPTION_MAX_LENGTH,
    case_intake,
    clean_attributes,
    intake_areas,
    intake_place,
)
from civicgrid.cases.services.matters import (
    case_tag_matter,
    matter_by_number,
    may_tag_matter,
    taggable_matters,
)
from civicgrid.cases.services.parties import (
    PARTY_NOTE_MAX_LENGTH,
    case_edit_check,
    may_edit_case,
    normalize_phone,
    party_add,
    party_document_info,
    party_remove,
    party_reveal,
    party_search_hashes,
    party_update,
    phone_error,
)
from civicgrid.cases.services.routing import (
    Route,
    case_route,
    case_target_units,
    dispatch_targets,
    minimum_level,
    transfer_targets,
)
from civicgrid.cases.services.transitions import (
    case_accept,
    case_close,
    case_decide_extension,
    case_dispatch,
    case_escalate,
    case_follow_up,
    case_merge,
    case_note_rating,
    case_record_session,
    case_reject,
    case_remind,
    case_reopen,
    case_request_extension,
    case_resolve,
    case_resume,
    case_return,
    case_rework,
    case_supervise,
    case_suspend,
    case_transfer,
    case_verify,
    dispatch_centre,
)
from civicgrid.cases.workflow import (
    RESIDENT,
    SYSTEM,
    TRANSITIONS,
    Transition,
    actor_kinds,
)

# The services a page may ask for the choices of a reference field (inputs.Spec.choices_from).
CHOICES = {
    "dispatch_targets": dispatch_targets,
    "transfer_targets": transfer_targets,
    "handoff_targets": handoff_targets,
}


def allowed_transitions(case: Case, user: User) -> list[Transition]:
    """The transitions `user` may perform on `case` now (for the action buttons): the table
    and the actor, and each row's further rule, which its service also enforces."""
    kinds = actor_kinds(case, user)
    return [t for t in TRANSITIONS.values()
            if case.status in t.sources and t.actors & kinds and not kinds & {SYSTEM, RESIDENT}
            and unavailable_reason(case, t.name) is None]


@contextmanager
def services_timezone(module: types.ModuleType) -> Iterator[None]:
    """Let every case service read the time from `module` (a stand-in for
    django.utils.timezone): the demo district plays a year of history through the real
    services, and the rollup property test moves a clock."""
    with ExitStack() as stack:
        for name, loaded in list(sys.modules.items()):
            if name.startswith(f"{__name__}.") and hasattr(loaded, "timezone"):
                stack.enter_context(mock.patch.object(loaded, "timezone", module))
        yield


def case_act(name: str, *, case: Case, actor: Actor, expected_version: int,
             **fields: object) -> object:
    """Perform transition `name` with its input built from keyword arguments (the demo
    district and the tests); pages and the API build the input from their own parsing."""
    data = TRANSITIONS[name].input(**fields)
    return SERVICES[name](case=case, actor=actor, expected_version=expected_version, data=data)


__all__ = [
    "ALLOWED_UPLOADS", "CHOICES", "EXPORT_LIMIT", "HANDOFF_UNIT_KINDS", "MAX_UPLOADS",
    "MAX_UPLOAD_BYTES", "DESCRIPTION_MAX_LENGTH", "PARTY_NOTE_MAX_LENGTH", "phone_error",
    "SERVICES", "AgreementInput", "DueJobsReport", "PartyInput", "Route", "StaleCase",
    "TransitionService", "agreement_create", "agreement_document", "allowed_transitions",
    "case_list_export", "BATCH_LIMIT", "BatchResult", "cases_dispatch_batch",
    "case_act", "services_timezone",
    "case_correct_facts", "case_edit_check", "may_edit_case", "party_add", "party_remove",
    "party_update",
    "case_accept", "case_acknowledge_handoff", "case_attach", "case_close",
    "case_decide_extension", "case_dispatch", "case_escalate", "case_follow_up",
    "case_hand_off", "case_handoff_outcome", "case_intake", "case_merge", "case_note_rating",
    "case_record_session", "case_reject", "case_remind", "case_reopen",
    "case_request_extension", "case_resolve", "case_resume", "case_return", "case_rework",
    "case_route", "case_supervise", "case_suspend", "case_target_units", "case_transfer",
    "case_verify", "clean_attributes", "dispatch_centre", "dispatch_targets",
    "due_jobs_run", "handoff_targets", "intake_areas", "intake_place",
    "may_download_agreement", "minimum_level", "normalize_phone", "party_document_info",
    "party_reveal", "party_search_hashes", "store_attachment", "transfer_targets",
    "validate_uploads", "case_tag_matter", "matter_by_number", "may_tag_matter",
    "taggable_matters",
]
