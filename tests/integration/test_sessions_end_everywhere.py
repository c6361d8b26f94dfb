"""A session ended in identity (logout, password change) is refused by every
service within seconds, not only when its access token expires."""

from __future__ import annotations

import time

from tests.support.api import Api, error_reason

WITHIN_SECONDS = 5.0


def _refused_everywhere(api: Api, token: str) -> None:
    deadline = time.monotonic() + WITHIN_SECONDS
    routes = ["/v1/beneficiaries", "/v1/documents", "/v1/me"]
    while True:
        answers = {route: api.get(route, token) for route in routes}
        if all(answer.status_code == 401 for answer in answers.values()):
            break
        assert time.monotonic() < deadline, {r: a.status_code for r, a in answers.items()}
        time.sleep(0.1)
    assert error_reason(answers["/v1/beneficiaries"]) == "SESSION_ENDED"
    assert error_reason(answers["/v1/documents"]) == "SESSION_ENDED"


def test_logout_ends_the_access_token_in_every_service(api: Api) -> None:
    account = api.new_account()
    session = api.activate(account)
    token = session["accessToken"]
    second = api.login(account["managerEmail"], "Correct-Horse-42!").json()["accessToken"]
    assert api.get("/v1/beneficiaries", token).status_code == 200
    assert api.get("/v1/documents", token).status_code == 200
    assert api.post("/v1/auth/logout", {}, token).status_code in (200, 204)
    _refused_everywhere(api, token)
    # Another session of the same user goes on.
    assert api.get("/v1/beneficiaries", second).status_code == 200


def test_a_password_change_ends_the_other_sessions_everywhere(api: Api) -> None:
    account = api.new_account()
    first = api.activate(account)["accessToken"]
    other = api.login(account["managerEmail"], "Correct-Horse-42!").json()["accessToken"]
    changed = api.post(
        "/v1/me/password",
        {"currentPassword": "Correct-Horse-42!", "newPassword": "Another-Horse-43!"},
        other,
    )
    assert changed.status_code == 200, changed.text
    _refused_everywhere(api, first)
    _refused_everywhere(api, other)
    fresh = changed.json()["accessToken"]
    assert api.get("/v1/beneficiaries", fresh).status_code == 200
