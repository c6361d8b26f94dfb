"""Parking through the gateway: the operator puts a new customer's contracts
and imports a month's exits (a malformed file first: refused, nothing
written); the customer reads the month's low-usage statements and downloads
one as PDF; the month imported again changes nothing; a plate change accepted
by the operator updates its contract; a bank-details request keeps only the
masked IBAN; another customer sees none of it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.orders import wait_for

IBAN = "FR7630006000011234567890189"


def _customer(api: Api) -> dict[str, Any]:
    account = api.new_account()
    return {**account, "token": api.activate(account)["accessToken"]}


@pytest.fixture()
def customer(api: Api) -> dict[str, Any]:
    return _customer(api)


@pytest.fixture()
def stranger(api: Api) -> dict[str, Any]:
    return _customer(api)


def _unused_month() -> str:
    """A past month no other test closed: months close once for the whole
    operator, and the tests share one running suite."""
    seed = uuid.uuid4().int
    return f"{2000 + seed % 20}-{(seed // 20) % 12 + 1:02d}"


def _put_contract(api: Api, number: str, body: dict[str, Any]):
    return api.http.put(
        f"/v1/admin/parking/contracts/{number}", json=body, headers=bearer(api.operator)
    )


def _import(api: Api, month: str, text: str):
    return api.http.post(
        "/v1/admin/parking/exits:import",
        params={"month": month},
        content=text.encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )


def _statements(api: Api, token: str, month: str) -> list[dict[str, Any]]:
    answer = api.get("/v1/parking/statements", token, params={"month": month})
    assert answer.status_code == 200, answer.text
    return answer.json().get("statements", [])


def test_parking_month_statements_and_change_requests(
    api: Api, customer: dict, stranger: dict
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    month = _unused_month()
    low_usage = {
        "entityId": customer["id"],
        "carPark": "Cardinet",
        "type": "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT",
        "startDate": "1999-01-01",
        "monthlyPrice": {"amountCents": "6000", "currency": "EUR"},
        "includedExits": 2,
        "extraExitPrice": {"amountCents": "300", "currency": "EUR"},
        "vatRateBp": 2000,
    }
    numbers = {name: f"{name}-{tag}" for name in ("LU1", "LU2", "RES")}
    put = _put_contract(
        api, numbers["LU1"], {**low_usage, "plates": ["aa-111-aa"], "badges": [f"b-{tag}-1"]}
    )
    assert put.status_code == 200, put.text
    lu1 = put.json()
    assert (lu1["plates"], lu1["badges"]) == (["AA111AA"], [f"B{tag}1"])
    put = _put_contract(
        api, numbers["LU2"], {**low_usage, "plates": ["BB222BB"], "badges": [f"B{tag}2"],
                              "includedExits": 5},
    )  # fmt: skip
    assert put.status_code == 200, put.text
    resident = {**low_usage, "type": "PARKING_CONTRACT_TYPE_RESIDENT", "plates": ["CC333CC"],
                "badges": [f"B{tag}3"]}  # fmt: skip
    del resident["includedExits"], resident["extraExitPrice"]
    put = _put_contract(api, numbers["RES"], resident)
    assert put.status_code == 200, put.text
    taken = _put_contract(api, f"OTHER-{tag}", {**resident, "badges": [f"B{tag}3"]})
    assert taken.status_code == 400, taken.text
    assert field_violations(taken) == {"contract.badges[0]": f"B{tag}3 is on contract RES-{tag}"}

    token = customer["token"]
    contracts = api.get("/v1/parking/contracts", token).json()["contracts"]
    assert sorted(c["number"] for c in contracts) == sorted(numbers.values())

    good = (
        "Badge;Exit;Car park\r\n"
        f"B{tag}1;{month}-02 08:00;Cardinet\r\n"
        f"B{tag}1;{month}-03T08:00:00;Cardinet\r\n"
        f"B{tag}1;03/{month[5:]}/{month[:4]} 18:30;CARDINET\r\n"
        f"B{tag}1;{month}-10 07:45;Cardinet\r\n"
        f"B{tag}3;{month}-11 09:00;Cardinet\r\n"
    )
    malformed = good + (
        f"B{tag}9;{month}-12 08:00;Cardinet\r\n"  # line 7: unknown badge
        f"B{tag}2;{month}-02 08:00;Opéra\r\n"  # line 8: another car park
        f"B{tag}1;{month}-02 08:00;Cardinet\r\n"  # line 9: line 2 again
        f"B{tag}1;1990-01-01 08:00;Cardinet\r\n"  # line 10: outside the month
    )
    refused = _import(api, month, malformed)
    assert refused.status_code == 400, refused.text
    assert error_reason(refused) == "EXITS_FILE_INVALID"
    assert set(field_violations(refused)) == {
        "line 7: badge", "line 8: carPark", "line 9: exit", "line 10: exit",
    }  # fmt: skip
    assert _statements(api, token, month) == []

    imported = _import(api, month, good)
    assert imported.status_code == 200, imported.text
    assert imported.json()["exits"] == 5 and not imported.json().get("alreadyClosed", False)
    statements = _statements(api, token, month)
    got = {
        s["contractNumber"]: (
            s.get("exits", 0), s.get("includedExits", 0), s.get("extraExits", 0),
            s["amountExclTax"].get("amountCents", "0"),
        )
        for s in statements
    }  # fmt: skip
    assert got == {numbers["LU1"]: (4, 2, 2, "600"), numbers["LU2"]: (0, 5, 0, "0")}
    lu1_statement = next(s for s in statements if s["contractNumber"] == numbers["LU1"])

    # Billing issues the statement with extra exits (2 x 3.00 + 20 %), not the other.
    def billed() -> list[dict] | None:
        docs = api.get("/v1/documents", token, params={"type": "DOCUMENT_TYPE_STATEMENT"}).json()
        return docs.get("documents") or None

    (document,) = wait_for(billed, what="the statement document")
    assert document["contractNumber"] == numbers["LU1"]
    assert document["totalExclTax"]["amountCents"] == "600"
    assert document["totalInclTax"]["amountCents"] == "720"
    pdf = api.get(f"/v1/parking/statements/{lu1_statement['id']}/pdf", token)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.content.startswith(b"%PDF")

    again = _import(api, month, good + f"B{tag}2;{month}-20 08:00;Cardinet\r\n")
    assert again.status_code == 200, again.text
    assert again.json().get("alreadyClosed") is True
    assert again.json().get("statements", 0) == 0
    assert _statements(api, token, month) == statements

    # A plate change, accepted by the operator, updates the contract.
    created = api.post(
        "/v1/contact-requests",
        {"topic": "CONTACT_TOPIC_LICENCE_PLATE", "contractId": lu1["id"],
         "oldPlate": "AA 111 AA", "newPlate": "dd-444-dd", "message": "New car"},
        token,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["reference"].startswith("CR-")
    assert request["status"] == "CONTACT_REQUEST_STATUS_OPEN"
    admin = api.get("/v1/admin/contact-requests", api.operator, params={"entityId": customer["id"]})
    assert [r["id"] for r in admin.json()["contactRequests"]] == [request["id"]]
    answered = api.post(
        f"/v1/admin/contact-requests/{request['id']}:answer",
        {"status": "CONTACT_REQUEST_STATUS_ACCEPTED", "answer": "Your new plate is recorded."},
        api.operator,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "CONTACT_REQUEST_STATUS_ACCEPTED"
    contract = api.get(f"/v1/parking/contracts/{lu1['id']}", token).json()
    assert contract["plates"] == ["DD444DD"]
    twice = api.post(
        f"/v1/admin/contact-requests/{request['id']}:answer",
        {"status": "CONTACT_REQUEST_STATUS_REFUSED", "answer": "No."},
        api.operator,
    )
    assert twice.status_code == 400 and error_reason(twice) == "CONTACT_REQUEST_ANSWERED"

    # Bank details: only the masked IBAN is kept and shown.
    bank = api.post(
        "/v1/contact-requests",
        {"topic": "CONTACT_TOPIC_BANK_DETAILS", "newIban": "FR76 3000 6000 0112 3456 7890 189"},
        token,
    )
    assert bank.status_code == 201, bank.text
    assert bank.json()["newIbanMasked"] == "FR76 **** **** 0189"
    read = api.get(f"/v1/contact-requests/{bank.json()['id']}", token)
    assert read.json()["newIbanMasked"] == "FR76 **** **** 0189"
    assert IBAN[4:20] not in read.text and IBAN[4:20] not in bank.text
    bad_iban = api.post(
        "/v1/contact-requests", {"topic": "CONTACT_TOPIC_BANK_DETAILS", "newIban": "FR76 1234"},
        token,
    )  # fmt: skip
    assert bad_iban.status_code == 400 and set(field_violations(bad_iban)) == {"newIban"}

    # Another customer finds none of it.
    other = stranger["token"]
    for path in (
        f"/v1/parking/contracts/{lu1['id']}",
        f"/v1/parking/statements/{lu1_statement['id']}",
        f"/v1/parking/statements/{lu1_statement['id']}/pdf",
        f"/v1/contact-requests/{request['id']}",
        f"/v1/contact-requests/{bank.json()['id']}",
    ):
        assert api.get(path, other).status_code == 404, path
    assert api.get("/v1/parking/contracts", other).json().get("contracts", []) == []
    assert _statements(api, other, month) == []
    assert api.get("/v1/contact-requests", other).json().get("contactRequests", []) == []
    stolen = api.post(
        "/v1/contact-requests",
        {"topic": "CONTACT_TOPIC_LICENCE_PLATE", "contractId": lu1["id"],
         "oldPlate": "DD444DD", "newPlate": "EE555EE"},
        other,
    )  # fmt: skip
    assert stolen.status_code == 400
    assert field_violations(stolen) == {"contractId": "is not one of your parking contracts"}
