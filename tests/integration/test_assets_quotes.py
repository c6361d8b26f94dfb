"""Quotes through the gateway: an operator issues quotes to a customer, who
lists, filters and sorts them, downloads them as PDF, accepts one with a
purchase-order reference ("valider ma commande") and declines another; two
managers accepting at once make one order; nobody else sees them."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from tests.support.api import Api, error_reason, field_violations
from tests.support.orders import wait_for


def _today():
    # The services' "today" is the UTC date.
    return datetime.now(UTC).date()


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _line(label: str, quantity: int, cents: int, rate_bp: int = 2000) -> dict:
    return {
        "label": label,
        "quantity": quantity,
        "unitPriceExclTax": {"amountCents": cents, "currency": "EUR"},
        "vatRateBp": rate_bp,
    }


def _issue(api: Api, entity_id: str, lines: list[dict], *, days: int = 30, **extra) -> dict:
    body = {
        "entityId": entity_id,
        "title": "Révision annuelle du compresseur",
        "lines": lines,
        "validUntil": (_today() + timedelta(days=days)).isoformat(),
        **extra,
    }
    answer = api.post("/v1/admin/quotes", body, api.operator)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _numbers(api: Api, token: str, **params: str) -> list[str]:
    answer = api.get("/v1/quotes", token, params=params)
    assert answer.status_code == 200, answer.text
    return [quote["number"] for quote in answer.json().get("quotes", [])]


def _accept(api: Api, token: str, quote_id: str, reference: str):
    return api.post(f"/v1/quotes/{quote_id}:accept", {"purchaseOrderReference": reference}, token)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_customer_answers_the_quotes_an_operator_issued(api: Api, customer: dict) -> None:
    token = customer["token"]
    # 12.00 + 10 % on 1.25 -> 13.38; 2,000.00 + 20 %; 240.00 + 20 %.
    small = _issue(api, customer["id"], [_line("Filtre", 1, 1_000), _line("Joint", 1, 125, 1000)])
    large = _issue(api, customer["id"], [_line("Moteur", 1, 200_000)], days=60)
    last_day = _issue(api, customer["id"], [_line("Visite", 2, 10_000)], days=0)
    assert small["number"].startswith(f"DEV-{_today().year}-")
    assert small["status"] == "QUOTE_STATUS_PENDING"
    assert small["entityId"] == customer["id"]
    assert int(small["totalExclTax"]["amountCents"]) == 1_125
    assert int(small["totalTax"]["amountCents"]) == 213  # 2.00 + 0.125 rounded up
    assert int(small["totalInclTax"]["amountCents"]) == 1_338

    by_amount = [small["number"], last_day["number"], large["number"]]
    assert _numbers(api, token, sort="amount") == by_amount
    assert _numbers(api, token, sort="-amount") == by_amount[::-1]
    assert _numbers(api, token, sort="validUntil")[0] == last_day["number"]
    assert _numbers(api, token, minAmountCents="2000", maxAmountCents="30000") == [
        last_day["number"]
    ]
    today = _today().isoformat()
    assert len(_numbers(api, token, **{"from": today, "to": today})) == 3
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    assert _numbers(api, token, **{"from": tomorrow}) == []
    bad = api.get("/v1/quotes", token, params={"from": "2026-02-30", "sort": "price"})
    assert bad.status_code == 400, bad.text
    assert "from" in field_violations(bad)
    unknown_sort = api.get("/v1/quotes", token, params={"sort": "price"})
    assert unknown_sort.status_code == 400 and "sort" in field_violations(unknown_sort)

    quote = api.get(f"/v1/quotes/{small['id']}", token)
    assert quote.status_code == 200 and quote.json()["lines"][1]["label"] == "Joint"
    pdf = api.get(f"/v1/quotes/{small['id']}/pdf", token)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert small["number"] in _pdf_text(pdf.content)

    # "Valider ma commande": the quote becomes an order.
    accepted = _accept(api, token, small["id"], "BC-2026-0042")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "QUOTE_STATUS_ACCEPTED"
    assert accepted.json()["purchaseOrderReference"] == "BC-2026-0042"
    order = accepted.json()["orderNumber"]
    assert order.startswith(f"CMD-{_today().year}-")
    again = _accept(api, token, small["id"], "BC-2026-0043")
    assert again.status_code == 400, again.text
    assert error_reason(again) == "QUOTE_ALREADY_ACCEPTED"
    assert api.get(f"/v1/quotes/{small['id']}", token).json()["orderNumber"] == order
    text = _pdf_text(api.get(f"/v1/quotes/{small['id']}/pdf", token).content)
    assert "BC-2026-0042" in text and order in text

    # Billing invoices the accepted quote once, with its totals and the PO reference.
    def invoice() -> dict | None:
        docs = api.get("/v1/documents", token, params={"type": "DOCUMENT_TYPE_INVOICE"}).json()
        found = docs.get("documents", [])
        return found[0] if found else None

    invoiced = wait_for(invoice, what="the accepted quote's invoice")
    assert invoiced["purchaseOrderReference"] == "BC-2026-0042"
    assert invoiced["totalInclTax"]["amountCents"] == "1338"
    assert invoiced["totalTax"]["amountCents"] == "213"

    # The customer was told of the quotes and of the order.
    def mails(template: str) -> list[dict]:
        return [m for m in api.messages(customer["managerEmail"]) if m["template"] == template]

    assert len(wait_for(lambda: mails("quote_issued") if len(mails("quote_issued")) >= 3 else None,
                        what="the quote e-mails")) == 3  # fmt: skip
    assert wait_for(lambda: mails("quote_accepted"), what="the order confirmation")

    # A quote valid until today may still be accepted today.
    assert _accept(api, token, last_day["id"], "BC-2026-0044").status_code == 200

    no_reason = api.post(f"/v1/quotes/{large['id']}:decline", {"reason": " "}, token)
    assert no_reason.status_code == 400 and "reason" in field_violations(no_reason)
    declined = api.post(
        f"/v1/quotes/{large['id']}:decline", {"reason": "Budget reporté à 2027"}, token
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "QUOTE_STATUS_DECLINED"
    assert declined.json()["declineReason"] == "Budget reporté à 2027"
    refused = _accept(api, token, large["id"], "BC-2026-0045")
    assert refused.status_code == 400 and error_reason(refused) == "QUOTE_DECLINED"

    assert _numbers(api, token, status="QUOTE_STATUS_ACCEPTED", sort="amount") == [
        small["number"],
        last_day["number"],
    ]
    assert _numbers(api, token, status="QUOTE_STATUS_DECLINED") == [large["number"]]
    assert _numbers(api, token, status="QUOTE_STATUS_PENDING") == []


def test_the_pdf_names_the_customer_once_identity_told_assets(api: Api, customer: dict) -> None:
    quote = _issue(api, customer["id"], [_line("Visite", 1, 10_000)])
    deadline = time.monotonic() + 20
    while True:
        answer = api.get(f"/v1/quotes/{quote['id']}/pdf", customer["token"])
        assert answer.status_code == 200, answer.text
        text = _pdf_text(answer.content)
        if customer["clientNumber"] in text or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert customer["clientNumber"] in text and customer["name"] in text
    assert "Devis" in text  # the account's language: French


def test_bad_quotes_are_refused_at_issue(api: Api, customer: dict) -> None:
    yesterday = (_today() - timedelta(days=1)).isoformat()
    body = {
        "entityId": customer["id"],
        "title": "Devis",
        "lines": [_line("Pièce", 0, 100), _line("Pièce", 1, -5, 1900)],
        "validUntil": yesterday,
    }
    answer = api.post("/v1/admin/quotes", body, api.operator)
    assert answer.status_code == 400, answer.text
    assert set(field_violations(answer)) == {
        "validUntil",
        "lines[0].quantity",
        "lines[1].unitPriceExclTax",
        "lines[1].vatRateBp",
    }
    unknown = {**body, "lines": [_line("Pièce", 1, 100)], "validUntil": _today().isoformat()}
    for field, value in (("serviceRequestId", "0" * 32), ("equipmentId", "0" * 32)):
        answer = api.post("/v1/admin/quotes", {**unknown, field: value}, api.operator)
        assert answer.status_code == 400, answer.text
        assert field in field_violations(answer)
    customers_try = api.post("/v1/admin/quotes", unknown, customer["token"])
    assert customers_try.status_code == 403


def test_two_managers_accepting_at_once_make_one_order(api: Api, customer: dict) -> None:
    # A few rounds: each one races two acceptances of a fresh quote.
    for round_ in range(3):
        quote = _issue(api, customer["id"], [_line("Compresseur", 1, 500_000)])

        def accept(reference: str, quote_id: str = quote["id"]):
            return _accept(api, customer["token"], quote_id, reference)

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(accept, [f"BC-{round_}-A", f"BC-{round_}-B"]))
        codes = sorted(answer.status_code for answer in answers)
        assert codes[0] == 200 and codes[1] in (400, 409), [a.text for a in answers]
        loser = next(answer for answer in answers if answer.status_code != 200)
        assert error_reason(loser) == "QUOTE_ALREADY_ACCEPTED"
        winner = next(answer for answer in answers if answer.status_code == 200).json()
        stored = api.get(f"/v1/quotes/{quote['id']}", customer["token"]).json()
        assert stored["orderNumber"] == winner["orderNumber"]
        assert stored["purchaseOrderReference"] == winner["purchaseOrderReference"]


def test_another_entity_cannot_see_the_quotes(api: Api, customer: dict) -> None:
    quote = _issue(api, customer["id"], [_line("Visite", 1, 10_000)])
    other = api.new_account()
    token = api.activate(other)["accessToken"]
    for path in (f"/v1/quotes/{quote['id']}", f"/v1/quotes/{quote['id']}/pdf"):
        answer = api.get(path, token)
        assert answer.status_code == 404, answer.text
    assert _accept(api, token, quote["id"], "BC-1").status_code == 404
    assert api.post(f"/v1/quotes/{quote['id']}:decline", {"reason": "x"}, token).status_code == 404
    assert _numbers(api, token) == []
    assert api.get(f"/v1/quotes/{quote['id']}", customer["token"]).json()["status"] == (
        "QUOTE_STATUS_PENDING"
    )
