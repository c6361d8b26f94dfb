"""Delegated manager accesses, profiles, the account's contacts, operator
routes, cross-entity isolation and the first-paid-order unlock."""

from __future__ import annotations

import asyncio
import time

import nats

from deploy.local.suite import Suite
from portal.ordering.v1 import events_pb2
from portal_runtime.outbox import new_event
from tests.support.api import Api, error_reason, field_violations

PASSWORD = "Correct-Horse-42!"


def _unlocked_manager(api: Api) -> tuple[dict, str]:
    account = api.new_account()
    token = api.activate(account, PASSWORD)["accessToken"]
    unlocked = api.post(f"/v1/admin/accounts/{account['id']}:unlockDelegation", {}, api.operator)
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["delegationUnlocked"] is True
    return account, token


def test_delegation_is_locked_until_the_first_paid_order(api: Api):
    account = api.new_account()
    token = api.activate(account, PASSWORD)["accessToken"]
    invite = api.post("/v1/users", {"email": "x@example.com", "profileId": "builtin-admin"}, token)
    assert invite.status_code == 400, invite.text
    assert invite.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert error_reason(invite) == "DELEGATION_LOCKED"
    profile = api.post("/v1/profiles", {"name": "Buyers", "permissions": ["orders.read"]}, token)
    assert error_reason(profile) == "DELEGATION_LOCKED"


def test_the_first_paid_order_unlocks_delegation(api: Api, suite: Suite):
    account = api.new_account()
    token = api.activate(account, PASSWORD)["accessToken"]

    async def publish() -> None:
        nc = await nats.connect(suite.env["PORTAL_NATS_URL"])
        event = new_event(events_pb2.OrderPaid, entity_id=account["id"], order_id="order-1")
        js = nc.jetstream()
        for _ in range(2):  # delivered twice: applied once
            await js.publish(
                "portal.ordering.OrderPaid",
                event.SerializeToString(),
                headers={"ce-id": event.event_id, "ce-type": "portal.ordering.v1.OrderPaid"},
            )
        await nc.close()

    asyncio.run(publish())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if api.get("/v1/account", token).json()["delegationUnlocked"]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the OrderPaid event did not unlock delegation")
    invite = api.post(
        "/v1/users",
        {"email": f"buyer-{account['clientNumber']}@example.com", "profileId": "builtin-admin"},
        token,
    )
    assert invite.status_code == 201, invite.text


def test_invited_manager_sets_a_password_and_gets_the_profile_permissions(api: Api):
    account, token = _unlocked_manager(api)
    profile = api.post(
        "/v1/profiles", {"name": "Billing only", "permissions": ["billing.read"]}, token
    )
    assert profile.status_code == 201, profile.text
    email = f"invitee-{account['clientNumber']}@example.com".lower()
    invited = api.post(
        "/v1/users",
        {
            "email": email,
            "firstName": "Ina",
            "lastName": "Vited",
            "profileId": profile.json()["id"],
        },
        token,
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["status"] == "USER_STATUS_PENDING"
    again = api.post("/v1/users", {"email": email, "profileId": profile.json()["id"]}, token)
    assert again.status_code == 409

    link = api.wait_for_token(email, "invitation")
    set_pw = api.post(
        "/v1/auth/password-reset:confirm", {"token": link, "newPassword": "Invited-Pass-2026"}
    )
    assert set_pw.status_code == 200, set_pw.text
    session = api.login(email, "Invited-Pass-2026")
    assert session.status_code == 200, session.text
    invitee = session.json()["accessToken"]
    me = api.get("/v1/me", invitee).json()
    assert me["permissions"] == ["billing.read"]
    # Missing permission -> 403.
    forbidden = api.get("/v1/users", invitee)
    assert forbidden.status_code == 403
    assert error_reason(forbidden) == "MISSING_PERMISSION"

    listed = api.get("/v1/users", token).json()["users"]
    assert email in {u["email"] for u in listed}
    # Deleting a profile in use is refused; changing the profile works.
    in_use = api.delete(f"/v1/profiles/{profile.json()['id']}", token)
    assert in_use.status_code == 400 and error_reason(in_use) == "PROFILE_IN_USE"
    user_id = invited.json()["id"]
    changed = api.patch(f"/v1/users/{user_id}", {"profileId": "builtin-admin"}, token)
    assert changed.status_code == 200, changed.text
    assert api.delete(f"/v1/profiles/{profile.json()['id']}", token).status_code == 200
    # Disabling the access ends it.
    assert api.delete(f"/v1/users/{user_id}", token).status_code == 200
    assert (
        api.get("/v1/me", invitee).status_code == 401
        or api.login(email, "Invited-Pass-2026").status_code == 401
    )


def test_built_in_profiles_cannot_be_changed_and_permissions_are_checked(api: Api):
    _, token = _unlocked_manager(api)
    profiles = api.get("/v1/profiles", token).json()["profiles"]
    builtin = next(p for p in profiles if p["builtIn"])
    refused = api.patch(f"/v1/profiles/{builtin['id']}", {"name": "Mine now"}, token)
    assert refused.status_code == 400
    unknown = api.post("/v1/profiles", {"name": "Bad", "permissions": ["rockets.launch"]}, token)
    assert unknown.status_code == 400 and field_violations(unknown)


def test_another_entitys_resources_answer_404(api: Api):
    _, my_token = _unlocked_manager(api)
    theirs, their_token = _unlocked_manager(api)
    their_profile = api.post(
        "/v1/profiles", {"name": "Theirs", "permissions": ["orders.read"]}, their_token
    ).json()
    their_user = api.post(
        "/v1/users",
        {"email": f"u-{theirs['clientNumber']}@example.com", "profileId": "builtin-admin"},
        their_token,
    ).json()
    assert (
        api.patch(
            f"/v1/users/{their_user['id']}", {"profileId": "builtin-admin"}, my_token
        ).status_code
        == 404
    )
    assert api.delete(f"/v1/users/{their_user['id']}", my_token).status_code == 404
    assert (
        api.patch(f"/v1/profiles/{their_profile['id']}", {"name": "x"}, my_token).status_code == 404
    )
    assert api.delete(f"/v1/profiles/{their_profile['id']}", my_token).status_code == 404
    mine_listed = {u["email"] for u in api.get("/v1/users", my_token).json()["users"]}
    assert their_user["email"] not in mine_listed
    assert their_profile["id"] not in {
        p["id"] for p in api.get("/v1/profiles", my_token).json()["profiles"]
    }


def test_account_contacts_are_validated_field_by_field(api: Api):
    account = api.new_account()
    token = api.activate(account, PASSWORD)["accessToken"]
    bad = api.patch(
        "/v1/account/contacts",
        {"billing": {"name": "Compta", "email": "not-an-email", "phone": "12"}},
        token,
    )
    assert bad.status_code == 400
    fields = field_violations(bad)
    assert "billing.email" in fields and "billing.phone" in fields
    good = api.patch(
        "/v1/account/contacts",
        {
            "billing": {
                "name": "Compta",
                "email": "compta@example.com",
                "phone": "+33 6 12 34 56 78",
            },
            "delivery": {
                "name": "Accueil",
                "email": "accueil@example.com",
                "phone": "+33612345679",
            },
        },
        token,
    )
    assert good.status_code == 200, good.text
    contacts = api.get("/v1/account", token).json()["contacts"]
    assert contacts["billing"]["phone"] == "+33612345678"
    assert contacts["delivery"]["email"] == "accueil@example.com"


def test_operator_routes_need_an_operator(api: Api):
    account = api.new_account()
    token = api.activate(account, PASSWORD)["accessToken"]
    assert api.get("/v1/admin/accounts").status_code == 401
    assert api.get("/v1/admin/accounts", token).status_code == 403
    assert api.get("/v1/admin/messages", token, params={"recipient": "a@b.c"}).status_code == 403
    listed = api.get("/v1/admin/accounts", api.operator, params={"q": account["clientNumber"]})
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["accounts"]] == [account["id"]]
    no_recipient = api.get("/v1/admin/messages", api.operator)
    assert no_recipient.status_code == 400 and "recipient" in field_violations(no_recipient)


def test_creating_an_account_twice_with_an_idempotency_key_creates_one(api: Api):
    body = {
        "name": "Idem SARL",
        "contractNumber": "CT-IDEM",
        "manager": {"email": "idem@example.com"},
    }
    headers = {"Idempotency-Key": "create-idem-1"}
    first = api.post("/v1/admin/accounts", body, api.operator, headers=headers)
    second = api.post("/v1/admin/accounts", body, api.operator, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other = api.post("/v1/admin/accounts", {**body, "name": "Other"}, api.operator, headers=headers)
    assert other.status_code == 400 and error_reason(other) == "IDEMPOTENCY_KEY_REUSED"


def test_bad_requests_change_nothing_and_say_why(api: Api):
    missing = api.post("/v1/admin/accounts", {"name": "No contract"}, api.operator)
    assert missing.status_code == 400
    assert "contractNumber" in field_violations(missing)
    garbage = api.http.post(
        "/v1/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400
    assert garbage.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert garbage.headers.get("X-Request-Id")


def test_a_poison_event_is_visible_to_operators(api: Api, suite: Suite):
    async def publish_garbage() -> None:
        nc = await nats.connect(suite.env["PORTAL_NATS_URL"])
        await nc.jetstream().publish(
            "portal.ordering.OrderPaid", b"\xff\x00 not a protobuf", headers={"ce-id": "poison-1"}
        )
        await nc.close()

    asyncio.run(publish_garbage())
    deadline = time.monotonic() + 15
    letters: list = []
    while time.monotonic() < deadline:
        answer = api.get("/v1/admin/identity/dead-letters", api.operator)
        assert answer.status_code == 200, answer.text
        letters = [
            d for d in answer.json()["deadLetters"] if d["subject"] == "portal.ordering.OrderPaid"
        ]
        if letters:
            break
        time.sleep(0.2)
    assert letters and "undecodable" in letters[0]["error"]
    retry = api.post(f"/v1/admin/identity/dead-letters/{letters[0]['id']}:retry", {}, api.operator)
    assert retry.status_code == 400 and error_reason(retry) == "UNDECODABLE_EVENT"
    customer = api.activate(api.new_account())["accessToken"]
    assert api.get("/v1/admin/identity/dead-letters", customer).status_code == 403
