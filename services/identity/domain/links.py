"""One-time links: activation, magic login, password reset, invitation.

The raw token (256 random bits, URL-safe) exists only in the e-mail; identity
stores its SHA-256. A token is single use, expires, and issuing a new one of a
purpose revokes the user's earlier unused ones of that purpose (the repository
applies that; `supersedes` states it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition

TOKEN_BYTES = 32  # 256 bits, above the 128-bit minimum


class LinkPurpose(StrEnum):
    ACTIVATION = "ACTIVATION"
    MAGIC_LINK = "MAGIC_LINK"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose, not a secret
    INVITATION = "INVITATION"


LIFETIMES: dict[LinkPurpose, timedelta] = {
    LinkPurpose.ACTIVATION: timedelta(hours=48),
    LinkPurpose.MAGIC_LINK: timedelta(days=30),
    LinkPurpose.PASSWORD_RESET: timedelta(hours=1),
    LinkPurpose.INVITATION: timedelta(days=7),
}

TOKEN_INVALID = "TOKEN_INVALID_OR_EXPIRED"  # noqa: S105 - an error reason


def hash_token(raw: str) -> str:
    """How a link or refresh token is stored and looked up."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_raw_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued link: `raw` goes into the e-mail (via the event), only
    `token_hash` is stored."""

    raw: str
    token_hash: str
    purpose: LinkPurpose
    issued_at: datetime
    expires_at: datetime


def issue_link(
    purpose: LinkPurpose, now: datetime, lifetime: timedelta | None = None
) -> IssuedLink:
    """A new link; `lifetime` overrides the purpose's default (configuration)."""
    raw = new_raw_token()
    return IssuedLink(raw, hash_token(raw), purpose, now, now + (lifetime or LIFETIMES[purpose]))


def supersedes(purpose: LinkPurpose) -> LinkPurpose:
    """Issuing a link of `purpose` revokes the earlier unused ones of the same
    purpose for the same user."""
    return purpose


@dataclass(frozen=True)
class StoredLink:
    """What the store knows of a link token."""

    id: str
    user_id: str
    entity_id: str
    purpose: LinkPurpose
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def redeemable(self, now: datetime, purposes: frozenset[LinkPurpose]) -> bool:
        return (
            self.purpose in purposes
            and self.used_at is None
            and self.revoked_at is None
            and now < self.expires_at
        )


def ensure_redeemable(link: StoredLink | None, now: datetime, *purposes: LinkPurpose) -> StoredLink:
    """The link, when it may be used now for one of `purposes`. Unknown, used,
    revoked, expired and wrong-purpose tokens all get the same answer."""
    if link is None or not link.redeemable(now, frozenset(purposes)):
        raise FailedPrecondition(TOKEN_INVALID, "this link is invalid, expired or was already used")
    return link
