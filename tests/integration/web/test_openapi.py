"""The OpenAPI document validates, and schemathesis finds no 5xx and no answer that breaks it.

Schemathesis drives the live Flask app (WSGI) with an admin token, a bounded number of
examples per operation, on SQLite (the routes and their checks are the same on PostgreSQL,
which the scoping and API tests cover).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.openapi import document
from tests.integration.web.conftest import bearer, make_district

EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_openapi__the_document_is_valid_openapi_3():
    validate(document())


def test_openapi__is_served_without_a_token(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.get_json()["openapi"].startswith("3.")


@pytest.fixture(scope="module")
def api_district(request, tmp_path_factory):
    yield from make_district("sqlite", request, tmp_path_factory)


def test_api__answers_as_documented_and_never_5xx(api_district):
    # Each operation gets its own bounded Hypothesis run; every failure is collected so one
    # run names all the operations that break the document.
    _, app, world = api_district
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = bearer(world, "admin-cimahi")
    failures, ran = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            failures.append(f"{operation.label}: {exc}")
        ran += 1
    assert ran >= 16
    assert not failures, "\n\n".join(failures)
