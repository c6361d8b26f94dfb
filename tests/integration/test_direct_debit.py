"""SEPA direct debits through the gateway: a customer signs a mandate, an order
is left unpaid, the operator collects it (the customer is pre-notified by
e-mail), downloads the pain.008 file (valid against the official schema),
settles the batch (the order becomes paid), then imports the bank's return (the
invoice is due again, the customer is told); a malformed returns file changes
nothing; mandates stay within their entity."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from deploy.local.suite import Suite
from portal_runtime.money import format_amount
from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.orders import invoice_of, order_status, submitted_order, wait_for

from .test_order_emails import _mailbox_text

IBAN = "FR7630006000011234567890189"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
PAID = "ORDER_STATUS_PAID"
# Invoices fall due 30 days after they are issued: collect just after that.
COLLECT_AFTER_DAYS = 31


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _day(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _mandate(api: Api, token: str) -> dict:
    answer = api.post(
        "/v1/mandates", {"iban": "FR76 3000 6000 0112 3456 7890 189", "holder": "ACME SAS"}, token
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _collect(api: Api, days: int = COLLECT_AFTER_DAYS):
    return api.post("/v1/admin/direct-debits:collect", {"collectionDate": _day(days)}, api.operator)


def _debit_of(batch: dict, entity_id: str) -> dict:
    """The customer's debit (other tests' accounts with a mandate may be in the batch)."""
    [debit] = [d for d in batch["debits"] if d["entityId"] == entity_id]
    return debit


def _returns(api: Api, content: bytes, **kw):
    return api.http.post(
        "/v1/admin/direct-debits:import-returns",
        headers={**bearer(api.operator), **kw.pop("headers", {"Content-Type": "text/csv"})},
        content=content,
        **kw,
    )


def _wait_message(api: Api, recipient: str, template: str, number: str) -> dict:
    def find():
        return next(
            (
                m
                for m in api.messages(recipient)
                if m["template"] == template and number in m["subject"]
            ),
            None,
        )

    return wait_for(find, timeout=30, what=f"{template} e-mail to {recipient}")


def test_an_unpaid_order_is_debited_settled_and_returned(
    api: Api, customer: dict, suite: Suite
) -> None:
    token, entity, manager = customer["token"], customer["id"], customer["managerEmail"]
    op = api.operator
    mandate = _mandate(api, token)
    assert mandate["ibanMasked"] == "FR76 **** **** **** **** ***0 189"
    listed = api.get("/v1/admin/mandates", op, params={"entityId": entity}).json()["mandates"]
    assert [(m["id"], m["entityId"], m["ibanMasked"]) for m in listed] == [
        (mandate["id"], entity, mandate["ibanMasked"])
    ]
    revoked_only = api.get(
        "/v1/admin/mandates", op, params={"entityId": entity, "status": "REVOKED"}
    )
    assert revoked_only.status_code == 200 and not revoked_only.json().get("mandates")

    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])
    total = int(invoice["totalInclTax"]["amountCents"])

    too_soon = _collect(api, days=13)
    assert too_soon.status_code == 400 and "collectionDate" in field_violations(too_soon)

    collected = _collect(api)
    assert collected.status_code == 201, collected.text
    batch = collected.json()
    debit = _debit_of(batch, entity)
    assert debit["documentId"] == invoice["id"] and debit["orderId"] == order["id"]
    assert int(debit["amount"]["amountCents"]) == total
    assert debit["sequenceType"] == "FRST" and debit["mandateReference"] == mandate["reference"]
    assert debit["status"] == "DIRECT_DEBIT_STATUS_PENDING"
    assert batch["status"] == "DIRECT_DEBIT_BATCH_STATUS_OPEN"
    batches = api.get("/v1/admin/direct-debit-batches", op).json()["batches"]
    assert batch["id"] in {b["id"] for b in batches}
    nothing = _collect(api)  # the invoice is held by its pending debit
    assert nothing.status_code == 400 and error_reason(nothing) == "NOTHING_TO_COLLECT"

    file = api.get(f"/v1/admin/direct-debit-batches/{batch['id']}/file", op)
    assert file.status_code == 200, file.text
    assert file.headers["content-type"].startswith("application/xml")
    xmlschema.XMLSchema(str(XSD)).validate(file.text)
    root = ET.fromstring(file.content)  # noqa: S314 - the file billing just built
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch["messageId"]
    for info in root.iterfind(".//p:PmtInf", NS):
        for tx in info.iterfind("p:DrctDbtTxInf", NS):
            if tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == debit["endToEndId"]:
                break
        else:
            continue
        break
    else:
        raise AssertionError("the debit is not in the file")
    assert info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS) == "FRST"
    assert info.findtext("p:ReqdColltnDt", namespaces=NS) == batch["collectionDate"]
    assert tx.findtext("p:InstdAmt", namespaces=NS) == format_amount(total, ".")
    assert tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS) == mandate["reference"]
    assert tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN

    notice = _wait_message(api, manager, "direct_debit_scheduled", invoice["number"])
    day = batch["collectionDate"]
    assert f"{day[8:10]}/{day[5:7]}/{day[:4]}" in notice["subject"]  # in French
    assert notice["links"][0].endswith(f"/documents/{invoice['id']}")
    body = _mailbox_text(suite, notice)
    for fact in [mandate["reference"], batch["creditorId"], "***0 189", "Date de prélèvement"]:
        assert fact in body, fact
    assert IBAN not in body.replace(" ", "")

    settled = api.post(f"/v1/admin/direct-debit-batches/{batch['id']}:settle", {}, op)
    assert settled.status_code == 200, settled.text
    assert settled.json()["status"] == "DIRECT_DEBIT_BATCH_STATUS_SETTLED"
    collected_debit = _debit_of(settled.json(), entity)
    assert collected_debit["status"] == "DIRECT_DEBIT_STATUS_COLLECTED"
    assert api.get(f"/v1/documents/{invoice['id']}", token).json()["paid"] is True
    wait_for(lambda: order_status(api, token, order["id"]) == PAID, what="order paid")
    again = api.post(f"/v1/admin/direct-debit-batches/{batch['id']}:settle", {}, op)
    assert again.status_code == 200 and _debit_of(again.json(), entity) == collected_debit
    direct = [p for p in api.get("/v1/payments", token).json()["payments"]]
    assert [(p["method"], p["state"]) for p in direct] == [
        ("DIRECT_DEBIT", "PAYMENT_STATE_SUCCEEDED")
    ]

    line = f"end_to_end_id;reason_code;date\n{debit['endToEndId']};AM04;{_day(0)}\n".encode()
    returned = _returns(api, line)
    assert returned.status_code == 200, returned.text
    assert returned.json()["returned"] == 1
    reopened = api.get(f"/v1/documents/{invoice['id']}", token).json()
    assert reopened["paid"] is False and int(reopened["remaining"]["amountCents"]) == total
    [payment] = api.get("/v1/payments", token).json()["payments"]
    assert payment["state"] == "PAYMENT_STATE_RETURNED" and payment["failureReason"] == "AM04"
    told = _wait_message(api, manager, "direct_debit_returned", invoice["number"])
    assert told["links"]

    twice = _returns(api, line)
    assert twice.status_code == 200 and twice.json()["unchanged"] == 1
    assert not twice.json().get("returned")
    time.sleep(1.0)  # a second e-mail would have been queued by now
    sent = [m for m in api.messages(manager) if m["template"] == "direct_debit_returned"]
    assert len(sent) == 1
    # The order stays paid: the customer owes the invoice again, the cards are loaded.
    assert order_status(api, token, order["id"]) == PAID


def test_a_malformed_returns_file_changes_nothing(api: Api, customer: dict) -> None:
    token, entity = customer["token"], customer["id"]
    op = api.operator
    _mandate(api, token)
    issued = api.post(
        "/v1/admin/documents",
        {
            "entityId": entity,
            "type": "DOCUMENT_TYPE_INVOICE",
            "lines": [
                {
                    "label": "Parking",
                    "quantity": 3,
                    "unitPriceExclTax": {"amountCents": 1001},
                    "vatRateBp": 2000,
                }
            ],
        },
        op,
    )
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    collected = _collect(api)
    assert collected.status_code == 201, collected.text
    debit = _debit_of(collected.json(), entity)
    assert int(debit["amount"]["amountCents"]) == 3604  # 30.03 + 6.006 VAT (half-up: 6.01)

    bad = _returns(api, f"{debit['endToEndId']};AM04\nNO-SUCH-DEBIT;XX99;32/01/2026\n".encode())
    assert bad.status_code == 400
    assert {"line 2: reason_code", "line 2: date"} <= set(field_violations(bad))
    multipart = api.http.post(
        "/v1/admin/direct-debits:import-returns",
        headers=bearer(op),
        files={"file": ("returns.csv", f"{debit['endToEndId']};AM04\nNOPE;AM04\n", "text/csv")},
    )
    assert multipart.status_code == 400, multipart.text
    assert set(field_violations(multipart)) == {"line 2: end_to_end_id"}
    batch = api.get(f"/v1/admin/direct-debit-batches/{collected.json()['id']}", op).json()
    assert _debit_of(batch, entity)["status"] == "DIRECT_DEBIT_STATUS_PENDING"
    assert api.get(f"/v1/documents/{invoice['id']}", token).json()["paid"] is False
    time.sleep(0.5)
    manager = customer["managerEmail"]
    assert not [m for m in api.messages(manager) if m["template"] == "direct_debit_returned"]

    # A pending debit sent back is just rejected: the invoice stays to pay.
    rejected = _returns(api, f"{debit['endToEndId']};AC04\n".encode())
    assert rejected.status_code == 200 and rejected.json()["rejected"] == 1
    _wait_message(api, manager, "direct_debit_returned", invoice["number"])


def test_mandates_stay_within_their_entity(api: Api, customer: dict) -> None:
    mandate = _mandate(api, customer["token"])
    other = api.activate(api.new_account())["accessToken"]
    assert mandate["id"] not in {
        m["id"] for m in api.get("/v1/mandates", other).json().get("mandates", [])
    }
    assert api.post(f"/v1/mandates/{mandate['id']}:revoke", {}, other).status_code == 404
    # Operators' routes are not for customers.
    assert api.get("/v1/admin/mandates", other).status_code == 403
    assert api.get("/v1/admin/direct-debit-batches", other).status_code == 403
    missing = api.get("/v1/admin/direct-debit-batches/nope/file", api.operator)
    assert missing.status_code == 404
