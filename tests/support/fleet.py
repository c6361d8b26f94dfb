"""Fleet through the gateway, for integration tests and benchmarks: the test
catalogue, a customer with lines, waiting for a request, and the provisioning
simulator's record."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import Api, bearer
from tests.support.orders import wait_for
from tests.unit.fleet.helpers import OPTIONS, PLANS, line_file, line_row


def load_catalogue(api: Api) -> None:
    """Plans and options as the operator loads them (PUT replaces: idempotent)."""
    for plan in PLANS:
        answer = api.http.put(
            f"/v1/admin/fleet/plans/{plan['code']}", json=plan, headers=bearer(api.operator)
        )
        assert answer.status_code == 200, answer.text
    for option in OPTIONS:
        answer = api.http.put(
            f"/v1/admin/fleet/options/{option['code']}", json=option, headers=bearer(api.operator)
        )
        assert answer.status_code == 200, answer.text


def fleet_customer(api: Api, *, language: str = "fr") -> dict[str, Any]:
    """A fresh activated account (its manager's token under "token")."""
    account = api.new_account(language=language)
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def import_lines(api: Api, entity_id: str, rows: list[list[str]]) -> None:
    answer = api.http.post(
        "/v1/admin/fleet/lines:import",
        params={"entityId": entity_id},
        content=line_file(rows),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text


def numbered_rows(first: int, count: int, **fields: Any) -> list[list[str]]:
    """`count` lines numbered 0470 00 00 00 + first..., SIMs unique per number."""
    return [
        line_row(f"+3247{first + n:07d}", first + n, f"User {first + n}", **fields)
        for n in range(count)
    ]


def lines_by_number(api: Api, token: str, **params: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    page_token = ""
    while True:
        query = {**params, "pageSize": "500", **({"pageToken": page_token} if page_token else {})}
        answer = api.get("/v1/fleet/lines", token, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found.update({line["number"]: line for line in body.get("lines", [])})
        page_token = body.get("nextPageToken", "")
        if not page_token:
            return found


def completed(api: Api, token: str, request_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The request once every line is done or failed."""

    def done() -> dict[str, Any] | None:
        answer = api.get(f"/v1/fleet/requests/{request_id}", token)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if body["state"] == "REQUEST_STATE_COMPLETED" else None

    return wait_for(done, timeout=timeout, what=f"request {request_id} completed")


class Simulator:
    """The provisioning simulator's control and record (tests only)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10.0)

    def control(self, **settings: Any) -> None:
        answer = self.http.post("/v1/control", json=settings)
        assert answer.status_code == 200, answer.text

    def received(self) -> list[dict[str, Any]]:
        answer = self.http.get("/v1/received")
        assert answer.status_code == 200, answer.text
        return answer.json()["operations"]

    def close(self) -> None:
        self.http.close()
