"""Orders and their invoices through the public API, for integration tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from tests.support.api import Api

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """The predicate's first truthy value, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.15)
    raise AssertionError(f"{what} not met in {timeout}s")


def delivery_point(api: Api, token: str, code: str = "HQ") -> dict[str, Any]:
    """A delivery point of the caller's account (Paris, code `code`)."""
    answer = api.post(
        "/v1/delivery-points",
        {
            "name": f"Site {code}",
            "code": code,
            "address": {
                "line1": "1 rue A",
                "postalCode": "75001",
                "city": "Paris",
                "country": "FR",
            },
        },
        token,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def submitted_order(
    api: Api, token: str, method: str, *, loads: tuple[int, ...] = (10_000,), new_cards: bool = True
) -> dict[str, Any]:
    """A delivery point, one beneficiary per load, a unit order, submitted."""
    point = api.post(
        "/v1/delivery-points",
        {
            "name": "HQ",
            "code": f"HQ{uuid.uuid4().hex[:6]}",
            "address": {
                "line1": "1 rue A",
                "postalCode": "75001",
                "city": "Paris",
                "country": "FR",
            },
        },
        token,
    ).json()
    lines = []
    for cents in loads:
        person = api.post(
            "/v1/beneficiaries",
            {"employeeNumber": f"E-{uuid.uuid4().hex[:8]}", "firstName": "Ana", "lastName": "Diaz"},
            token,
        ).json()
        lines.append(
            {"beneficiaryId": person["id"], "newCard": new_cards, "loadAmountCents": cents}
        )
    order = api.post("/v1/orders", {"deliveryPointId": point["id"], "lines": lines}, token).json()
    submitted = api.post(f"/v1/orders/{order['id']}:submit", {"paymentMethod": method}, token)
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


def order_lines(
    api: Api, token: str, order_id: str, *, admin: bool = False, page_size: int = 500
) -> list[dict[str, Any]]:
    """Every line of the order, page by page (`GET /v1/orders/{id}` carries
    only the first ones); `admin`: through the operators' route."""
    path = f"/v1/{'admin/' if admin else ''}orders/{order_id}/lines"
    lines: list[dict[str, Any]] = []
    token_of_page = ""
    while True:
        answer = api.get(path, token, params={"pageSize": page_size, "pageToken": token_of_page})
        assert answer.status_code == 200, answer.text
        lines += answer.json()["lines"]
        token_of_page = answer.json()["nextPageToken"]
        if not token_of_page:
            return lines


def invoice_of(api: Api, token: str, order_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        docs = api.get("/v1/documents", token, params={"type": "DOCUMENT_TYPE_INVOICE"}).json()
        return next((d for d in docs["documents"] if d["orderId"] == order_id), None)

    return wait_for(find, what="the order's invoice")


def order_status(api: Api, token: str, order_id: str) -> str:
    return api.get(f"/v1/orders/{order_id}", token).json()["status"]


def pay_on_provider_page(redirect_url: str, outcome: str = "success") -> None:
    """What the customer does on the payment provider's page."""
    ref = redirect_url.rstrip("/").rsplit("/", 1)[1]
    provider = redirect_url.split("/pay/")[0]
    answer = httpx.post(f"{provider}/pay/{ref}/complete", data={"outcome": outcome})
    assert answer.status_code in {200, 303}, answer.text
