"""schemathesis against the generated /openapi.json of the running suite: no
generated request, valid or not, makes any route answer a server error, with no
token, a customer token or an operator token."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from deploy.local.suite import Suite
from tests.support.api import Api


@pytest.fixture(scope="session")
def api_schema(suite: Suite):
    return schemathesis.openapi.from_url(f"{suite.gateway_url}/openapi.json")


@pytest.fixture(scope="session")
def customer_token(api: Api) -> str:
    account = api.new_account()
    return api.activate(account)["accessToken"]


@pytest.fixture(scope="session")
def operator_token(api: Api) -> str:
    """Its own session: fuzzed calls may log it out or switch it, and the shared
    one must outlive this test."""
    answer = api.login(api.operator_email, api.operator_password)
    assert answer.status_code == 200, answer.text
    return answer.json()["accessToken"]


schema = schemathesis.pytest.from_fixture("api_schema")


# One test over every route (each a subtest): the suite-wide 120 s timeout is for
# one test's worth of calls, not for ~70 routes x 3 tokens x 12 examples.
@pytest.mark.timeout(900)
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_a_server_error(case, customer_token: str, operator_token: str):
    for token in ("", customer_token, operator_token):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
