"""Billing e-mails through the real suite: billing's DocumentIssued becomes a
"new document available" e-mail only for accounts that accepted paperless
documents (to the billing contact), ClaimOpened an acknowledgement to the
customer and a notice to the support mailbox, ClaimAnswered the operator's
answer to the customer."""

from __future__ import annotations

import time

from deploy.local.suite import Suite
from tests.support.api import Api
from tests.support.orders import invoice_of, submitted_order

from .test_order_emails import _mailbox_text, _wait_message

DEFAULT_SUPPORT_EMAIL = "support@portail.localhost"


def _accept_paperless(api: Api, account: dict) -> None:
    """A user created by an operator logs in with the temporary password; the
    first login accepts paperless documents for the account."""
    email = f"first-{account['clientNumber'].lower()}@example.com"
    created = api.post(
        "/v1/admin/users",
        {"entityId": account["id"], "email": email, "firstName": "Pa", "lastName": "Perless"},
        api.operator,
    )
    assert created.status_code == 201, created.text
    first = api.login(email, created.json()["temporaryPassword"])
    assert first.status_code == 200, first.text
    done = api.post(
        "/v1/auth/first-login",
        {"newPassword": "Brand-New-Password-7", "primaryEmail": email, "paperlessConsent": True},
        first.json()["accessToken"],
    )
    assert done.status_code == 200, done.text


def _support(suite: Suite) -> str:
    return suite.env.get("PORTAL_SUPPORT_EMAIL") or DEFAULT_SUPPORT_EMAIL


def _wait_about(api: Api, recipient: str, template: str, number: str, timeout: float = 30.0):
    """The `template` e-mail to `recipient` whose subject names `number` (the
    support mailbox hears about every claim of every test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in api.messages(recipient):
            if message["template"] == template and number in message["subject"]:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no {template} e-mail about {number} to {recipient} in {timeout}s")


def test_paperless_customer_hears_of_invoices_and_claims(api: Api, suite: Suite) -> None:
    account = api.new_account(language="en")
    token = api.activate(account)["accessToken"]
    manager = account["managerEmail"]
    _accept_paperless(api, account)
    assert api.get("/v1/account", token).json()["paperlessConsent"] is True
    billing = f"billing-{account['clientNumber'].lower()}@example.com"
    answer = api.patch(
        "/v1/account/contacts", {"billing": {"name": "Bill", "email": billing}}, token
    )
    assert answer.status_code == 200, answer.text

    order = submitted_order(api, token, "TRANSFER")
    invoice = invoice_of(api, token, order["id"])

    available = _wait_message(api, billing, "document_available")
    assert available["language"] == "en"
    assert invoice["number"] in available["subject"]
    assert available["links"] == [f"{suite.env['PORTAL_WEB_URL']}/documents/{invoice['id']}"]
    text = _mailbox_text(suite, available)
    cents = int(invoice["totalInclTax"]["amountCents"])
    assert f"€{cents // 100:,}.{cents % 100:02d}" in text
    assert invoice["number"] in text and "Due date" in text
    assert not [m for m in api.messages(manager) if m["template"] == "document_available"]

    # A claim: acknowledged to the customer, announced to the support mailbox.
    claim = api.post(
        f"/v1/documents/{invoice['id']}/claims",
        {"reason": "WRONG_AMOUNT", "message": "The fee looks wrong"},
        token,
    )
    assert claim.status_code == 201, claim.text
    ack = _wait_message(api, billing, "claim_opened")
    assert invoice["number"] in ack["subject"]
    text = _mailbox_text(suite, ack)
    assert "> The fee looks wrong" in text and "wrong amount" in text

    notice = _wait_about(api, _support(suite), "claim_opened_support", invoice["number"])
    assert notice["language"] == "fr"
    text = _mailbox_text(suite, notice)
    for fact in (account["clientNumber"], "montant erroné", "> The fee looks wrong"):
        assert fact in text, fact

    # The operator answers: the customer gets the answer and the new status.
    answered = api.post(
        f"/v1/admin/claims/{claim.json()['id']}:answer",
        {"answer": "Checked: the fee is right.", "status": "CLAIM_STATUS_REJECTED"},
        api.operator,
    )
    assert answered.status_code == 200, answered.text
    reply = _wait_message(api, billing, "claim_answered")
    assert invoice["number"] in reply["subject"] and "rejected" in reply["subject"]
    assert "> Checked: the fee is right." in _mailbox_text(suite, reply)


def test_no_document_e_mail_without_paperless_consent(api: Api) -> None:
    account = api.new_account()
    token = api.activate(account)["accessToken"]
    manager = account["managerEmail"]

    order = submitted_order(api, token, "TRANSFER")
    invoice_of(api, token, order["id"])
    # notifications knows the account (the order e-mail came) and billing issued
    # the invoice; give its DocumentIssued time to arrive: still nothing.
    _wait_message(api, manager, "order_submitted")
    time.sleep(3)
    assert not [m for m in api.messages(manager) if m["template"] == "document_available"]
