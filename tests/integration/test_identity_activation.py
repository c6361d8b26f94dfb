"""Account activation, login, lockout and first login, through the gateway."""

from __future__ import annotations

import time

from tests.integration.conftest import TEST_ACTIVATION_TTL_SECONDS
from tests.support.api import Api, error_reason, field_violations

PASSWORD = "Correct-Horse-42!"


def _numbers(account: dict) -> dict:
    return {"clientNumber": account["clientNumber"], "contractNumber": account["contractNumber"]}


def test_activation_by_emailed_link_then_login(api: Api):
    account = api.new_account()
    session = api.activate(account, PASSWORD)
    assert session["tokenType"] == "Bearer"
    assert session["refreshToken"] and session["expiresIn"] > 0

    me = api.get("/v1/me", session["accessToken"])
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["user"]["email"] == account["managerEmail"]
    assert body["currentEntity"]["clientNumber"] == account["clientNumber"]
    assert "users.manage" in body["permissions"]

    by_email = api.login(account["managerEmail"].upper(), PASSWORD)
    assert by_email.status_code == 200, by_email.text
    by_client_number = api.login(account["clientNumber"], PASSWORD)
    assert by_client_number.status_code == 200, by_client_number.text

    # The e-mail went out through the mailbox and says what it is.
    message = next(
        m for m in api.messages(account["managerEmail"]) if m["template"] == "activation"
    )
    assert message["status"] in {"DELIVERY_STATUS_SENT", "DELIVERY_STATUS_PENDING"}
    assert "token=" in message["links"][0]


def test_activation_request_never_reveals_whether_an_account_exists(api: Api):
    unknown = api.post(
        "/v1/auth/activation:request", {"clientNumber": "NOPE", "contractNumber": "NOPE"}
    )
    account = api.new_account()
    known = api.post("/v1/auth/activation:request", _numbers(account))
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content


def test_a_used_activation_link_cannot_be_reused(api: Api):
    account = api.new_account()
    assert api.post("/v1/auth/activation:request", _numbers(account)).status_code == 202
    token = api.wait_for_token(account["managerEmail"], "activation")
    body = {**_numbers(account), "token": token, "password": PASSWORD}
    assert api.post("/v1/auth/activation:confirm", body).status_code == 200
    again = api.post("/v1/auth/activation:confirm", {**body, "password": "Another-Pass-123!"})
    assert again.status_code in {400, 401}, again.text
    assert error_reason(again) == "TOKEN_INVALID_OR_EXPIRED"


def test_a_regenerated_link_replaces_the_previous_one(api: Api):
    account = api.new_account()
    assert api.post("/v1/auth/activation:request", _numbers(account)).status_code == 202
    first = api.wait_for_token(account["managerEmail"], "activation", count=1)
    assert api.post("/v1/auth/activation:request", _numbers(account)).status_code == 202
    second = api.wait_for_token(account["managerEmail"], "activation", count=2)
    assert first != second
    old = api.post(
        "/v1/auth/activation:confirm", {**_numbers(account), "token": first, "password": PASSWORD}
    )
    assert error_reason(old) == "TOKEN_INVALID_OR_EXPIRED"
    new = api.post(
        "/v1/auth/activation:confirm", {**_numbers(account), "token": second, "password": PASSWORD}
    )
    assert new.status_code == 200, new.text


def test_wrong_contract_number_is_refused_and_keeps_the_link(api: Api):
    account = api.new_account()
    assert api.post("/v1/auth/activation:request", _numbers(account)).status_code == 202
    token = api.wait_for_token(account["managerEmail"], "activation")
    wrong = api.post(
        "/v1/auth/activation:confirm",
        {
            "clientNumber": account["clientNumber"],
            "contractNumber": "CT-WRONG",
            "token": token,
            "password": PASSWORD,
        },
    )
    assert wrong.status_code == 400, wrong.text
    assert wrong.json()["error"]["message"]
    right = api.post(
        "/v1/auth/activation:confirm", {**_numbers(account), "token": token, "password": PASSWORD}
    )
    assert right.status_code == 200, right.text


def test_weak_password_is_refused_with_the_field_named(api: Api):
    account = api.new_account()
    assert api.post("/v1/auth/activation:request", _numbers(account)).status_code == 202
    token = api.wait_for_token(account["managerEmail"], "activation")
    for weak in ("short", "password1234", "123456789012"):
        answer = api.post(
            "/v1/auth/activation:confirm", {**_numbers(account), "token": token, "password": weak}
        )
        assert answer.status_code == 400, answer.text
        assert "password" in field_violations(answer)


def test_an_expired_activation_link_is_refused(api: Api):
    account = api.new_account()
    assert api.post("/v1/auth/activation:request", _numbers(account)).status_code == 202
    token = api.wait_for_token(account["managerEmail"], "activation")
    time.sleep(TEST_ACTIVATION_TTL_SECONDS + 0.5)
    late = api.post(
        "/v1/auth/activation:confirm", {**_numbers(account), "token": token, "password": PASSWORD}
    )
    assert late.status_code in {400, 401}, late.text
    assert error_reason(late) == "TOKEN_INVALID_OR_EXPIRED"


def test_wrong_passwords_lock_the_account_for_a_while(api: Api):
    account = api.new_account()
    api.activate(account, PASSWORD)
    for _ in range(5):
        wrong = api.login(account["managerEmail"], "Not-The-Password-1")
        assert wrong.status_code == 401
        assert error_reason(wrong) == "INVALID_CREDENTIALS"
    locked = api.login(account["managerEmail"], PASSWORD)
    assert locked.status_code in {401, 429}, "the right password does not open a locked account"
    # An unknown login answers exactly like a wrong password.
    unknown = api.login("nobody-here@example.com", "Whatever-Pass-1")
    assert unknown.status_code == 401 and error_reason(unknown) == "INVALID_CREDENTIALS"


def test_first_login_with_a_temporary_password(api: Api):
    account = api.new_account()
    api.activate(account)
    created = api.post(
        "/v1/admin/users",
        {
            "entityId": account["id"],
            "email": f"temp-{account['clientNumber']}@example.com",
            "firstName": "Tem",
            "lastName": "Porary",
        },
        api.operator,
    )
    assert created.status_code == 201, created.text
    temporary = created.json()["temporaryPassword"]
    email = created.json()["user"]["email"]

    first = api.login(email, temporary)
    assert first.status_code == 200, first.text
    assert first.json()["passwordChangeRequired"] is True
    assert not first.json()["refreshToken"]
    restricted = first.json()["accessToken"]
    # The restricted token is good for first-login only.
    assert api.get("/v1/me", restricted).status_code == 401

    weak = api.post(
        "/v1/auth/first-login",
        {"newPassword": "weak", "primaryEmail": email, "paperlessConsent": True},
        restricted,
    )
    assert weak.status_code == 400 and "newPassword" in field_violations(weak)
    done = api.post(
        "/v1/auth/first-login",
        {
            "newPassword": "Brand-New-Password-7",
            "primaryEmail": email,
            "secondaryEmail": f"backup-{account['clientNumber']}@example.com",
            "paperlessConsent": True,
        },
        restricted,
    )
    assert done.status_code == 200, done.text
    assert done.json()["refreshToken"]
    me = api.get("/v1/me", done.json()["accessToken"]).json()
    assert me["user"]["secondaryEmail"].startswith("backup-")
    assert api.login(email, temporary).status_code == 401
    assert api.login(email, "Brand-New-Password-7").status_code == 200
    account_view = api.get("/v1/account", done.json()["accessToken"]).json()
    assert account_view["paperlessConsent"] is True
