"""Meal-card ordering through the gateway: beneficiaries, delivery points, the
three ordering modes, submission, payment (billing's event), production,
delivery, card loads, history and statistics."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid

import nats
import pytest

from deploy.local.suite import Suite
from portal.billing.v1 import events_pb2 as billing_events
from portal.common.v1 import types_pb2
from portal_runtime.outbox import new_event
from tests.support.api import Api, bearer, csv_file, error_reason, field_violations
from tests.support.orders import order_lines


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _point(api: Api, token: str, code: str = "HQ") -> dict:
    answer = api.post(
        "/v1/delivery-points",
        {
            "name": f"Site {code}",
            "code": code,
            "address": {
                "line1": "1 rue de la Paix",
                "postalCode": "75002",
                "city": "Paris",
                "country": "FR",
            },
        },
        token,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _beneficiary(api: Api, token: str, number: str, **extra: str) -> dict:
    body = {
        "employeeNumber": number,
        "firstName": "Jeanne",
        "lastName": "Martin",
        "email": f"{number.lower()}@example.com",
        **extra,
    }
    answer = api.post("/v1/beneficiaries", body, token)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _import(api: Api, token: str, data: bytes, content_type: str = "text/csv"):
    return api.http.post(
        "/v1/orders:import",
        content=data,
        headers={**bearer(token), "Content-Type": content_type},
    )


def _pay(suite: Suite, entity_id: str, order: dict) -> None:
    async def publish() -> None:
        nc = await nats.connect(suite.env["PORTAL_NATS_URL"])
        # As billing states it when the order's invoice has nothing left to pay.
        event = new_event(
            billing_events.InvoiceSettled,
            entity_id=entity_id,
            document_id=f"inv-{uuid.uuid4().hex[:8]}",
            total_incl_tax=types_pb2.Money(
                amount_cents=int(order["total"]["amountCents"]), currency="EUR"
            ),
            order_id=order["id"],
        )
        await nc.jetstream().publish(
            "portal.billing.InvoiceSettled",
            event.SerializeToString(),
            headers={"ce-id": event.event_id, "ce-type": "portal.billing.v1.InvoiceSettled"},
        )
        await nc.close()

    asyncio.run(publish())


def _wait_status(api: Api, token: str, order_id: str, status: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = api.get(f"/v1/orders/{order_id}", token).json()
        if order["status"] == status:
            return order
        time.sleep(0.1)
    raise AssertionError(f"order {order_id} never reached {status}")


def test_beneficiaries_are_validated_searched_and_unique_per_entity(api: Api, customer: dict):
    token = customer["token"]
    bad = api.post(
        "/v1/beneficiaries",
        {
            "employeeNumber": "",
            "firstName": "A",
            "lastName": "",
            "email": "nope",
            "birthDate": "1990-13-45",
        },
        token,
    )
    assert bad.status_code == 400
    assert {"employeeNumber", "lastName", "email", "birthDate"} <= set(field_violations(bad))
    first = _beneficiary(api, token, "E-100", lastName="Zidane")
    dup = api.post(
        "/v1/beneficiaries", {"employeeNumber": "E-100", "firstName": "B", "lastName": "C"}, token
    )
    assert dup.status_code == 409
    _beneficiary(api, token, "E-101", lastName="Platini")
    found = api.get("/v1/beneficiaries", token, params={"q": "zidane"}).json()["beneficiaries"]
    assert [b["id"] for b in found] == [first["id"]]
    patched = api.patch(f"/v1/beneficiaries/{first['id']}", {"email": "new@example.com"}, token)
    assert patched.status_code == 200 and patched.json()["email"] == "new@example.com"
    assert patched.json()["lastName"] == "Zidane"
    # Another entity sees none of it.
    other = api.activate(api.new_account())["accessToken"]
    assert api.get(f"/v1/beneficiaries/{first['id']}", other).status_code == 404
    assert api.delete(f"/v1/beneficiaries/{first['id']}", other).status_code == 404
    assert api.get("/v1/beneficiaries", other).json()["beneficiaries"] == []
    assert api.delete(f"/v1/beneficiaries/{first['id']}", token).status_code == 200
    assert api.get(f"/v1/beneficiaries/{first['id']}", token).status_code == 404


def test_the_template_downloads_as_csv(api: Api, customer: dict):
    answer = api.get("/v1/orders/template.csv", customer["token"])
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    # The account is French (point B: the template comes in the account's language).
    assert len(rows) == 2 and rows[0][0] == "Matricule"


def test_file_import_creates_beneficiaries_and_a_draft_order(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token, "HQ")
    existing = _beneficiary(api, token, "E-1")
    data = csv_file(
        [
            ["E-1", "Martin", "Jeanne", "e-1@example.com", "1990-01-02", "HQ", "non", "50,00"],
            ["E-2", "Durand", "Éloïse", "eloise@example.com", "1985-07-14", "HQ", "oui", "75.5"],
        ]
    )
    answer = _import(api, token, data)
    assert answer.status_code == 201, answer.text
    order = answer.json()["order"]
    assert order["status"] == "ORDER_STATUS_DRAFT" and order["source"] == "FILE"
    assert [line["loadAmountCents"] for line in order["lines"]] == ["5000", "7550"]
    assert order["lines"][0]["beneficiaryId"] == existing["id"]
    names = {
        b["employeeNumber"]: b for b in api.get("/v1/beneficiaries", token).json()["beneficiaries"]
    }
    assert names["E-2"]["firstName"] == "Éloïse"
    # Latin-1 and comma-separated files are read too.
    latin = csv_file(
        [["E-3", "Lefèvre", "Zoé", "", "1992-03-04", "HQ", "1", "20"]],
        separator=",",
        bom=False,
        encoding="latin-1",
    )
    assert _import(api, token, latin).status_code == 201
    # Multipart upload, as a browser form sends it.
    multipart = api.http.post(
        "/v1/orders:import",
        headers=bearer(token),
        files={
            "file": (
                "order.csv",
                csv_file([["E-4", "Petit", "Luc", "", "", "HQ", "", "10"]]),
                "text/csv",
            )
        },
    )
    assert multipart.status_code == 201, multipart.text


def test_a_bad_file_lists_every_bad_line_and_creates_nothing(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token, "HQ")
    data = csv_file(
        [
            ["E-1", "Martin", "Jeanne", "not-an-email", "1990-01-02", "HQ", "non", "50"],
            ["E-2", "", "Paul", "", "1990-01-02", "NOWHERE", "non", "abc"],
            ["E-1", "Martin", "Jeanne", "", "1990-01-02", "HQ", "non", "999999"],
        ]
    )
    answer = _import(api, token, data)
    assert answer.status_code == 400, answer.text
    fields = field_violations(answer)
    assert "line 2: email" in fields
    assert "line 3: lastName" in fields and "line 3: deliveryPointCode" in fields
    assert "line 3: loadAmount" in fields
    assert "line 4: employeeNumber" in fields  # duplicate in the file
    assert "line 4: loadAmount" in fields  # out of the contract's bounds
    assert api.get("/v1/beneficiaries", token).json()["beneficiaries"] == []
    assert api.get("/v1/orders", token).json()["orders"] == []
    empty = _import(api, token, b"")
    assert empty.status_code == 400


def test_unit_order_submit_by_transfer_pay_produce_ship_deliver_and_load(
    api: Api, customer: dict, suite: Suite
):
    token = customer["token"]
    point = _point(api, token, "HQ")
    alice = _beneficiary(api, token, "E-1")
    bob = _beneficiary(api, token, "E-2")
    created = api.post(
        "/v1/orders",
        {
            "deliveryPointId": point["id"],
            "lines": [
                {"beneficiaryId": alice["id"], "newCard": True, "loadAmountCents": 5000},
                {"beneficiaryId": bob["id"], "newCard": False, "loadAmountCents": 2500},
            ],
        },
        token,
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["total"]["amountCents"] == str(5000 + 2500 + 500 + 100)  # + VAT on the fee

    bad_method = api.post(f"/v1/orders/{order['id']}:submit", {"paymentMethod": "CASH"}, token)
    assert bad_method.status_code == 400 and "paymentMethod" in field_violations(bad_method)
    submitted = api.post(
        f"/v1/orders/{order['id']}:submit",
        {"paymentMethod": "TRANSFER"},
        token,
        headers={"Idempotency-Key": f"submit-{order['id']}"},
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "ORDER_STATUS_AWAITING_PAYMENT"
    assert body["transfer"]["reference"].startswith("RF") and body["transfer"]["iban"]
    again = api.post(
        f"/v1/orders/{order['id']}:submit",
        {"paymentMethod": "TRANSFER"},
        token,
        headers={"Idempotency-Key": f"submit-{order['id']}"},
    )
    assert again.status_code == 200 and again.json()["transfer"] == body["transfer"]

    # The first order, paid or not, unlocks identity's delegated features
    # (OrderSubmitted; the account's unlock rule is FIRST_ORDER by default).
    deadline = time.monotonic() + 15
    while not api.get("/v1/account", token).json()["delegationUnlocked"]:
        assert time.monotonic() < deadline, "OrderSubmitted did not reach identity"
        time.sleep(0.1)
    _pay(suite, customer["id"], body)
    _wait_status(api, token, order["id"], "ORDER_STATUS_PAID")

    op = api.operator
    assert api.post(f"/v1/admin/orders/{order['id']}:startProduction", {}, token).status_code == 403
    assert api.post(f"/v1/admin/orders/{order['id']}:startProduction", {}, op).status_code == 200
    refused = api.post(f"/v1/orders/{order['id']}:cancel", {}, token)
    assert refused.status_code == 400 and error_reason(refused) == "ORDER_NOT_CANCELLABLE"
    # A beneficiary whose card is in production cannot be deleted.
    assert api.delete(f"/v1/beneficiaries/{alice['id']}", token).status_code == 400
    shipped = api.post(
        f"/v1/admin/orders/{order['id']}:ship",
        {"carrier": "Colissimo", "trackingUrl": "https://track.example/ABC"},
        op,
    )
    assert shipped.status_code == 200, shipped.text
    assert (
        api.post(
            f"/v1/admin/orders/{order['id']}:addDeliveryStage",
            {"label": "Out for delivery", "location": "Paris"},
            op,
        ).status_code
        == 200
    )
    assert api.post(f"/v1/admin/orders/{order['id']}:deliver", {}, op).status_code == 200
    lines = api.get(f"/v1/orders/{order['id']}", token).json()["lines"]
    loads = api.post(
        f"/v1/admin/orders/{order['id']}:recordLoads",
        {
            "outcomes": [
                {"lineId": lines[0]["id"], "loaded": True},
                {"lineId": lines[1]["id"], "loaded": False, "error": "card blocked"},
            ]
        },
        op,
    )
    assert loads.status_code == 200, loads.text

    tracked = api.get(f"/v1/orders/{order['id']}", token).json()
    assert tracked["status"] == "ORDER_STATUS_DELIVERED"
    assert (
        tracked["trackingUrl"] == "https://track.example/ABC" and tracked["carrier"] == "Colissimo"
    )
    assert [h["status"] for h in tracked["history"]] == [
        "ORDER_STATUS_DRAFT",
        "ORDER_STATUS_AWAITING_PAYMENT",
        "ORDER_STATUS_PAID",
        "ORDER_STATUS_IN_PRODUCTION",
        "ORDER_STATUS_SHIPPED",
        "ORDER_STATUS_DELIVERED",
    ]
    assert "Out for delivery" in [s["label"] for s in tracked["deliveryStages"]]
    assert tracked["linesLoaded"] == 1 and tracked["linesFailed"] == 1
    assert {line["loadStatus"] for line in tracked["lines"]} == {
        "LOAD_STATUS_LOADED",
        "LOAD_STATUS_FAILED",
    }

    stats = api.get("/v1/statistics/loads", token)
    assert stats.status_code == 200, stats.text
    assert sum(int(m["amountCents"]) for m in stats.json()["months"]) == 5000
    as_csv = api.http.get("/v1/statistics/loads", headers={**bearer(token), "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "5000" in as_csv.content.decode("utf-8-sig") or "50" in as_csv.text

    delivered = api.get("/v1/orders", token, params={"status": "ORDER_STATUS_DELIVERED"}).json()
    assert [o["id"] for o in delivered["orders"]] == [order["id"]]
    assert (
        api.get("/v1/orders", token, params={"status": "ORDER_STATUS_DRAFT"}).json()["orders"] == []
    )


def test_duplicate_cancel_and_history_filters(api: Api, customer: dict):
    token = customer["token"]
    point = _point(api, token, "HQ")
    alice = _beneficiary(api, token, "E-1")
    first = api.post(
        "/v1/orders",
        {
            "deliveryPointId": point["id"],
            "lines": [{"beneficiaryId": alice["id"], "loadAmountCents": 4000}],
        },
        token,
    ).json()
    copy = api.post(f"/v1/orders/{first['id']}:duplicate", {}, token)
    assert copy.status_code == 201, copy.text
    assert copy.json()["source"] == "DUPLICATE" and copy.json()["id"] != first["id"]
    assert copy.json()["lines"][0]["loadAmountCents"] == "4000"
    cancelled = api.post(f"/v1/orders/{first['id']}:cancel", {}, token)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "ORDER_STATUS_CANCELLED"
    # A point used by an open order (the copy) cannot be deleted.
    in_use = api.delete(f"/v1/delivery-points/{point['id']}", token)
    assert in_use.status_code == 400 and error_reason(in_use) == "DELIVERY_POINT_IN_USE"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    listed = api.get("/v1/orders", token, params={"from": today, "to": today}).json()["orders"]
    assert {o["id"] for o in listed} == {first["id"], copy.json()["id"]}
    assert (
        api.get("/v1/orders", token, params={"from": "2000-01-01", "to": "2000-12-31"}).json()[
            "orders"
        ]
        == []
    )
    bad = api.get("/v1/orders", token, params={"from": "yesterday"})
    assert bad.status_code == 400 and "from" in field_violations(bad)
    other = api.activate(api.new_account())["accessToken"]
    assert api.get(f"/v1/orders/{first['id']}", other).status_code == 404
    assert api.post(f"/v1/orders/{first['id']}:duplicate", {}, other).status_code == 404


def test_ordering_needs_the_orders_permissions(api: Api, customer: dict):
    created = api.post(
        "/v1/admin/users",
        {
            "entityId": customer["id"],
            "email": f"billing-{customer['clientNumber']}@example.com",
            "profileId": "builtin-billing",
        },
        api.operator,
    ).json()
    first = api.login(created["user"]["email"], created["temporaryPassword"]).json()
    session = api.post(
        "/v1/auth/first-login",
        {
            "newPassword": "Billing-Only-Pass-7",
            "primaryEmail": created["user"]["email"],
            "paperlessConsent": False,
        },
        first["accessToken"],
    ).json()
    answer = api.get("/v1/orders", session["accessToken"])
    assert answer.status_code == 403 and error_reason(answer) == "MISSING_PERMISSION"


def test_a_large_file_imports_in_the_background_with_progress(api: Api, customer: dict):
    from tests.integration.conftest import TEST_SYNC_IMPORT_MAX_LINES

    token = customer["token"]
    _point(api, token, "HQ")
    count = TEST_SYNC_IMPORT_MAX_LINES * 5
    rows = [
        [f"B-{i:05d}", "Nom", "Prénom", "", "1990-01-02", "HQ", "oui", "30"] for i in range(count)
    ]
    answer = _import(api, token, csv_file(rows))
    assert answer.status_code == 201, answer.text
    job = answer.json()["job"]
    assert job["id"] and job["linesTotal"] == count
    deadline = time.monotonic() + 60
    while job["state"] == "ORDER_IMPORT_STATE_RUNNING":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = api.get(f"/v1/order-imports/{job['id']}", token).json()
    assert job["state"] == "ORDER_IMPORT_STATE_SUCCEEDED", job
    order = api.get(f"/v1/orders/{job['orderId']}", token).json()
    assert order["lineCount"] == count
    lines = order_lines(api, token, job["orderId"])
    assert [line["employeeNumber"] for line in lines] == [row[0] for row in rows]
    other = api.activate(api.new_account())["accessToken"]
    assert api.get(f"/v1/order-imports/{job['id']}", other).status_code == 404


def test_an_upload_above_grpc_default_message_size_reaches_the_service(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token, "HQ")
    huge_name = "x" * (5 * 1024 * 1024)  # > gRPC's 4 MiB default, < the gateway's limit
    data = csv_file([["E-1", huge_name, "Jean", "", "1990-01-02", "HQ", "non", "10"]])
    answer = _import(api, token, data)
    assert answer.status_code == 400, answer.text[:300]
    assert "field larger than field limit" in field_violations(answer)["line 2"]
