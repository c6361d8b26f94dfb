"""Sessions and refresh-token families.

A login starts a session family (its id is the access token's `sid`). Each
refresh rotates the refresh token: the presented one is marked rotated and a new
one of the same family is returned. Presenting a rotated token again means it
leaked (or a client replayed it): the whole family is revoked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from portal_runtime.errors import Unauthenticated

from .links import hash_token, new_raw_token
from .users import User, UserStatus

REFRESH_TTL = timedelta(days=30)
FIRST_LOGIN_TTL_SECONDS = 600
DEFAULT_ACCESS_TTL_SECONDS = 900

REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID"  # noqa: S105 - error reason
REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"  # noqa: S105 - error reason
SESSION_REVOKED = "SESSION_REVOKED"


class RefreshOutcome(Enum):
    ROTATE = "rotate"
    REUSED = "reused"
    INVALID = "invalid"


@dataclass(frozen=True)
class SessionFamily:
    """A login and every refresh token rotated from it; `kind` is the access
    token kind it issues (`access`, or `first_login` for the restricted one)."""

    id: str
    user_id: str
    entity_id: str
    kind: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class SessionsEnded:
    """Sessions ended before their access tokens expire: every service refuses
    those tokens until `tokens_expire_at`."""

    user_id: str
    session_ids: tuple[str, ...]
    tokens_expire_at: datetime


def sessions_ended(
    families: Iterable[SessionFamily], now: datetime, access_ttl: timedelta
) -> list[SessionsEnded]:
    """What ending `families` states, one fact per user."""
    by_user: dict[str, list[str]] = {}
    for family in families:
        by_user.setdefault(family.user_id, []).append(family.id)
    return [
        SessionsEnded(user_id, tuple(ids), now + access_ttl) for user_id, ids in by_user.items()
    ]


@dataclass(frozen=True)
class IssuedRefreshToken:
    """A new refresh token: `raw` goes to the client, only `token_hash` is stored."""

    raw: str
    token_hash: str
    family_id: str
    user_id: str
    entity_id: str
    issued_at: datetime
    expires_at: datetime


def issue_refresh_token(
    family_id: str, user_id: str, entity_id: str, now: datetime
) -> IssuedRefreshToken:
    raw = new_raw_token()
    return IssuedRefreshToken(
        raw, hash_token(raw), family_id, user_id, entity_id, now, now + REFRESH_TTL
    )


@dataclass(frozen=True)
class StoredRefreshToken:
    id: str
    family_id: str
    user_id: str
    entity_id: str
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    family_revoked_at: datetime | None = None


def classify_refresh(token: StoredRefreshToken | None, now: datetime) -> RefreshOutcome:
    """What to do with a presented refresh token. A rotated token is reuse even
    when it has expired since: the family is revoked either way."""
    if token is None or token.revoked_at is not None or token.family_revoked_at is not None:
        return RefreshOutcome.INVALID
    if token.rotated_at is not None:
        return RefreshOutcome.REUSED
    if now >= token.expires_at:
        return RefreshOutcome.INVALID
    return RefreshOutcome.ROTATE


def refresh_error(outcome: RefreshOutcome) -> Unauthenticated:
    if outcome is RefreshOutcome.REUSED:
        return Unauthenticated(
            REFRESH_TOKEN_REUSED, "this refresh token was already used; the session has been ended"
        )
    return Unauthenticated(REFRESH_TOKEN_INVALID, "the refresh token is invalid or expired")


@dataclass(frozen=True)
class SessionState:
    """What identity checks about an access token's session on its own methods
    (other services rely on the short access-token lifetime instead)."""

    family_revoked: bool
    user_active: bool
    sessions_valid_after: int  # epoch seconds; tokens issued before are void


def session_state(family: SessionFamily | None, user: User | None) -> SessionState | None:
    """What an access token's session stands on; None when its family is
    unknown or belongs to someone else."""
    if user is None or family is None or family.user_id != user.id:
        return None
    return SessionState(
        family_revoked=family.revoked_at is not None,
        user_active=user.status != UserStatus.DISABLED,
        sessions_valid_after=user.sessions_valid_after,
    )


def ensure_session_alive(state: SessionState | None, issued_at: int) -> None:
    if (
        state is None
        or state.family_revoked
        or not state.user_active
        or issued_at < state.sessions_valid_after
    ):
        raise Unauthenticated(SESSION_REVOKED, "this session has ended; log in again")
