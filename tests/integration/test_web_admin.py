"""The back office through the portal and the real API: an operator opens an
account from the form (a field error shown next to its field) and finds its
activation e-mail on the messages page; answers a claim and a change request;
moves a service request; records a transfer that pays an order, then moves the
order through production and delivery; customers get the forbidden page."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from tests.integration.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.support.api import Api, bearer, csv_file
from tests.support.orders import (
    delivery_point,
    invoice_of,
    order_lines,
    order_status,
    submitted_order,
    wait_for,
)
from tests.support.web import Portal

PASSWORD = "Correct-Horse-42!"
MODEL = "WEB-ADMIN-HDS"


def _text(page: httpx.Response) -> str:
    """The page as a reader sees it (entities decoded: `l'activation`)."""
    return html.unescape(page.text)


def _operator(portal: Portal, *, landing: str = "/admin/accounts") -> httpx.Response:
    portal.get("/login")
    page = portal.post(
        "/login", {"login": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "next": landing}
    )
    assert page.status_code == 200, page.text[:500]
    assert str(page.url).endswith(landing)
    return page


def _customer(api: Api) -> dict:
    account = api.new_account()
    return {**account, "token": api.activate(account, PASSWORD)["accessToken"]}


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


# ---- accounts and messages -----------------------------------------------------------


def test_an_operator_opens_an_account_and_finds_its_activation_email(
    api: Api, portal: Portal
) -> None:
    _operator(portal)
    form = portal.get("/admin/accounts/new")
    assert form.status_code == 200
    assert 'lang="fr"' in form.text and "Ouvrir un compte" in form.text
    suffix = uuid.uuid4().hex[:8]
    email = f"web-admin-{suffix}@example.com"
    data = {
        "name": f"Web Admin {suffix}",
        "clientNumber": f"W{suffix.upper()}",
        "contractNumber": f"CT-W-{suffix.upper()}",
        "contractLabel": "Titres-restaurant",
        "language": "fr",
        "managerEmail": "not an e-mail",
        "managerFirstName": "Grace",
        "managerLastName": "Hopper",
    }
    refused = portal.post("/admin/accounts", data)
    assert refused.status_code == 400
    # The API's `manager.email` problem is shown next to the e-mail field...
    assert 'id="f-managerEmail-error" role="alert"' in refused.text
    assert 'id="f-name-error"' not in refused.text
    # ...and what was typed is still there.
    assert f'value="{data["name"]}"' in refused.text
    assert 'value="not an e-mail"' in refused.text

    data["managerEmail"] = email
    opened = portal.post("/admin/accounts", data)
    assert opened.status_code == 200, opened.text[:500]
    account_id = str(opened.url).rsplit("/", 1)[1]
    assert str(opened.url).endswith(f"/admin/accounts/{account_id}")
    page = _text(opened)
    assert f"Compte {data['name']} ouvert (numéro client {data['clientNumber']})" in page
    assert data["contractNumber"] in page and "Renvoyer l'e-mail d'activation" in page

    # The same client number again: said next to its field.
    taken = portal.post("/admin/accounts", {**data, "managerEmail": f"other-{email}"})
    assert taken.status_code == 400
    assert 'id="f-clientNumber-error"' in taken.text
    assert "Un autre compte a déjà ce numéro client." in _text(taken)

    listed = portal.get(f"/admin/accounts?q={data['clientNumber']}")
    assert f'href="/admin/accounts/{account_id}"' in listed.text

    # The activation e-mail, with its link, on the messages page.
    def activation_listed() -> httpx.Response | None:
        messages = portal.get(f"/admin/messages?recipient={quote(email)}")
        return messages if "/activate?token=" in messages.text else None

    messages = wait_for(activation_listed, what="the activation e-mail on the messages page")
    assert messages.status_code == 200
    assert "account_opened" in messages.text and email in messages.text

    # Sent again from the account's page: a second activation e-mail.
    portal.get(f"/admin/accounts/{account_id}")
    again = portal.post(
        f"/admin/accounts/{account_id}/activation", {"contractNumber": data["contractNumber"]}
    )
    assert again.status_code == 200 and "E-mail d'activation demandé" in _text(again)
    wait_for(
        lambda: [m for m in api.messages(email) if m["template"] == "activation"],
        what="a second activation e-mail",
    )

    # The printed welcome letter for the manager who has no password yet.
    letter = portal.post(f"/admin/accounts/{account_id}/welcome-letter")
    assert letter.status_code == 200
    assert letter.headers["content-type"].startswith("application/pdf")
    assert letter.content.startswith(b"%PDF")
    assert "attachment" in letter.headers["content-disposition"]

    # An invitation: a field error next to its field, then the link e-mailed.
    bad_invite = portal.post(
        f"/admin/accounts/{account_id}/users", {"inviteEmail": "nope", "inviteLanguage": "en"}
    )
    assert bad_invite.status_code == 400 and 'id="f-inviteEmail-error"' in bad_invite.text
    invited = f"invited-{suffix}@example.com"
    invite = portal.post(
        f"/admin/accounts/{account_id}/users",
        {"inviteEmail": invited, "inviteFirstName": "Alan", "inviteLanguage": "en"},
    )
    assert invite.status_code == 200 and invited in _text(invite)
    wait_for(lambda: api.messages(invited), what="the invitation e-mail")

    # In English too.
    english = portal.post("/language", {"language": "en", "next": f"/admin/accounts/{account_id}"})
    assert 'lang="en"' in english.text
    assert "First access" in english.text and "Send the activation e-mail again" in english.text
    english_messages = portal.get(f"/admin/messages?recipient={quote(email)}")
    assert "newest first" in english_messages.text and "/activate?token=" in english_messages.text

    # An id that is no account's: the not-found page.
    missing = portal.get(f"/admin/accounts/{uuid.uuid4().hex}")
    assert missing.status_code == 404 and "This page does not exist" in missing.text


def test_the_messages_page_asks_for_a_recipient_and_says_when_none_was_written_to(
    portal: Portal,
) -> None:
    _operator(portal)
    page = portal.get("/admin/messages")
    assert page.status_code == 200 and "Messages envoyés" in _text(page)
    empty = portal.get("/admin/messages?recipient=nobody-ever%40example.com")
    assert empty.status_code == 200
    assert "Aucun message n'a été envoyé à cette adresse." in _text(empty)


# ---- who may open the back office ---------------------------------------------------------


def test_a_customer_gets_the_forbidden_page(api: Api, portal: Portal) -> None:
    account = api.new_account()
    api.activate(account, PASSWORD)
    portal.sign_in(account["managerEmail"], PASSWORD)
    for path in ("/admin/accounts", "/admin/accounts/new", "/admin/claims", "/admin/dead-letters"):
        page = portal.get(path)
        assert page.status_code == 403, path
        assert "Action non autorisée" in page.text, path
    # A form posted to the back office is refused the same way, never a server error.
    refused = portal.post("/admin/accounts", {"name": "Mine"})
    assert refused.status_code == 403
    # No back-office entry in their menu.
    assert 'href="/admin/' not in portal.get("/").text


def test_a_signed_out_visitor_is_sent_to_the_login_page(portal: Portal) -> None:
    page = portal.get("/admin/claims", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/admin/claims"


# ---- claims ------------------------------------------------------------------------------------


def test_an_operator_answers_a_claim(api: Api, portal: Portal) -> None:
    customer = _customer(api)
    token = customer["token"]
    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])
    created = api.post(
        f"/v1/documents/{invoice['id']}/claims",
        {"reason": "WRONG_AMOUNT", "message": "Les frais semblent faux"},
        token,
    )
    assert created.status_code == 201, created.text
    claim_id = created.json()["id"]

    _operator(portal)
    listed = portal.get("/admin/claims")
    assert listed.status_code == 200
    assert f'href="/admin/claims/{claim_id}"' in listed.text
    assert invoice["number"] in listed.text and customer["name"] in listed.text

    page = portal.get(f"/admin/claims/{claim_id}")
    assert page.status_code == 200
    assert "Les frais semblent faux" in page.text and "Montant erroné" in _text(page)

    empty = portal.post(
        f"/admin/claims/{claim_id}", {"answer": "  ", "status": "CLAIM_STATUS_REJECTED"}
    )
    assert empty.status_code == 400
    assert 'id="f-answer-error" role="alert"' in empty.text

    answered = portal.post(
        f"/admin/claims/{claim_id}",
        {"answer": "Vérifié : les frais sont justes.", "status": "CLAIM_STATUS_REJECTED"},
    )
    assert answered.status_code == 200
    assert str(answered.url).endswith(f"/admin/claims/{claim_id}")
    text = _text(answered)
    assert "Réclamation répondue (Rejetée)" in text
    assert "Vérifié : les frais sont justes." in text
    assert 'name="answer"' not in answered.text  # answered: no more form

    mine = api.get("/v1/claims", token).json()["claims"]
    assert [(c["id"], c["status"]) for c in mine] == [(claim_id, "CLAIM_STATUS_REJECTED")]

    # An answered claim takes no other answer: the API's reason at the top.
    again = portal.post(
        f"/admin/claims/{claim_id}",
        {"answer": "Finalement oui.", "status": "CLAIM_STATUS_ACCEPTED"},
    )
    assert again.status_code == 400 and 'class="flash error" role="alert"' in again.text
    assert "cannot become" in again.text
    assert portal.get(f"/admin/claims/{uuid.uuid4().hex}").status_code == 404


# ---- service requests ------------------------------------------------------------------------


def _machine(api: Api, customer: dict) -> str:
    model = api.http.put(
        f"/v1/admin/equipment-models/{quote(MODEL, safe='')}",
        json={"brand": "Kärcher", "name": "HDS web", "parts": []},
        headers=bearer(api.operator),
    )
    assert model.status_code == 200, model.text
    header = "Modèle;Référence;Nom;Site;Adresse;Code postal;Ville;Mise en service;Contrat;Statut"
    row = f"{MODEL};WEB-0001;Nettoyeur;Atelier;1 rue des Forges;69001;Lyon;2024-05-02;CT-1;"
    park = f"\ufeff{header}\r\n{row}\r\n".encode()
    imported = api.http.post(
        "/v1/admin/equipment:import",
        params={"entityId": customer["id"]},
        content=park,
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    return api.get("/v1/equipment", customer["token"]).json()["equipment"][0]["id"]


def test_an_operator_moves_a_service_request(api: Api, portal: Portal) -> None:
    customer = _customer(api)
    token = customer["token"]
    machine_id = _machine(api, customer)
    created = api.post(
        "/v1/service-requests",
        {
            "equipmentIds": [machine_id],
            "kind": "SERVICE_REQUEST_KIND_INTERVENTION",
            "interventionType": "INTERVENTION_TYPE_BREAKDOWN",
            "urgency": "URGENCY_HIGH",
            "message": "Fuite d'huile sous la pompe",
        },
        token,
    )
    assert created.status_code == 201, created.text
    request = created.json()

    _operator(portal)
    listed = portal.get(f"/admin/service-requests?entityId={customer['id']}")
    assert listed.status_code == 200
    assert f'href="/admin/service-requests/{request["id"]}"' in listed.text
    assert request["reference"] in listed.text and customer["name"] in listed.text

    page = portal.get(f"/admin/service-requests/{request['id']}")
    assert page.status_code == 200
    assert "Fuite d'huile sous la pompe" in _text(page) and "Panne" in page.text

    # Planned without its date: the API's problem next to the date field.
    undated = portal.post(
        f"/admin/service-requests/{request['id']}",
        {"status": "SERVICE_REQUEST_STATUS_PLANNED", "comment": "Technicien prévu"},
    )
    assert undated.status_code == 400
    assert 'id="f-plannedFor-error" role="alert"' in undated.text
    assert "Technicien prévu" in _text(undated)  # the comment typed is kept

    visit = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    planned = portal.post(
        f"/admin/service-requests/{request['id']}",
        {
            "status": "SERVICE_REQUEST_STATUS_PLANNED",
            "comment": "Technicien prévu",
            "plannedFor": visit,
        },
    )
    assert planned.status_code == 200
    assert f"Demande {request['reference']} désormais : Planifiée" in _text(planned)
    seen = api.get(f"/v1/service-requests/{request['id']}", token).json()
    assert seen["status"] == "SERVICE_REQUEST_STATUS_PLANNED"
    assert (seen["plannedFor"], seen["comment"]) == (visit, "Technicien prévu")

    # A move the workflow refuses: the API's reason at the top of the form.
    refused = portal.post(
        f"/admin/service-requests/{request['id']}", {"status": "SERVICE_REQUEST_STATUS_DONE"}
    )
    assert refused.status_code == 400 and "cannot go" in refused.text

    started = portal.post(
        f"/admin/service-requests/{request['id']}",
        {"status": "SERVICE_REQUEST_STATUS_IN_PROGRESS", "comment": "Sur place"},
    )
    assert started.status_code == 200
    seen = api.get(f"/v1/service-requests/{request['id']}", token).json()
    assert seen["status"] == "SERVICE_REQUEST_STATUS_IN_PROGRESS"

    missing = portal.get(f"/admin/service-requests/{uuid.uuid4().hex}")
    assert missing.status_code == 404


# ---- change requests ------------------------------------------------------------------------


def test_an_operator_answers_a_change_request(api: Api, portal: Portal) -> None:
    customer = _customer(api)
    created = api.post(
        "/v1/contact-requests",
        {"topic": "CONTACT_TOPIC_OTHER", "message": "Pouvez-vous me rappeler ?"},
        customer["token"],
    )
    assert created.status_code == 201, created.text
    request = created.json()

    _operator(portal)
    listed = portal.get(f"/admin/contact-requests?entityId={customer['id']}")
    assert f'href="/admin/contact-requests/{request["id"]}"' in listed.text
    page = portal.get(f"/admin/contact-requests/{request['id']}")
    assert page.status_code == 200 and "Pouvez-vous me rappeler ?" in page.text

    # A question asks for no change: accepting it is refused next to the choice.
    accepted = portal.post(
        f"/admin/contact-requests/{request['id']}",
        {"answer": "Fait.", "status": "CONTACT_REQUEST_STATUS_ACCEPTED"},
    )
    assert accepted.status_code == 400
    assert 'id="f-status-error" role="alert"' in accepted.text
    assert ">Fait.</textarea>" in accepted.text

    answered = portal.post(
        f"/admin/contact-requests/{request['id']}",
        {"answer": "Nous vous rappelons demain.", "status": "CONTACT_REQUEST_STATUS_ANSWERED"},
    )
    assert answered.status_code == 200
    assert f"Demande {request['reference']} : Répondue" in _text(answered)
    mine = api.get(f"/v1/contact-requests/{request['id']}", customer["token"]).json()
    assert mine["status"] == "CONTACT_REQUEST_STATUS_ANSWERED"
    assert mine["answer"] == "Nous vous rappelons demain."


# ---- transfers and the production desk ----------------------------------------------------------


def test_a_recorded_transfer_pays_an_order_then_moved_to_delivery(api: Api, portal: Portal) -> None:
    customer = _customer(api)
    token = customer["token"]
    order = submitted_order(api, token, "TRANSFER", loads=(10_000, 2_500))
    reference = order["transfer"]["reference"]
    cents = int(order["transfer"]["amount"]["amountCents"])

    _operator(portal)
    page = portal.get("/admin/transfers")
    assert page.status_code == 200 and "Virements bancaires" in page.text

    wrong = portal.post(
        "/admin/transfers",
        {"receivedOn": "2026-11-20", "amount": "douze", "reference": reference, "payer": "ACME"},
    )
    assert wrong.status_code == 400
    assert 'id="f-amount-error" role="alert"' in wrong.text
    assert f'value="{reference}"' in wrong.text

    recorded = portal.post(
        "/admin/transfers",
        {
            "receivedOn": "2026-11-20",
            "amount": _euros(cents),
            "reference": reference,
            "payer": customer["name"],
        },
    )
    assert recorded.status_code == 200
    assert f"Virement {reference} enregistré et rapproché." in _text(recorded)
    wait_for(
        lambda: order_status(api, token, order["id"]) == "ORDER_STATUS_PAID", what="order paid"
    )

    # The paid order is in the production queue (the list's first filter),
    # linked to its page, which shows its lines with their ids.
    queue = portal.get("/admin/orders", params={"entityId": customer["id"]})
    assert queue.status_code == 200
    assert f'<a href="/admin/orders/{order["id"]}">{order["number"]}</a>' in queue.text
    assert 'value="ORDER_STATUS_PAID" selected' in queue.text
    by_number = portal.get("/admin/orders", params={"status": "", "q": order["number"][-6:]})
    assert f"/admin/orders/{order['id']}" in by_number.text
    elsewhere = portal.get(
        "/admin/orders", params={"status": "ORDER_STATUS_DELIVERED", "entityId": customer["id"]}
    )
    assert f"/admin/orders/{order['id']}" not in elsewhere.text
    assert "Aucune commande ne correspond à ces filtres." in _text(elsewhere)
    opened = portal.get(f"/admin/orders/{order['id']}")
    assert opened.status_code == 200 and f"Commande {order['number']}" in _text(opened)
    for line in order["lines"]:
        assert f'<td class="code">{line["id"]}</td>' in opened.text
        assert f'name="load-{line["id"]}"' in opened.text

    # The order opened from its link, then moved step by step.
    desk = portal.get(f"/admin/orders?id=http://portal.example/orders/{order['id']}")
    assert desk.status_code == 200 and str(desk.url).endswith(f"/admin/orders/{order['id']}")
    started = portal.post(f"/admin/orders/{order['id']}/start-production")
    assert f"Commande {order['number']} : En production." in _text(started)

    bad_ship = portal.post(
        f"/admin/orders/{order['id']}/ship", {"carrier": "Colissimo", "trackingUrl": "colis 42"}
    )
    assert bad_ship.status_code == 400
    assert 'id="f-trackingUrl-error" role="alert"' in bad_ship.text
    assert 'value="Colissimo"' in bad_ship.text

    shipped = portal.post(
        f"/admin/orders/{order['id']}/ship",
        {"carrier": "Colissimo", "trackingUrl": "https://colis.example/42"},
    )
    assert "Expédiée" in _text(shipped)
    staged = portal.post(
        f"/admin/orders/{order['id']}/stage",
        {"stageLabel": "En transit", "stageLocation": "Lyon"},
    )
    assert staged.status_code == 200
    delivered = portal.post(f"/admin/orders/{order['id']}/deliver")
    assert f"Commande {order['number']} : Livrée." in _text(delivered)
    tracked = api.get(f"/v1/orders/{order['id']}", token).json()
    assert tracked["status"] == "ORDER_STATUS_DELIVERED"
    assert [s["label"] for s in tracked["deliveryStages"]][-1] == "En transit"

    # Card loads: a row that reads wrong, then a line the order does not have,
    # each said next to the field.
    garbled = portal.post(f"/admin/orders/{order['id']}/loads", {"outcomes": "abc;maybe"})
    assert garbled.status_code == 400
    assert 'id="f-outcomes-error" role="alert"' in garbled.text and "ligne 1" in garbled.text
    stranger = portal.post(f"/admin/orders/{order['id']}/loads", {"outcomes": uuid.uuid4().hex})
    assert stranger.status_code == 400
    assert 'id="f-outcomes-error" role="alert"' in stranger.text
    assert "is not a line of this order" in stranger.text

    # Loads recorded by choosing lines: one loaded, one failed with its reason.
    first_line, second_line = (line["id"] for line in order["lines"])
    chosen = portal.post(
        f"/admin/orders/{order['id']}/loads",
        {
            f"load-{first_line}": "loaded",
            f"load-{second_line}": "failed",
            f"reason-{second_line}": "Carte bloquée",
        },
    )
    assert chosen.status_code == 200 and "Commande" in _text(chosen)
    loads = {
        line["id"]: (line["loadStatus"], line.get("loadError", ""))
        for line in api.get(f"/v1/orders/{order['id']}", token).json()["lines"]
    }
    assert loads == {
        first_line: ("LOAD_STATUS_LOADED", ""),
        second_line: ("LOAD_STATUS_FAILED", "Carte bloquée"),
    }
    nothing = portal.post(f"/admin/orders/{order['id']}/loads", {f"load-{second_line}": ""})
    assert nothing.status_code == 400 and 'id="f-outcomes-error" role="alert"' in nothing.text

    # Delivered twice: the API's refusal at the top of the desk.
    twice = portal.post(f"/admin/orders/{order['id']}/deliver")
    assert twice.status_code == 400 and 'class="flash error" role="alert"' in twice.text
    unknown = portal.post(f"/admin/orders/{uuid.uuid4().hex}/start-production")
    assert unknown.status_code == 404
    assert "Aucune commande n'a cet identifiant." in _text(unknown)


def test_the_desk_of_a_large_order_pages_its_lines(api: Api, portal: Portal) -> None:
    customer = _customer(api)
    token = customer["token"]
    delivery_point(api, token, "HQ")
    count = 205  # more than the desk's page of 200 lines
    rows = [[f"D-{n:04d}", "Nom", "Prénom", "", "", "HQ", "non", "20"] for n in range(count)]
    headers = {**bearer(token), "Content-Type": "text/csv"}
    imported = api.http.post("/v1/orders:import", content=csv_file(rows), headers=headers)
    assert imported.status_code == 201, imported.text[:300]
    job_path = f"/v1/order-imports/{imported.json()['job']['id']}"

    def done() -> dict:
        job = api.get(job_path, token).json()
        return job if job["state"] == "ORDER_IMPORT_STATE_SUCCEEDED" else {}

    order_id = wait_for(done, timeout=60, what="the background import")["orderId"]
    ids = [line["id"] for line in order_lines(api, token, order_id)]
    _operator(portal)
    first = portal.get(f"/admin/orders/{order_id}")
    assert first.status_code == 200
    assert "0 chargée(s), 0 en échec, sur 205 ligne(s)" in _text(first)
    assert "Lignes 1 à 200 sur 205" in _text(first)
    assert first.text.count('name="load-') == 200
    assert all(f'name="load-{line_id}"' in first.text for line_id in ids[:200])
    following = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert following
    second = portal.get(html.unescape(following.group(1)))
    assert second.status_code == 200 and "Lignes 201 à 205 sur 205" in _text(second)
    shown = [f'name="load-{line_id}"' in second.text for line_id in ids]
    assert shown == [False] * 200 + [True] * 5
    assert 'rel="next"' not in second.text


def test_the_order_list_in_english_a_bad_search_and_an_unknown_order(
    api: Api, portal: Portal
) -> None:
    _operator(portal)
    portal.post("/language", {"language": "en", "next": "/admin/orders"})
    listed = portal.get("/admin/orders", params={"status": ""})
    assert listed.status_code == 200 and "Orders" in listed.text
    assert 'lang="en"' in listed.text
    too_long = portal.get("/admin/orders", params={"q": "X" * 40})
    assert too_long.status_code == 400 and 'id="f-q-error" role="alert"' in too_long.text
    assert 'value="' + "X" * 40 + '"' in too_long.text
    assert portal.get(f"/admin/orders/{uuid.uuid4().hex}").status_code == 404


def test_a_bank_statement_with_bad_lines_is_shown_line_by_line(portal: Portal) -> None:
    _operator(portal)
    portal.get("/admin/transfers")
    statement = b"date;amount;reference;payer\n2026-13-01;abc;;X\n"
    refused = portal.post(
        "/admin/transfers/import",
        files={"statement": ("releve.csv", statement, "text/csv")},
    )
    assert refused.status_code == 400
    assert "Problèmes trouvés dans le fichier" in _text(refused)
    assert "<td>2</td><td>date</td>" in refused.text
    assert "<td>2</td><td>amount</td>" in refused.text

    missing = portal.post(
        "/admin/transfers/import", files={"statement": ("vide.csv", b"", "text/csv")}
    )
    assert missing.status_code == 400 and 'id="f-statement-error"' in missing.text

    reference = f"RF99WEB{uuid.uuid4().hex[:6].upper()}"
    good = portal.post(
        "/admin/transfers/import",
        files={
            "statement": (
                "releve.csv",
                f"date;amount;reference;payer\n2026-11-02;12,50;{reference};ACME\n".encode(),
                "text/csv",
            )
        },
    )
    assert good.status_code == 200
    assert "Relevé importé : 0 virement(s) rapproché(s), 1 non rapproché(s)." in _text(good)
    assert reference in good.text  # listed among the unmatched
    rematched = portal.post("/admin/transfers/rematch")
    assert rematched.status_code == 200 and "ne correspondent encore à rien" in _text(rematched)


# ---- dead letters -------------------------------------------------------------------------------


def test_the_dead_letters_of_every_service_are_listed(portal: Portal) -> None:
    _operator(portal)
    page = portal.get("/admin/dead-letters")
    assert page.status_code == 200
    text = _text(page)
    for name in ("Identité et accès", "Commandes", "Facturation", "Équipements et parkings"):
        assert f"{name} <span" in text
    assert "Ce service n'a pas répondu" not in text
    retried = portal.post(f"/admin/dead-letters/billing/{uuid.uuid4().hex}/retry")
    assert retried.status_code == 200 and "La relance a échoué" in _text(retried)
    assert portal.post(f"/admin/dead-letters/nowhere/{uuid.uuid4().hex}/retry").status_code == 404


@pytest.mark.parametrize(
    "path", ["/admin/orders", "/admin/service-requests", "/admin/contact-requests"]
)
def test_the_back_office_lists_render(portal: Portal, path: str) -> None:
    _operator(portal)
    assert portal.get(path).status_code == 200
