"""Times in the JSON API have Open311's form (docs/api.md, "Times"): ISO 8601 to the second
with the deployment's offset; a replayed answer is byte for byte the first one."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.test import Client, override_settings

from civicgrid.api.services import api_token_create
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.times import api_time

LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")


def test_api_time_by_hand():
    moment = datetime(2026, 11, 30, 1, 15, 7, 912_000, tzinfo=UTC)
    assert api_time(moment) == "2026-11-30T09:15:07+08:00"
    with override_settings(TIME_ZONE="UTC"):
        assert api_time(moment) == "2026-11-30T01:15:07+00:00"  # an offset, never "Z"


def test_every_time_of_a_case_has_the_one_form(office):
    case = new_case(office)
    _t, plain = api_token_create(name="t", unit=office.centre_a, actions=["cases:read"],
                                 actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    body = client.get(f"/api/v1/cases/{case.number}").json()
    times = {k: v for k, v in body.items() if k.endswith("_at") and v is not None}
    assert {"registered_at", "stage_due_at"} <= times.keys()
    for name, value in times.items():
        assert LOCAL_TIME.fullmatch(value), (name, value)
    case.refresh_from_db()
    assert body["registered_at"] == api_time(case.registered_at)
    listed = client.get("/api/v1/cases").json()["items"]
    assert [LOCAL_TIME.fullmatch(item["registered_at"]) is not None for item in listed] == [True]
