"""One-time links: activation, magic login, password reset, invitation, and
the operator's first-connection link.

The raw token (256 random bits, URL-safe) exists only in the e-mail; identity
stores its SHA-256. A token is single use, expires, and issuing a new one of a
purpose revokes the user's earlier unused ones of that purpose (the repository
applies that; `supersedes` states it). Issuing a link is a fact other services
hear of (`...Requested`, `UserInvited`): it carries the raw token to e-mail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition

from .accounts import Entity
from .users import Recipient, User, UserStatus

TOKEN_BYTES = 32  # 256 bits, above the 128-bit minimum


class LinkPurpose(StrEnum):
    ACTIVATION = "ACTIVATION"
    MAGIC_LINK = "MAGIC_LINK"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose, not a secret
    INVITATION = "INVITATION"
    # Connects a user who has no password yet; they must then set one (the
    # maintenance guide: "le lien de connexion est valable 30 jours").
    FIRST_CONNECTION = "FIRST_CONNECTION"


LIFETIMES: dict[LinkPurpose, timedelta] = {
    LinkPurpose.ACTIVATION: timedelta(hours=48),
    LinkPurpose.MAGIC_LINK: timedelta(days=30),
    LinkPurpose.PASSWORD_RESET: timedelta(hours=1),
    LinkPurpose.INVITATION: timedelta(days=7),
    LinkPurpose.FIRST_CONNECTION: timedelta(days=30),
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
    user_id: str = ""
    entity_id: str = ""


def issue_link(
    purpose: LinkPurpose,
    now: datetime,
    lifetime: timedelta | None = None,
    *,
    user_id: str = "",
    entity_id: str = "",
) -> IssuedLink:
    """A new link for `user_id`, acting for `entity_id`; `lifetime` overrides
    the purpose's default (configuration)."""
    raw = new_raw_token()
    expires_at = now + (lifetime or LIFETIMES[purpose])
    return IssuedLink(raw, hash_token(raw), purpose, now, expires_at, user_id, entity_id)


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


def token_invalid() -> FailedPrecondition:
    """The one answer for a link that cannot be used, whatever the reason."""
    return FailedPrecondition(TOKEN_INVALID, "this link is invalid, expired or was already used")


def ensure_redeemable(link: StoredLink | None, now: datetime, *purposes: LinkPurpose) -> StoredLink:
    """The link, when it may be used now for one of `purposes`. Unknown, used,
    revoked, expired and wrong-purpose tokens all get the same answer."""
    if link is None or not link.redeemable(now, frozenset(purposes)):
        raise token_invalid()
    return link


def ensure_may_set_password(link: StoredLink, user: User | None) -> User:
    """The user a reset or invitation link sets a password for: never a
    disabled one, and a reset link only for an active one."""
    if user is None or user.status == UserStatus.DISABLED:
        raise token_invalid()
    if link.purpose == LinkPurpose.PASSWORD_RESET and not user.is_active:
        raise token_invalid()
    return user


# ---- facts: a link was issued -------------------------------------------------
@dataclass(frozen=True)
class LinkRequested:
    """A link to e-mail to `recipient`; `link` is what the store keeps (hashed)."""

    link: IssuedLink
    recipient: Recipient

    @property
    def entity_id(self) -> str:
        return self.link.entity_id

    @property
    def user_id(self) -> str:
        return self.link.user_id


@dataclass(frozen=True)
class ActivationRequested(LinkRequested):
    client_number: str
    # What the activation form asks for, with the client number.
    contract_number: str = ""
    # Sent because the operator opened the account (not asked for again).
    account_opened: bool = False
    entity_name: str = ""


@dataclass(frozen=True)
class MagicLinkRequested(LinkRequested):
    pass


@dataclass(frozen=True)
class PasswordResetRequested(LinkRequested):
    pass


@dataclass(frozen=True)
class FirstConnectionLinkIssued(LinkRequested):
    entity_name: str


@dataclass(frozen=True)
class UserInvited:
    """`link` is None when the invited person already had a password of their
    own (they just gain access to one more entity)."""

    entity_id: str
    user_id: str
    recipient: Recipient
    link: IssuedLink | None
    entity_name: str
    invited_by: str


def request_activation(
    entity: Entity,
    manager: User,
    now: datetime,
    lifetime: timedelta | None = None,
    *,
    contract_number: str = "",
    account_opened: bool = False,
) -> ActivationRequested:
    link = issue_link(
        LinkPurpose.ACTIVATION, now, lifetime, user_id=manager.id, entity_id=entity.id
    )
    return ActivationRequested(
        link,
        manager.recipient(entity.language),
        entity.client_number,
        contract_number,
        account_opened,
        entity.name,
    )


def invite_by_link(
    entity: Entity, user: User, now: datetime, lifetime: timedelta | None = None
) -> FirstConnectionLinkIssued:
    """The operator's invitation: a link that connects without a password."""
    if not user.may_connect_first_by_link():
        raise FailedPrecondition(
            "USER_HAS_PASSWORD", "this user already has a password: they log in with it"
        )
    link = issue_link(
        LinkPurpose.FIRST_CONNECTION, now, lifetime, user_id=user.id, entity_id=entity.id
    )
    return FirstConnectionLinkIssued(link, user.recipient(entity.language), entity.name)


def request_magic_link(
    user: User, entity_id: str, now: datetime, lifetime: timedelta | None = None
) -> MagicLinkRequested:
    link = issue_link(LinkPurpose.MAGIC_LINK, now, lifetime, user_id=user.id, entity_id=entity_id)
    return MagicLinkRequested(link, user.recipient())


def request_password_reset(
    user: User, entity_id: str, now: datetime, lifetime: timedelta | None = None
) -> PasswordResetRequested:
    link = issue_link(
        LinkPurpose.PASSWORD_RESET, now, lifetime, user_id=user.id, entity_id=entity_id
    )
    return PasswordResetRequested(link, user.recipient())


def invite(
    entity: Entity, user: User, inviter: User, now: datetime, lifetime: timedelta | None = None
) -> UserInvited:
    """A person without a password of their own sets one with the link; one
    who already has an account just gains access to one more entity."""
    link = (
        issue_link(LinkPurpose.INVITATION, now, lifetime, user_id=user.id, entity_id=entity.id)
        if user.awaits_own_password()
        else None
    )
    return UserInvited(
        entity.id, user.id, user.recipient(), link, entity.name, inviter.display_name
    )
