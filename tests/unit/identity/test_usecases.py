"""Identity's use cases against a real (SQLite) database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)
from portal_runtime.tokens import FIRST_LOGIN
from services.identity.handlers import order_paid_handler
from services.identity.usecases import accounts, delegation, links, sessions
from services.identity.usecases.operators import ensure_bootstrap_operator

from .conftest import World

OPERATOR = ("ops@portail.example", "operator-secret-passphrase")
MANAGER_PASSWORD = "a long manager passphrase"


async def operator(world: World):
    await ensure_bootstrap_operator(world.deps, *OPERATOR)
    tokens = await sessions.login(world.deps, *OPERATOR)
    return world.principal(tokens.access_token)


async def new_account(world: World, client_number: str = "C-100", email: str = "boss@acme.fr"):
    op = await operator(world)
    return await accounts.create_account(
        world.deps,
        op,
        accounts.NewAccount(
            name="ACME",
            client_number=client_number,
            contract_number="K-1",
            contract_label="Cards",
            manager_email=email,
            manager_first_name="Ada",
            manager_last_name="Boss",
            language="en",
        ),
    )


async def activated(world: World, client_number: str = "C-100", email: str = "boss@acme.fr"):
    account = await new_account(world, client_number, email)
    await links.request_activation(world.deps, client_number, "K-1")
    token = (await world.events("ActivationRequested"))[-1].token
    tokens = await links.confirm_activation(
        world.deps, token, client_number, "K-1", MANAGER_PASSWORD
    )
    return account, world.principal(tokens.access_token), tokens


async def unlock(world: World, entity_id: str) -> None:
    handler = order_paid_handler(world.deps)
    async with world.db.transaction() as s:
        await handler(s, ordering_events.OrderPaid(event_id="e1", entity_id=entity_id))


async def test_bootstrap_operator_is_created_once(world: World) -> None:
    assert await ensure_bootstrap_operator(world.deps, *OPERATOR)
    assert not await ensure_bootstrap_operator(world.deps, "other@portail.example", "x" * 20)
    op = world.principal((await sessions.login(world.deps, *OPERATOR)).access_token)
    assert op.operator and op.entity_id == "" and op.kind == "access"


async def test_create_account_and_duplicates(world: World) -> None:
    account = await new_account(world)
    assert account.entity.client_number == "C-100"
    assert [c.number for c in account.contracts] == ["K-1"]
    created = await world.events("AccountCreated")
    assert created[0].entity_id == account.entity.id
    with pytest.raises(AlreadyExists):
        await new_account(world)
    generated = await new_account(world, client_number="", email="other@acme.fr")
    assert generated.entity.client_number.startswith("C")


async def test_activation_flow(world: World) -> None:
    await new_account(world)
    # Opening the account sent the first link (issue #9, point 1).
    [opened] = await world.events("ActivationRequested")
    assert opened.account_opened and opened.contract_number == "K-1"
    # Unknown pairs answer the same and issue nothing.
    await links.request_activation(world.deps, "C-100", "WRONG")
    await links.request_activation(world.deps, "NOPE", "K-1")
    assert await world.events("ActivationRequested") == [opened]
    await links.request_activation(world.deps, "c-100", "k-1")
    await links.request_activation(world.deps, "C-100", "K-1")
    _, first, second = [e.token for e in await world.events("ActivationRequested")]
    # Regenerating invalidated the first link.
    with pytest.raises(FailedPrecondition) as err:
        await links.confirm_activation(world.deps, first, "C-100", "K-1", MANAGER_PASSWORD)
    assert err.value.reason == "TOKEN_INVALID_OR_EXPIRED"
    with pytest.raises(FailedPrecondition) as err:
        await links.confirm_activation(world.deps, second, "C-100", "K-2", MANAGER_PASSWORD)
    assert err.value.reason == "ACTIVATION_MISMATCH"
    with pytest.raises(InvalidArgument):
        await links.confirm_activation(world.deps, second, "C-100", "K-1", "short")
    tokens = await links.confirm_activation(world.deps, second, "C-100", "K-1", MANAGER_PASSWORD)
    me = world.principal(tokens.access_token)
    assert "users.manage" in me.permissions and tokens.refresh_token
    with pytest.raises(FailedPrecondition):  # single use
        await links.confirm_activation(world.deps, second, "C-100", "K-1", MANAGER_PASSWORD)


async def test_activation_link_expires_after_48_hours(world: World) -> None:
    await new_account(world)
    await links.request_activation(world.deps, "C-100", "K-1")
    token = (await world.events("ActivationRequested"))[-1].token
    world.clock.advance(timedelta(hours=48))
    with pytest.raises(FailedPrecondition):
        await links.confirm_activation(world.deps, token, "C-100", "K-1", MANAGER_PASSWORD)


async def test_login_by_email_or_client_number_and_lockout(world: World) -> None:
    await activated(world)
    by_email = await sessions.login(world.deps, "BOSS@acme.fr", MANAGER_PASSWORD)
    by_number = await sessions.login(world.deps, "c-100", MANAGER_PASSWORD)
    assert (
        world.principal(by_email.access_token).user_id
        == world.principal(by_number.access_token).user_id
    )
    for login in ["nobody@acme.fr", "C-999"]:
        with pytest.raises(Unauthenticated) as err:
            await sessions.login(world.deps, login, MANAGER_PASSWORD)
        assert err.value.reason == "INVALID_CREDENTIALS"
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await sessions.login(world.deps, "boss@acme.fr", "wrong password!!")
    with pytest.raises(Unauthenticated) as err:  # locked: even the right password fails
        await sessions.login(world.deps, "boss@acme.fr", MANAGER_PASSWORD)
    assert err.value.reason == "INVALID_CREDENTIALS"
    world.clock.advance(timedelta(minutes=15))
    await sessions.login(world.deps, "boss@acme.fr", MANAGER_PASSWORD)


async def test_refresh_rotation_and_reuse(world: World) -> None:
    _, _, tokens = await activated(world)
    rotated = await sessions.refresh(world.deps, tokens.refresh_token)
    assert rotated.refresh_token != tokens.refresh_token
    again = await sessions.refresh(world.deps, rotated.refresh_token)
    with pytest.raises(Unauthenticated) as err:
        await sessions.refresh(world.deps, tokens.refresh_token)
    assert err.value.reason == "REFRESH_TOKEN_REUSED"
    # The whole family is gone, including the newest token.
    with pytest.raises(Unauthenticated) as err:
        await sessions.refresh(world.deps, again.refresh_token)
    assert err.value.reason == "REFRESH_TOKEN_INVALID"
    with pytest.raises(Unauthenticated) as err:
        await accounts.get_me(world.deps, world.principal(again.access_token))
    assert err.value.reason == "SESSION_REVOKED"


async def test_logout_and_password_change_end_sessions(world: World) -> None:
    _, me, tokens = await activated(world)
    other = world.principal(
        (await sessions.login(world.deps, "boss@acme.fr", MANAGER_PASSWORD)).access_token
    )
    await sessions.logout(world.deps, me)
    with pytest.raises(Unauthenticated):
        await accounts.get_me(world.deps, me)
    with pytest.raises(Unauthenticated):
        await sessions.refresh(world.deps, tokens.refresh_token)
    with pytest.raises(InvalidArgument) as err:
        await sessions.change_password(world.deps, other, "not it at all", "another passphrase 42")
    assert err.value.reason == "INVALID_CURRENT_PASSWORD"
    with pytest.raises(InvalidArgument):
        await sessions.change_password(world.deps, other, MANAGER_PASSWORD, MANAGER_PASSWORD)
    fresh = await sessions.change_password(
        world.deps, other, MANAGER_PASSWORD, "another passphrase 42"
    )
    with pytest.raises(Unauthenticated):
        await accounts.get_me(world.deps, other)
    me_data = await accounts.get_me(world.deps, world.principal(fresh.access_token))
    assert me_data.current_entity is not None and me_data.current_entity.client_number == "C-100"
    assert len(await world.events("PasswordChanged")) == 1


async def test_magic_link_and_password_reset(world: World) -> None:
    await activated(world)
    await links.request_magic_link(world.deps, "ghost@acme.fr")
    await links.request_magic_link(world.deps, "Boss@Acme.fr")
    (magic,) = await world.events("MagicLinkRequested")
    assert magic.recipient.email == "boss@acme.fr" and magic.recipient.language == "en"
    session = await links.redeem_magic_link(world.deps, magic.token)
    with pytest.raises(FailedPrecondition):
        await links.redeem_magic_link(world.deps, magic.token)
    await links.request_password_reset(world.deps, "boss@acme.fr")
    (reset,) = await world.events("PasswordResetRequested")
    await links.confirm_password_reset(world.deps, reset.token, "a brand new passphrase")
    with pytest.raises(Unauthenticated):  # every session ended
        await sessions.refresh(world.deps, session.refresh_token)
    with pytest.raises(Unauthenticated):
        await sessions.login(world.deps, "boss@acme.fr", MANAGER_PASSWORD)
    await sessions.login(world.deps, "boss@acme.fr", "a brand new passphrase")


async def test_delegation_invitation_and_profiles(world: World) -> None:
    account, boss, _ = await activated(world)
    invite = delegation.Invitation("ann@acme.fr", "Ann", "Lee", "builtin-billing", "fr")
    with pytest.raises(FailedPrecondition) as err:
        await delegation.invite_user(world.deps, boss, invite)
    assert err.value.reason == "DELEGATION_LOCKED"
    with pytest.raises(FailedPrecondition):
        await delegation.create_profile(world.deps, boss, "Team", ["orders.read"])
    await unlock(world, account.entity.id)
    await unlock(world, account.entity.id)  # idempotent
    assert len(await world.events("DelegationUnlocked")) == 1

    ann = await delegation.invite_user(world.deps, boss, invite)
    assert ann.status == "PENDING" and ann.profile_name == "Billing"
    with pytest.raises(AlreadyExists):
        await delegation.invite_user(world.deps, boss, invite)
    (invited,) = await world.events("UserInvited")
    assert invited.token and invited.entity_name == "ACME"
    await links.confirm_password_reset(world.deps, invited.token, "my very own passphrase")
    ann_session = world.principal(
        (await sessions.login(world.deps, "ann@acme.fr", "my very own passphrase")).access_token
    )
    assert ann_session.permissions == {"billing.read", "billing.pay"}

    team = await delegation.create_profile(world.deps, boss, "Team", ["orders.read", "fleet.read"])
    with pytest.raises(AlreadyExists):
        await delegation.create_profile(world.deps, boss, "team", ["orders.read"])
    with pytest.raises(InvalidArgument):
        await delegation.create_profile(world.deps, boss, "Bad", ["orders.fly"])
    await delegation.update_user(world.deps, boss, ann.user.id, team.id)
    with pytest.raises(FailedPrecondition) as err:
        await delegation.delete_profile(world.deps, boss, team.id)
    assert err.value.reason == "PROFILE_IN_USE"
    with pytest.raises(FailedPrecondition) as err:
        await delegation.update_profile(world.deps, boss, "builtin-admin", "X", [])
    assert err.value.reason == "PROFILE_BUILT_IN"
    with pytest.raises(FailedPrecondition) as err:
        await delegation.update_user(world.deps, boss, boss.user_id, "builtin-readonly")
    assert err.value.reason == "CANNOT_CHANGE_SELF"
    listed, _ = await delegation.list_profiles(world.deps, boss, 0, "")
    assert [p.name for p in listed][-1] == "Team"
    users, token = await delegation.list_users(world.deps, boss, 1, "")
    assert len(users) == 1 and token
    more, token = await delegation.list_users(world.deps, boss, 1, token)
    assert len(more) == 1 and not token

    await delegation.delete_user(world.deps, boss, ann.user.id)
    with pytest.raises(Unauthenticated):
        await accounts.get_me(world.deps, ann_session)
    await delegation.delete_profile(world.deps, boss, team.id)


async def test_cross_entity_ids_are_not_found(world: World) -> None:
    first, boss, _ = await activated(world)
    await unlock(world, first.entity.id)
    second, other_boss, _ = await activated(world, "C-200", "chief@other.fr")
    await unlock(world, second.entity.id)
    theirs = await delegation.create_profile(world.deps, other_boss, "Theirs", ["orders.read"])
    with pytest.raises(NotFound):
        await delegation.update_user(world.deps, boss, other_boss.user_id, "builtin-admin")
    with pytest.raises(NotFound):
        await delegation.delete_user(world.deps, boss, other_boss.user_id)
    with pytest.raises(NotFound):
        await delegation.delete_profile(world.deps, boss, theirs.id)
    with pytest.raises(NotFound):
        await delegation.invite_user(
            world.deps, boss, delegation.Invitation("x@acme.fr", "", "", theirs.id, "")
        )
    with pytest.raises(NotFound):
        await sessions.switch_entity(world.deps, boss, second.entity.id)


async def test_existing_user_gains_a_second_entity_and_switches(world: World) -> None:
    first, boss, _ = await activated(world)
    second = await new_account(world, "C-200", "boss@acme.fr")
    me = await accounts.get_me(world.deps, boss)
    assert {e.id for e in me.entities} == {first.entity.id, second.entity.id}
    switched = world.principal(
        (await sessions.switch_entity(world.deps, boss, second.entity.id)).access_token
    )
    assert switched.entity_id == second.entity.id
    with pytest.raises(Unauthenticated):  # the previous session was replaced
        await accounts.get_me(world.deps, boss)


async def test_admin_created_user_goes_through_first_login(world: World) -> None:
    account = await new_account(world)
    op = await operator(world)
    member, temporary = await delegation.admin_create_user(
        world.deps,
        op,
        account.entity.id,
        delegation.Invitation("temp@acme.fr", "Tim", "Temp", "", "fr"),
    )
    assert member.profile_id == "builtin-admin" and len(temporary) == 16
    restricted = await sessions.login(world.deps, "temp@acme.fr", temporary)
    assert restricted.password_change_required and not restricted.refresh_token
    principal = world.principal(restricted.access_token)
    assert principal.kind == FIRST_LOGIN and not principal.permissions
    with pytest.raises(InvalidArgument):  # must differ from the temporary one
        await sessions.first_login(
            world.deps,
            principal,
            new_password=temporary,
            primary_email="tim@acme.fr",
            secondary_email="",
            paperless_consent=True,
        )
    full = await sessions.first_login(
        world.deps,
        principal,
        new_password="a real secret phrase",
        primary_email="tim@acme.fr",
        secondary_email="tim@home.fr",
        paperless_consent=True,
    )
    assert not full.password_change_required and full.refresh_token
    with pytest.raises(Unauthenticated):  # single use
        await sessions.first_login(
            world.deps,
            principal,
            new_password="yet another passphrase",
            primary_email="tim@acme.fr",
            secondary_email="",
            paperless_consent=True,
        )
    account = await accounts.get_account(world.deps, world.principal(full.access_token))
    assert account.entity.paperless_consent
    await sessions.login(world.deps, "tim@acme.fr", "a real secret phrase")


async def test_contacts_are_validated(world: World) -> None:
    from services.identity.domain.accounts import Contact

    _, boss, _ = await activated(world)
    with pytest.raises(InvalidArgument) as err:
        await accounts.update_contacts(
            world.deps, boss, {"billing": Contact("B", "bad", "+33 6 12")}
        )
    assert [v.field for v in err.value.violations] == ["billing.email", "billing.phone"]
    data = await accounts.update_contacts(
        world.deps, boss, {"billing": Contact("Bill", "Bill@Acme.fr", "06 12 34 56 78")}
    )
    assert data.entity.contacts["billing"] == {
        "name": "Bill",
        "email": "bill@acme.fr",
        "phone": "+33612345678",
    }


async def test_ended_sessions_are_stated_for_every_service(world: World) -> None:
    _, me, _ = await activated(world)
    other = world.principal(
        (await sessions.login(world.deps, "boss@acme.fr", MANAGER_PASSWORD)).access_token
    )
    await sessions.logout(world.deps, me)
    [logout] = await world.events("SessionsEnded")
    assert list(logout.session_ids) == [me.session_id]
    assert logout.tokens_expire_at.seconds >= me.expires_at
    fresh = await sessions.change_password(
        world.deps, other, MANAGER_PASSWORD, "another passphrase 42"
    )
    _, change = await world.events("SessionsEnded")
    assert other.session_id in change.session_ids
    assert world.principal(fresh.access_token).session_id not in change.session_ids
