"""Typed timeline payloads: the JSON keys stay what rows already hold."""

from __future__ import annotations

from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases.models import CaseEvent, EventType

# By hand: what each payload stores, as the rows written before typed payloads have it.
STORED = {
    E.Dispatched(unit="城东街道人民调解委员会", unit_id=7):
        {"unit": "城东街道人民调解委员会", "unit_id": 7},
    E.Transferred(from_unit="甲", to_unit="乙", unit_id=3):
        {"from": "甲", "to": "乙", "unit_id": 3},
    E.HandedOff(kind="police", to_unit="城东派出所"): {"kind": "police", "to": "城东派出所"},
    E.Resolved(outcome="mediated", on_time=True): {"outcome": "mediated", "on_time": True},
    E.Accepted(): {},
}


def test_every_event_type_has_one_payload():
    assert set(E.PAYLOADS) == set(EventType.values)


def test_payloads_keep_the_stored_keys():
    for payload, stored in STORED.items():
        assert payload.to_json() == stored
        assert type(payload).from_json(stored) == payload


def test_an_old_row_without_a_key_reads_the_default():
    event = CaseEvent(type=EventType.TRANSFERRED, data={"to": "乙"})
    assert E.event_payload(event) == E.Transferred(from_unit="", to_unit="乙", unit_id=None)
    assert E.event_payload(CaseEvent(type=EventType.RESOLVED, data=None)) == E.Resolved()
