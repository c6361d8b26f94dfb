"""The cards pages of the portal through the real API: beneficiaries and
delivery points, an order by file (every bad line listed, nothing created; a
large file imported in the background), line by line and by duplication, the
order page (submit by transfer with its reference, by card to the provider's
page, cancel, tracking and loads), the statistics chart and its CSV, the
dashboard's "what needs attention", in French and English; another account's
data is the not-found page."""

from __future__ import annotations

import csv
import io
import re
import uuid
from html import unescape

import pytest
from starlette.routing import Route

from deploy.local.suite import Suite
from tests.integration.conftest import TEST_SYNC_IMPORT_MAX_LINES
from tests.support.api import Api, csv_file
from tests.support.orders import (
    delivery_point,
    invoice_of,
    order_status,
    pay_on_provider_page,
    submitted_order,
    wait_for,
)
from tests.support.web import Portal

PASSWORD = "Correct-Horse-42!"
NOT_FOUND = "Cette page n'existe pas"
_ROW = re.compile(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>")


@pytest.fixture()
def customer(api: Api, portal: Portal) -> dict:
    """A customer account signed in to the portal (French), with its API token."""
    account = api.new_account()
    session = api.activate(account, PASSWORD)
    portal.sign_in(account["managerEmail"], PASSWORD)
    return {**account, "token": session["accessToken"]}


def _problems(html: str) -> list[tuple[str, str, str]]:
    """The (line, column, problem) rows of a page's problems table."""
    table = html.split('<table class="problems">', 1)[1].split("</table>", 1)[0]
    return [tuple(unescape(cell) for cell in row) for row in _ROW.findall(table)]


def _field_error(html: str, field_id: str) -> str:
    found = re.search(rf'id="{re.escape(field_id)}-error" role="alert">([^<]*)<', html)
    assert found, f"no error next to {field_id}"
    return unescape(found.group(1))


def _beneficiary(api: Api, token: str, last_name: str, **extra: str) -> dict:
    answer = api.post(
        "/v1/beneficiaries",
        {
            "employeeNumber": f"E-{uuid.uuid4().hex[:8]}",
            "firstName": "Ana",
            "lastName": last_name,
            **extra,
        },
        token,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _draft(api: Api, token: str) -> dict:
    point = delivery_point(api, token, f"P{uuid.uuid4().hex[:6]}")
    person = _beneficiary(api, token, "Diaz")
    answer = api.post(
        "/v1/orders",
        {
            "deliveryPointId": point["id"],
            "lines": [{"beneficiaryId": person["id"], "newCard": True, "loadAmountCents": 5000}],
        },
        token,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _orders(api: Api, token: str) -> list[dict]:
    return api.get("/v1/orders", token).json()["orders"]


# ---- beneficiaries and delivery points ------------------------------------------------


def test_delivery_points_added_refused_edited_and_deleted(
    api: Api, portal: Portal, customer: dict
) -> None:
    page = portal.get("/delivery-points")
    assert page.status_code == 200 and "<h1>Points de livraison</h1>" in page.text

    portal.get("/delivery-points/new")
    bad = portal.post(
        "/delivery-points/new",
        {"name": "Siège", "code": "HQ", "line1": "1 rue A", "postalCode": "75001", "country": "F"},
    )
    assert bad.status_code == 400
    # The API's violations, next to their fields; what was typed is kept.
    assert _field_error(bad.text, "f-city") == "is required"
    assert "ISO 3166-1" in _field_error(bad.text, "f-country")
    assert 'value="Siège"' in bad.text and 'value="1 rue A"' in bad.text

    good = portal.post(
        "/delivery-points/new",
        {
            "name": "Siège",
            "code": "HQ",
            "line1": "1 rue A",
            "postalCode": "75001",
            "city": "Paris",
            "country": "FR",
        },
    )
    assert str(good.url).endswith("/delivery-points") and "Siège" in good.text
    (point,) = api.get("/v1/delivery-points", customer["token"]).json()["deliveryPoints"]
    assert point["address"]["city"] == "Paris"

    portal.get("/delivery-points/new")
    taken = portal.post(
        "/delivery-points/new",
        {
            "name": "Other",
            "code": "HQ",
            "line1": "2 rue B",
            "postalCode": "69001",
            "city": "Lyon",
            "country": "FR",
        },
    )
    assert taken.status_code == 400
    assert _field_error(taken.text, "f-code") == "Un autre point de livraison utilise déjà ce code."

    edit = portal.get(f"/delivery-points/{point['id']}")
    assert 'value="Paris"' in edit.text
    portal.post(f"/delivery-points/{point['id']}", {**_point_form(point), "name": "Siège social"})
    (saved,) = api.get("/v1/delivery-points", customer["token"]).json()["deliveryPoints"]
    assert saved["name"] == "Siège social"

    confirm = portal.get(f"/delivery-points/{point['id']}/delete")
    assert "Siège social" in confirm.text and 'action="/delivery-points/' in confirm.text
    done = portal.post(f"/delivery-points/{point['id']}/delete")
    assert "Le point de livraison a été supprimé." in done.text
    assert api.get("/v1/delivery-points", customer["token"]).json()["deliveryPoints"] == []


def _point_form(point: dict) -> dict:
    return {
        "name": point["name"],
        "code": point["code"],
        **{k: point["address"].get(k, "") for k in ("line1", "line2", "postalCode", "city")},
        "country": point["address"]["country"],
    }


def test_beneficiaries_searched_added_edited_and_deleted(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    empty = portal.get("/beneficiaries")
    assert "Aucun bénéficiaire pour l'instant" in unescape(empty.text)

    portal.get("/beneficiaries/new")
    bad = portal.post(
        "/beneficiaries/new",
        {"employeeNumber": "M-1", "firstName": "Zoé", "email": "zoe@", "birthDate": "2090-01-01"},
    )
    assert bad.status_code == 400
    assert _field_error(bad.text, "f-lastName")
    assert _field_error(bad.text, "f-email")
    assert _field_error(bad.text, "f-birthDate") == "must be in the past"
    assert 'value="Zoé"' in bad.text and 'value="M-1"' in bad.text
    assert api.get("/v1/beneficiaries", token).json()["beneficiaries"] == []

    added = portal.post(
        "/beneficiaries/new",
        {"employeeNumber": "M-1", "firstName": "Zoé", "lastName": "Martin", "email": "z@ex.com"},
    )
    assert str(added.url).endswith("/beneficiaries")
    assert "Le bénéficiaire a été ajouté." in added.text and "Martin" in added.text
    _beneficiary(api, token, "Bernard")

    portal.get("/beneficiaries/new")
    twice = portal.post(
        "/beneficiaries/new", {"employeeNumber": "M-1", "firstName": "Léa", "lastName": "Roux"}
    )
    assert twice.status_code == 400
    assert "matricule" in _field_error(twice.text, "f-employeeNumber")

    found = portal.get("/beneficiaries?q=martin")
    assert "Martin" in found.text and "Bernard" not in found.text
    assert "Aucun bénéficiaire ne correspond" in portal.get("/beneficiaries?q=nobody").text

    (zoe,) = api.get("/v1/beneficiaries", token, params={"q": "martin"}).json()["beneficiaries"]
    form = portal.get(f"/beneficiaries/{zoe['id']}")
    assert 'value="z@ex.com"' in form.text
    portal.post(
        f"/beneficiaries/{zoe['id']}",
        {"employeeNumber": "M-1", "firstName": "Zoé", "lastName": "Martin-Durand"},
    )
    assert api.get(f"/v1/beneficiaries/{zoe['id']}", token).json()["lastName"] == "Martin-Durand"

    confirm = portal.get(f"/beneficiaries/{zoe['id']}/delete")
    assert "Supprimer Zoé Martin-Durand (matricule M-1) ?" in unescape(confirm.text)
    portal.post(f"/beneficiaries/{zoe['id']}/delete")
    assert portal.get(f"/beneficiaries/{zoe['id']}").status_code == 404


# ---- a new order by file ----------------------------------------------------------------


def test_a_file_with_two_bad_lines_shows_both_and_creates_nothing(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    delivery_point(api, token, "HQ")
    form = portal.get("/orders/new/file")
    assert form.status_code == 200 and "<code>HQ</code>" in form.text
    data = csv_file(
        [
            ["E-1", "Dupont", "Élodie", "elodie@example.com", "17/05/1990", "HQ", "oui", "50,00"],
            ["E-2", "Martin", "Paul", "paul@", "", "HQ", "non", "30"],
            ["E-3", "Durand", "Léa", "", "", "HQ", "oui", "douze"],
        ]
    )
    answer = portal.post("/orders/new/file", files={"file": ("commande.csv", data, "text/csv")})
    assert answer.status_code == 400
    assert "Problèmes trouvés : 2." in answer.text
    rows = _problems(answer.text)
    assert [(line, column) for line, column, _ in rows] == [("3", "E-mail"), ("4", "Montant")]
    assert all(problem for _, _, problem in rows)
    # Nothing created: no order, no beneficiary.
    assert _orders(api, token) == []
    assert api.get("/v1/beneficiaries", token).json()["beneficiaries"] == []

    empty = portal.post("/orders/new/file", files={"file": ("vide.csv", b"", "text/csv")})
    assert empty.status_code == 400
    assert (
        _field_error(empty.text, "f-file") == "Choisissez le fichier de commande rempli à déposer."
    )


def test_a_good_file_makes_a_draft_and_the_template_downloads(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    delivery_point(api, token, "HQ")
    template = portal.get("/orders/template.csv")
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig")), delimiter=";"))
    assert header[0] == "Matricule"

    portal.get("/orders/new/file")
    data = csv_file(
        [
            ["E-1", "Dupont", "Élodie", "elodie@example.com", "17/05/1990", "HQ", "oui", "50,00"],
            ["E-2", "Martin", "Paul", "", "", "HQ", "non", "30"],
        ]
    )
    page = portal.post("/orders/new/file", files={"file": ("commande.csv", data, "text/csv")})
    assert page.status_code == 200
    (order,) = _orders(api, token)
    assert str(page.url).endswith(f"/orders/{order['id']}")
    assert order["status"] == "ORDER_STATUS_DRAFT" and order["source"] == "FILE"
    assert "Brouillon" in page.text and "Élodie Dupont" in page.text
    assert "80,00\u00a0€" in page.text  # the loads, as French writes amounts
    assert 'name="paymentMethod" value="TRANSFER"' in page.text


def _big_file(bad_line: int | None = None) -> bytes:
    rows = []
    for n in range(TEST_SYNC_IMPORT_MAX_LINES + 5):
        amount = "douze" if bad_line is not None and n + 2 == bad_line else "20"
        rows.append([f"B-{n:05d}", "Nom", "Prénom", "", "", "HQ", "oui", amount])
    return csv_file(rows)


def test_a_large_file_imports_in_the_background_with_its_progress_page(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    delivery_point(api, token, "HQ")
    portal.get("/orders/new/file")
    started = portal.post(
        "/orders/new/file",
        files={"file": ("gros.csv", _big_file(), "text/csv")},
        follow_redirects=False,
    )
    assert started.status_code == 303
    progress_url = started.headers["location"]
    assert progress_url.startswith("/orders/imports/")

    def finished() -> str:
        page = portal.get(progress_url)
        assert page.status_code == 200
        if "Review the draft order" in page.text or "Vérifier la commande brouillon" in page.text:
            return page.text
        # Still running: the page refreshes itself.
        assert page.headers.get("refresh") == "2" and 'http-equiv="refresh"' in page.text
        return ""

    done = wait_for(finished, timeout=60, what="the background import")
    (order,) = _orders(api, token)
    assert f'href="/orders/{order["id"]}"' in done
    assert order["lineCount"] == TEST_SYNC_IMPORT_MAX_LINES + 5


def _line_rows(html: str) -> list[tuple[str, str]]:
    """(number, employee number) of each row of an order page's lines table."""
    table = html.split('aria-labelledby="lines-title"', 1)[1].split("</table>", 1)[0]
    return re.findall(
        r'<td class="num">(\d+)</td>\s*<th scope="row">[^<]*</th>\s*<td>([^<]*)</td>', table
    )


def _fact(html: str, term: str) -> str:
    found = re.search(rf"<dt>{re.escape(term)}</dt><dd>([^<]*)</dd>", html)
    assert found, f"no {term!r}"
    return unescape(found.group(1)).replace("\u202f", " ").replace("\xa0", " ")


def test_a_large_orders_page_counts_every_line_and_pages_them(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    delivery_point(api, token, "HQ")
    count = TEST_SYNC_IMPORT_MAX_LINES + 5  # more than a page of 200 lines
    imported = api.http.post(
        "/v1/orders:import",
        content=_big_file(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    job_path = f"/v1/order-imports/{imported.json()['job']['id']}"

    def done() -> dict:
        job = api.get(job_path, token).json()
        return job if job["state"] == "ORDER_IMPORT_STATE_SUCCEEDED" else {}

    job = wait_for(done, timeout=60, what="the background import")
    first = portal.get(f"/orders/{job['orderId']}")
    assert first.status_code == 200
    # The figures are over every line (20,00 EUR and a new card each).
    assert _fact(first.text, "Lignes") == f"{count}"
    assert _fact(first.text, "Montants à charger") == "4 100,00 €"
    assert _fact(first.text, "Nouvelles cartes") == f"{count}"
    assert "Lignes 1 à 200 sur 205" in first.text
    numbers = [f"B-{n:05d}" for n in range(count)]
    assert _line_rows(first.text) == [(str(n + 1), numbers[n]) for n in range(200)]
    following = re.search(r'<a href="([^"]+)" rel="next">Lignes suivantes</a>', first.text)
    assert following and 'rel="first"' not in first.text
    second = portal.get(unescape(following.group(1)))
    assert second.status_code == 200
    assert "Lignes 201 à 205 sur 205" in second.text
    assert _line_rows(second.text) == [(str(n + 1), numbers[n]) for n in range(200, count)]
    assert 'rel="next"' not in second.text
    assert (
        f'href="/orders/{job["orderId"]}#lines-title" rel="first">Premières lignes' in second.text
    )
    # A link edited by hand shows the first lines.
    edited = portal.get(f"/orders/{job['orderId']}?lines=garbage&from=7")
    assert edited.status_code == 200
    assert _line_rows(edited.text)[0] == ("1", numbers[0])


def test_a_large_bad_file_lists_its_problems_and_their_csv(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    delivery_point(api, token, "HQ")
    portal.get("/orders/new/file")
    started = portal.post(
        "/orders/new/file",
        files={"file": ("gros.csv", _big_file(bad_line=150), "text/csv")},
        follow_redirects=False,
    )
    progress_url = started.headers["location"]

    def failed() -> str:
        page = portal.get(progress_url)
        return page.text if '<table class="problems">' in page.text else ""

    page = wait_for(failed, timeout=60, what="the failed import")
    assert [(line, column) for line, column, _ in _problems(page)] == [("150", "Montant")]
    assert "Problèmes trouvés : 1." in page
    errors = portal.get(f"{progress_url}/errors.csv")
    assert errors.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:2] == ["150", "loadAmount"]
    assert _orders(api, token) == []


# ---- line by line, the order page, paying ---------------------------------------------


def test_a_unit_order_then_submitted_by_transfer_shows_the_reference(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    point = delivery_point(api, token, "HQ")
    ana = _beneficiary(api, token, "Diaz")
    bob = _beneficiary(api, token, "Petit")
    form = portal.get("/orders/new")
    assert "Diaz Ana" in form.text and "Petit Ana" in form.text
    # The only delivery point is chosen already.
    assert f'<option value="{point["id"]}" selected>' in form.text

    typo = portal.post(
        "/orders/new",
        {
            "deliveryPointId": point["id"],
            "id": [ana["id"], bob["id"]],
            "line": [ana["id"]],
            f"amount-{ana['id']}": "cinquante",
            f"new_card-{ana['id']}": "1",
        },
    )
    assert typo.status_code == 400
    assert _field_error(typo.text, f"amount-{ana['id']}").startswith("Saisissez un montant")
    assert 'value="cinquante"' in typo.text

    # Above the contract's bound: the API's problem next to that line's amount.
    too_much = portal.post(
        "/orders/new",
        {
            "deliveryPointId": point["id"],
            "id": [ana["id"], bob["id"]],
            "line": [ana["id"], bob["id"]],
            f"amount-{ana['id']}": "50",
            f"amount-{bob['id']}": "5 000,00",
        },
    )
    assert too_much.status_code == 400
    assert "must be between" in _field_error(too_much.text, f"amount-{bob['id']}")
    assert _orders(api, token) == []

    made = portal.post(
        "/orders/new",
        {
            "deliveryPointId": point["id"],
            "id": [ana["id"], bob["id"]],
            "line": [ana["id"]],
            "defaultAmount": "25,50",
            f"amount-{bob['id']}": "40",  # typed: ordered though not ticked
            f"new_card-{ana['id']}": "1",
        },
    )
    (listed,) = _orders(api, token)
    assert str(made.url).endswith(f"/orders/{listed['id']}")
    order = api.get(f"/v1/orders/{listed['id']}", token).json()
    lines = {(li["beneficiaryId"], li["loadAmountCents"], li["newCard"]) for li in order["lines"]}
    assert lines == {(ana["id"], "2550", True), (bob["id"], "4000", False)}

    unchosen = portal.post(f"/orders/{order['id']}/submit", {})
    assert unchosen.status_code == 400
    assert _field_error(unchosen.text, "f-paymentMethod") == "Choisissez comment payer."

    page = portal.post(f"/orders/{order['id']}/submit", {"paymentMethod": "TRANSFER"})
    submitted = api.get(f"/v1/orders/{order['id']}", token).json()
    assert submitted["status"] == "ORDER_STATUS_AWAITING_PAYMENT"
    reference = submitted["transfer"]["reference"]
    assert reference and reference in page.text
    assert submitted["transfer"]["iban"] in page.text
    assert "data-print" in page.text and "En attente de paiement" in page.text


def test_paying_by_card_sends_the_browser_to_the_provider(
    api: Api, portal: Portal, customer: dict, suite: Suite
) -> None:
    token = customer["token"]
    draft = _draft(api, token)
    portal.get(f"/orders/{draft['id']}")
    answer = portal.post(
        f"/orders/{draft['id']}/submit", {"paymentMethod": "CARD"}, follow_redirects=False
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(suite.env["PORTAL_PAYMENT_PROVIDER_URL"] + "/pay/")
    page = portal.get(f"/orders/{draft['id']}")
    assert "Payer par carte" in page.text  # until the provider says it is paid
    payments = api.get("/v1/payments", token).json()["payments"]
    assert [p["orderId"] for p in payments] == [draft["id"]]
    assert f'href="/payments/{payments[0]["id"]}"' in page.text

    pay_on_provider_page(location)
    wait_for(
        lambda: order_status(api, token, draft["id"]) == "ORDER_STATUS_PAID", what="order paid"
    )
    paid = portal.get(f"/orders/{draft['id']}")
    invoice = invoice_of(api, token, draft["id"])
    assert f'href="/documents/{invoice["id"]}"' in paid.text
    assert "Payer par carte</button>" not in paid.text


def test_duplicate_and_cancel_from_the_order_page_and_the_history_filters(
    api: Api, portal: Portal, customer: dict
) -> None:
    token = customer["token"]
    past = submitted_order(api, token, "TRANSFER")
    page = portal.get(f"/orders/{past['id']}")
    assert "Commander à nouveau la même chose" in page.text
    copy = portal.post(f"/orders/{past['id']}/duplicate")
    drafts = api.get("/v1/orders", token, params={"status": "ORDER_STATUS_DRAFT"}).json()
    (draft,) = drafts["orders"]
    assert draft["source"] == "DUPLICATE" and str(copy.url).endswith(f"/orders/{draft['id']}")

    history = portal.get("/orders?status=ORDER_STATUS_DRAFT")
    assert draft["number"] in history.text and past["number"] not in history.text
    everything = portal.get("/orders")
    assert draft["number"] in everything.text and past["number"] in everything.text
    bad = portal.get("/orders?from=2026-02-31")
    assert bad.status_code == 400 and "YYYY-MM-DD" in _field_error(bad.text, "f-from")

    confirm = portal.get(f"/orders/{past['id']}/cancel")
    assert past["number"] in confirm.text
    done = portal.post(f"/orders/{past['id']}/cancel")
    assert "La commande a été annulée." in done.text
    assert order_status(api, token, past["id"]) == "ORDER_STATUS_CANCELLED"
    again = portal.post(f"/orders/{past['id']}/cancel")
    assert "ne peut plus être annulée" in unescape(again.text)


def _paid_by_transfer(api: Api, token: str, order: dict) -> None:
    invoice_of(api, token, order["id"])
    recorded = api.post(
        "/v1/admin/transfers",
        {
            "receivedOn": "2026-11-21",
            "reference": order["transfer"]["reference"],
            "amount": order["transfer"]["amount"],
            "payer": "Customer",
        },
        api.operator,
    )
    assert recorded.status_code == 201, recorded.text
    wait_for(
        lambda: order_status(api, token, order["id"]) == "ORDER_STATUS_PAID", what="order paid"
    )


def test_tracking_loads_and_the_statistics_chart(api: Api, portal: Portal, customer: dict) -> None:
    token = customer["token"]
    empty = portal.get("/statistics")
    assert "Aucune carte n'a été chargée" in unescape(empty.text)

    order = submitted_order(api, token, "TRANSFER", loads=(10_000, 5_000), new_cards=False)
    _paid_by_transfer(api, token, order)
    op = api.operator
    first, second = order["lines"]
    steps = [
        (":startProduction", {}),
        (
            ":recordLoads",
            {
                "outcomes": [
                    {"lineId": first["id"], "loaded": True},
                    {"lineId": second["id"], "loaded": False, "error": "card blocked"},
                ]
            },
        ),
        (":ship", {"carrier": "Colissimo", "trackingUrl": "https://track.example/abc"}),
        (":addDeliveryStage", {"label": "In transit", "location": "Lyon hub"}),
    ]
    for action, body in steps:
        answer = api.post(f"/v1/admin/orders/{order['id']}{action}", body, op)
        assert answer.status_code == 200, answer.text

    page = portal.get(f"/orders/{order['id']}")
    assert "Expédiée" in page.text and "Colissimo" in page.text
    assert 'href="https://track.example/abc"' in page.text
    assert "In transit" in page.text and "Lyon hub" in page.text
    assert "Chargée" in page.text and "Échec du chargement" in page.text
    assert "card blocked" in page.text

    stats = portal.get("/statistics")
    assert stats.status_code == 200
    chart = stats.text.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<rect ") == 1  # this month's loads; no usage imported yet
    assert "style=" not in stats.text and "<script>" not in stats.text
    assert "100,00\u00a0€" in stats.text  # the failed load does not count
    export = portal.get("/statistics/loads.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Kind" and any(r[0] == "month" and r[4] == "100,00" for r in rows)
    bad = portal.get("/statistics?from=2026-01-10&to=2026-01-01")
    assert bad.status_code == 400 and _field_error(bad.text, "f-to")


# ---- another account, languages, the dashboard ----------------------------------------


def test_another_accounts_data_is_the_not_found_page(
    api: Api, portal: Portal, customer: dict
) -> None:
    other = api.activate(api.new_account(), PASSWORD)["accessToken"]
    theirs = submitted_order(api, other, "TRANSFER")
    person = _beneficiary(api, other, "Secret")
    point = api.get("/v1/delivery-points", other).json()["deliveryPoints"][0]
    for path in (
        f"/orders/{theirs['id']}",
        f"/orders/{theirs['id']}/cancel",
        f"/beneficiaries/{person['id']}",
        f"/delivery-points/{point['id']}",
    ):
        page = portal.get(path)
        assert page.status_code == 404 and NOT_FOUND in unescape(page.text), path
        assert "Secret" not in page.text and theirs["number"] not in page.text
    for path in (f"/orders/{theirs['id']}/cancel", f"/orders/{theirs['id']}/duplicate"):
        assert portal.post(path).status_code == 404
    assert order_status(api, other, theirs["id"]) == "ORDER_STATUS_AWAITING_PAYMENT"
    assert len(_orders(api, other)) == 1


def test_the_pages_render_in_english(api: Api, portal: Portal, customer: dict) -> None:
    draft = _draft(api, customer["token"])
    portal.post("/language", {"language": "en", "next": "/orders"})
    expected = {
        "/orders": "<h1>My orders</h1>",
        f"/orders/{draft['id']}": "Review and submit",
        "/orders/new/file": "Download the blank order file (CSV)",
        "/orders/new": "New order line by line",
        "/beneficiaries": "Add a beneficiary",
        "/delivery-points": "Add a delivery point",
        "/statistics": "Card statistics",
    }
    for path, text in expected.items():
        page = portal.get(path)
        assert page.status_code == 200 and text in page.text, path
        assert 'lang="en"' in page.text
    assert "50.00" in portal.get(f"/orders/{draft['id']}").text


def test_what_needs_attention_for_the_dashboard(
    api: Api, customer: dict, suite: Suite, tmp_path
) -> None:
    """The fragment and its function, as the dashboard includes them."""
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.pages.context import Ctx, page
    from web.pages.orders import attention
    from web.settings import WebSettings

    @page()
    async def board(ctx: Ctx):
        return ctx.render("orders/_attention.html", **await attention(ctx))

    app = create_app(
        WebSettings(gateway_url=suite.gateway_url, session_key_file=tmp_path / "web.key")
    )
    app.router.routes.insert(0, Route("/_attention", board))
    token = customer["token"]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        browser = Portal(client)
        browser.sign_in(customer["managerEmail"], PASSWORD)
        calm = browser.get("/_attention")
        assert calm.status_code == 200 and "card" not in calm.text  # nothing waits

        draft = _draft(api, token)
        unpaid = submitted_order(api, token, "TRANSFER")
        board_page = browser.get("/_attention")
    assert "Brouillons à valider" in board_page.text and draft["number"] in board_page.text
    assert "Commandes en attente de paiement" in board_page.text
    assert unpaid["number"] in board_page.text
    assert "Livraisons en route" not in board_page.text
    assert 'href="/orders?status=ORDER_STATUS_DRAFT"' in board_page.text
