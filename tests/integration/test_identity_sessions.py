"""Magic links, password reset and change, refresh-token rotation, logout,
several entities, through the gateway."""

from __future__ import annotations

from tests.support.api import Api, error_reason, field_violations

PASSWORD = "Correct-Horse-42!"


def test_magic_link_logs_in_once(api: Api):
    account = api.new_account()
    api.activate(account, PASSWORD)
    assert (
        api.post("/v1/auth/magic-link:request", {"email": account["managerEmail"]}).status_code
        == 202
    )
    token = api.wait_for_token(account["managerEmail"], "magic_link")
    first = api.post("/v1/auth/magic-link:redeem", {"token": token})
    assert first.status_code == 200, first.text
    assert api.get("/v1/me", first.json()["accessToken"]).status_code == 200
    second = api.post("/v1/auth/magic-link:redeem", {"token": token})
    assert second.status_code in {400, 401}
    assert error_reason(second) == "TOKEN_INVALID_OR_EXPIRED"


def test_link_requests_for_unknown_addresses_look_the_same(api: Api):
    for path in ("/v1/auth/magic-link:request", "/v1/auth/password-reset:request"):
        answer = api.post(path, {"email": "ghost@example.com"})
        assert answer.status_code == 202
    assert api.messages("ghost@example.com") == []


def test_password_reset_ends_every_session(api: Api):
    account = api.new_account()
    session = api.activate(account, PASSWORD)
    assert (
        api.post("/v1/auth/password-reset:request", {"email": account["managerEmail"]}).status_code
        == 202
    )
    token = api.wait_for_token(account["managerEmail"], "password_reset")
    weak = api.post("/v1/auth/password-reset:confirm", {"token": token, "newPassword": "weak"})
    assert weak.status_code == 400 and "newPassword" in field_violations(weak)
    done = api.post(
        "/v1/auth/password-reset:confirm", {"token": token, "newPassword": "Reset-Done-2026!"}
    )
    assert done.status_code == 200, done.text
    refreshed = api.post("/v1/auth/token:refresh", {"refreshToken": session["refreshToken"]})
    assert refreshed.status_code == 401
    assert api.login(account["managerEmail"], PASSWORD).status_code == 401
    assert api.login(account["managerEmail"], "Reset-Done-2026!").status_code == 200
    templates = {m["template"] for m in api.messages(account["managerEmail"])}
    assert "password_reset" in templates
    # A reset link works once.
    again = api.post(
        "/v1/auth/password-reset:confirm", {"token": token, "newPassword": "Reset-Again-2026!"}
    )
    assert error_reason(again) == "TOKEN_INVALID_OR_EXPIRED"


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(api: Api):
    account = api.new_account()
    session = api.activate(account, PASSWORD)
    rotated = api.post("/v1/auth/token:refresh", {"refreshToken": session["refreshToken"]})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["refreshToken"] != session["refreshToken"]
    assert api.get("/v1/me", new["accessToken"]).status_code == 200

    reused = api.post("/v1/auth/token:refresh", {"refreshToken": session["refreshToken"]})
    assert reused.status_code == 401
    assert error_reason(reused) == "REFRESH_TOKEN_REUSED"
    # The thief's use burnt the whole family, the legitimate newest token too.
    after = api.post("/v1/auth/token:refresh", {"refreshToken": new["refreshToken"]})
    assert after.status_code == 401


def test_logout_ends_the_session(api: Api):
    account = api.new_account()
    session = api.activate(account, PASSWORD)
    out = api.post(
        "/v1/auth/logout", {"refreshToken": session["refreshToken"]}, session["accessToken"]
    )
    assert out.status_code == 200, out.text
    assert (
        api.post("/v1/auth/token:refresh", {"refreshToken": session["refreshToken"]}).status_code
        == 401
    )
    assert api.get("/v1/me", session["accessToken"]).status_code == 401


def test_changing_the_password_ends_other_sessions(api: Api):
    account = api.new_account()
    first = api.activate(account, PASSWORD)
    other = api.login(account["managerEmail"], PASSWORD).json()
    wrong = api.post(
        "/v1/me/password",
        {"currentPassword": "nope-nope-nope", "newPassword": "Changed-Pass-99!"},
        first["accessToken"],
    )
    assert wrong.status_code in {400, 401}
    changed = api.post(
        "/v1/me/password",
        {"currentPassword": PASSWORD, "newPassword": "Changed-Pass-99!"},
        first["accessToken"],
    )
    assert changed.status_code == 200, changed.text
    assert api.get("/v1/me", changed.json()["accessToken"]).status_code == 200
    assert (
        api.post("/v1/auth/token:refresh", {"refreshToken": other["refreshToken"]}).status_code
        == 401
    )
    templates = [m["template"] for m in api.messages(account["managerEmail"])]
    assert "password_changed" in templates or _eventually_notified(api, account["managerEmail"])


def _eventually_notified(api: Api, email: str) -> bool:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(m["template"] == "password_changed" for m in api.messages(email)):
            return True
        time.sleep(0.1)
    return False


def test_a_manager_of_several_entities_switches_between_them(api: Api):
    first = api.new_account()
    session = api.activate(first, PASSWORD)
    second = api.new_account(email=first["managerEmail"])
    me = api.get("/v1/me", session["accessToken"]).json()
    assert {e["id"] for e in me["entities"]} >= {first["id"], second["id"]}

    switched = api.post("/v1/me/entity:switch", {"entityId": second["id"]}, session["accessToken"])
    assert switched.status_code == 200, switched.text
    now = api.get("/v1/me", switched.json()["accessToken"]).json()
    assert now["currentEntity"]["id"] == second["id"]
    account = api.get("/v1/account", switched.json()["accessToken"]).json()
    assert account["clientNumber"] == second["clientNumber"]

    stranger = api.new_account()
    refused = api.post(
        "/v1/me/entity:switch", {"entityId": stranger["id"]}, switched.json()["accessToken"]
    )
    assert refused.status_code == 404
