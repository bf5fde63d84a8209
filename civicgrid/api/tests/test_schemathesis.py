"""Property-based conformance of the JSON API to its own OpenAPI document (schemathesis).

Every operation of /api/v1/openapi.json is called through the Django WSGI app (no network)
with generated requests, authenticated with a token of a governance centre that has cases.
No response may be a 5xx, every status code must be documented and every body must match
its documented schema. Then the stateful phase chains operations the way a client does
(list → detail → actions on a real case, with links schemathesis infers from the schema),
so generated actions reach real cases instead of answering 404.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.api.models import TokenAction
from civicgrid.api.services import api_token_create
from civicgrid.cases.tests.conftest import new_case

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MAX_EXAMPLES = 12  # per operation, on top of one example per known record
STATEFUL_EXAMPLES = 25  # scenarios
STATEFUL_STEPS = 8  # calls per scenario at most


@contextlib.contextmanager
def _keep_test_connection() -> Iterator[None]:
    """Like django.test.Client: the WSGI handler must not close the connection that holds
    the test's transaction at the start or the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _token_headers(office) -> dict[str, str]:
    _token, plain = api_token_create(
        name="schemathesis", unit=office.centre_a, actions=TokenAction.values, actor=None,
        rate_limit_per_minute=1_000_000)
    # (identity: schemathesis's WSGI transport hands the raw body to its checks without
    # undoing a Content-Encoding; the compression itself is tested in core/tests.)
    return {"Authorization": f"Bearer {plain}", "Accept-Encoding": "identity"}


def test_every_operation_conforms_to_the_openapi_document(office):
    cases = [new_case(office), new_case(office, category=office.labour,
                                        attributes={"amount": 5000})]
    headers = _token_headers(office)
    # Real records in scope for the path parameters; a generated value is tried as well.
    known = {"number": [c.number for c in cases], "code": [office.world.grid_a1.code],
             "unit_id": [office.centre_a.pk], "user_id": [office.people["dispatcher"].pk]}
    intake = {"category": office.neighbour.code, "description": "楼道堆放杂物影响通行",
              "area": office.world.grid_a1.code}

    with _keep_test_connection():
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json",
                                                get_wsgi_application())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30

        for operation in operations:
            strategies = [operation.as_strategy()]
            for name, values in known.items():
                if f"{{{name}}}" in operation.path:
                    strategies += [operation.as_strategy(path_parameters={name: value})
                                   for value in values]
            if operation.method.upper() == "POST" and operation.path == "/api/v1/cases":
                strategies.append(operation.as_strategy(body=intake))
            strategy = st.one_of(*strategies)

            @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                      database=None, suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            run()


def test_chained_operations_conform_to_the_openapi_document(office):
    """The stateful phase: sequences of calls fed by earlier responses."""
    for _ in range(3):
        new_case(office)
    headers = _token_headers(office)
    with _keep_test_connection():
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json",
                                                get_wsgi_application())
        machine = schema.as_state_machine()
        # The links chain lists to the details and actions of what they returned.
        assert any("GetCase__GET_api_v1_cases_number_" in name for name in dir(machine))
        assert any("POST_api_v1_cases_number_actions_dispatch" in name for name in dir(machine))

        class APIWorkflow(machine):  # type: ignore[misc,valid-type]
            calls = 0

            def get_call_kwargs(self, case):
                return {"headers": headers}

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                type(self).calls += 1
                case.validate_response(response, checks=CHECKS, headers=headers)

        APIWorkflow.run(settings=settings(
            max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
            derandomize=True, deadline=None, database=None,
            suppress_health_check=list(HealthCheck)))
        assert APIWorkflow.calls >= STATEFUL_EXAMPLES
