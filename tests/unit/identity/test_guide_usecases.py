"""The guides' access flows as identity's use cases (issue #9), against a real
SQLite database: activation e-mail at the opening, welcome letter and first
login by client number, first connection by link, the unlock rule, contracts,
paperless consent as a condition, and the forgotten identifier."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from pypdf import PdfReader

from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.errors import FailedPrecondition, InvalidArgument, Unauthenticated
from portal_runtime.tokens import FIRST_LOGIN
from services.identity.domain.accounts import UnlockRule
from services.identity.handlers import order_submitted_handler
from services.identity.usecases import accounts, contracts, delegation, letters, links, sessions

from .conftest import World
from .test_usecases import MANAGER_PASSWORD, activated, new_account, operator

NEW_PASSWORD = "my parking passphrase"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _after(text: str, label: str) -> str:
    """The line printed under `label` in the letter."""
    lines = [line.strip() for line in text.splitlines()]
    return next(lines[i + 1] for i, line in enumerate(lines) if line.startswith(label))


async def test_the_opening_emails_the_activation_link_with_both_numbers(world: World) -> None:
    account = await new_account(world)
    [sent] = await world.events("ActivationRequested")
    assert sent.account_opened and sent.entity_id == account.entity.id
    assert (sent.client_number, sent.contract_number, sent.entity_name) == ("C-100", "K-1", "ACME")
    assert sent.recipient.email == "boss@acme.fr"
    tokens = await links.confirm_activation(
        world.deps, sent.token, "C-100", "K-1", "a long passphrase"
    )
    assert tokens.refresh_token
    # A manager who already has a password gets no activation link.
    await new_account(world, "C-200", "boss@acme.fr")
    assert len(await world.events("ActivationRequested")) == 1


async def test_welcome_letter_then_first_login_with_the_client_number(world: World) -> None:
    account = await new_account(world)
    op = await operator(world)
    holder = account.entity.manager_user_id
    assert holder
    first = _pdf_text(await letters.print_welcome_letter(world.deps, op, holder))
    assert _after(first, "Your identifier") == "C-100"
    assert world.deps.web_url in first
    old = _after(first, "Your temporary password")
    second = _pdf_text(await letters.print_welcome_letter(world.deps, op, holder))
    temporary = _after(second, "Your temporary password")
    assert temporary != old
    with pytest.raises(Unauthenticated):  # printing again invalidated the first
        await sessions.login(world.deps, "C-100", old)
    restricted = await sessions.login(world.deps, "c-100", temporary)
    assert restricted.password_change_required
    principal = world.principal(restricted.access_token)
    assert principal.kind == FIRST_LOGIN and principal.entity_id == account.entity.id
    with pytest.raises(InvalidArgument) as err:  # the e-mail is asked for
        await sessions.first_login(
            world.deps,
            principal,
            new_password=NEW_PASSWORD,
            primary_email="",
            secondary_email="",
            paperless_consent=True,
        )
    assert err.value.violations[0].field == "primaryEmail"
    full = await sessions.first_login(
        world.deps,
        principal,
        new_password=NEW_PASSWORD,
        primary_email="durand@parking.fr",
        secondary_email="durand@home.fr",
        paperless_consent=True,
    )
    assert full.refresh_token
    snapshot = (await world.events("AccountUpdated"))[-1]
    assert snapshot.paperless_consent and snapshot.manager.email == "durand@parking.fr"
    assert snapshot.secondary.email == "durand@home.fr"
    await sessions.login(world.deps, "C-100", NEW_PASSWORD)
    await sessions.login(world.deps, "durand@parking.fr", NEW_PASSWORD)
    with pytest.raises(FailedPrecondition) as refused:  # they chose a password now
        await letters.print_welcome_letter(world.deps, op, holder)
    assert refused.value.reason == "USER_HAS_OWN_PASSWORD"


async def test_a_first_connection_link_then_a_password_before_anything_else(
    world: World,
) -> None:
    account = await new_account(world)
    op = await operator(world)
    member = await delegation.admin_invite_user(
        world.deps,
        op,
        account.entity.id,
        delegation.Invitation("tech@cimme.fr", "Théo", "Tech", "", "fr"),
    )
    assert member.status == "PENDING"
    [issued] = await world.events("FirstConnectionLinkIssued")
    assert issued.recipient.email == "tech@cimme.fr" and issued.entity_name == "ACME"
    expires = issued.expires_at.ToDatetime(tzinfo=world.clock.now.tzinfo)
    assert expires == world.clock.now + timedelta(days=30)
    restricted = await links.redeem_magic_link(world.deps, issued.token)
    assert restricted.password_change_required and not restricted.refresh_token
    principal = world.principal(restricted.access_token)
    assert principal.kind == FIRST_LOGIN and not principal.permissions
    with pytest.raises(FailedPrecondition):  # single use
        await links.redeem_magic_link(world.deps, issued.token)
    full = await sessions.first_login(
        world.deps,
        principal,
        new_password="a fresh maintenance phrase",
        primary_email="",  # keeps the address the link went to
        secondary_email="",
        paperless_consent=None,
    )
    me = world.principal(full.access_token)
    assert me.kind == "access" and "users.manage" in me.permissions
    await sessions.login(world.deps, "tech@cimme.fr", "a fresh maintenance phrase")
    assert not (await accounts.get_account(world.deps, me)).entity.paperless_consent


async def test_the_unlock_rule_is_chosen_at_the_opening(world: World) -> None:
    op = await operator(world)
    base = accounts.NewAccount("Fleet Co", "C-300", "K-3", "", "fleet@co.fr", "", "", "fr")
    unlocked = await accounts.create_account(
        world.deps, op, replace(base, unlock_rule=UnlockRule.UNLOCKED)
    )
    assert unlocked.entity.delegation_unlocked
    [fact] = await world.events("DelegationUnlocked")
    assert fact.reason == "ACCOUNT_SETTING"

    world.deps.default_unlock_rule = UnlockRule.UNLOCKED
    by_default = await accounts.create_account(
        world.deps, op, replace(base, client_number="C-301", manager_email="b@co.fr")
    )
    assert by_default.entity.unlock_rule is UnlockRule.UNLOCKED

    world.deps.default_unlock_rule = UnlockRule.FIRST_ORDER
    cards, boss, _ = await activated(world, "C-302", "cards@co.fr")
    handler = order_submitted_handler(world.deps)
    async with world.db.transaction() as s:
        await handler(s, ordering_events.OrderSubmitted(event_id="o1", entity_id=cards.entity.id))
    await delegation.create_profile(world.deps, boss, "Buyers", ["orders.read"])
    assert (await world.events("DelegationUnlocked"))[-1].reason == "FIRST_ORDER"

    settings = await accounts.update_settings(
        world.deps, op, cards.entity.id, unlock_rule=None, paperless_consent_required=True
    )
    assert settings.entity.paperless_consent_required and settings.entity.delegation_unlocked


async def test_contracts_over_time_behind_a_required_consent(world: World) -> None:
    account, boss, _ = await activated(world)
    op = await operator(world)
    entity_id = account.entity.id
    await contracts.add_contract(world.deps, op, entity_id, "k-2", " Parking  Cardinet ", None)
    ended = await contracts.end_contract(world.deps, op, entity_id, "K-1")
    assert ended.ended_at == world.clock.now
    assert list((await world.events("AccountUpdated"))[-1].contract_numbers) == ["K-2"]
    listed, _ = await contracts.list_contracts(world.deps, boss, 0, "")
    assert [(c.number, c.label, c.status) for c in listed] == [
        ("K-1", "Cards", "ENDED"),
        ("K-2", "Parking Cardinet", "ACTIVE"),
    ]

    await accounts.update_settings(
        world.deps, op, entity_id, unlock_rule=None, paperless_consent_required=True
    )
    assert (await world.events("AccountUpdated"))[-1].paperless_consent_required
    with pytest.raises(FailedPrecondition) as err:
        await contracts.list_contracts(world.deps, boss, 0, "")
    assert err.value.reason == "PAPERLESS_CONSENT_REQUIRED"
    mine = await accounts.get_account(world.deps, boss)
    assert mine.visible_contracts() == []
    given = await accounts.update_paperless_consent(world.deps, boss, True)
    assert given.entity.paperless_consent
    assert (await world.events("AccountUpdated"))[-1].paperless_consent
    assert len((await contracts.list_contracts(world.deps, boss, 0, ""))[0]) == 2


async def test_forgotten_identifier_states_one_event_either_way(world: World) -> None:
    await activated(world)
    await links.request_identifier_reminder(world.deps, "Boss@Acme.fr")
    await links.request_identifier_reminder(world.deps, "nobody@acme.fr")
    known, unknown = await world.events("IdentifierReminderRequested")
    assert known.recipient.email == "boss@acme.fr"
    assert [(a.client_number, a.name) for a in known.accounts] == [("C-100", "ACME")]
    assert not unknown.HasField("recipient") and not unknown.user_id
    with pytest.raises(InvalidArgument):
        await links.request_identifier_reminder(world.deps, "not an address")


async def test_a_restricted_session_of_an_old_temporary_password_ends_with_a_new_letter(
    world: World,
) -> None:
    account = await new_account(world)
    op = await operator(world)
    holder = account.entity.manager_user_id or ""
    text = _pdf_text(await letters.print_welcome_letter(world.deps, op, holder))
    restricted = await sessions.login(world.deps, "C-100", _after(text, "Your temporary password"))
    world.clock.advance(timedelta(seconds=1))
    await letters.print_welcome_letter(world.deps, op, holder)
    with pytest.raises(Unauthenticated):
        await sessions.first_login(
            world.deps,
            world.principal(restricted.access_token),
            new_password=MANAGER_PASSWORD,
            primary_email="boss@acme.fr",
            secondary_email="",
            paperless_consent=True,
        )
