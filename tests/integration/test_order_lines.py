"""A large order through the gateway: its detail carries the first lines only,
with figures over all of them, and its lines page through every one exactly
once, in the file's order (customers' and operators' routes)."""

from __future__ import annotations

import time

import pytest

from tests.support.api import Api, csv_file, error_reason, field_violations
from tests.support.orders import delivery_point, order_lines

LINES = 1_234  # a background import here, and pages of 500 that do not divide it
SHOWN = 100  # the lines an order carries
CARD_FEE_CENTS = 500  # the default fee, with 20 % VAT


@pytest.fixture(scope="module")
def large(api: Api) -> dict:
    """A customer and their order of LINES lines (every third a new card,
    loads of 10.00 to 20.00 EUR), imported from a file."""
    token = api.activate(api.new_account())["accessToken"]
    delivery_point(api, token, "HQ")
    rows = [
        [f"L-{n:05d}", "Nom", "Prénom", "", "", "HQ", "oui" if n % 3 == 0 else "non",
         f"{10 + n % 11},00"]
        for n in range(LINES)
    ]  # fmt: skip
    answer = api.http.post(
        "/v1/orders:import",
        content=csv_file(rows),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    assert answer.status_code == 201, answer.text[:500]
    job = answer.json()["job"]
    deadline = time.monotonic() + 120
    while job["state"] == "ORDER_IMPORT_STATE_RUNNING":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = api.get(f"/v1/order-imports/{job['id']}", token).json()
    assert job["state"] == "ORDER_IMPORT_STATE_SUCCEEDED", job
    return {
        "token": token,
        "order_id": job["orderId"],
        "numbers": [row[0] for row in rows],
        "loads_cents": sum((10 + n % 11) * 100 for n in range(LINES)),
        "new_cards": sum(1 for n in range(LINES) if n % 3 == 0),
    }


def test_the_detail_of_a_large_order_is_bounded_and_counts_every_line(api: Api, large: dict):
    answer = api.get(f"/v1/orders/{large['order_id']}", large["token"])
    assert answer.status_code == 200, answer.text[:300]
    order = answer.json()
    assert [line["employeeNumber"] for line in order["lines"]] == large["numbers"][:SHOWN]
    assert order["lineCount"] == LINES
    assert order["nextLinesPageToken"]
    assert len(answer.content) < 64 * 1024  # not the whole order (about 250 bytes a line)
    # The figures are over every line, not over the lines shown.
    fees = large["new_cards"] * CARD_FEE_CENTS
    assert order["newCards"] == large["new_cards"]
    assert order["loads"] == {"amountCents": str(large["loads_cents"]), "currency": "EUR"}
    assert order["total"]["amountCents"] == str(large["loads_cents"] + fees + fees // 5)
    assert (order["linesLoaded"], order["linesFailed"]) == (0, 0)
    # The list shows each order's figures over all its lines, without lines.
    answer = api.get("/v1/orders", large["token"])
    [same] = [o for o in answer.json()["orders"] if o["id"] == large["order_id"]]
    assert (same.get("lines", []), same["lineCount"], same["total"]) == (
        [], LINES, order["total"],
    )  # fmt: skip
    assert len(answer.content) < 8 * 1024


def test_the_lines_page_through_every_line_once_in_order(api: Api, large: dict):
    path = f"/v1/orders/{large['order_id']}/lines"
    lines = order_lines(api, large["token"], large["order_id"])
    assert [line["employeeNumber"] for line in lines] == large["numbers"]
    assert len({line["id"] for line in lines}) == LINES
    # The default page is 50 lines; a page is at most 500.
    first = api.get(path, large["token"]).json()
    assert len(first["lines"]) == 50 and first["nextPageToken"]
    assert len(api.get(path, large["token"], params={"pageSize": 5000}).json()["lines"]) == 500
    # The order's token continues right after the lines it carries.
    order = api.get(f"/v1/orders/{large['order_id']}", large["token"]).json()
    rest, token = [], order["nextLinesPageToken"]
    while token:
        page = api.get(path, large["token"], params={"pageSize": 500, "pageToken": token}).json()
        rest += page["lines"]
        token = page["nextPageToken"]
    assert order["lines"] + rest == lines


def test_operators_page_through_any_accounts_order_lines(api: Api, large: dict):
    lines = order_lines(api, api.operator, large["order_id"], admin=True, page_size=300)
    assert [line["employeeNumber"] for line in lines] == large["numbers"]
    order = api.get(f"/v1/admin/orders/{large['order_id']}", api.operator).json()
    assert (len(order["lines"]), order["lineCount"]) == (SHOWN, LINES)
    customer = api.get(f"/v1/admin/orders/{large['order_id']}/lines", large["token"])
    assert customer.status_code == 403, customer.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageToken": "not-a-token"}, "pageToken"),
        ({"pageToken": "eyJvIjotNX0"}, "pageToken"),  # {"o":-5}
        ({"pageSize": -1}, "pageSize"),
        ({"pageSize": "many"}, "pageSize"),
    ],
)
def test_a_bad_page_is_refused_with_its_field_named(
    api: Api, large: dict, params: dict, field: str
):
    for path, token in (
        (f"/v1/orders/{large['order_id']}/lines", large["token"]),
        (f"/v1/admin/orders/{large['order_id']}/lines", api.operator),
    ):
        answer = api.get(path, token, params=params)
        assert answer.status_code == 400, answer.text
        assert field in field_violations(answer), answer.text


def test_another_accounts_order_lines_are_not_found(api: Api, large: dict):
    other = api.activate(api.new_account())["accessToken"]
    for path in (f"/v1/orders/{large['order_id']}/lines", "/v1/orders/no-such-order/lines"):
        answer = api.get(path, other)
        assert answer.status_code == 404 and error_reason(answer) == "ORDER_NOT_FOUND", path
    missing = api.get("/v1/admin/orders/no-such-order/lines", api.operator)
    assert missing.status_code == 404 and error_reason(missing) == "ORDER_NOT_FOUND"
