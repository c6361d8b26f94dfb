"""The facts identity's aggregates return, built from their own data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_runtime.errors import AlreadyExists, FailedPrecondition
from services.identity.domain import links
from services.identity.domain.accounts import (
    Account,
    AccountCreated,
    Contact,
    Contract,
    open_account,
)
from services.identity.domain.links import LinkPurpose, StoredLink, hash_token
from services.identity.domain.lockout import LoginThrottle
from services.identity.domain.users import Membership, MembershipStatus, Recipient, User
from services.identity.domain.users import UserStatus as Status

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def user(**kw) -> User:
    kw.setdefault("language", "en")
    return User(
        kw.pop("id", "u1"), kw.pop("email", "ada@acme.fr"), created_at=NOW, first_name="Ada", **kw
    )


def opened() -> tuple[Account, AccountCreated]:
    return open_account(
        "e1",
        name="ACME",
        client_number="C-1",
        language="fr",
        contract=Contract("K-1", "Cards", NOW),
        manager_user_id="u1",
        now=NOW,
    )


def test_opening_an_account_and_its_snapshot() -> None:
    account, created = opened()
    assert (created.entity_id, created.client_number, created.manager_user_id) == (
        "e1",
        "C-1",
        "u1",
    )
    snapshot = account.updated(user(language=""))
    assert snapshot.manager == Recipient("ada@acme.fr", "Ada", "fr")  # the account's language
    assert snapshot.billing is None and snapshot.contract_numbers == ("K-1",)
    account.entity.replace_contacts({"manager": Contact("Mona", "mona@acme.fr", "")})
    assert account.updated(user()).manager == Recipient("mona@acme.fr", "Mona", "fr")


def test_delegation_unlocks_once() -> None:
    account, _ = opened()
    with pytest.raises(FailedPrecondition):
        account.entity.ensure_delegation_unlocked()
    fact = account.entity.unlock_delegation("OPERATOR", NOW)
    assert fact is not None and (fact.entity_id, fact.reason) == ("e1", "OPERATOR")
    assert account.entity.unlock_delegation("FIRST_PAID_ORDER", NOW) is None
    assert account.entity.delegation_unlocked_reason == "OPERATOR"


def test_password_reset_activates_clears_the_lock_and_ends_sessions() -> None:
    locked = user(throttle=LoginThrottle(locked_until=NOW + timedelta(minutes=5)))
    fact = locked.reset_password("hash", NOW, "e1")
    assert (fact.entity_id, fact.user_id, fact.recipient.email) == ("e1", "u1", "ada@acme.fr")
    assert locked.status == Status.ACTIVE and not locked.is_locked(NOW)
    assert locked.sessions_valid_after == int(NOW.timestamp())


def test_links_carry_their_owner_and_only_the_hash_is_kept() -> None:
    account, _ = opened()
    fact = links.request_activation(account.entity, user(), NOW)
    assert (fact.entity_id, fact.user_id, fact.client_number) == ("e1", "u1", "C-1")
    assert fact.link.token_hash == hash_token(fact.link.raw)
    assert fact.link.expires_at == NOW + timedelta(hours=48)


def test_invitation_link_only_for_people_without_a_password() -> None:
    account, _ = opened()
    inviter = user(id="boss", email="boss@acme.fr")
    newcomer = links.invite(account.entity, user(), inviter, NOW)
    assert newcomer.link is not None and newcomer.link.purpose == LinkPurpose.INVITATION
    assert newcomer.invited_by == "Ada" and newcomer.entity_name == "ACME"
    known = links.invite(account.entity, user(status=Status.ACTIVE), inviter, NOW)
    assert known.link is None


def test_reset_links_only_for_active_users() -> None:
    reset = StoredLink("l1", "u1", "e1", LinkPurpose.PASSWORD_RESET, NOW)
    with pytest.raises(FailedPrecondition):
        links.ensure_may_set_password(reset, user())  # pending
    invitation = StoredLink("l1", "u1", "e1", LinkPurpose.INVITATION, NOW)
    assert links.ensure_may_set_password(invitation, user()).id == "u1"


def test_membership_reactivation() -> None:
    membership = Membership("u1", "e1", "builtin-admin", NOW)
    with pytest.raises(AlreadyExists):
        membership.reactivate("builtin-orders")
    membership.disable()
    membership.reactivate("builtin-orders")
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.profile_id == "builtin-orders"


def test_ending_sessions_states_one_fact_per_user() -> None:
    from datetime import UTC, datetime, timedelta

    from services.identity.domain.refresh import SessionFamily, sessions_ended

    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    families = [
        SessionFamily("f1", "u1", "e1", "access", now),
        SessionFamily("f2", "u1", "e2", "access", now),
        SessionFamily("f3", "u2", "e1", "access", now),
    ]
    facts = sessions_ended(families, now, timedelta(minutes=15))
    assert [(f.user_id, f.session_ids) for f in facts] == [("u1", ("f1", "f2")), ("u2", ("f3",))]
    assert {f.tokens_expire_at for f in facts} == {now + timedelta(minutes=15)}
    assert sessions_ended([], now, timedelta(minutes=15)) == []
