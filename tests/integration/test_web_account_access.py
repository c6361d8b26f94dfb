"""The ways into the portal besides the login form, through the real API and the
e-mails notifications stores: activation from the e-mailed link (and asking
for it again), the first login with a temporary password, sign-in links (and an
operator's first-connection link), forgotten password and identifier, and
accepting a manager's invitation."""

from __future__ import annotations

import html
import re
import time
import uuid

from tests.support.api import Api
from tests.support.web import Portal

PASSWORD = "Correct-Horse-42!"
NEW_PASSWORD = "Staple-Battery-77!"


def field_error(page_html: str, name: str) -> str:
    """The error shown next to a form field ('' when none)."""
    found = re.search(rf'id="f-{re.escape(name)}-error" role="alert">([^<]*)<', page_html)
    return html.unescape(found.group(1)) if found else ""


def text_of(page_html: str) -> str:
    return html.unescape(page_html)


def _customer(api: Api, **kw: str) -> dict:
    account = api.new_account(**kw)
    api.activate(account, PASSWORD)
    return account


def _wait_template(api: Api, recipient: str, template: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in api.messages(recipient) if m["template"] == template]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no {template} e-mail to {recipient}")


# ---- activation --------------------------------------------------------------------
def test_activation_is_asked_for_then_done_from_the_emailed_link(api: Api, portal: Portal):
    account = api.new_account()
    numbers = {"clientNumber": account["clientNumber"], "contractNumber": account["contractNumber"]}
    asking = portal.get("/activate")
    assert asking.status_code == 200 and "Activer votre compte" in asking.text
    sent = portal.post("/activate", numbers)
    assert str(sent.url).endswith("/login")
    said = "Le lien est valable 48 heures"
    assert said in text_of(sent.text)
    # Unknown numbers get the very same answer (no account enumeration).
    unknown = portal.post("/activate", {"clientNumber": "NOPE1", "contractNumber": "NOPE2"})
    assert str(unknown.url).endswith("/login") and said in text_of(unknown.text)

    token = api.wait_for_token(account["managerEmail"], "activation")
    form = portal.get(f"/activate?token={token}")
    assert form.status_code == 200
    assert (
        'data-strength="password-strength"' in form.text and 'id="password-strength"' in form.text
    )
    assert f'name="token" value="{token}"' in form.text

    wrong = portal.post(
        "/activate",
        {
            **numbers,
            "contractNumber": "CT-OTHER",
            "token": token,
            "password": PASSWORD,
            "passwordConfirm": PASSWORD,
        },
    )
    assert wrong.status_code == 400
    assert "Vérifiez ce numéro" in field_error(wrong.text, "contractNumber")
    assert f'value="{account["clientNumber"]}"' in wrong.text  # what was typed is kept

    weak = portal.post(
        "/activate", {**numbers, "token": token, "password": "short", "passwordConfirm": "short"}
    )
    assert weak.status_code == 400
    assert field_error(weak.text, "password") == "doit compter au moins 12 caractères"

    different = portal.post(
        "/activate",
        {**numbers, "token": token, "password": PASSWORD, "passwordConfirm": PASSWORD + "x"},
    )
    assert different.status_code == 400
    assert field_error(different.text, "passwordConfirm") == (
        "Les deux mots de passe ne sont pas identiques."
    )

    done = portal.post(
        "/activate", {**numbers, "token": token, "password": PASSWORD, "passwordConfirm": PASSWORD}
    )
    assert done.status_code == 200 and str(done.url).endswith("/")
    assert "Votre compte est activé" in text_of(done.text) and "Bonjour Ada" in done.text
    assert api.login(account["managerEmail"], PASSWORD).status_code == 200

    # The link was used once: again, it is said, with the way to a new one.
    again = portal.post(
        "/activate", {**numbers, "token": token, "password": PASSWORD, "passwordConfirm": PASSWORD}
    )
    assert again.status_code == 400
    assert "Ce lien est invalide, a expiré ou a déjà servi." in text_of(again.text)
    assert 'href="/activate"' in again.text


def test_the_activation_page_in_english(portal: Portal):
    portal.get("/activate")
    page = portal.post("/language", {"language": "en", "next": "/activate"})
    assert 'lang="en"' in page.text and "Activate your account" in page.text
    assert "Send me the activation e-mail" in page.text
    missing = portal.post("/activate", {"clientNumber": "", "contractNumber": ""})
    assert missing.status_code == 400
    assert field_error(missing.text, "clientNumber") == "is required"


# ---- first login with a temporary password ---------------------------------------------
def test_first_login_sets_the_password_the_emails_and_the_paperless_consent(
    api: Api, portal: Portal
):
    account = _customer(api)
    email = f"clerk-{uuid.uuid4().hex[:8]}@example.com"
    created = api.post(
        "/v1/admin/users",
        {"entityId": account["id"], "email": email, "firstName": "François"},
        api.operator,
    )
    assert created.status_code == 201, created.text
    temporary = created.json()["temporaryPassword"]

    assert portal.get("/first-login").url.path == "/login"  # nothing to finish yet
    portal.get("/login")
    page = portal.post("/login", {"login": email, "password": temporary})
    assert page.url.path == "/first-login" and "Première connexion" in page.text
    assert 'name="paperlessConsent"' in page.text

    primary = f"francois-{uuid.uuid4().hex[:8]}@example.com"
    secondary = f"home-{uuid.uuid4().hex[:8]}@example.com"
    base = {"newPassword": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD}
    bad = portal.post(
        "/first-login", {**base, "primaryEmail": "not-an-email", "secondaryEmail": secondary}
    )
    assert bad.status_code == 400
    assert field_error(bad.text, "primaryEmail") == "n'est pas une adresse e-mail valide"
    assert f'value="{secondary}"' in bad.text
    same = portal.post("/first-login", {**base, "primaryEmail": primary, "secondaryEmail": primary})
    assert same.status_code == 400
    assert (
        field_error(same.text, "secondaryEmail") == "doit être différente de l'adresse principale"
    )
    no_email = portal.post("/first-login", {**base, "primaryEmail": ""})
    assert field_error(no_email.text, "primaryEmail") == "est obligatoire"

    done = portal.post(
        "/first-login",
        {**base, "primaryEmail": primary, "secondaryEmail": secondary, "paperlessConsent": "yes"},
    )
    assert done.status_code == 200 and done.url.path == "/"
    assert "Bonjour François" in done.text

    session = api.login(primary, NEW_PASSWORD)
    assert session.status_code == 200 and not session.json()["passwordChangeRequired"]
    token = session.json()["accessToken"]
    assert api.get("/v1/me", token).json()["user"]["secondaryEmail"] == secondary
    assert api.get("/v1/account", token).json()["paperlessConsent"] is True
    assert api.login(email, temporary).status_code == 401


# ---- sign-in links -----------------------------------------------------------------------
def test_a_sign_in_link_is_asked_for_then_signs_in_once(api: Api, portal: Portal):
    account = _customer(api)
    asking = portal.get("/magic-link")
    assert "Se connecter par un lien" in asking.text
    invalid = portal.post("/magic-link", {"email": "nobody"})
    assert invalid.status_code == 400
    assert field_error(invalid.text, "email") == "n'est pas une adresse e-mail valide"
    assert 'value="nobody"' in invalid.text

    sent = portal.post("/magic-link", {"email": account["managerEmail"]})
    assert sent.url.path == "/login" and "un lien de connexion vous est envoyé" in sent.text

    token = api.wait_for_token(account["managerEmail"], "magic_link")
    # Opening the link (as a mail scanner would) spends nothing: a button does.
    for _ in range(2):
        landing = portal.get(f"/magic-link?token={token}")
        assert landing.status_code == 200 and "Me connecter à mon espace client" in landing.text
    signed_in = portal.post("/magic-link", {"token": token})
    assert signed_in.url.path == "/" and "Bonjour Ada" in signed_in.text

    portal.post("/logout")
    portal.get(f"/magic-link?token={token}")
    spent = portal.post("/magic-link", {"token": token})
    assert spent.status_code == 400
    assert "Ce lien est invalide, a expiré ou a déjà servi." in text_of(spent.text)
    assert 'href="/magic-link"' in spent.text


def test_an_operators_first_connection_link_asks_for_a_password_first(api: Api, portal: Portal):
    account = _customer(api)
    email = f"tech-{uuid.uuid4().hex[:8]}@example.com"
    invited = api.post(
        "/v1/admin/users:invite",
        {"entityId": account["id"], "email": email, "firstName": "Théo"},
        api.operator,
    )
    assert invited.status_code == 201, invited.text
    token = api.wait_for_token(email, "first_connection")
    portal.get(f"/magic-link?token={token}")
    page = portal.post("/magic-link", {"token": token})
    assert page.url.path == "/first-login"
    assert "Laissez vide pour garder l'adresse" in text_of(page.text)
    assert 'name="by" value="link"' in page.text
    done = portal.post(
        "/first-login",
        {"by": "link", "newPassword": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD},
    )
    assert done.url.path == "/" and "Bonjour Théo" in done.text
    assert api.login(email, NEW_PASSWORD).status_code == 200


# ---- forgotten password and identifier ------------------------------------------------------
def test_a_forgotten_password_is_reset_from_the_emailed_link(api: Api, portal: Portal):
    account = _customer(api)
    assert portal.get("/reset-password").url.path == "/forgot-password"
    asked = portal.post("/forgot-password", {"email": account["managerEmail"]})
    assert asked.url.path == "/login" and "valable une heure" in asked.text
    unknown = portal.post("/forgot-password", {"email": "nobody-at-all@example.com"})
    assert unknown.url.path == "/login" and "valable une heure" in unknown.text

    token = api.wait_for_token(account["managerEmail"], "password_reset")
    form = portal.get(f"/reset-password?token={token}")
    assert 'data-strength="newPassword-strength"' in form.text
    weak = portal.post(
        "/reset-password", {"token": token, "newPassword": "short", "passwordConfirm": "short"}
    )
    assert weak.status_code == 400
    assert field_error(weak.text, "newPassword") == "doit compter au moins 12 caractères"
    done = portal.post(
        "/reset-password",
        {"token": token, "newPassword": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD},
    )
    assert done.url.path == "/login" and "Votre mot de passe est modifié." in done.text
    portal.sign_in(account["managerEmail"], NEW_PASSWORD)
    assert api.login(account["managerEmail"], PASSWORD).status_code == 401


def test_a_forgotten_identifier_is_emailed(api: Api, portal: Portal):
    account = _customer(api)
    page = portal.get("/forgot-identifier")
    assert "Identifiant oublié" in page.text
    bad = portal.post("/forgot-identifier", {"email": "not an address"})
    assert bad.status_code == 400
    assert field_error(bad.text, "email") == "n'est pas une adresse e-mail valide"
    sent = portal.post("/forgot-identifier", {"email": account["managerEmail"]})
    assert sent.url.path == "/login" and "vos identifiants" in sent.text
    reminder = _wait_template(api, account["managerEmail"], "identifier_reminder")
    assert reminder["recipient"] == account["managerEmail"]


# ---- invitation -------------------------------------------------------------------------------
def test_an_invited_manager_accepts_and_signs_in(api: Api, portal: Portal):
    account = _customer(api)
    unlocked = api.post(f"/v1/admin/accounts/{account['id']}:unlockDelegation", {}, api.operator)
    assert unlocked.status_code == 200, unlocked.text
    portal.sign_in(account["managerEmail"], PASSWORD)
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    portal.get("/account/users")
    invited = portal.post(
        "/account/users",
        {
            "email": email,
            "firstName": "Ina",
            "lastName": "Vited",
            "profileId": "builtin-billing",
            "language": "fr",
        },
    )
    assert invited.url.path == "/account/users" and f"{email} est invité" in invited.text
    portal.post("/logout")

    assert portal.get("/accept-invitation").url.path == "/login"
    token = api.wait_for_token(email, "invitation")
    form = portal.get(f"/accept-invitation?token={token}")
    assert form.status_code == 200 and "Accepter l'invitation" in text_of(form.text)
    different = portal.post(
        "/accept-invitation",
        {"token": token, "newPassword": NEW_PASSWORD, "passwordConfirm": "other"},
    )
    assert different.status_code == 400 and field_error(different.text, "passwordConfirm")
    done = portal.post(
        "/accept-invitation",
        {"token": token, "newPassword": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD},
    )
    assert done.url.path == "/login" and "Votre accès est prêt." in done.text
    dashboard = portal.sign_in(email, NEW_PASSWORD)
    assert "Bonjour Ina" in dashboard.text
    # A billing profile does not manage accesses: the page says so.
    assert portal.get("/account/users").status_code == 403
    spent = portal.post(
        "/accept-invitation",
        {"token": token, "newPassword": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD},
    )
    assert spent.status_code == 400 and "a déjà servi" in text_of(spent.text)
