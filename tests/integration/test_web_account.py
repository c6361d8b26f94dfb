"""The account pages through the real API: the company, contracts and contacts,
the paperless consent, changing one's password, choosing the account one acts
for, accesses (locked until delegation is unlocked) and profiles."""

from __future__ import annotations

import re
import uuid

from tests.support.api import Api
from tests.support.web import Portal

from .test_web_account_access import field_error, text_of

PASSWORD = "Correct-Horse-42!"
NEW_PASSWORD = "Staple-Battery-77!"
NOT_FOUND = "Cette page n'existe pas"


def _customer(api: Api, *, unlocked: bool = False, **kw: str) -> dict:
    account = api.new_account(**kw)
    account["token"] = api.activate(account, PASSWORD)["accessToken"]
    if unlocked:
        answer = api.post(f"/v1/admin/accounts/{account['id']}:unlockDelegation", {}, api.operator)
        assert answer.status_code == 200, answer.text
    return account


def _signed_in(api: Api, portal: Portal, **kw: bool) -> dict:
    account = _customer(api, **kw)
    portal.sign_in(account["managerEmail"], PASSWORD)
    return account


def _row(page_html: str, text: str) -> str:
    """The table row (`<tr>...</tr>`) that shows `text`."""
    for row in re.findall(r"<tr>.*?</tr>", page_html, flags=re.S):
        if text in row:
            return row
    raise AssertionError(f"no row with {text!r}")


# ---- the account ---------------------------------------------------------------------------
def test_the_account_page_shows_the_company_contracts_and_contacts(api: Api, portal: Portal):
    account = _signed_in(api, portal)
    page = portal.get("/account")
    assert page.status_code == 200
    assert account["name"] in page.text and account["clientNumber"] in page.text
    assert account["contractNumber"].upper() in page.text and "Meal cards" in page.text
    assert "<h2>Contrats</h2>" in page.text and "Contact facturation" in page.text
    assert 'href="/account/contacts"' in page.text

    english = portal.post("/language", {"language": "en", "next": "/account"})
    assert 'lang="en"' in english.text and "<h2>Contracts</h2>" in english.text
    assert "Billing contact" in english.text


def test_contacts_are_checked_field_by_field_then_saved(api: Api, portal: Portal):
    _signed_in(api, portal)
    form = portal.get("/account/contacts")
    assert 'id="f-billing.email"' in form.text and "<legend>Contact livraison</legend>" in form.text
    bad = portal.post(
        "/account/contacts",
        {"billing.name": "Compta", "billing.email": "not-an-email", "billing.phone": "12"},
    )
    assert bad.status_code == 400
    assert field_error(bad.text, "billing.email") == "n'est pas une adresse e-mail valide"
    assert "n'est pas un numéro de téléphone valide" in field_error(bad.text, "billing.phone")
    assert field_error(bad.text, "delivery.email") == ""
    assert 'value="Compta"' in bad.text and 'value="not-an-email"' in bad.text

    good = portal.post(
        "/account/contacts",
        {
            "billing.name": "Compta",
            "billing.email": "compta@example.com",
            "billing.phone": "+33 6 12 34 56 78",
            "delivery.name": "Accueil",
        },
    )
    assert good.url.path == "/account" and "Les contacts sont enregistrés." in good.text
    assert "compta@example.com" in good.text and "+33612345678" in good.text


def test_paperless_consent_is_given_and_withdrawn_and_opens_the_contracts(api: Api, portal: Portal):
    account = _signed_in(api, portal)
    settings = api.patch(
        f"/v1/admin/accounts/{account['id']}/settings",
        {"paperlessConsentRequired": True},
        api.operator,
    )
    assert settings.status_code == 200, settings.text
    page = portal.get("/account")
    assert "Vous recevez vos documents par courrier." in page.text
    assert "Vos contrats sont affichés une fois" in page.text
    assert account["contractNumber"].upper() not in page.text

    given = portal.post("/account/paperless-consent", {"paperlessConsent": "yes"})
    assert given.url.path == "/account"
    assert "Vos documents vous seront désormais envoyés par e-mail." in given.text
    assert account["contractNumber"].upper() in given.text
    assert api.get("/v1/account", account["token"]).json()["paperlessConsent"] is True

    withdrawn = portal.post("/account/paperless-consent", {"paperlessConsent": "no"})
    assert "Votre accord est retiré" in withdrawn.text
    assert api.get("/v1/account", account["token"]).json()["paperlessConsent"] is False


def test_the_password_is_changed_with_the_current_one(api: Api, portal: Portal):
    account = _signed_in(api, portal)
    form = portal.get("/account/password")
    assert 'data-strength="newPassword-strength"' in form.text
    wrong = portal.post(
        "/account/password",
        {
            "currentPassword": "not-my-password",
            "newPassword": NEW_PASSWORD,
            "passwordConfirm": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400
    assert field_error(wrong.text, "currentPassword") == "est incorrect"
    same = portal.post(
        "/account/password",
        {"currentPassword": PASSWORD, "newPassword": PASSWORD, "passwordConfirm": PASSWORD},
    )
    assert field_error(same.text, "newPassword") == "doit être différent du mot de passe actuel"
    done = portal.post(
        "/account/password",
        {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD},
    )
    assert done.url.path == "/account" and "Votre mot de passe est modifié." in done.text
    # The session goes on with the new tokens; the old password is gone.
    assert portal.get("/account").status_code == 200
    assert api.login(account["managerEmail"], PASSWORD).status_code == 401
    assert api.login(account["managerEmail"], NEW_PASSWORD).status_code == 200


# ---- the account one acts for ------------------------------------------------------------------
def test_a_manager_of_two_accounts_chooses_the_one_they_act_for(api: Api, portal: Portal):
    mine = _customer(api)
    other = _customer(api, unlocked=True)
    shared = api.post(
        "/v1/users", {"email": mine["managerEmail"], "profileId": "builtin-admin"}, other["token"]
    )
    assert shared.status_code == 201, shared.text
    stranger = _customer(api)

    portal.sign_in(mine["managerEmail"], PASSWORD)
    page = portal.get("/account/entity")
    assert page.status_code == 200
    assert mine["name"] in page.text and other["name"] in page.text
    assert "Compte actuel" in _row(page.text, mine["name"])
    assert 'name="entityId"' in _row(page.text, other["name"])

    switched = portal.post("/account/entity", {"entityId": other["id"]})
    assert switched.url.path == "/"
    assert f"Vous agissez maintenant pour {other['name']}." in switched.text
    assert other["clientNumber"] in portal.get("/account").text

    refused = portal.post("/account/entity", {"entityId": stranger["id"]})
    assert refused.status_code == 404 and NOT_FOUND in text_of(refused.text)
    assert other["clientNumber"] in portal.get("/account").text  # still acting for it


# ---- accesses ------------------------------------------------------------------------------------
def test_accesses_are_locked_until_delegation_is_unlocked(api: Api, portal: Portal):
    _signed_in(api, portal)
    page = portal.get("/account/users")
    assert page.status_code == 200
    locked = "disponibles après la première commande de votre compte"
    assert locked in page.text and 'action="/account/users"' not in page.text
    attempt = portal.post(
        "/account/users",
        {"email": "someone@example.com", "profileId": "builtin-admin", "language": "fr"},
    )
    assert attempt.status_code == 400 and locked in attempt.text
    assert 'value="someone@example.com"' not in attempt.text  # no form while locked
    profiles = portal.get("/account/profiles")
    assert locked in profiles.text and 'action="/account/profiles"' not in profiles.text


def test_managers_are_invited_given_another_profile_and_disabled(api: Api, portal: Portal):
    account = _signed_in(api, portal, unlocked=True)
    page = portal.get("/account/users")
    assert "Inviter un gestionnaire" in page.text
    assert re.search(r'<option value="builtin-orders"[^>]*>Commandes</option>', page.text)

    bad = portal.post(
        "/account/users", {"email": "not-an-email", "profileId": "builtin-admin", "language": "fr"}
    )
    assert bad.status_code == 400
    assert field_error(bad.text, "email") == "n'est pas une adresse e-mail valide"
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    no_profile = portal.post(
        "/account/users", {"email": email, "firstName": "Bea", "profileId": "", "language": "fr"}
    )
    assert field_error(no_profile.text, "profileId") == "est obligatoire"
    assert f'value="{email}"' in no_profile.text and 'value="Bea"' in no_profile.text

    invited = portal.post(
        "/account/users",
        {"email": email, "firstName": "Bea", "profileId": "builtin-billing", "language": "en"},
    )
    assert invited.url.path == "/account/users"
    row = _row(invited.text, email)
    assert "Facturation" in row and "Invité" in row
    twice = portal.post(
        "/account/users", {"email": email, "profileId": "builtin-billing", "language": "fr"}
    )
    assert field_error(twice.text, "email") == "Cette personne a déjà accès à votre compte."

    user_id = next(
        u["id"]
        for u in api.get("/v1/users", account["token"]).json()["users"]
        if u["email"] == email
    )
    changed = portal.post(f"/account/users/{user_id}/profile", {"profileId": "builtin-orders"})
    assert changed.url.path == "/account/users" and "Le profil est modifié." in changed.text
    assert "Commandes" in _row(changed.text, email)

    me = api.get("/v1/me", account["token"]).json()["user"]["id"]
    myself = portal.post(f"/account/users/{me}/profile", {"profileId": "builtin-orders"})
    assert myself.status_code == 400
    assert "Vous ne pouvez pas modifier ni désactiver votre propre accès." in myself.text

    disabled = portal.post(f"/account/users/{user_id}/disable")
    assert "L'accès est désactivé" in text_of(disabled.text)
    assert "Désactivé" in _row(disabled.text, email)

    theirs = _customer(api, unlocked=True)
    their_user = api.post(
        "/v1/users",
        {"email": f"u-{uuid.uuid4().hex[:8]}@example.com", "profileId": "builtin-admin"},
        theirs["token"],
    ).json()
    for path, body in (
        (f"/account/users/{their_user['id']}/profile", {"profileId": "builtin-orders"}),
        (f"/account/users/{their_user['id']}/disable", {}),
    ):
        answer = portal.post(path, body)
        assert answer.status_code == 404 and NOT_FOUND in text_of(answer.text)


# ---- profiles ------------------------------------------------------------------------------
def test_profiles_are_created_changed_and_deleted_with_permission_boxes(api: Api, portal: Portal):
    account = _signed_in(api, portal, unlocked=True)
    page = portal.get("/account/profiles")
    assert "Administrateur" in _row(page.text, "Administrateur") and "prédéfini" in page.text
    assert 'name="permissions" value="orders.read"' in page.text
    assert "Accepter les devis" in page.text

    none = portal.post("/account/profiles", {"name": "Acheteurs"})
    assert none.status_code == 400
    assert field_error(none.text, "permissions") == "au moins un droit est nécessaire"
    assert 'value="Acheteurs"' in none.text
    reserved = portal.post(
        "/account/profiles", {"name": "Administrator", "permissions": ["orders.read"]}
    )
    assert field_error(reserved.text, "name") == "est le nom d'un profil prédéfini"
    assert re.search(r'value="orders.read" checked', reserved.text)  # ticks kept

    created = portal.post(
        "/account/profiles", {"name": "Acheteurs", "permissions": ["orders.read", "orders.write"]}
    )
    assert created.url.path == "/account/profiles"
    row = _row(created.text, "Acheteurs")
    assert "Commander des cartes et des chargements" in row and "Régler les factures" not in row
    taken = portal.post("/account/profiles", {"name": "Acheteurs", "permissions": ["billing.read"]})
    assert field_error(taken.text, "name") == "Votre compte a déjà un profil de ce nom."

    profile_id = next(
        p["id"]
        for p in api.get("/v1/profiles", account["token"]).json()["profiles"]
        if p["name"] == "Acheteurs"
    )
    form = portal.get(f"/account/profiles/{profile_id}")
    assert re.search(r'value="orders.write" checked', form.text)
    assert not re.search(r'value="billing.read" checked', form.text)
    unticked = portal.post(f"/account/profiles/{profile_id}", {"name": "Acheteurs"})
    assert field_error(unticked.text, "permissions") == "Cochez au moins un droit."
    saved = portal.post(
        f"/account/profiles/{profile_id}", {"name": "Achats", "permissions": ["billing.read"]}
    )
    assert saved.url.path == "/account/profiles"
    assert "Consulter les factures et les documents" in _row(saved.text, "Achats")

    # In use, it stays; once no one uses it, it goes.
    user = api.post(
        "/v1/users",
        {"email": f"p-{uuid.uuid4().hex[:8]}@example.com", "profileId": profile_id},
        account["token"],
    )
    assert user.status_code == 201, user.text
    in_use = portal.post(f"/account/profiles/{profile_id}/delete")
    assert in_use.status_code == 400
    assert "Des gestionnaires utilisent encore ce profil" in in_use.text
    api.patch(f"/v1/users/{user.json()['id']}", {"profileId": "builtin-admin"}, account["token"])
    deleted = portal.post(f"/account/profiles/{profile_id}/delete")
    assert deleted.url.path == "/account/profiles" and "Le profil est supprimé." in deleted.text
    assert "Achats" not in deleted.text

    theirs = _customer(api, unlocked=True)
    their_profile = api.post(
        "/v1/profiles", {"name": "Theirs", "permissions": ["orders.read"]}, theirs["token"]
    ).json()
    assert portal.get(f"/account/profiles/{their_profile['id']}").status_code == 404
    for path, body in (
        (f"/account/profiles/{their_profile['id']}", {"name": "x", "permissions": ["orders.read"]}),
        (f"/account/profiles/{their_profile['id']}/delete", {}),
    ):
        answer = portal.post(path, body)
        assert answer.status_code == 404 and NOT_FOUND in text_of(answer.text)
