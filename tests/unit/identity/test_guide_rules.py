"""The domain rules behind the guides' access flows (issue #9): the unlock
rule, contracts over time, paperless consent as a condition, who sets a
password at first login, login identifiers and the forgotten-identifier fact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.identity.domain import links
from services.identity.domain.accounts import UnlockRule, parse_unlock_rule
from services.identity.domain.contracts import Contract, ContractStatus
from services.identity.domain.identifiers import login_identifier, remind_identifiers
from services.identity.domain.links import LinkPurpose
from services.identity.domain.users import Recipient
from services.identity.domain.users import UserStatus as Status

from .test_facts import NOW, opened, user


def test_first_order_rule_unlocks_on_an_order_only() -> None:
    account, _ = opened()
    entity = account.entity
    assert entity.unlock_rule is UnlockRule.FIRST_ORDER
    assert entity.set_unlock_rule(UnlockRule.FIRST_ORDER, NOW) is None
    fact = entity.unlock_by_order(NOW)
    assert fact is not None and fact.reason == "FIRST_ORDER"
    assert entity.unlock_by_order(NOW) is None  # later orders change nothing


def test_unlocked_rule_unlocks_at_once_and_orders_change_nothing() -> None:
    account, _ = opened()
    entity = account.entity
    fact = entity.set_unlock_rule(UnlockRule.UNLOCKED, NOW)
    assert fact is not None and fact.reason == "ACCOUNT_SETTING"
    entity.ensure_delegation_unlocked()
    assert entity.unlock_by_order(NOW) is None
    # An unlocked account stays unlocked whatever the rule becomes.
    assert entity.set_unlock_rule(UnlockRule.FIRST_ORDER, NOW) is None
    assert entity.delegation_unlocked


def test_unlock_rules_are_parsed_strictly() -> None:
    assert parse_unlock_rule(" unlocked ") is UnlockRule.UNLOCKED
    with pytest.raises(InvalidArgument):
        parse_unlock_rule("FIRST_PAID_ORDER")


def test_contracts_are_added_and_ended_and_the_snapshot_lists_those_in_force() -> None:
    account, _ = opened()
    account.add_contract(Contract("K-2", "Parking", NOW + timedelta(days=1)))
    with pytest.raises(AlreadyExists):
        account.add_contract(Contract("K-1", "Again", NOW))
    ended = account.end_contract("K-1", NOW + timedelta(days=2))
    assert ended.status is ContractStatus.ENDED and ended.ended_at == NOW + timedelta(days=2)
    with pytest.raises(FailedPrecondition):
        account.end_contract("K-1", NOW)
    with pytest.raises(NotFound):
        account.end_contract("K-9", NOW)
    assert [(c.number, c.status) for c in account.contracts] == [
        ("K-1", ContractStatus.ENDED),
        ("K-2", ContractStatus.ACTIVE),
    ]
    assert account.updated(user()).contract_numbers == ("K-2",)


def test_a_required_paperless_consent_guards_the_contract_pages() -> None:
    account, _ = opened()
    entity = account.entity
    entity.require_paperless_consent(True)
    assert account.visible_contracts() == []
    with pytest.raises(FailedPrecondition) as err:
        entity.ensure_contracts_visible()
    assert err.value.reason == "PAPERLESS_CONSENT_REQUIRED"
    assert "paperless-consent" in err.value.message
    assert account.updated(user()).paperless_consent_required
    entity.record_paperless_consent(True)
    entity.ensure_contracts_visible()
    assert [c.number for c in account.visible_contracts()] == ["K-1"]


def test_the_holders_secondary_address_is_in_the_snapshot() -> None:
    account, _ = opened()
    assert account.updated(user()).secondary is None
    holder = user(secondary_email="ada@home.fr")
    assert account.updated(holder).secondary == Recipient("ada@home.fr", "Ada", "en")


def test_who_sets_a_password_at_first_login() -> None:
    invited = user()  # pending, no password: a first-connection link
    assert invited.may_connect_first_by_link() and invited.must_set_password()
    lettered = user()
    lettered.give_temporary_password("hash", NOW)
    assert lettered.must_set_password() and not lettered.may_connect_first_by_link()
    lettered.ensure_may_get_temporary_password()  # printing again is fine
    active = user(status=Status.ACTIVE, password_hash="hash")
    assert not active.must_set_password() and not active.may_connect_first_by_link()
    with pytest.raises(FailedPrecondition) as err:
        active.ensure_may_get_temporary_password()
    assert err.value.reason == "USER_HAS_OWN_PASSWORD"
    with pytest.raises(FailedPrecondition):
        links.invite_by_link(opened()[0].entity, active, NOW)


def test_first_connection_links_last_30_days() -> None:
    account, _ = opened()
    issued = links.invite_by_link(account.entity, user(), NOW)
    assert issued.link.purpose is LinkPurpose.FIRST_CONNECTION
    assert issued.link.expires_at == NOW + timedelta(days=30)
    assert (issued.entity_name, issued.recipient.email) == ("ACME", "ada@acme.fr")


def test_the_client_number_identifies_the_accounts_holder() -> None:
    account, _ = opened()  # held by u1
    assert login_identifier(user(), account.entity) == "C-1"
    assert login_identifier(user(id="u2", email="bob@acme.fr"), account.entity) == "bob@acme.fr"
    assert login_identifier(user(), None) == "ada@acme.fr"


def test_the_identifier_reminder_is_stated_for_known_and_unknown_addresses() -> None:
    account, _ = opened()
    known = remind_identifiers(user(), [account.entity])
    assert known.recipient is not None and known.recipient.email == "ada@acme.fr"
    assert [(a.client_number, a.name) for a in known.accounts] == [("C-1", "ACME")]
    not_held = remind_identifiers(user(id="u2"), [account.entity])
    assert not_held.recipient is not None and not_held.accounts == ()
    for nobody in (None, user(status=Status.DISABLED), user(operator=True)):
        unknown = remind_identifiers(nobody, [account.entity])
        assert unknown.recipient is None and unknown.user_id == "" and unknown.accounts == ()
