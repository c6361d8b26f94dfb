"""The billing pages through the real API: documents and their PDF, paying an
invoice by card through the provider's page and coming back to the payment's
page, the balance, direct-debit mandates (the API's IBAN check shown next to
the field), claims, another account's ids answering the not-found page, French
and English."""

from __future__ import annotations

import html as html_text
import re

from tests.support.api import Api
from tests.support.orders import invoice_of, pay_on_provider_page, submitted_order, wait_for
from tests.support.web import Portal
from web.api import Api as WebApi
from web.pages.billing_common import describe
from web.pages.context import Ctx
from web.session import Session

PASSWORD = "Correct-Horse-42!"
BAD_IBAN = "FR7630006000011234567890188"  # one check digit off
GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def _customer(api: Api, language: str = "fr") -> dict:
    account = api.new_account(language=language)
    session = api.activate(account, PASSWORD)
    return {**account, "token": session["accessToken"]}


def _signed_in(api: Api, portal: Portal, language: str = "fr") -> dict:
    customer = _customer(api, language)
    portal.sign_in(customer["managerEmail"], PASSWORD)
    return customer


def _invoice(api: Api, customer: dict, method: str = "TRANSFER") -> dict:
    order = submitted_order(api, customer["token"], method)
    return invoice_of(api, customer["token"], order["id"])


def _error_of(html: str, field: str) -> str:
    """The error announced next to `field` (the `field` macro's markup)."""
    found = re.search(rf'<p class="error" id="f-{field}-error" role="alert">([^<]*)</p>', html)
    assert found, f"no error next to {field}"
    return html_text.unescape(found.group(1))


# ---- what the pages compute themselves ------------------------------------------------


def test_an_unknown_api_problem_is_shown_as_the_api_wrote_it() -> None:
    assert describe("must be a cat") == "must be a cat"


# ---- documents, paying by card, the PDF -------------------------------------------------


def test_an_invoice_paid_by_card_through_the_portal(api: Api, portal: Portal) -> None:
    customer = _signed_in(api, portal)
    invoice = _invoice(api, customer, "CARD")

    listed = portal.get("/documents")
    assert listed.status_code == 200 and "Documents financiers" in listed.text
    assert invoice["number"] in listed.text and "À payer" in listed.text
    page = portal.get(f"/documents/{invoice['id']}")
    assert page.status_code == 200 and "Payer" in page.text and "par carte bancaire" in page.text

    started = portal.post(f"/documents/{invoice['id']}/pay", follow_redirects=False)
    assert started.status_code == 303
    provider_page = started.headers["location"]
    assert "/pay/" in provider_page and not provider_page.startswith("/")
    payment = next(
        p
        for p in api.get("/v1/payments", customer["token"]).json()["payments"]
        if p["redirectUrl"] == provider_page
    )
    assert payment["documentIds"] == [invoice["id"]]

    # Back before the provider has told billing: the page follows the payment.
    waiting = portal.get(f"/payments/{payment['id']}")
    assert waiting.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert "Paiement en attente" in waiting.text

    pay_on_provider_page(provider_page)
    done = wait_for(
        lambda: (
            (page := portal.get(f"/payments/{payment['id']}"))
            and "votre paiement a réussi" in page.text
            and page
        ),
        what="the payment page says it succeeded",
    )
    assert 'http-equiv="refresh"' not in done.text
    assert f'href="/documents/{invoice["id"]}"' in done.text

    paid = portal.get(f"/documents/{invoice['id']}")
    assert "Payée" in paid.text
    assert f'action="/documents/{invoice["id"]}/pay"' not in paid.text
    assert payment["id"] in portal.get("/payments").text


def test_a_declined_card_says_why(api: Api, portal: Portal) -> None:
    customer = _signed_in(api, portal)
    invoice = _invoice(api, customer)
    provider_page = portal.post(f"/documents/{invoice['id']}/pay", follow_redirects=False).headers[
        "location"
    ]
    pay_on_provider_page(provider_page, "failure")
    payment = next(
        p
        for p in api.get("/v1/payments", customer["token"]).json()["payments"]
        if p["redirectUrl"] == provider_page
    )
    failed = wait_for(
        lambda: (
            (page := portal.get(f"/payments/{payment['id']}"))
            and "Le paiement a échoué" in page.text
            and page
        ),
        what="the payment page says it failed",
    )
    assert "La carte a été refusée." in failed.text
    assert "À payer" in portal.get(f"/documents/{invoice['id']}").text


def test_the_pdf_is_downloaded_as_an_attachment(api: Api, portal: Portal) -> None:
    customer = _signed_in(api, portal)
    invoice = _invoice(api, customer)
    pdf = portal.get(f"/documents/{invoice['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'


def test_documents_are_filtered_and_a_bad_date_is_said_next_to_its_field(
    api: Api, portal: Portal
) -> None:
    customer = _signed_in(api, portal)
    invoice = _invoice(api, customer)
    assert (
        api.post(f"/v1/orders/{invoice['orderId']}:cancel", {}, customer["token"]).status_code
        == 200
    )
    wait_for(
        lambda: "AV-" in portal.get("/documents?type=DOCUMENT_TYPE_CREDIT_NOTE").text,
        what="the credit note listed",
    )
    notes = portal.get("/documents?type=DOCUMENT_TYPE_CREDIT_NOTE")
    assert invoice["number"] not in notes.text
    # The cancelled invoice is no longer unpaid, and says why.
    assert invoice["number"] not in portal.get("/documents?unpaid=true").text
    cancelled = portal.get(f"/documents/{invoice['id']}")
    assert "Annulée par un avoir" in cancelled.text and "AV-" in cancelled.text

    bad = portal.get("/documents?from=2026-01-10&to=2026-01-01")
    assert bad.status_code == 400
    assert _error_of(bad.text, "to") == "La date de fin ne doit pas précéder la date de début."
    assert 'value="2026-01-10"' in bad.text  # what was typed stays


# ---- the balance -------------------------------------------------------------------------


def test_the_balance_in_english_and_paying_part_of_it(api: Api, portal: Portal) -> None:
    customer = _signed_in(api, portal, "en")
    invoice = _invoice(api, customer)
    page = portal.get("/balance")
    assert page.status_code == 200 and 'lang="en"' in page.text
    assert "Your balance" in page.text and invoice["number"] in page.text

    not_money = portal.post("/balance/pay", {"amount": "twelve"})
    assert not_money.status_code == 400
    assert _error_of(not_money.text, "amount") == "Enter an amount in euros, e.g. 12.50."
    assert 'value="twelve"' in not_money.text

    too_much = portal.post("/balance/pay", {"amount": "99999,00"})
    assert too_much.status_code == 400
    assert _error_of(too_much.text, "amount").startswith("This is more than the balance due (€")

    part = portal.post("/balance/pay", {"amount": "1.50"}, follow_redirects=False)
    assert part.status_code == 303 and "/pay/" in part.headers["location"]
    payment = next(
        p
        for p in api.get("/v1/payments", customer["token"]).json()["payments"]
        if p["redirectUrl"] == part.headers["location"]
    )
    assert int(payment["amount"]["amountCents"]) == 150

    documents = portal.get("/documents")
    assert "Financial documents" in documents.text and "Left to pay:" in documents.text


# ---- direct debit ------------------------------------------------------------------------


def test_a_bad_iban_is_said_next_to_its_field_and_the_holder_kept(api: Api, portal: Portal) -> None:
    _signed_in(api, portal)
    assert portal.get("/mandates").status_code == 200
    refused = portal.post("/mandates", {"holder": "ACME Holding", "iban": BAD_IBAN, "bic": ""})
    assert refused.status_code == 400
    assert _error_of(refused.text, "iban").startswith("Cet IBAN n'est pas valide")
    assert 'value="ACME Holding"' in refused.text
    assert f'value="{BAD_IBAN}"' in refused.text

    made = portal.post("/mandates", {"holder": "ACME Holding", "iban": GOOD_IBAN, "bic": ""})
    assert made.status_code == 200 and "Prélèvement automatique mis en place" in made.text
    shown = re.search(r'<td class="iban">([^<]*)</td>', made.text).group(1)
    assert shown.endswith("0 189") and "3456" not in shown  # masked
    mandate_id = re.search(r'href="/mandates/([^/"]+)/revoke"', made.text).group(1)

    confirm = portal.get(f"/mandates/{mandate_id}/revoke")
    assert confirm.status_code == 200 and "Oui, le révoquer" in confirm.text
    revoked = portal.post(f"/mandates/{mandate_id}/revoke")
    assert revoked.status_code == 200 and "révoqué" in revoked.text
    assert f"/mandates/{mandate_id}/revoke" not in revoked.text
    again = portal.post(f"/mandates/{mandate_id}/revoke")
    assert again.status_code == 400 and "Ce mandat est déjà révoqué." in again.text


# ---- claims ------------------------------------------------------------------------------


def test_a_claim_opened_listed_and_answered(api: Api, portal: Portal) -> None:
    customer = _signed_in(api, portal)
    invoice = _invoice(api, customer)
    form = portal.get(f"/documents/{invoice['id']}/claim")
    assert form.status_code == 200 and invoice["number"] in form.text

    empty = portal.post(
        f"/documents/{invoice['id']}/claim", {"reason": "WRONG_AMOUNT", "message": "  "}
    )
    assert empty.status_code == 400
    assert _error_of(empty.text, "message") == "est obligatoire"
    assert '<option value="WRONG_AMOUNT" selected>' in empty.text

    opened = portal.post(
        f"/documents/{invoice['id']}/claim",
        {"reason": "WRONG_AMOUNT", "message": "The card fee\nlooks wrong"},
    )
    assert opened.status_code == 200 and "Votre réclamation sur" in opened.text
    claim_id = str(opened.url).rsplit("/", 1)[1]
    assert "The card fee\nlooks wrong" in opened.text

    twice = portal.post(
        f"/documents/{invoice['id']}/claim", {"reason": "OTHER", "message": "again"}
    )
    assert twice.status_code == 400 and "déjà ouverte" in twice.text
    assert "again" in twice.text  # kept

    listed = portal.get("/claims")
    assert f'href="/claims/{claim_id}"' in listed.text and "Montant erroné" in listed.text
    document = portal.get(f"/documents/{invoice['id']}")
    assert f'href="/claims/{claim_id}"' in document.text
    assert f'href="/documents/{invoice["id"]}/claim"' not in document.text  # one open claim

    answered = api.post(
        f"/v1/admin/claims/{claim_id}:answer",
        {"answer": "Checked: the fee is right.", "status": "CLAIM_STATUS_REJECTED"},
        api.operator,
    )
    assert answered.status_code == 200, answered.text
    page = portal.get(f"/claims/{claim_id}")
    assert "Checked: the fee is right." in page.text and "Refusée" in page.text


# ---- another account's ids -------------------------------------------------------------


def test_another_accounts_ids_answer_the_not_found_page(api: Api, portal: Portal) -> None:
    owner = _customer(api)
    invoice = _invoice(api, owner)
    token = owner["token"]
    claim = api.post(
        f"/v1/documents/{invoice['id']}/claims", {"reason": "OTHER", "message": "x"}, token
    ).json()
    mandate = api.post("/v1/mandates", {"iban": GOOD_IBAN, "holder": "Owner"}, token).json()
    payment = api.post(f"/v1/documents/{invoice['id']}:pay", {}, token).json()

    _signed_in(api, portal)
    for path in (
        f"/documents/{invoice['id']}",
        f"/documents/{invoice['id']}/pdf",
        f"/documents/{invoice['id']}/claim",
        f"/claims/{claim['id']}",
        f"/payments/{payment['id']}",
        f"/mandates/{mandate['id']}/revoke",
    ):
        answer = portal.get(path)
        assert answer.status_code == 404, path
        assert "Cette page n'existe pas" in answer.text, path
    for path in (f"/documents/{invoice['id']}/pay", f"/mandates/{mandate['id']}/revoke"):
        assert portal.post(path, follow_redirects=False).status_code == 404, path
    assert (
        api.get(f"/v1/payments/{payment['id']}", token).json()["state"] == "PAYMENT_STATE_PENDING"
    )
    mine = api.get("/v1/mandates", token).json()["mandates"]
    assert mine[0]["status"] == "ACTIVE"


# ---- the dashboard's part ----------------------------------------------------------------


class _Ctx(Ctx):
    """A page's context without a request: the session and the API are all
    `attention` uses."""

    def __init__(self, gateway: str, token: str, permissions: list[str]) -> None:
        self.session = Session(access_token=token, permissions=permissions)
        self.api_client = WebApi(gateway)


async def test_the_dashboard_shows_what_is_due_and_the_open_claims(api: Api, portal_app) -> None:
    from web.i18n import use_language
    from web.pages.billing import attention

    customer = _customer(api)
    gateway = str(api.http.base_url)
    reader = ["billing.read", "billing.pay"]
    assert await attention(_Ctx(gateway, customer["token"], reader)) == {}  # nothing due

    invoice = _invoice(api, customer)
    api.post(
        f"/v1/documents/{invoice['id']}/claims",
        {"reason": "OTHER", "message": "x"},
        customer["token"],
    )
    found = await attention(_Ctx(gateway, customer["token"], reader))
    due = found["billing_attention"]
    assert due["due_cents"] == int(invoice["remaining"]["amountCents"]) > 0
    assert due["unpaid_count"] == 1 and due["open_claims"] == 1
    assert await attention(_Ctx(gateway, customer["token"], [])) == {}  # may not read billing

    use_language("fr")
    html = portal_app.state.envs["fr"].get_template("billing/_attention.html").render(**found)
    assert "Reste à payer" in html and 'href="/balance"' in html and 'href="/claims"' in html
    assert "Régler le solde" in html
