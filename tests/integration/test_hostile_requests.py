"""Requests built to break the gateway or lose their errors get a clear 4xx that
names the problem, and change nothing (issue points 9, 10 and 12)."""

from __future__ import annotations

import pytest

from tests.support.api import Api, error_reason, field_violations
from tests.support.orders import delivery_point


@pytest.fixture()
def token(api: Api) -> str:
    account = api.new_account()
    return api.activate(account)["accessToken"]


def test_json_nested_a_thousand_levels_is_a_400_also_without_a_token(api: Api) -> None:
    body = b'{"login": ' + b"[" * 1_000 + b"]" * 1_000 + b', "password": "x"}'
    answer = api.http.post(
        "/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert error_reason(answer) == "JSON_TOO_DEEP"


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("text/plain", "utf-8"),
        ("application/json", "utf-16"),
        ("application/json; charset=utf-16", "utf-16"),
    ],
)
def test_bodies_a_json_route_does_not_take_are_415(
    api: Api, content_type: str, encoding: str
) -> None:
    body = '{"login": "nobody@example.com", "password": "whatever-it-is"}'.encode(encoding)
    answer = api.http.post("/v1/auth/login", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 415, answer.text


def test_an_unknown_filter_value_is_a_field_error(api: Api, token: str) -> None:
    answer = api.get("/v1/orders", token, params={"status": "99"})
    assert answer.status_code == 400, answer.text
    assert "status" in field_violations(answer)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f"])
def test_control_characters_in_text_are_field_errors_and_nothing_is_stored(
    api: Api, token: str, char: str
) -> None:
    answer = api.post(
        "/v1/beneficiaries",
        {"employeeNumber": "E-CTRL", "firstName": f"Ann{char}e", "lastName": "Martin"},
        token,
    )
    assert answer.status_code == 400, answer.text
    assert field_violations(answer) == {
        "beneficiary.firstName": "must not contain control characters"
    }
    listed = api.get("/v1/beneficiaries", token, params={"q": "E-CTRL"}).json()
    assert listed.get("beneficiaries", []) == []


def _point_and_person(api: Api, token: str) -> tuple[dict, dict]:
    point = delivery_point(api, token)
    person = api.post(
        "/v1/beneficiaries",
        {"employeeNumber": "E-1", "firstName": "Ana", "lastName": "Diaz"},
        token,
    ).json()
    return point, person


def test_a_unit_order_with_hundreds_of_bad_lines_lists_them_in_a_400(api: Api, token: str) -> None:
    point, person = _point_and_person(api, token)
    line = {"beneficiaryId": person["id"], "newCard": False, "loadAmountCents": 5_000}
    answer = api.post("/v1/orders", {"deliveryPointId": point["id"], "lines": [line] * 300}, token)
    assert answer.status_code == 400, answer.text  # 429 "metadata size exceeds" before
    violations = field_violations(answer)
    assert len(violations) == 299  # every line but the first repeats the beneficiary
    assert violations["lines[299].beneficiaryId"].startswith("repeats lines[0]")
    assert api.get("/v1/orders", token).json().get("orders", []) == []


def test_thousands_of_field_errors_list_the_first_thousand_and_the_total(
    api: Api, token: str
) -> None:
    point, person = _point_and_person(api, token)
    line = {"beneficiaryId": person["id"], "loadAmountCents": 0}
    answer = api.post(
        "/v1/orders", {"deliveryPointId": point["id"], "lines": [line] * 1_500}, token
    )
    assert answer.status_code == 400, answer.text
    assert len(field_violations(answer)) == 1_000
    [info] = [d for d in answer.json()["error"]["details"] if d["@type"].endswith("ErrorInfo")]
    # 1,499 repeated beneficiaries and 1,500 amounts that are not positive.
    assert info["metadata"]["violationsTotal"] == "2999"
    assert answer.json()["error"]["message"].startswith("2999 problems, the first 1000 listed")
    assert api.get("/v1/orders", token).json().get("orders", []) == []
