"""The guides' account flows through the gateway, billing and ordering sides
(issue #9): the invoice says where and with what to log in (the parking guide's
"Votre identifiant web"), paying online waits for paperless consent where the
operator requires it, and card usage imported by operators shows next to the
loads (the meal-card guide's card statistics)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import nats
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pypdf import PdfReader

from deploy.local.suite import Suite
from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.outbox import new_event
from tests.integration.test_ordering import _pay
from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.orders import invoice_of, submitted_order, wait_for


@pytest.fixture()
def customer(api: Api) -> dict:
    account = api.new_account()
    session = api.activate(account)
    return {**account, "token": session["accessToken"]}


def _pdf_text(api: Api, token: str, document_id: str) -> str:
    answer = api.get(f"/v1/documents/{document_id}/pdf", token)
    assert answer.status_code == 200, answer.text
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)


def test_the_invoice_shows_the_web_identifier_and_the_portal(
    api: Api, customer: dict, suite: Suite
):
    token = customer["token"]
    invoice = invoice_of(api, token, submitted_order(api, token, "TRANSFER")["id"])
    identifier = f"Votre identifiant web : {customer['clientNumber']}"

    # The client number comes from identity's AccountUpdated (an event: wait for it).
    def pdf_naming_the_customer() -> str | None:
        text = _pdf_text(api, token, invoice["id"])
        return text if identifier in text else None

    text = wait_for(pdf_naming_the_customer, what="the web identifier on the PDF")
    lines = [line.strip() for line in text.splitlines()]
    portal = f"Votre espace client : {suite.env['PORTAL_WEB_URL']}"
    # Top left: right under the operator's name, before the invoice's title.
    assert lines[1:3] == [portal, identifier], lines[:4]
    assert lines[3] == f"Facture {invoice['number']}"


# ---- point 6: paperless consent before paying online --------------------------------


def _publish_account(suite: Suite, customer: dict, *, at: datetime, consent: bool) -> None:
    """An AccountUpdated snapshot as identity states it, the operator requiring
    paperless consent. Dated ahead of identity's own, so that they do not
    replace it while the test runs."""

    async def publish() -> None:
        occurred = Timestamp()
        occurred.FromDatetime(at)
        event = new_event(
            identity_events.AccountUpdated,
            entity_id=customer["id"],
            name=customer["name"],
            client_number=customer["clientNumber"],
            language="fr",
            paperless_consent=consent,
            paperless_consent_required=True,
            contract_numbers=[customer["contractNumber"]],
        )
        event.occurred_at.CopyFrom(occurred)
        nc = await nats.connect(suite.env["PORTAL_NATS_URL"])
        await nc.jetstream().publish(
            "portal.identity.AccountUpdated",
            event.SerializeToString(),
            headers={"ce-id": event.event_id, "ce-type": "portal.identity.v1.AccountUpdated"},
        )
        await nc.close()

    asyncio.run(publish())


def _payments(api: Api, token: str) -> list:
    answer = api.get("/v1/payments", token)
    assert answer.status_code == 200, answer.text
    return answer.json().get("payments", [])


def test_paying_online_needs_paperless_consent_where_required(
    api: Api, customer: dict, suite: Suite
):
    token = customer["token"]
    ahead = datetime.now(UTC) + timedelta(hours=1)
    _publish_account(suite, customer, at=ahead, consent=False)
    # Nothing is due yet: the answer turns from NOTHING_TO_PAY (nothing created
    # either way) to the consent's once billing has the snapshot.
    wait_for(
        lambda: (
            error_reason(api.post("/v1/balance:pay", {}, token)) == "PAPERLESS_CONSENT_REQUIRED"
        ),
        what="billing holding the snapshot",
    )
    invoice = invoice_of(api, token, submitted_order(api, token, "TRANSFER")["id"])
    due = api.get("/v1/balance", token).json()["due"]
    for path in ("/v1/balance:pay", f"/v1/documents/{invoice['id']}:pay"):
        refused = api.post(path, {}, token, headers={"Idempotency-Key": f"k-{path}"})
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["status"] == "FAILED_PRECONDITION"
        assert error_reason(refused) == "PAPERLESS_CONSENT_REQUIRED"
        assert "account page" in error["message"] and "first log" in error["message"]
    assert _payments(api, token) == []
    assert api.get("/v1/balance", token).json()["due"] == due
    assert api.get(f"/v1/documents/{invoice['id']}", token).json()["paid"] is False

    # The consent given (a newer snapshot): paying online works.
    _publish_account(suite, customer, at=ahead + timedelta(minutes=1), consent=True)
    paid = wait_for(
        lambda: (
            (r := api.post(f"/v1/documents/{invoice['id']}:pay", {}, token)).status_code == 201
            and r.json()
        ),
        what="paying once the consent is given",
    )
    assert paid["redirectUrl"] and [p["id"] for p in _payments(api, token)] == [paid["id"]]


# ---- point 8: card usage next to the loads -------------------------------------------


def _import_usage(api: Api, data: bytes, entity_id: str, token: str = ""):
    return api.http.post(
        "/v1/admin/card-usage:import",
        params={"entityId": entity_id},
        content=data,
        headers={**bearer(token or api.operator), "Content-Type": "text/csv"},
    )


def _loaded_order(api: Api, token: str, suite: Suite, entity_id: str) -> dict:
    """A paid order of two lines (100.00 and 50.00), both loaded."""
    order = submitted_order(api, token, "TRANSFER", loads=(10_000, 5_000), new_cards=False)
    _pay(suite, entity_id, order)
    wait_for(
        lambda: api.get(f"/v1/orders/{order['id']}", token).json()["status"] == "ORDER_STATUS_PAID",
        what="the order paid",
    )
    op = api.operator
    assert api.post(f"/v1/admin/orders/{order['id']}:startProduction", {}, op).status_code == 200
    lines = api.get(f"/v1/orders/{order['id']}", token).json()["lines"]
    outcomes = [{"lineId": line["id"], "loaded": True} for line in lines]
    loaded = api.post(f"/v1/admin/orders/{order['id']}:recordLoads", {"outcomes": outcomes}, op)
    assert loaded.status_code == 200, loaded.text
    return api.get(f"/v1/orders/{order['id']}", token).json()


def test_card_usage_is_imported_by_operators_and_shown_next_to_the_loads(
    api: Api, customer: dict, suite: Suite
):
    token = customer["token"]
    order = _loaded_order(api, token, suite, customer["id"])
    first, second = (line["employeeNumber"] for line in order["lines"])
    now = datetime.now(UTC)
    this_month = now.strftime("%Y-%m")
    last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    french_month = f"{this_month[5:]}/{this_month[:4]}"

    # Every bad line named, nothing written.
    bad = _import_usage(
        api,
        (
            "Matricule;Mois;Montant dépensé\n"
            f"{first};{this_month};12,50\n"
            f"{second};2026-13;1\n"
            f"E-NOBODY;{this_month};1\n"
            f"{first};{this_month};-4\n"
        ).encode(),
        customer["id"],
    )
    assert bad.status_code == 400, bad.text
    assert error_reason(bad) == "CARD_USAGE_FILE_INVALID"
    assert set(field_violations(bad)) == {
        "line 3: month",
        "line 4: employeeNumber",
        "line 5: amountSpent",
    }
    stats = api.get("/v1/statistics/loads", token).json()
    assert all("spentCents" not in m for m in stats["months"])

    # A customer may not import; operators only.
    forbidden = _import_usage(api, b"Matricule;Mois;Montant\n", customer["id"], token)
    assert forbidden.status_code == 403

    # Last month and this month, as a multipart upload naming the account.
    usage = (
        "Employee number,Month,Amount spent\n"
        f"{first},{last_month},40.00\n"
        f"{first},{this_month},30.00\n"
        f"{second},{this_month},20.00\n"
    ).encode()
    good = api.http.post(
        "/v1/admin/card-usage:import",
        files={"file": ("usage.csv", usage, "text/csv")},
        data={"entityId": customer["id"]},
        headers=bearer(api.operator),
    )
    assert good.status_code == 200, good.text
    assert good.json()["lines"] == 3
    assert [(m["month"], m["spentCents"], m["replaced"]) for m in good.json()["months"]] == [
        (last_month, "4000", False),
        (this_month, "5000", False),
    ]
    # This month again, corrected: its figures are replaced, not added to.
    again = _import_usage(
        api, f"Matricule;Mois;Montant\n{first};{french_month};35\n".encode(), customer["id"]
    )
    assert again.status_code == 200, again.text
    assert [(m["month"], m["spentCents"], m["replaced"]) for m in again.json()["months"]] == [
        (this_month, "3500", True)
    ]

    stats = api.get("/v1/statistics/loads", token)
    assert stats.status_code == 200, stats.text
    months = {m["month"]: m for m in stats.json()["months"]}
    assert months[last_month] == {
        "month": last_month, "amountCents": "0", "loads": 0, "spentCents": "4000",
    }  # fmt: skip
    assert months[this_month] == {
        "month": this_month, "amountCents": "15000", "loads": 2, "spentCents": "3500",
    }  # fmt: skip
    people = {b["employeeNumber"]: b for b in stats.json()["beneficiaries"]}
    assert (people[first]["amountCents"], people[first]["spentCents"]) == ("10000", "7500")
    assert people[second]["amountCents"] == "5000" and "spentCents" not in people[second]
    # Within this month only: last month's spending is left out.
    only = api.get("/v1/statistics/loads", token, params={"from": f"{this_month}-01"}).json()
    assert [m["month"] for m in only["months"]] == [this_month]

    as_csv = api.http.get("/v1/statistics/loads", headers={**bearer(token), "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-2:] == ["Loads", "Spent (EUR)"]
    assert ["month", this_month, "", "", "150,00", "2", "35,00"] in rows
    assert ["month", last_month, "", "", "0,00", "0", "40,00"] in rows

    # Another account sees none of it.
    other = api.activate(api.new_account())["accessToken"]
    assert api.get("/v1/statistics/loads", other).json()["months"] == []
