"""The mobile fleet through the gateway: an operator imports a customer's lines,
the customer lists, searches, filters and reads them; nobody else sees them."""

from __future__ import annotations

import pytest

from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.fleet import load_catalogue
from tests.unit.fleet.helpers import line_file, line_row

ROWS = [
    line_row("0470 12 34 56", 1, "Ada Lovelace", plan="Business M"),
    line_row("+32 471 00 00 01", 2, "Bob Martin", plan="Business L", status="SUSPENDED"),
    line_row("0472/99.88.77", 3, "Carla Diaz", customer="C-200", plan="Business M"),
]


@pytest.fixture()
def customer(api: Api) -> dict:
    load_catalogue(api)
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _import(api: Api, data: bytes, entity_id: str, *, multipart: bool = False):
    if multipart:
        return api.http.post(
            "/v1/admin/fleet/lines:import",
            params={"entityId": entity_id},
            files={"file": ("lines.csv", data, "text/csv")},
            headers=bearer(api.operator),
        )
    return api.http.post(
        "/v1/admin/fleet/lines:import",
        params={"entityId": entity_id},
        content=data,
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )


def _numbers(api: Api, token: str, **params: str) -> list[str]:
    answer = api.get("/v1/fleet/lines", token, params=params)
    assert answer.status_code == 200, answer.text
    return [line["number"] for line in answer.json().get("lines", [])]


def test_operator_imports_and_the_customer_finds_the_lines(api: Api, customer: dict) -> None:
    imported = _import(api, line_file(ROWS), customer["id"])
    assert imported.status_code == 200, imported.text
    assert imported.json()["lines"] == 3 and imported.json()["created"] == 3
    token = customer["token"]
    assert _numbers(api, token) == ["+32470123456", "+32471000001", "+32472998877"]
    assert _numbers(api, token, q="1234") == ["+32470123456"]
    assert _numbers(api, token, q="0470 12 34 56") == ["+32470123456"]
    assert _numbers(api, token, q="+32471000001") == ["+32471000001"]
    assert _numbers(api, token, q="carla") == ["+32472998877"]
    assert _numbers(api, token, status="LINE_STATUS_SUSPENDED") == ["+32471000001"]
    assert _numbers(api, token, plan="BUS_M") == ["+32470123456", "+32472998877"]
    assert _numbers(api, token, customerNumber="C-200") == ["+32472998877"]
    page = api.get("/v1/fleet/lines", token, params={"pageSize": "2"}).json()
    assert len(page["lines"]) == 2 and page["nextPageToken"]
    everything = api.get("/v1/fleet/lines", token).json()
    assert everything["dataUpdatedAt"] == max(line["updatedAt"] for line in everything["lines"])

    listed = api.get("/v1/fleet/lines", token, params={"q": "Ada"}).json()["lines"][0]
    line = api.get(f"/v1/fleet/lines/{listed['id']}", token)
    assert line.status_code == 200, line.text
    body = line.json()
    assert body["nationalNumber"] == "0470 12 34 56"
    assert body["iccid"] == ROWS[0][1]
    assert body["userName"] == "Ada Lovelace" and body["customerNumber"] == "C-100"
    assert body["product"] == "Mobile" and body["plan"] == "BUS_M"
    assert body["status"] == "LINE_STATUS_ACTIVE"
    # The file names plans and options by name or code: the line keeps codes.
    assert body["options"] == ["ROAMING", "DATA_5GB"]

    # The same number again (multipart this time) updates its line.
    again = [line_row("+32470123456", 9, "Ada King", status="PREPAID", options="")]
    updated = _import(api, line_file(again), customer["id"], multipart=True)
    assert updated.status_code == 200, updated.text
    assert updated.json()["updated"] == 1 and updated.json().get("created", 0) == 0
    body = api.get(f"/v1/fleet/lines/{listed['id']}", token).json()
    assert body["userName"] == "Ada King" and body["status"] == "LINE_STATUS_PREPAID"


def test_another_customer_gets_404(api: Api, customer: dict) -> None:
    assert _import(api, line_file(ROWS[:1]), customer["id"]).status_code == 200
    line_id = api.get("/v1/fleet/lines", customer["token"]).json()["lines"][0]["id"]
    other = api.new_account()
    other_token = api.activate(other)["accessToken"]
    answer = api.get(f"/v1/fleet/lines/{line_id}", other_token)
    assert answer.status_code == 404, answer.text
    assert _numbers(api, other_token) == []


def test_a_bad_file_names_its_lines_and_writes_nothing(api: Api, customer: dict) -> None:
    bad_sim = line_row("0470 12 34 57", 4)
    bad_sim[1] = bad_sim[1][:-1] + str((int(bad_sim[1][-1]) + 1) % 10)
    data = line_file([ROWS[0], line_row("12", 5, status="gone"), bad_sim])
    answer = _import(api, data, customer["id"])
    assert answer.status_code == 400, answer.text
    assert error_reason(answer) == "LINE_FILE_INVALID"
    assert set(field_violations(answer)) == {"line 3: number", "line 3: status", "line 4: iccid"}
    assert _numbers(api, customer["token"]) == []
    # Plans and options must be the catalogue's.
    unknown = line_file([ROWS[0], line_row("0470 12 34 58", 6, plan="Gold", options="TELEX")])
    answer = _import(api, unknown, customer["id"])
    assert answer.status_code == 400, answer.text
    assert field_violations(answer) == {
        "line 3: plan": "no plan 'Gold' in the catalogue",
        "line 3: options": "no option 'TELEX' in the catalogue",
    }
    assert _numbers(api, customer["token"]) == []


def test_customers_do_not_import(api: Api, customer: dict) -> None:
    answer = api.http.post(
        "/v1/admin/fleet/lines:import",
        params={"entityId": customer["id"]},
        content=line_file(ROWS),
        headers={**bearer(customer["token"]), "Content-Type": "text/csv"},
    )
    assert answer.status_code == 403, answer.text
