from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_runtime.errors import FailedPrecondition
from services.identity.domain.links import (
    LIFETIMES,
    LinkPurpose,
    StoredLink,
    ensure_redeemable,
    hash_token,
    issue_link,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def stored(purpose: LinkPurpose = LinkPurpose.ACTIVATION, **kw) -> StoredLink:
    return StoredLink(
        id="l1",
        user_id="u1",
        entity_id="e1",
        purpose=purpose,
        expires_at=kw.pop("expires_at", NOW + LIFETIMES[purpose]),
        **kw,
    )


def test_lifetimes() -> None:
    assert LIFETIMES[LinkPurpose.ACTIVATION] == timedelta(hours=48)
    assert LIFETIMES[LinkPurpose.MAGIC_LINK] == timedelta(days=30)
    assert LIFETIMES[LinkPurpose.PASSWORD_RESET] == timedelta(hours=1)
    assert LIFETIMES[LinkPurpose.INVITATION] == timedelta(days=7)


def test_issue_is_random_hashed_and_expires() -> None:
    one = issue_link(LinkPurpose.PASSWORD_RESET, NOW)
    two = issue_link(LinkPurpose.PASSWORD_RESET, NOW)
    assert one.raw != two.raw
    assert len(one.raw) >= 43  # 256 bits in URL-safe base64
    assert one.token_hash == hash_token(one.raw) and len(one.token_hash) == 64
    assert one.raw not in one.token_hash
    assert one.expires_at == NOW + timedelta(hours=1)


def test_valid_token_is_redeemable() -> None:
    link = stored()
    assert ensure_redeemable(link, NOW, LinkPurpose.ACTIVATION) is link


@pytest.mark.parametrize(
    "link",
    [
        None,
        stored(used_at=NOW - timedelta(minutes=1)),
        stored(revoked_at=NOW - timedelta(minutes=1)),
        stored(expires_at=NOW),
        stored(LinkPurpose.MAGIC_LINK),
    ],
    ids=["unknown", "used", "revoked", "expired", "wrong-purpose"],
)
def test_unusable_tokens_get_one_answer(link: StoredLink | None) -> None:
    with pytest.raises(FailedPrecondition) as err:
        ensure_redeemable(link, NOW, LinkPurpose.ACTIVATION)
    assert err.value.reason == "TOKEN_INVALID_OR_EXPIRED"


def test_several_purposes_accepted() -> None:
    invitation = stored(LinkPurpose.INVITATION)
    purposes = (LinkPurpose.PASSWORD_RESET, LinkPurpose.INVITATION)
    assert ensure_redeemable(invitation, NOW, *purposes) is invitation


def test_expiry_boundary() -> None:
    link = stored(LinkPurpose.PASSWORD_RESET)
    ensure_redeemable(link, NOW + timedelta(minutes=59, seconds=59), LinkPurpose.PASSWORD_RESET)
    with pytest.raises(FailedPrecondition):
        ensure_redeemable(link, NOW + timedelta(hours=1), LinkPurpose.PASSWORD_RESET)
