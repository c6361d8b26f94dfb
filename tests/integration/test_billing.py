"""Billing through the gateway: invoices issued from orders, the PDF, the
balance, card payments through the local test provider's pages and signed
webhooks, transfers matched by reference, mandates, claims, and the bad cases."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time

import httpx
import pytest
from pypdf import PdfReader

from deploy.local.suite import Suite
from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.orders import invoice_of, order_status, submitted_order, wait_for


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def test_an_order_paid_by_card_through_the_provider_pages(api: Api, customer: dict, suite: Suite):
    token = customer["token"]
    order = submitted_order(api, token, "CARD")
    invoice = invoice_of(api, token, order["id"])
    assert invoice["number"].startswith("FAC-") and not invoice["paid"]
    # 100.00 loaded (no VAT) + one new card's fee with its VAT: the order's total.
    assert int(invoice["totalInclTax"]["amountCents"]) == int(order["total"]["amountCents"])
    assert int(order["total"]["amountCents"]) > 10_000
    balance = api.get("/v1/balance", token).json()
    assert int(balance["due"]["amountCents"]) == int(invoice["remaining"]["amountCents"])

    payment = api.post(
        f"/v1/documents/{invoice['id']}:pay",
        {},
        token,
        headers={"Idempotency-Key": f"pay-{invoice['id']}"},
    )
    assert payment.status_code == 201, payment.text
    body = payment.json()
    assert body["state"] == "PAYMENT_STATE_PENDING" and body["redirectUrl"]
    # The customer follows the redirect and pays on the provider's page.
    page = httpx.get(body["redirectUrl"])
    assert page.status_code == 200
    ref = body["redirectUrl"].rstrip("/").rsplit("/", 1)[1]
    provider = body["redirectUrl"].split("/pay/")[0]
    done = httpx.post(f"{provider}/pay/{ref}/complete", data={"outcome": "success"})
    assert done.status_code in {200, 303}

    wait_for(
        lambda: (
            api.get(f"/v1/payments/{body['id']}", token).json()["state"]
            == "PAYMENT_STATE_SUCCEEDED"
        ),
        what="payment succeeded",
    )
    assert api.get(f"/v1/documents/{invoice['id']}", token).json()["paid"] is True
    wait_for(
        lambda: order_status(api, token, order["id"]) == "ORDER_STATUS_PAID", what="order paid"
    )
    # A replayed webhook changes nothing; paying again is refused.
    httpx.post(f"{provider}/pay/{ref}/replay")
    time.sleep(0.5)
    assert (
        len(
            [
                p
                for p in api.get("/v1/payments", token).json()["payments"]
                if p["state"] == "PAYMENT_STATE_SUCCEEDED"
            ]
        )
        == 1
    )
    again = api.post(f"/v1/documents/{invoice['id']}:pay", {}, token)
    assert again.status_code == 400 and error_reason(again) == "DOCUMENT_ALREADY_PAID"


def test_a_declined_card_leaves_the_invoice_unpaid(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "CARD")
    invoice = invoice_of(api, token, order["id"])
    body = api.post(f"/v1/documents/{invoice['id']}:pay", {}, token).json()
    ref = body["redirectUrl"].rstrip("/").rsplit("/", 1)[1]
    provider = body["redirectUrl"].split("/pay/")[0]
    httpx.post(f"{provider}/pay/{ref}/complete", data={"outcome": "failure"})
    failed = wait_for(
        lambda: (
            (p := api.get(f"/v1/payments/{body['id']}", token).json())["state"]
            == "PAYMENT_STATE_FAILED"
            and p
        ),
        what="payment failed",
    )
    assert failed["failureReason"] == "CARD_DECLINED"
    assert api.get(f"/v1/documents/{invoice['id']}", token).json()["paid"] is False


def test_a_webhook_with_a_wrong_signature_is_refused(api: Api):
    payload = json.dumps(
        {
            "id": "evt_forged",
            "type": "payment.succeeded",
            "created": int(time.time()),
            "data": {"payment_ref": "x", "payment_id": "x", "amount": 1, "currency": "EUR"},
        }
    ).encode()
    ts = str(int(time.time()))
    forged = hmac.new(b"not-the-secret", f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    for headers in ({}, {"Portail-Signature": f"t={ts},v1={forged}"}):
        answer = api.http.post(
            "/v1/payments/webhook",
            content=payload,
            headers={"Content-Type": "application/json", **headers},
        )
        assert answer.status_code in {400, 401}, answer.text


def test_an_order_paid_by_transfer_matched_by_reference(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])
    reference = order["transfer"]["reference"]
    amount = order["transfer"]["amount"]
    op = api.operator
    unknown = api.post(
        "/v1/admin/transfers",
        {
            "receivedOn": "2026-11-20",
            "reference": "RF00NOPE",
            "amount": {"amountCents": 1000, "currency": "EUR"},
            "payer": "Someone",
        },
        op,
    )
    assert unknown.status_code == 201 and unknown.json()["matched"] is False
    listed = api.get("/v1/admin/transfers", op, params={"unmatched": "true"}).json()["transfers"]
    assert unknown.json()["id"] in {t["id"] for t in listed}
    recorded = api.post(
        "/v1/admin/transfers",
        {
            "receivedOn": "2026-11-21",
            "reference": reference.lower(),
            "amount": amount,
            "payer": customer["name"],
        },
        op,
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["matched"] is True
    wait_for(
        lambda: api.get(f"/v1/documents/{invoice['id']}", token).json()["paid"],
        what="invoice paid by transfer",
    )
    wait_for(
        lambda: order_status(api, token, order["id"]) == "ORDER_STATUS_PAID", what="order paid"
    )


def test_bank_statement_import_lists_bad_lines_and_keeps_unmatched(api: Api):
    op = api.operator
    bad = api.http.post(
        "/v1/admin/transfers:import",
        content=b"date;amount;reference;payer\n2026-13-01;abc;;X\n",
        headers={**bearer(op), "Content-Type": "text/csv"},
    )
    assert bad.status_code == 400
    assert {"line 2: date", "line 2: amount"} <= set(field_violations(bad))
    good = api.http.post(
        "/v1/admin/transfers:import",
        content=b"date;amount;reference;payer\n2026-11-02;12,50;RF99UNKNOWN;ACME\n",
        headers={**bearer(op), "Content-Type": "text/csv"},
    )
    assert good.status_code == 200, good.text
    assert good.json()["unmatched"] == 1


def test_the_invoice_pdf_is_a_real_document(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])
    pdf = api.get(f"/v1/documents/{invoice['id']}/pdf", token)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert invoice["number"] in text
    assert customer["name"] in text or customer["clientNumber"] in text
    other = api.activate(api.new_account())["accessToken"]
    assert api.get(f"/v1/documents/{invoice['id']}", other).status_code == 404
    assert api.get(f"/v1/documents/{invoice['id']}/pdf", other).status_code == 404


def test_a_cancelled_order_gets_a_credit_note(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])
    assert api.post(f"/v1/orders/{order['id']}:cancel", {}, token).status_code == 200

    def credit_note():
        docs = api.get("/v1/documents", token, params={"type": "DOCUMENT_TYPE_CREDIT_NOTE"}).json()
        return next((d for d in docs["documents"] if d["creditsDocumentId"] == invoice["id"]), None)

    note = wait_for(credit_note, what="credit note")
    assert note["number"].startswith("AV-")
    assert api.get("/v1/balance", token).json()["due"]["amountCents"] in ("0", 0, None)
    unpaid = api.get("/v1/documents", token, params={"unpaid": "true"}).json()["documents"]
    assert invoice["id"] not in {d["id"] for d in unpaid}


def test_mandates_check_the_iban(api: Api, customer: dict):
    token = customer["token"]
    bad = api.post("/v1/mandates", {"iban": "FR7630006000011234567890188", "holder": "ACME"}, token)
    assert bad.status_code == 400 and "iban" in field_violations(bad)
    good = api.post(
        "/v1/mandates", {"iban": "FR76 3000 6000 0112 3456 7890 189", "holder": "ACME"}, token
    )
    assert good.status_code == 201, good.text
    mandate = good.json()
    assert mandate["status"] == "ACTIVE" and "0189" in mandate["ibanMasked"].replace(" ", "")
    assert "30006000011234567890" not in mandate["ibanMasked"].replace(" ", "")
    revoked = api.post(f"/v1/mandates/{mandate['id']}:revoke", {}, token)
    assert revoked.status_code == 200 and revoked.json()["status"] == "REVOKED"
    assert api.post(f"/v1/mandates/{mandate['id']}:revoke", {}, token).status_code == 400
    other = api.activate(api.new_account())["accessToken"]
    assert api.post(f"/v1/mandates/{mandate['id']}:revoke", {}, other).status_code == 404


def test_claims_are_answered_by_operators(api: Api, customer: dict):
    token = customer["token"]
    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])
    claim = api.post(
        f"/v1/documents/{invoice['id']}/claims",
        {"reason": "WRONG_AMOUNT", "message": "The fee looks wrong"},
        token,
    )
    assert claim.status_code == 201, claim.text
    assert claim.json()["status"] == "CLAIM_STATUS_OPEN"
    twice = api.post(
        f"/v1/documents/{invoice['id']}/claims", {"reason": "OTHER", "message": "again"}, token
    )
    assert twice.status_code == 409
    op = api.operator
    answered = api.post(
        f"/v1/admin/claims/{claim.json()['id']}:answer",
        {"answer": "Checked: the fee is right.", "status": "CLAIM_STATUS_REJECTED"},
        op,
    )
    assert answered.status_code == 200, answered.text
    mine = api.get("/v1/claims", token).json()["claims"]
    assert mine[0]["status"] == "CLAIM_STATUS_REJECTED" and mine[0]["answer"]
