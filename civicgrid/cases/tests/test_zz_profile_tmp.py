import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from civicgrid.cases.tests.test_api import _token_client, _post, office, office_once  # noqa

def test_profile(office):
    client = _token_client(office.centre_a, ["cases:create", "cases:read"])
    body = {"category": "9102", "description": "路口积水严重影响通行", "lng": 120.81, "lat": 31.91,
            "parties": [{"role": "applicant", "name": "王芳", "phone": "13912345678"}]}
    r = client.post("/api/v1/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="w")
    for i in range(2):
        with CaptureQueriesContext(connection) as ctx:
            r = client.post("/api/v1/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k{i}")
        assert r.status_code == 201
    for q in ctx.captured_queries:
        print(q["sql"][:150])
    print("TOTAL", len(ctx.captured_queries))
