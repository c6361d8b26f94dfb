"""One-time links: activation, magic login, password reset (and invitation
acceptance through password-reset:confirm).

Requests answer the same whatever the input (no enumeration); links are issued
only to users that may use them, and the raw token travels only in the event
that notifications turns into an e-mail."""

from __future__ import annotations

import logging

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2
from portal_runtime.errors import FailedPrecondition, require_field
from portal_runtime.outbox import add_event, new_event
from portal_runtime.protos import to_timestamp
from services.identity.domain.accounts import normalise_number
from services.identity.domain.emails import parse_email
from services.identity.domain.links import (
    TOKEN_INVALID,
    IssuedLink,
    LinkPurpose,
    ensure_redeemable,
    hash_token,
    issue_link,
)
from services.identity.domain.lockout import LoginThrottle
from services.identity.domain.users import UserStatus
from services.identity.sessions import SessionTokens
from services.identity.usecases.account_events import publish_account_updated
from services.identity.usecases.common import (
    Deps,
    epoch_seconds,
    recipient,
    session_entity,
    start_session,
)

log = logging.getLogger(__name__)


def _token_invalid() -> FailedPrecondition:
    return FailedPrecondition(TOKEN_INVALID, "this link is invalid, expired or was already used")


async def issue(
    deps: Deps, s: AsyncSession, user_id: str, entity_id: str, purpose: LinkPurpose
) -> IssuedLink:
    link = issue_link(purpose, deps.clock(), deps.link_lifetimes.get(purpose))
    await deps.repo.add_link(
        s,
        token_hash=link.token_hash,
        user_id=user_id,
        entity_id=entity_id,
        purpose=purpose,
        created_at=link.issued_at,
        expires_at=link.expires_at,
    )
    return link


# ---- activation ---------------------------------------------------------------
async def request_activation(deps: Deps, client_number: str, contract_number: str) -> None:
    require_field(client_number, "clientNumber")
    require_field(contract_number, "contractNumber")
    async with deps.db.transaction() as s:
        entity = await deps.repo.entity_by_client_number(s, normalise_number(client_number))
        if entity is None or not entity.manager_user_id:
            return
        if not await deps.repo.has_contract(s, entity.id, normalise_number(contract_number)):
            return
        user = await deps.repo.user(s, entity.manager_user_id)
        if user is None or user.status != UserStatus.PENDING or user.password_temporary:
            return
        link = await issue(deps, s, user.id, entity.id, LinkPurpose.ACTIVATION)
        await add_event(
            s,
            new_event(
                events_pb2.ActivationRequested,
                entity_id=entity.id,
                user_id=user.id,
                recipient=_recipient_in(user, entity.language),
                token=link.raw,
                expires_at=to_timestamp(link.expires_at),
                client_number=entity.client_number,
            ),
        )


def _recipient_in(user: Row, language: str) -> events_pb2.Recipient:
    found = recipient(user)
    found.language = user.language or language
    return found


async def confirm_activation(
    deps: Deps, token: str, client_number: str, contract_number: str, password: str
) -> SessionTokens:
    require_field(token, "token")
    require_field(client_number, "clientNumber")
    require_field(contract_number, "contractNumber")
    require_field(password, "password")
    now = deps.clock()
    async with deps.db.transaction() as s:
        link = ensure_redeemable(
            await deps.repo.link(s, hash_token(token)), now, LinkPurpose.ACTIVATION
        )
        entity = await deps.repo.entity(s, link.entity_id)
        user = await deps.repo.user(s, link.user_id)
        if entity is None or user is None or user.status != UserStatus.PENDING:
            raise _token_invalid()
        matches = entity.client_number == normalise_number(
            client_number
        ) and await deps.repo.has_contract(s, entity.id, normalise_number(contract_number))
        if not matches:
            # The token is not consumed: the user may retry with the right numbers.
            raise FailedPrecondition(
                "ACTIVATION_MISMATCH",
                "the client number and contract number do not match this activation link",
            )
        deps.policy.check(password, field="password", email=user.email)
        if not await deps.repo.consume_link(s, link.id, now):
            raise _token_invalid()
        await deps.repo.update_user(
            s,
            user.id,
            password_hash=await deps.hasher.hash_async(password),
            password_temporary=False,
            password_changed_at=now,
            status=UserStatus.ACTIVE,
            last_login_at=now,
        )
        # The manager is now active: consumers' snapshot of the account follows.
        await publish_account_updated(deps, s, entity.id)
        user = await deps.repo.user(s, user.id)
        tokens = await start_session(deps, s, user, now, preferred_entity=entity.id)
        if tokens is None:
            raise _token_invalid()
        return tokens


# ---- magic links -----------------------------------------------------------------
async def request_magic_link(deps: Deps, email: str) -> None:
    address = parse_email(email, "email")
    async with deps.db.transaction() as s:
        user = await deps.repo.user_by_email(s, address)
        # Operators log in with their password only.
        if user is None or user.status != UserStatus.ACTIVE or user.operator:
            return
        entity_id = await session_entity(deps, s, user)
        if entity_id is None:
            return
        link = await issue(deps, s, user.id, entity_id, LinkPurpose.MAGIC_LINK)
        await add_event(
            s,
            new_event(
                events_pb2.MagicLinkRequested,
                entity_id=entity_id,
                user_id=user.id,
                recipient=recipient(user),
                token=link.raw,
                expires_at=to_timestamp(link.expires_at),
            ),
        )


async def redeem_magic_link(deps: Deps, token: str) -> SessionTokens:
    require_field(token, "token")
    now = deps.clock()
    async with deps.db.transaction() as s:
        link = ensure_redeemable(
            await deps.repo.link(s, hash_token(token)), now, LinkPurpose.MAGIC_LINK
        )
        user = await deps.repo.user(s, link.user_id)
        if user is None or user.status != UserStatus.ACTIVE or user.operator:
            raise _token_invalid()
        if not await deps.repo.consume_link(s, link.id, now):
            raise _token_invalid()
        await deps.repo.update_user(s, user.id, last_login_at=now)
        tokens = await start_session(deps, s, user, now, preferred_entity=link.entity_id)
        if tokens is None:
            raise _token_invalid()
        return tokens


# ---- password reset -------------------------------------------------------------
async def request_password_reset(deps: Deps, email: str) -> None:
    address = parse_email(email, "email")
    async with deps.db.transaction() as s:
        user = await deps.repo.user_by_email(s, address)
        if user is None or user.status != UserStatus.ACTIVE:
            return
        entity_id = "" if user.operator else (await session_entity(deps, s, user) or "")
        link = await issue(deps, s, user.id, entity_id, LinkPurpose.PASSWORD_RESET)
        await add_event(
            s,
            new_event(
                events_pb2.PasswordResetRequested,
                entity_id=entity_id,
                user_id=user.id,
                recipient=recipient(user),
                token=link.raw,
                expires_at=to_timestamp(link.expires_at),
            ),
        )


async def confirm_password_reset(deps: Deps, token: str, new_password: str) -> None:
    """Also how an invited user sets a first password (INVITATION token), which
    activates them. Ends every session of the user."""
    require_field(token, "token")
    require_field(new_password, "newPassword")
    now = deps.clock()
    async with deps.db.transaction() as s:
        link = ensure_redeemable(
            await deps.repo.link(s, hash_token(token)),
            now,
            LinkPurpose.PASSWORD_RESET,
            LinkPurpose.INVITATION,
        )
        user = await deps.repo.user(s, link.user_id)
        if user is None or user.status == UserStatus.DISABLED:
            raise _token_invalid()
        if link.purpose == LinkPurpose.PASSWORD_RESET and user.status != UserStatus.ACTIVE:
            raise _token_invalid()
        current = user.password_hash
        deps.policy.check(
            new_password,
            field="newPassword",
            email=user.email,
            matches_current=(lambda p: deps.hasher.verify(current, p)) if current else None,
        )
        if not await deps.repo.consume_link(s, link.id, now):
            raise _token_invalid()
        await deps.repo.update_user(
            s,
            user.id,
            password_hash=await deps.hasher.hash_async(new_password),
            password_temporary=False,
            password_changed_at=now,
            status=UserStatus.ACTIVE,
            sessions_valid_after=epoch_seconds(now),
        )
        await deps.repo.save_throttle(s, user.id, LoginThrottle.cleared())
        await deps.repo.revoke_families(s, now, user_id=user.id)
        await deps.repo.revoke_links(s, user.id, now)
        await add_event(
            s,
            new_event(
                events_pb2.PasswordChanged,
                entity_id=link.entity_id,
                user_id=user.id,
                recipient=recipient(user),
            ),
        )
