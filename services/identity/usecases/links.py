"""One-time links: activation, magic login (and the operator's first-connection
link), password reset (and invitation acceptance through password-reset:confirm).

Requests answer the same whatever the input (no enumeration); links are issued
only to users that may use them, and the raw token travels only in the event
that notifications turns into an e-mail."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.errors import FailedPrecondition, require_field
from portal_runtime.outbox import add_event
from services.identity import events
from services.identity.domain import links
from services.identity.domain.accounts import Account, normalise_number
from services.identity.domain.emails import parse_email
from services.identity.domain.identifiers import remind_identifiers
from services.identity.domain.links import (
    LinkPurpose,
    ensure_may_set_password,
    ensure_redeemable,
    hash_token,
    token_invalid,
)
from services.identity.domain.users import User, UserStatus
from services.identity.sessions import SessionTokens
from services.identity.usecases.account_events import publish_account_updated
from services.identity.usecases.common import (
    Deps,
    end_sessions,
    session_entity,
    start_first_login,
    start_session,
)

log = logging.getLogger(__name__)


# ---- activation ---------------------------------------------------------------
async def send_activation(
    deps: Deps,
    s: AsyncSession,
    account: Account,
    manager: User,
    contract_number: str,
    *,
    account_opened: bool = False,
) -> None:
    """Issues the manager's activation link (revoking the previous one) and
    states it for notifications to e-mail, when they have no password yet."""
    if not manager.awaits_own_password():
        return
    requested = links.request_activation(
        account.entity,
        manager,
        deps.clock(),
        deps.link_lifetimes.get(LinkPurpose.ACTIVATION),
        contract_number=contract_number,
        account_opened=account_opened,
    )
    await deps.repo.links.add(s, requested.link)
    await add_event(s, events.activation_requested(requested))


async def request_activation(deps: Deps, client_number: str, contract_number: str) -> None:
    """The account's activation e-mail again, with a new link (the guide's
    "send me the link again" once the first one expired)."""
    require_field(client_number, "clientNumber")
    require_field(contract_number, "contractNumber")
    contract = normalise_number(contract_number)
    async with deps.db.transaction() as s:
        account = await deps.repo.accounts.by_client_number(s, normalise_number(client_number))
        if account is None or not account.entity.manager_user_id:
            return
        if not account.has_contract(contract):
            return
        manager = await deps.repo.users.get(s, account.entity.manager_user_id)
        if manager is not None:
            await send_activation(deps, s, account, manager, contract)


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
            await deps.repo.links.get(s, hash_token(token)), now, LinkPurpose.ACTIVATION
        )
        account = await deps.repo.accounts.get(s, link.entity_id)
        user = await deps.repo.users.get(s, link.user_id, for_update=True)
        if account is None or user is None or user.status != UserStatus.PENDING:
            raise token_invalid()
        matches = account.entity.client_number == normalise_number(
            client_number
        ) and account.has_contract(normalise_number(contract_number))
        if not matches:
            # The token is not consumed: the user may retry with the right numbers.
            raise FailedPrecondition(
                "ACTIVATION_MISMATCH",
                "the client number and contract number do not match this activation link",
            )
        deps.policy.check(password, field="password", email=user.email)
        if not await deps.repo.links.consume(s, link, now):
            raise token_invalid()
        user.activate(await deps.hasher.hash_async(password), now)
        await deps.repo.users.save(s, user)
        # The manager is now active: consumers' snapshot of the account follows.
        await publish_account_updated(deps, s, account.id)
        tokens = await start_session(deps, s, user, now, preferred_entity=account.id)
        if tokens is None:
            raise token_invalid()
        return tokens


# ---- magic links -----------------------------------------------------------------
async def request_magic_link(deps: Deps, email: str) -> None:
    address = parse_email(email, "email")
    async with deps.db.transaction() as s:
        user = await deps.repo.users.by_email(s, address)
        if user is None or not user.may_use_magic_link():
            return
        entity_id = await session_entity(deps, s, user)
        if entity_id is None:
            return
        requested = links.request_magic_link(
            user, entity_id, deps.clock(), deps.link_lifetimes.get(LinkPurpose.MAGIC_LINK)
        )
        await deps.repo.links.add(s, requested.link)
        await add_event(s, events.magic_link_requested(requested))


async def redeem_magic_link(deps: Deps, token: str) -> SessionTokens:
    """A magic link's session; an operator's first-connection link gives the
    restricted session of a first login instead (set a password first)."""
    require_field(token, "token")
    now = deps.clock()
    async with deps.db.transaction() as s:
        link = ensure_redeemable(
            await deps.repo.links.get(s, hash_token(token)),
            now,
            LinkPurpose.MAGIC_LINK,
            LinkPurpose.FIRST_CONNECTION,
        )
        user = await deps.repo.users.get(s, link.user_id, for_update=True)
        first = link.purpose == LinkPurpose.FIRST_CONNECTION
        allowed = user is not None and (
            user.may_connect_first_by_link() if first else user.may_use_magic_link()
        )
        if user is None or not allowed:
            raise token_invalid()
        if not await deps.repo.links.consume(s, link, now):
            raise token_invalid()
        user.record_login(now)
        await deps.repo.users.save(s, user)
        if first:
            tokens = await start_first_login(deps, s, user, now, preferred_entity=link.entity_id)
        else:
            tokens = await start_session(deps, s, user, now, preferred_entity=link.entity_id)
        if tokens is None:
            raise token_invalid()
        return tokens


# ---- forgotten identifier -----------------------------------------------------------
async def request_identifier_reminder(deps: Deps, email: str) -> None:
    """E-mails the login identifiers of a known address. Unknown or not, the
    same reads run and one event is written (a known address's carries the
    reminder), so neither the answer nor its timing tells them apart."""
    address = parse_email(email, "email")
    async with deps.db.transaction() as s:
        user = await deps.repo.users.by_email(s, address)
        user_id = user.id if user is not None else ""
        held = await deps.repo.accounts.held_by(s, user_id)
        acting_for = {m.entity_id for m in await deps.repo.memberships.active_of_user(s, user_id)}
        reminder = remind_identifiers(user, [e for e in held if e.id in acting_for])
        await add_event(s, events.identifier_reminder_requested(reminder))


# ---- password reset -------------------------------------------------------------
async def request_password_reset(deps: Deps, email: str) -> None:
    address = parse_email(email, "email")
    async with deps.db.transaction() as s:
        user = await deps.repo.users.by_email(s, address)
        if user is None or not user.is_active:
            return
        entity_id = "" if user.operator else (await session_entity(deps, s, user) or "")
        requested = links.request_password_reset(
            user, entity_id, deps.clock(), deps.link_lifetimes.get(LinkPurpose.PASSWORD_RESET)
        )
        await deps.repo.links.add(s, requested.link)
        await add_event(s, events.password_reset_requested(requested))


async def confirm_password_reset(deps: Deps, token: str, new_password: str) -> None:
    """Also how an invited user sets a first password (INVITATION token), which
    activates them. Ends every session of the user."""
    require_field(token, "token")
    require_field(new_password, "newPassword")
    now = deps.clock()
    async with deps.db.transaction() as s:
        link = ensure_redeemable(
            await deps.repo.links.get(s, hash_token(token)),
            now,
            LinkPurpose.PASSWORD_RESET,
            LinkPurpose.INVITATION,
        )
        user = ensure_may_set_password(
            link, await deps.repo.users.get(s, link.user_id, for_update=True)
        )
        current = user.password_hash
        deps.policy.check(
            new_password,
            field="newPassword",
            email=user.email,
            matches_current=(lambda p: deps.hasher.verify(current, p)) if current else None,
        )
        if not await deps.repo.links.consume(s, link, now):
            raise token_invalid()
        changed = user.reset_password(
            await deps.hasher.hash_async(new_password), now, link.entity_id
        )
        await deps.repo.users.save(s, user)
        await deps.repo.users.save_throttle(s, user)
        await end_sessions(deps, s, now, user_id=user.id)
        await deps.repo.links.revoke_all_of(s, user.id, now)
        await add_event(s, events.password_changed(changed))
