from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_runtime.errors import Unauthenticated
from services.identity.domain.refresh import (
    REFRESH_TTL,
    RefreshOutcome,
    SessionState,
    StoredRefreshToken,
    classify_refresh,
    ensure_session_alive,
    refresh_error,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def token(**kw) -> StoredRefreshToken:
    return StoredRefreshToken(
        id="r1",
        family_id="f1",
        user_id="u1",
        entity_id="e1",
        expires_at=kw.pop("expires_at", NOW + REFRESH_TTL),
        **kw,
    )


def test_fresh_token_rotates() -> None:
    assert classify_refresh(token(), NOW) is RefreshOutcome.ROTATE


def test_rotated_token_is_reuse_even_when_expired() -> None:
    assert classify_refresh(token(rotated_at=NOW), NOW) is RefreshOutcome.REUSED
    expired = token(rotated_at=NOW - timedelta(days=40), expires_at=NOW - timedelta(days=10))
    assert classify_refresh(expired, NOW) is RefreshOutcome.REUSED


@pytest.mark.parametrize(
    "stored",
    [
        None,
        token(expires_at=NOW),
        token(revoked_at=NOW),
        token(family_revoked_at=NOW),
        token(rotated_at=NOW, family_revoked_at=NOW),
    ],
    ids=["unknown", "expired", "revoked", "family-revoked", "rotated-in-revoked-family"],
)
def test_invalid_tokens(stored: StoredRefreshToken | None) -> None:
    assert classify_refresh(stored, NOW) is RefreshOutcome.INVALID


def test_errors_have_stable_reasons() -> None:
    assert refresh_error(RefreshOutcome.REUSED).reason == "REFRESH_TOKEN_REUSED"
    assert refresh_error(RefreshOutcome.INVALID).reason == "REFRESH_TOKEN_INVALID"


def test_session_checks() -> None:
    alive = SessionState(family_revoked=False, user_active=True, sessions_valid_after=100)
    ensure_session_alive(alive, issued_at=100)
    for state, iat in [
        (None, 200),
        (SessionState(True, True, 0), 200),
        (SessionState(False, False, 0), 200),
        (alive, 99),
    ]:
        with pytest.raises(Unauthenticated) as err:
            ensure_session_alive(state, iat)
        assert err.value.reason == "SESSION_REVOKED"
