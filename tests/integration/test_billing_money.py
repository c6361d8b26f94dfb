"""Money that reaches its order, invoice numbers that identify one invoice, and
amounts billing refuses, through the gateway (issue points 1, 2, 3, 6 and 7)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from deploy.local.natsserver import free_port, wait_for_port
from deploy.local.suite import ROOT, Suite
from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal.common.v1 import types_pb2
from tests.support.api import Api, bearer, field_violations
from tests.support.orders import (
    invoice_of,
    order_status,
    pay_on_provider_page,
    submitted_order,
    wait_for,
)

PAID = "ORDER_STATUS_PAID"


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _paid_history(api: Api, token: str, order_id: str) -> list[str]:
    order = api.get(f"/v1/orders/{order_id}", token).json()
    return [c["status"] for c in order["history"] if c["status"] == PAID]


def test_paying_the_balance_pays_every_order_whose_invoice_it_settles(api: Api, customer: dict):
    token = customer["token"]
    first = submitted_order(api, token, "CARD")
    second = submitted_order(api, token, "CARD", loads=(2_000, 3_000))
    invoice_of(api, token, first["id"])
    invoice_of(api, token, second["id"])
    payment = api.post("/v1/balance:pay", {}, token)
    assert payment.status_code == 201, payment.text
    assert len(payment.json()["documentIds"]) == 2
    pay_on_provider_page(payment.json()["redirectUrl"])
    for order in (first, second):
        wait_for(lambda o=order: order_status(api, token, o["id"]) == PAID, what="order paid")
        assert _paid_history(api, token, order["id"]) == [PAID]


def test_an_invoice_paid_in_two_parts_pays_its_order_once(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "CARD", loads=(2_000,))
    invoice = invoice_of(api, token, order["id"])
    total = int(invoice["totalInclTax"]["amountCents"])
    part = api.post("/v1/balance:pay", {"amount": {"amountCents": 1_377, "currency": "EUR"}}, token)
    assert part.status_code == 201, part.text
    pay_on_provider_page(part.json()["redirectUrl"])
    wait_for(
        lambda: (
            int(api.get(f"/v1/documents/{invoice['id']}", token).json()["remaining"]["amountCents"])
            == total - 1_377
        ),
        what="first part applied",
    )
    assert order_status(api, token, order["id"]) == "ORDER_STATUS_AWAITING_PAYMENT"
    rest = api.post(f"/v1/documents/{invoice['id']}:pay", {}, token)
    assert rest.status_code == 201, rest.text
    assert int(rest.json()["amount"]["amountCents"]) == total - 1_377
    pay_on_provider_page(rest.json()["redirectUrl"])
    wait_for(lambda: order_status(api, token, order["id"]) == PAID, what="order paid")
    assert api.get(f"/v1/orders/{order['id']}", token).json()["invoiceId"] == invoice["id"]
    assert _paid_history(api, token, order["id"]) == [PAID]


def test_a_payment_in_another_currency_is_refused_and_changes_nothing(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "CARD")
    invoice_of(api, token, order["id"])
    answer = api.post(
        "/v1/balance:pay", {"amount": {"amountCents": "100", "currency": "USD"}}, token
    )
    assert answer.status_code == 400, answer.text
    assert "amount.currency" in field_violations(answer)
    assert api.get("/v1/payments", token).json().get("payments", []) == []


def test_amounts_no_payment_can_be_are_refused(api: Api):
    op = api.operator
    huge = api.post(
        "/v1/admin/transfers",
        {
            "receivedOn": "2026-11-20",
            "reference": "RF00HUGE",
            "amount": {"amountCents": str(2**63 - 1), "currency": "EUR"},
        },
        op,
    )
    assert huge.status_code == 400, huge.text
    assert "amount" in field_violations(huge)
    statement = api.http.post(
        "/v1/admin/transfers:import",
        content=b"date;amount;reference;payer\n2026-11-02;99999999999999,00;RF99;ACME\n",
        headers={**bearer(op), "Content-Type": "text/csv"},
    )
    assert statement.status_code == 400
    assert "line 2: amount" in field_violations(statement)


def test_a_transfer_recorded_before_billing_knows_its_reference_pays_the_order(
    api: Api, customer: dict, suite: Suite
):
    token = customer["token"]
    # NATS down: the order's OrderSubmitted waits in ordering's outbox, so
    # billing does not expect the order's reference yet.
    assert suite.nats is not None
    suite.nats.stop()
    try:
        order = submitted_order(api, token, "TRANSFER")
        recorded = api.post(
            "/v1/admin/transfers",
            {
                "receivedOn": "2026-11-21",
                "reference": order["transfer"]["reference"],
                "amount": order["transfer"]["amount"],
                "payer": customer["name"],
            },
            api.operator,
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["matched"] is False
    finally:
        suite.nats.start()
    wait_for(lambda: order_status(api, token, order["id"]) == PAID, timeout=40, what="order paid")
    transfers = api.get("/v1/admin/transfers", api.operator).json()["transfers"]
    [matched] = [t for t in transfers if t["id"] == recorded.json()["id"]]
    assert matched["matched"] is True and matched["orderId"] == order["id"]
    # Matching again changes nothing: the transfer paid once.
    again = api.post("/v1/admin/transfers:rematch", {}, api.operator)
    assert again.status_code == 200, again.text
    assert recorded.json()["id"] not in {t["id"] for t in again.json().get("transfers", [])}
    assert len([p for p in api.get("/v1/payments", token).json()["payments"]]) == 1


def _second_billing_replica(suite: Suite) -> tuple[subprocess.Popen, str]:
    addr = f"127.0.0.1:{free_port()}"
    env = {**suite.env, "PORTAL_BILLING_ADDR": addr}
    log = open(suite.logs_dir / "billing-replica.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.billing"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(int(addr.rsplit(":", 1)[1]), timeout=60)
    return proc, addr


def test_invoice_numbers_are_unique_across_customers_and_replicas(api: Api, suite: Suite):
    entities = [api.new_account()["id"] for _ in range(3)]
    op = api.operator
    replica, addr = _second_billing_replica(suite)

    def line() -> dict:
        return {
            "label": "Parking",
            "quantity": 1,
            "unitPriceExclTax": {"amountCents": 1000},
            "vatRateBp": 2000,
        }

    def through_gateway(n: int) -> str:
        answer = api.post(
            "/v1/admin/documents",
            {"entityId": entities[n % 3], "type": "DOCUMENT_TYPE_INVOICE", "lines": [line()]},
            op,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["number"]

    def through_replica(n: int) -> str:
        with grpc.insecure_channel(addr) as channel:
            stub = billing_pb2_grpc.BillingAdminServiceStub(channel)
            document = stub.IssueDocument(
                billing_pb2.IssueDocumentRequest(
                    entity_id=entities[n % 3],
                    type=billing_pb2.DOCUMENT_TYPE_INVOICE,
                    lines=[
                        billing_pb2.DocumentLine(
                            label="Parking",
                            quantity=1,
                            unit_price_excl_tax=types_pb2.Money(amount_cents=1000, currency="EUR"),
                            vat_rate_bp=2000,
                        )
                    ],
                ),
                metadata=(("authorization", f"Bearer {op}"),),
                timeout=30,
            )
            return document.number

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = list(pool.map(through_gateway, range(12))) + list(
                pool.map(through_replica, range(12))
            )
            mixed = list(
                pool.map(lambda n: (through_gateway if n % 2 else through_replica)(n), range(16))
            )
    finally:
        replica.terminate()
        replica.wait(timeout=30)
    every = numbers + mixed
    assert len(every) == 40
    assert len(set(every)) == 40, sorted(every)
    assert all(number.startswith("FAC-") for number in every)
