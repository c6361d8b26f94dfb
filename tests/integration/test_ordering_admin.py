"""The operators' order list and order page through the gateway: any entity's
orders, filtered by status, entity and number; customers are refused."""

from __future__ import annotations

import pytest

from tests.support.api import Api, error_reason, field_violations
from tests.support.orders import submitted_order


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [order["id"] for order in answer.json()["orders"]]


def test_an_operator_lists_and_reads_a_customers_submitted_orders(api: Api, customer: dict):
    first = submitted_order(api, customer["token"], "TRANSFER", loads=(10_000, 2_500))
    second = submitted_order(api, customer["token"], "TRANSFER")
    waiting = {"status": "ORDER_STATUS_AWAITING_PAYMENT", "entityId": customer["id"]}

    # A status filter is a queue: the order waiting longest comes first.
    assert _ids(api.get("/v1/admin/orders", api.operator, params=waiting)) == [
        first["id"],
        second["id"],
    ]
    # Without one, the newest first, as the customer's history.
    everything = api.get("/v1/admin/orders", api.operator, params={"entityId": customer["id"]})
    assert _ids(everything) == [second["id"], first["id"]]
    listed = everything.json()["orders"][1]
    assert listed["entityId"] == customer["id"]
    assert listed["number"] == first["number"]
    # Lists carry the figures over the lines, not the lines.
    assert (listed.get("lines", []), listed["lineCount"]) == ([], 2)

    paid = {**waiting, "status": "ORDER_STATUS_PAID"}
    assert _ids(api.get("/v1/admin/orders", api.operator, params=paid)) == []

    # Part of the number finds the one order, whatever the entity filter.
    by_number = api.get(
        "/v1/admin/orders", api.operator, params={"q": first["number"][-8:].lower()}
    )
    assert _ids(by_number) == [first["id"]]

    page = api.get("/v1/admin/orders", api.operator, params={**waiting, "pageSize": 1})
    assert _ids(page) == [first["id"]]
    token = page.json()["nextPageToken"]
    assert token
    rest = api.get(
        "/v1/admin/orders", api.operator, params={**waiting, "pageSize": 1, "pageToken": token}
    )
    assert _ids(rest) == [second["id"]]

    read = api.get(f"/v1/admin/orders/{first['id']}", api.operator)
    assert read.status_code == 200, read.text
    order = read.json()
    assert order["status"] == "ORDER_STATUS_AWAITING_PAYMENT"
    assert order["entityId"] == customer["id"]
    assert [line["id"] for line in order["lines"]] == [line["id"] for line in first["lines"]]
    assert [line["loadAmountCents"] for line in order["lines"]] == ["10000", "2500"]


def test_an_unknown_order_is_not_found_and_a_long_query_is_refused(api: Api):
    missing = api.get("/v1/admin/orders/no-such-order", api.operator)
    assert missing.status_code == 404 and error_reason(missing) == "ORDER_NOT_FOUND"
    long = api.get("/v1/admin/orders", api.operator, params={"q": "X" * 33})
    assert long.status_code == 400 and "q" in field_violations(long)


def test_customers_cannot_use_the_operators_order_routes(api: Api, customer: dict):
    order = submitted_order(api, customer["token"], "TRANSFER")
    for path in ("/v1/admin/orders", f"/v1/admin/orders/{order['id']}"):
        answer = api.get(path, customer["token"])
        assert answer.status_code == 403, (path, answer.text)
