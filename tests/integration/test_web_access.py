"""The portal's sign-in and sign-out through the real API: a customer signs in
by e-mail or client number, sees the dashboard in its language, switches to
English, signs out (the session ends in identity too); forms without the CSRF
token are refused; pages carry the security headers."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.web import Portal

PASSWORD = "Correct-Horse-42!"


def _customer(api: Api) -> dict:
    account = api.new_account()
    api.activate(account, PASSWORD)
    return account


def test_sign_in_by_email_then_by_client_number_and_sign_out(api: Api, portal: Portal) -> None:
    account = _customer(api)
    page = portal.sign_in(account["managerEmail"], PASSWORD)
    assert str(page.url).endswith("/")
    assert "Bonjour Ada" in page.text and account["name"] in page.text
    assert 'lang="fr"' in page.text

    english = portal.post("/language", {"language": "en", "next": "/"})
    assert "Hello Ada" in english.text and 'lang="en"' in english.text

    out = portal.post("/logout")
    assert str(out.url).endswith("/login")
    assert "You are signed out." in out.text
    # The dashboard asks to sign in again.
    again = portal.get("/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/login?next=/"

    by_number = portal.sign_in(account["clientNumber"], PASSWORD)
    assert account["name"] in by_number.text


def test_a_wrong_password_is_said_and_the_login_kept(api: Api, portal: Portal) -> None:
    account = _customer(api)
    portal.get("/login")
    answer = portal.post("/login", {"login": account["managerEmail"], "password": "nope"})
    assert answer.status_code == 400
    assert "ne correspondent à aucun accès actif" in answer.text
    assert f'value="{account["managerEmail"]}"' in answer.text


def test_forms_without_the_csrf_token_are_refused(api: Api, portal: Portal) -> None:
    account = _customer(api)
    portal.get("/login")
    refused = portal.post(
        "/login", {"login": account["managerEmail"], "password": PASSWORD}, csrf=False
    )
    assert refused.status_code == 403
    forged = portal.post(
        "/login", {"login": account["managerEmail"], "password": PASSWORD, "csrf": "forged"}
    )
    assert forged.status_code == 403
    assert portal.get("/", follow_redirects=False).status_code == 303  # not signed in


def test_pages_carry_the_security_headers(portal: Portal) -> None:
    page = portal.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    assert "<script>" not in page.text  # no inline script


def test_a_next_target_off_site_is_ignored(api: Api, portal: Portal) -> None:
    account = _customer(api)
    portal.get("/login?next=https://evil.example/")
    page = portal.post(
        "/login",
        {"login": account["managerEmail"], "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert page.status_code == 303 and page.headers["location"] == "/"
