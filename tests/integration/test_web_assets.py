"""The assets pages of the portal against the running suite, as the guides
tell them: a maintenance customer finds a machine by brand, exports the park,
adds a machine (a duplicate names the one in the park), asks for an
intervention with a photo and for parts, follows and cancels its requests,
validates a quote with its purchase-order reference ("valider ma commande");
a parking customer reads its contracts and statements, downloads a statement,
asks for a plate change from the contact form and reads the operator's answer.
Another account's machine, request, quote, contract or change request is the
not-found page. The operator prepares the data through the API."""

from __future__ import annotations

import base64
import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.api import Api, bearer
from tests.support.web import Portal

PASSWORD = "Correct-Horse-42!"
KARCHER = "WEB-KAR-HDS"
NILFISK = "WEB-NIL-SC"
MODELS = {
    KARCHER: {
        "brand": "Kärcher",
        "name": "HDS 8/18",
        "parts": [
            {"code": "6.414-770.0", "label": "Filtre à carburant"},
            {"code": "4.767-017.0", "label": "Buse haute pression"},
        ],
    },
    NILFISK: {
        "brand": "Nilfisk",
        "name": "SC450",
        "parts": [{"code": "9100002", "label": "Brosse"}],
    },
}
PARK = (
    "Model;Reference;Name;Site;Address;Postal code;City;Commissioned on;Contract;Status\r\n"
    f"{KARCHER};HDS-0001;Nettoyeur atelier;Atelier;1 rue des Forges;69001;Lyon;2024-05-02;"
    "CT-77;\r\n"
    f"{KARCHER};HDS-0002;Nettoyeur quai;Atelier;;;;;CT-77;\r\n"
    f"{NILFISK};SC-9001;Autolaveuse hall;Entrepôt;ZI Nord;69100;Villeurbanne;;;\r\n"
)
# A 1x1 PNG: the photo of the breakdown.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
NOT_FOUND = "Cette page n'existe pas"


def _customer(api: Api) -> dict[str, Any]:
    account = api.new_account()
    api.activate(account, PASSWORD)
    return account


def _signed_in(portal: Portal, account: dict[str, Any]) -> Portal:
    portal.sign_in(account["managerEmail"], PASSWORD)
    return portal


def _field_error(page_text: str, name: str) -> str:
    """The error announced next to the form's field `name` ('' when none)."""
    found = re.search(rf'id="f-{re.escape(name)}-error" role="alert">([^<]*)<', page_text)
    return found.group(1) if found else ""


@pytest.fixture()
def park(api: Api) -> dict[str, Any]:
    """A maintenance customer with three machines: reference -> machine id."""
    for code, body in MODELS.items():
        put = api.http.put(
            f"/v1/admin/equipment-models/{quote(code, safe='')}",
            json=body,
            headers=bearer(api.operator),
        )
        assert put.status_code == 200, put.text
    account = _customer(api)
    imported = api.http.post(
        "/v1/admin/equipment:import",
        params={"entityId": account["id"]},
        content=PARK.encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    token = api.login(account["managerEmail"], PASSWORD).json()["accessToken"]
    machines = api.get("/v1/equipment", token).json()["equipment"]
    return {
        "account": account,
        "token": token,
        "ids": {m["reference"]: m["id"] for m in machines},
    }


# ---- the park -----------------------------------------------------------------------------


def test_a_machine_is_found_by_brand_exported_and_another_added(
    api: Api, portal: Portal, park: dict[str, Any]
) -> None:
    _signed_in(portal, park["account"])
    page = portal.get("/equipment")
    assert page.status_code == 200, page.text
    assert "<h1>Mon parc</h1>" in page.text
    assert all(name in page.text for name in ("Nettoyeur atelier", "Autolaveuse hall"))

    by_brand = portal.get("/equipment", params={"brand": "Kärcher"})
    assert "HDS-0001" in by_brand.text and "HDS-0002" in by_brand.text
    assert "SC-9001" not in by_brand.text
    by_reference = portal.get("/equipment", params={"q": "sc-9001"})
    assert "Autolaveuse hall" in by_reference.text and "HDS-0001" not in by_reference.text

    export = portal.get("/equipment/export", params={"brand": "Kärcher"})
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith('attachment; filename="parc-')
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert sorted(row[1] for row in rows[1:]) == ["HDS-0001", "HDS-0002"]

    form = portal.get("/equipment/new")
    assert "Kärcher HDS 8/18" in form.text
    added = portal.post(
        "/equipment/new", {"model": NILFISK, "reference": "SC-9100", "idempotency_key": ""}
    )
    assert added.status_code == 200, added.text
    assert re.search(r"/equipment/[0-9a-f]{32}$", str(added.url))
    assert "SC-9100" in added.text and "a été ajouté à votre parc" in added.text

    # A reference already in the park: the API's message names the machine, linked.
    duplicate = portal.post("/equipment/new", {"model": NILFISK, "reference": "hds-0001"})
    assert duplicate.status_code == 400
    message = _field_error(duplicate.text, "reference")
    assert "Nettoyeur atelier" in message and park["ids"]["HDS-0001"] in message
    assert f'href="/equipment/{park["ids"]["HDS-0001"]}"' in duplicate.text
    assert 'value="hds-0001"' in duplicate.text  # what was typed is kept

    empty = portal.post("/equipment/new", {"model": NILFISK, "reference": " "})
    assert empty.status_code == 400
    assert _field_error(empty.text, "reference") == "est obligatoire"

    english = portal.post("/language", {"language": "en", "next": "/equipment"})
    assert "<h1>My equipment park</h1>" in english.text and 'lang="en"' in english.text
    assert "Export (CSV)" in english.text


def test_an_intervention_with_a_photo_is_sent_listed_and_cancelled(
    portal: Portal, park: dict[str, Any]
) -> None:
    machine_id = park["ids"]["HDS-0001"]
    _signed_in(portal, park["account"])
    machine = portal.get(f"/equipment/{machine_id}")
    assert machine.status_code == 200, machine.text
    assert "Demander une intervention" in machine.text and "CT-77" in machine.text

    form = portal.get(
        "/equipment/requests/new", params={"kind": "intervention", "equipment": machine_id}
    )
    assert form.status_code == 200, form.text
    fields = {
        "kind": "intervention",
        "equipment": machine_id,
        "intervention_type": "breakdown",
        "message": "Fuite d'huile sous la pompe",
    }
    # A breakdown needs its urgency: said next to the field, the message kept.
    no_urgency = portal.post("/equipment/requests/new", fields)
    assert no_urgency.status_code == 400
    assert "breakdown" in _field_error(no_urgency.text, "urgency")
    assert "Fuite d&#39;huile sous la pompe" in no_urgency.text

    sent = portal.post(
        "/equipment/requests/new",
        {**fields, "urgency": "URGENCY_HIGH"},
        files={"files": ("fuite pompe.png", PNG, "image/png")},
    )
    assert sent.status_code == 200, sent.text
    assert re.search(r"/equipment/requests/[0-9a-f]{32}$", str(sent.url))
    reference = re.search(r"SR-\d{4}-\d+", sent.text).group(0)
    assert "est envoyée au service concerné" in sent.text
    assert "Reçue" in sent.text and "Haute" in sent.text
    photo = re.search(r'href="(/equipment/requests/[0-9a-f]{32}/attachments/[0-9a-f]+)"', sent.text)
    assert photo and "fuite pompe.png" in sent.text

    download = portal.get(photo.group(1))
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")

    listed = portal.get("/equipment/requests")
    assert reference in listed.text and "Nettoyeur atelier (HDS-0001)" in listed.text
    done = portal.get("/equipment/requests", params={"status": "SERVICE_REQUEST_STATUS_DONE"})
    assert reference not in done.text

    request_path = urlpath(sent.url)
    cancelled = portal.post(f"{request_path}/cancel", {"reason": "Réparé par nos soins"})
    assert cancelled.status_code == 200, cancelled.text
    assert "Annulée" in cancelled.text and "Réparé par nos soins" in cancelled.text
    assert "Annuler la demande" not in cancelled.text  # no second cancellation offered
    stale = portal.post(f"{request_path}/cancel", {"reason": ""})  # from a stale tab
    assert stale.status_code == 400
    assert "Cette demande ne peut plus être annulée" in stale.text


def test_parts_are_asked_from_each_machines_parts_list(
    portal: Portal, park: dict[str, Any]
) -> None:
    karcher, nilfisk = park["ids"]["HDS-0002"], park["ids"]["SC-9001"]
    _signed_in(portal, park["account"])
    # Two machines ticked on the park's list: each one's parts, by model.
    form = portal.get(
        "/equipment/requests/new", params={"kind": "parts", "equipment": [karcher, nilfisk]}
    )
    assert form.status_code == 200, form.text
    assert "Filtre à carburant" in form.text and "Brosse" in form.text
    base = {"kind": "parts", "equipment": [karcher, nilfisk]}
    not_a_number = portal.post("/equipment/requests/new", {**base, "qty-0-0": "deux"})
    assert not_a_number.status_code == 400
    assert _field_error(not_a_number.text, "qty-0-0") == "Saisissez un nombre entier de pièces."
    # The API's problem with the second line sent lands on that line's field.
    too_many = portal.post("/equipment/requests/new", {**base, "qty-0-0": "1", "qty-1-0": "1000"})
    assert too_many.status_code == 400
    assert "999" in _field_error(too_many.text, "qty-1-0")
    assert not _field_error(too_many.text, "qty-0-0")
    assert 'value="1000"' in too_many.text
    nothing = portal.post("/equipment/requests/new", base)
    assert nothing.status_code == 400 and _field_error(nothing.text, "parts")
    sent = portal.post("/equipment/requests/new", {**base, "qty-0-0": "2", "qty-1-0": "1"})
    assert sent.status_code == 200, sent.text
    assert "Filtre à carburant" in sent.text and "6.414-770.0" in sent.text
    assert "Brosse" in sent.text and "Buse haute pression" not in sent.text


def test_a_preventive_visit_and_a_removal_place_the_apis_errors(
    portal: Portal, park: dict[str, Any]
) -> None:
    machine_id = park["ids"]["SC-9001"]
    _signed_in(portal, park["account"])
    base = {"kind": "intervention", "equipment": machine_id, "intervention_type": "preventive"}
    today = datetime.now(UTC).date()
    past = portal.post("/equipment/requests/new", {**base, "wished_date_2": "2020-01-01"})
    assert past.status_code == 400
    assert _field_error(past.text, "wished_date_2") == "must be in the future"
    visit = (today + timedelta(days=10)).isoformat()
    planned = portal.post("/equipment/requests/new", {**base, "wished_date_0": visit})
    assert planned.status_code == 200, planned.text
    assert "Visite préventive" in planned.text

    removal = {"kind": "removal", "equipment": machine_id, "message": "Vendue"}
    asked = portal.post("/equipment/requests/new", removal)
    assert asked.status_code == 200, asked.text
    assert "Suppression du parc" in asked.text and "Vendue" in asked.text
    again = portal.post("/equipment/requests/new", removal)
    assert again.status_code == 400
    assert "already has removal request" in _field_error(again.text, "machines")


def test_the_park_is_paged_with_its_filters_kept(api: Api, portal: Portal, park: dict) -> None:
    rows = "".join(f"{NILFISK};PG-{n:03d};;Entrepôt;;;;;;\r\n" for n in range(30))
    imported = api.http.post(
        "/v1/admin/equipment:import",
        params={"entityId": park["account"]["id"]},
        content=(PARK.splitlines(keepends=True)[0] + rows).encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    _signed_in(portal, park["account"])
    first = portal.get("/equipment", params={"brand": "Nilfisk"})
    shown = set(re.findall(r"PG-\d{3}", first.text))
    assert len(shown) == 24  # 25 a page, SC-9001 among them
    following = re.search(r'href="(/equipment\?[^"]*page=[^"]+)" rel="next"', first.text)
    assert following and "brand=Nilfisk" in following.group(1)
    second = portal.get(following.group(1).replace("&amp;", "&"))
    rest = set(re.findall(r"PG-\d{3}", second.text))
    assert len(rest) == 6 and not rest & shown
    assert 'rel="next"' not in second.text and "Première page" in second.text


# ---- quotes -----------------------------------------------------------------------------------


def _issue(api: Api, entity_id: str, cents: int, *, days: int = 30, **extra: str) -> dict:
    body = {
        "entityId": entity_id,
        "title": "Révision annuelle du compresseur",
        "lines": [
            {
                "label": "Kit de révision",
                "quantity": 2,
                "unitPriceExclTax": {"amountCents": cents, "currency": "EUR"},
                "vatRateBp": 2000,
            }
        ],
        "validUntil": (datetime.now(UTC).date() + timedelta(days=days)).isoformat(),
        **extra,
    }
    answer = api.post("/v1/admin/quotes", body, api.operator)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_quote_is_validated_with_a_purchase_order_reference(
    api: Api, portal: Portal, park: dict[str, Any]
) -> None:
    entity = park["account"]["id"]
    machine_id = park["ids"]["HDS-0001"]
    small = _issue(api, entity, 10_000, equipmentId=machine_id)  # 2 x 100.00 + 20 %: 240.00
    large = _issue(api, entity, 100_000)
    _signed_in(portal, park["account"])

    listed = portal.get("/quotes")
    assert small["number"] in listed.text and large["number"] in listed.text
    assert "240,00\xa0€" in listed.text
    by_amount = portal.get("/quotes", params={"min": "1 000", "sort": "-amount"})
    assert large["number"] in by_amount.text and small["number"] not in by_amount.text
    by_machine = portal.get("/quotes", params={"equipment": machine_id})
    assert small["number"] in by_machine.text and large["number"] not in by_machine.text
    bad_amount = portal.get("/quotes", params={"min": "mille"})
    assert bad_amount.status_code == 400
    assert _field_error(bad_amount.text, "min").startswith("Saisissez un montant")
    bad_date = portal.get("/quotes", params={"from": "2026-02-30"})
    assert bad_date.status_code == 400 and _field_error(bad_date.text, "from")

    page = portal.get(f"/quotes/{small['id']}")
    assert page.status_code == 200, page.text
    assert "Valider ma commande" in page.text and "Kit de révision" in page.text
    assert "Nettoyeur atelier" in page.text  # the machine it is for
    # Without a reference: the error next to the field, nothing accepted.
    no_reference = portal.post(f"/quotes/{small['id']}/accept", {"purchase_order_reference": ""})
    assert no_reference.status_code == 400
    assert _field_error(no_reference.text, "purchase_order_reference") == "est obligatoire"
    assert api.get(f"/v1/quotes/{small['id']}", park["token"]).json()["status"] == (
        "QUOTE_STATUS_PENDING"
    )
    accepted = portal.post(
        f"/quotes/{small['id']}/accept", {"purchase_order_reference": "BC-2026-0042"}
    )
    assert accepted.status_code == 200, accepted.text
    order = api.get(f"/v1/quotes/{small['id']}", park["token"]).json()["orderNumber"]
    assert order and order in accepted.text and "BC-2026-0042" in accepted.text
    assert "Valider ma commande" not in accepted.text

    # The same form posted again (a second tab): the refusal is said.
    again = portal.post(f"/quotes/{small['id']}/accept", {"purchase_order_reference": "BC-2"})
    assert again.status_code == 400
    assert f"Ce devis a déjà été accepté (commande {order})." in again.text

    pdf = portal.get(f"/quotes/{small['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert f'filename="{small["number"]}.pdf"' in pdf.headers["content-disposition"]

    no_reason = portal.post(f"/quotes/{large['id']}/decline", {"reason": ""})
    assert no_reason.status_code == 400 and _field_error(no_reason.text, "reason")
    declined = portal.post(f"/quotes/{large['id']}/decline", {"reason": "Budget reporté"})
    assert declined.status_code == 200, declined.text
    assert "Refusé par vous" in declined.text and "Budget reporté" in declined.text

    english = portal.post("/language", {"language": "en", "next": f"/quotes/{small['id']}"})
    assert f"Quote {small['number']}" in english.text and "Your purchase order" in english.text


# ---- parking and the contact form -----------------------------------------------------------


def _unused_month() -> str:
    """A past month no other test closed (a month closes once for everyone)."""
    seed = uuid.uuid4().int
    return f"{2000 + seed % 20}-{(seed // 20) % 12 + 1:02d}"


@pytest.fixture()
def parking(api: Api) -> dict[str, Any]:
    """A parking customer with a low-usage contract and a statement of `month`."""
    account = _customer(api)
    tag = uuid.uuid4().hex[:8].upper()
    number = f"WEB-{tag}"
    put = api.http.put(
        f"/v1/admin/parking/contracts/{number}",
        json={
            "entityId": account["id"],
            "carPark": "Cardinet",
            "type": "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT",
            "startDate": "1999-01-01",
            "plates": ["AA-111-AA"],
            "badges": [f"B{tag}"],
            "monthlyPrice": {"amountCents": "6000", "currency": "EUR"},
            "includedExits": 1,
            "extraExitPrice": {"amountCents": "250", "currency": "EUR"},
            "vatRateBp": 2000,
        },
        headers=bearer(api.operator),
    )
    assert put.status_code == 200, put.text
    month = _unused_month()
    exits = "".join(f"B{tag};{month}-0{day} 08:00;Cardinet\r\n" for day in (2, 3, 4))
    imported = api.http.post(
        "/v1/admin/parking/exits:import",
        params={"month": month},
        content=("Badge;Exit;Car park\r\n" + exits).encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    return {"account": account, "contract": put.json(), "month": month}


def test_contracts_and_a_statement_pdf(portal: Portal, parking: dict[str, Any]) -> None:
    contract, month = parking["contract"], parking["month"]
    _signed_in(portal, parking["account"])
    contracts = portal.get("/parking")
    assert contracts.status_code == 200, contracts.text
    assert contract["number"] in contracts.text and "Résident petit rouleur" in contracts.text
    detail = portal.get(f"/parking/contracts/{contract['id']}")
    assert "AA111AA" in detail.text and contract["badges"][0] in detail.text

    statements = portal.get("/parking/statements", params={"month": month})
    assert statements.status_code == 200, statements.text
    assert contract["number"] in statements.text
    assert "5,00\xa0€" in statements.text  # 2 extra exits x 2.50
    pdf_link = re.search(r'href="(/parking/statements/[0-9a-f]{32}/pdf)"', statements.text)
    assert pdf_link
    pdf = portal.get(pdf_link.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"].startswith("application/pdf")
    expected = f'attachment; filename="{contract["number"]}-{month}.pdf"'
    assert pdf.headers["content-disposition"].startswith(expected)

    bad_month = portal.get("/parking/statements", params={"month": "2026-13"})
    assert bad_month.status_code == 400 and _field_error(bad_month.text, "month")
    assert 'value="2026-13"' in bad_month.text


def test_a_plate_change_is_sent_from_the_contact_form_and_answered(
    api: Api, portal: Portal, parking: dict[str, Any]
) -> None:
    contract = parking["contract"]
    _signed_in(portal, parking["account"])
    topics = portal.get("/contact")
    assert "Plaque d&#39;immatriculation" in topics.text
    form = portal.get("/contact", params={"topic": "plate", "contract": contract["id"]})
    choice = f"{contract['id']}|AA111AA"
    assert f'value="{choice}" selected' in form.text

    bad = portal.post("/contact", {"topic": "plate", "plate": choice, "new_plate": "??"})
    assert bad.status_code == 400
    assert _field_error(bad.text, "new_plate") and not _field_error(bad.text, "plate")
    sent = portal.post(
        "/contact",
        {"topic": "plate", "plate": choice, "new_plate": "dd-444-dd", "message": "New car"},
        files={"files": ("carte grise.png", PNG, "image/png")},
    )
    assert sent.status_code == 200, sent.text
    assert re.search(r"/contact/requests/[0-9a-f]{32}$", str(sent.url))
    assert "AA111AA → DD444DD" in sent.text and "carte grise.png" in sent.text
    reference = re.search(r"CR-[\w-]+", sent.text).group(0)

    listed = portal.get("/contact/requests")
    assert reference in listed.text and "En cours de traitement" in listed.text
    request_id = urlpath(sent.url).rsplit("/", 1)[1]
    answered = api.post(
        f"/v1/admin/contact-requests/{request_id}:answer",
        {"status": "CONTACT_REQUEST_STATUS_ACCEPTED", "answer": "Plaque mise à jour."},
        api.operator,
    )
    assert answered.status_code == 200, answered.text
    listed = portal.get("/contact/requests")
    assert "Modification effectuée" in listed.text and "Plaque mise à jour." in listed.text
    assert "DD444DD" in portal.get(f"/parking/contracts/{contract['id']}").text


def test_other_topics_of_the_contact_form_place_their_errors(
    portal: Portal, parking: dict[str, Any]
) -> None:
    _signed_in(portal, parking["account"])
    address = portal.post(
        "/contact", {"topic": "address", "line1": "1 rue de la Paix", "country": "France"}
    )
    assert address.status_code == 400
    assert _field_error(address.text, "postal_code") == "est obligatoire"
    assert _field_error(address.text, "country")
    assert 'value="1 rue de la Paix"' in address.text
    bank = portal.post("/contact", {"topic": "bank", "iban": "FR76 3000 6000 0112 3456 7890 189"})
    assert bank.status_code == 200, bank.text
    assert "FR76 **** **** 0189" in bank.text and "3000 6000" not in bank.text
    other = portal.post("/contact", {"topic": "other", "message": ""})
    assert other.status_code == 400 and _field_error(other.text, "message")


# ---- nobody else's --------------------------------------------------------------------------


def test_another_accounts_pages_are_not_found(
    api: Api, portal: Portal, park: dict[str, Any], parking: dict[str, Any]
) -> None:
    machine_id = park["ids"]["HDS-0001"]
    request = api.post(
        "/v1/service-requests",
        {"equipmentIds": [machine_id], "kind": "SERVICE_REQUEST_KIND_EXPERTISE"},
        park["token"],
    )
    assert request.status_code == 201, request.text
    quote_ = _issue(api, park["account"]["id"], 10_000)
    contract = parking["contract"]
    parking_token = api.login(parking["account"]["managerEmail"], PASSWORD).json()["accessToken"]
    contact = api.post(
        "/v1/contact-requests",
        {"topic": "CONTACT_TOPIC_OTHER", "message": "Bonjour"},
        parking_token,
    )
    assert contact.status_code == 201, contact.text

    _signed_in(portal, _customer(api))
    for path in (
        f"/equipment/{machine_id}",
        f"/equipment/requests/{request.json()['id']}",
        f"/equipment/requests/new?kind=intervention&equipment={machine_id}",
        f"/quotes/{quote_['id']}",
        f"/quotes/{quote_['id']}/pdf",
        f"/parking/contracts/{contract['id']}",
        f"/contact/requests/{contact.json()['id']}",
    ):
        page = portal.get(path)
        assert page.status_code == 404, path
        assert NOT_FOUND in page.text, path
    refused = portal.post(f"/quotes/{quote_['id']}/accept", {"purchase_order_reference": "BC-1"})
    assert refused.status_code == 404
    assert api.get(f"/v1/quotes/{quote_['id']}", park["token"]).json()["status"] == (
        "QUOTE_STATUS_PENDING"
    )


def urlpath(url: Any) -> str:
    return str(url.path) if hasattr(url, "path") else str(url)
