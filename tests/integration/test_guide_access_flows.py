"""The guides' access and account flows as they are written (issue #9), end to
end through the gateway: from the e-mail (the mailbox folder) or the printed
letter (its PDF read back) to a working session; the unlock rule, contracts,
paperless consent as a condition and the forgotten identifier."""

from __future__ import annotations

import io
import re
import statistics
import time
import uuid
from urllib.parse import parse_qs, urlparse

from pypdf import PdfReader

from deploy.local.suite import Suite
from tests.support.api import Api, error_reason

from .test_order_emails import _mailbox_text, _submitted_order, _wait_message

PASSWORD = "Correct-Horse-42!"


def _open_account(api: Api, **settings: object) -> dict:
    """An account opened by an operator with some of its settings; the answer
    plus what activating it asks for."""
    suffix = uuid.uuid4().hex[:8].upper()
    email = f"holder-{suffix.lower()}@example.com"
    body = {
        "name": f"Parc {suffix}",
        "contractNumber": f"CP-{suffix}",
        "contractLabel": "Abonnement résident",
        "manager": {"email": email, "firstName": "François", "lastName": "Durand"},
        **settings,
    }
    answer = api.post("/v1/admin/accounts", body, api.operator)
    assert answer.status_code == 201, answer.text
    return {**answer.json(), "contractNumber": body["contractNumber"], "managerEmail": email}


def _token(message: dict) -> str:
    return parse_qs(urlparse(message["links"][0]).query)["token"][0]


def _pdf_lines(data: bytes) -> list[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return [line.strip() for line in text.splitlines()]


def _under(lines: list[str], label: str) -> str:
    """What the letter prints under `label`."""
    return next(lines[i + 1] for i, line in enumerate(lines) if line.startswith(label))


def _wait_unlocked(api: Api, token: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not api.get("/v1/account", token).json()["delegationUnlocked"]:
        assert time.monotonic() < deadline, "delegation never unlocked"
        time.sleep(0.1)


# ---- 1. the activation e-mail, sent by the account's opening -------------------
def test_the_opening_emails_the_numbers_and_the_link_that_activate(api: Api, suite: Suite):
    account = api.new_account()
    opened = _wait_message(api, account["managerEmail"], "account_opened")
    text = _mailbox_text(suite, opened)
    client_number = re.search(r"numéro client : (\S+)", text)
    contract_number = re.search(r"numéro de contrat : (\S+)", text)
    assert client_number and client_number.group(1) == account["clientNumber"]
    assert contract_number and contract_number.group(1) == account["contractNumber"].upper()
    numbers = {"clientNumber": client_number.group(1), "contractNumber": contract_number.group(1)}

    session = api.post(
        "/v1/auth/activation:confirm", {**numbers, "token": _token(opened), "password": PASSWORD}
    )
    assert session.status_code == 200, session.text
    me = api.get("/v1/me", session.json()["accessToken"])
    assert me.status_code == 200 and me.json()["user"]["email"] == account["managerEmail"]


def test_send_me_the_link_again(api: Api, suite: Suite):
    account = api.new_account(language="en")
    opened = _wait_message(api, account["managerEmail"], "account_opened")
    numbers = {"clientNumber": account["clientNumber"], "contractNumber": account["contractNumber"]}
    assert api.post("/v1/auth/activation:request", numbers).status_code == 202
    again = _wait_message(api, account["managerEmail"], "activation")
    assert account["contractNumber"].upper() in _mailbox_text(suite, again)
    stale = api.post(
        "/v1/auth/activation:confirm", {**numbers, "token": _token(opened), "password": PASSWORD}
    )
    assert error_reason(stale) == "TOKEN_INVALID_OR_EXPIRED"
    fresh = api.post(
        "/v1/auth/activation:confirm", {**numbers, "token": _token(again), "password": PASSWORD}
    )
    assert fresh.status_code == 200, fresh.text


# ---- 2. first login with the client number and a printed temporary password ---
def test_first_login_with_the_client_number_from_the_welcome_letter(api: Api, suite: Suite):
    account = _open_account(api)
    holder = account["managerUserId"]
    letter = api.post(f"/v1/admin/users/{holder}:welcomeLetter", {}, api.operator)
    assert letter.status_code == 200, letter.text
    assert letter.headers["content-type"] == "application/pdf"
    first = _pdf_lines(letter.content)
    assert _under(first, "Adresse du portail") == suite.env["PORTAL_WEB_URL"]
    assert _under(first, "Votre identifiant (n° de client)") == account["clientNumber"]
    # Printing it again invalidates the previous temporary password.
    reprinted = _pdf_lines(
        api.post(f"/v1/admin/users/{holder}:welcomeLetter", {}, api.operator).content
    )
    identifier = _under(reprinted, "Votre identifiant")
    temporary = _under(reprinted, "Votre mot de passe temporaire")
    old = _under(first, "Votre mot de passe temporaire")
    assert temporary != old and api.login(identifier, old).status_code == 401

    restricted = api.login(identifier, temporary)
    assert restricted.status_code == 200, restricted.text
    assert restricted.json()["passwordChangeRequired"] is True
    token = restricted.json()["accessToken"]
    elsewhere = api.get("/v1/account", token)
    assert elsewhere.status_code == 401 and error_reason(elsewhere) == "PASSWORD_CHANGE_REQUIRED"
    primary = f"durand-{account['clientNumber'].lower()}@example.com"
    secondary = f"durand-home-{account['clientNumber'].lower()}@example.com"
    done = api.post(
        "/v1/auth/first-login",
        {
            "newPassword": "Cardinet-Parking-2026",
            "primaryEmail": primary,
            "secondaryEmail": secondary,
            "paperlessConsent": True,
        },
        token,
    )
    assert done.status_code == 200, done.text
    session = done.json()["accessToken"]
    me = api.get("/v1/me", session).json()
    assert (me["user"]["email"], me["user"]["secondaryEmail"]) == (primary, secondary)
    assert api.get("/v1/account", session).json()["paperlessConsent"] is True
    assert api.login(identifier, "Cardinet-Parking-2026").status_code == 200
    refused = api.post(f"/v1/admin/users/{holder}:welcomeLetter", {}, api.operator)
    assert refused.status_code == 400 and error_reason(refused) == "USER_HAS_OWN_PASSWORD"

    # The holder forgets their identifier: the e-mail tells both.
    assert api.post("/v1/auth/identifier:request", {"email": primary}).status_code == 202
    reminder = _mailbox_text(suite, _wait_message(api, primary, "identifier_reminder"))
    assert primary in reminder and account["clientNumber"] in reminder

    # The secondary address receives the billing notices in copy.
    invoice = api.post(
        "/v1/admin/documents",
        {
            "entityId": account["id"],
            "type": "DOCUMENT_TYPE_INVOICE",
            "contractNumber": account["contractNumber"],
            "lines": [
                {
                    "label": "Abonnement décembre",
                    "quantity": 1,
                    "unitPriceExclTax": {"amountCents": 17_733, "currency": "EUR"},
                    "vatRateBp": 2000,
                }
            ],
        },
        api.operator,
    )
    assert invoice.status_code == 201, invoice.text
    copy = _wait_message(api, secondary, "document_available")
    assert invoice.json()["number"] in copy["subject"]
    assert _wait_message(api, primary, "document_available")["eventId"] == copy["eventId"]

    # Consent can be changed later from the account page.
    withdrawn = api.patch("/v1/account/paperless-consent", {"paperlessConsent": False}, session)
    assert withdrawn.status_code == 200 and withdrawn.json()["paperlessConsent"] is False


# ---- 3. first connection by an e-mailed link ------------------------------------
def test_first_connection_by_link_then_a_password_before_anything_else(api: Api, suite: Suite):
    account = api.new_account()
    email = f"tech-{account['clientNumber'].lower()}@example.com"
    invited = api.post(
        "/v1/admin/users:invite",
        {"entityId": account["id"], "email": email, "firstName": "Théo"},
        api.operator,
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["status"] == "USER_STATUS_PENDING"
    message = _wait_message(api, email, "first_connection")
    assert "30 jours" in _mailbox_text(suite, message)

    connected = api.post("/v1/auth/magic-link:redeem", {"token": _token(message)})
    assert connected.status_code == 200, connected.text
    assert connected.json()["passwordChangeRequired"] is True
    restricted = connected.json()["accessToken"]
    for path in ("/v1/me", "/v1/account", "/v1/orders"):
        refused = api.get(path, restricted)
        assert refused.status_code == 401, (path, refused.text)
        assert error_reason(refused) == "PASSWORD_CHANGE_REQUIRED"
        assert "first-login" in refused.json()["error"]["message"]
    again = api.post("/v1/auth/magic-link:redeem", {"token": _token(message)})
    assert error_reason(again) == "TOKEN_INVALID_OR_EXPIRED"

    done = api.post("/v1/auth/first-login", {"newPassword": "Maintenance-Park-2026"}, restricted)
    assert done.status_code == 200, done.text
    me = api.get("/v1/me", done.json()["accessToken"])
    assert me.status_code == 200 and me.json()["user"]["email"] == email
    assert api.login(email, "Maintenance-Park-2026").status_code == 200


# ---- 4. what the first order unlocks ---------------------------------------------
def test_the_first_order_unlocks_delegation_paid_or_not(api: Api):
    account = api.new_account()
    assert account["unlockRule"] == "UNLOCK_RULE_FIRST_ORDER"
    token = api.activate(account, PASSWORD)["accessToken"]
    invite = {"email": f"buyer-{account['clientNumber'].lower()}@example.com"}
    locked = api.post("/v1/users", {**invite, "profileId": "builtin-orders"}, token)
    assert error_reason(locked) == "DELEGATION_LOCKED"
    assert "first order" in locked.json()["error"]["message"]
    order = _submitted_order(api, token)  # by transfer: awaiting payment
    assert order["status"] == "ORDER_STATUS_AWAITING_PAYMENT"
    _wait_unlocked(api, token)
    invited = api.post("/v1/users", {**invite, "profileId": "builtin-orders"}, token)
    assert invited.status_code == 201, invited.text


def test_an_account_opened_unlocked_delegates_at_once(api: Api):
    account = _open_account(api, unlockRule="UNLOCK_RULE_UNLOCKED")
    assert account["delegationUnlocked"] is True
    token = api.activate(account, PASSWORD)["accessToken"]
    profile = api.post("/v1/profiles", {"name": "Compta", "permissions": ["billing.read"]}, token)
    assert profile.status_code == 201, profile.text

    later = api.new_account()
    token = api.activate(later, PASSWORD)["accessToken"]
    settings = f"/v1/admin/accounts/{later['id']}/settings"
    changed = api.patch(settings, {"unlockRule": "UNLOCK_RULE_UNLOCKED"}, api.operator)
    assert changed.status_code == 200 and changed.json()["delegationUnlocked"] is True
    assert api.get("/v1/account", token).json()["unlockRule"] == "UNLOCK_RULE_UNLOCKED"


# ---- 5. contracts over time -------------------------------------------------------------
def test_operators_add_and_end_contracts_and_customers_see_them(api: Api):
    account = api.new_account()
    token = api.activate(account, PASSWORD)["accessToken"]
    base = f"/v1/admin/accounts/{account['id']}/contracts"
    number = f"CP-2-{account['clientNumber']}"
    added = api.post(base, {"number": number, "label": "Parking Cardinet"}, api.operator)
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "CONTRACT_STATUS_ACTIVE"
    twice = api.post(base, {"number": number}, api.operator)
    assert twice.status_code == 409 and error_reason(twice) == "CONTRACT_EXISTS"
    ended = api.post(f"{base}/{account['contractNumber']}:end", {}, api.operator)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "CONTRACT_STATUS_ENDED" and ended.json()["endedAt"]
    unknown = api.post(f"{base}/NOPE-1:end", {}, api.operator)
    assert unknown.status_code == 404
    assert api.post(base, {"number": "X-1"}, token).status_code == 403

    listed = api.get("/v1/account", token).json()["contracts"]
    assert [(c["number"], c["status"]) for c in listed] == [
        (account["contractNumber"].upper(), "CONTRACT_STATUS_ENDED"),
        (number, "CONTRACT_STATUS_ACTIVE"),
    ]
    assert listed[1]["label"] == "Parking Cardinet" and listed[1]["startedAt"]
    pages = api.get("/v1/account/contracts", token)
    assert pages.status_code == 200 and pages.json()["contracts"] == listed


# ---- 6. paperless consent as a condition --------------------------------------------
def test_required_paperless_consent_guards_the_contract_pages(api: Api):
    account = _open_account(api, paperlessConsentRequired=True)
    assert account["paperlessConsentRequired"] is True
    token = api.activate(account, PASSWORD)["accessToken"]
    refused = api.get("/v1/account/contracts", token)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert error_reason(refused) == "PAPERLESS_CONSENT_REQUIRED"
    assert "/v1/account/paperless-consent" in refused.json()["error"]["message"]
    mine = api.get("/v1/account", token).json()
    assert mine["paperlessConsentRequired"] is True and mine["contracts"] == []

    given = api.patch("/v1/account/paperless-consent", {"paperlessConsent": True}, token)
    assert given.status_code == 200, given.text
    assert [c["number"] for c in given.json()["contracts"]] == [account["contractNumber"]]
    assert api.get("/v1/account/contracts", token).status_code == 200

    lifted = api.patch(
        f"/v1/admin/accounts/{account['id']}/settings",
        {"paperlessConsentRequired": False},
        api.operator,
    )
    assert lifted.status_code == 200 and lifted.json()["paperlessConsentRequired"] is False
    api.patch("/v1/account/paperless-consent", {"paperlessConsent": False}, token)
    assert api.get("/v1/account/contracts", token).status_code == 200


# ---- 7. forgotten identifier -----------------------------------------------------------
def test_forgotten_identifier_never_tells_whether_the_address_is_known(api: Api, suite: Suite):
    account = api.new_account()
    api.activate(account, PASSWORD)
    known, ghost = account["managerEmail"], f"ghost-{uuid.uuid4().hex[:8]}@example.com"
    answers, timings = {known: [], ghost: []}, {known: [], ghost: []}
    for _ in range(5):
        for email in (known, ghost):
            started = time.perf_counter()
            answer = api.post("/v1/auth/identifier:request", {"email": email})
            timings[email].append(time.perf_counter() - started)
            answers[email].append((answer.status_code, answer.content))
    assert {a for a in answers[known]} == {a for a in answers[ghost]} == {(202, b"")}
    # The same work either way: no telling them apart by the clock.
    gap = abs(statistics.median(timings[known]) - statistics.median(timings[ghost]))
    assert gap < 0.1, timings

    reminder = _mailbox_text(suite, _wait_message(api, known, "identifier_reminder"))
    assert known in reminder and account["clientNumber"] in reminder
    assert api.messages(ghost) == []
    assert api.post("/v1/auth/identifier:request", {"email": "nope"}).status_code == 400
