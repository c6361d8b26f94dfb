"""Login, first login, refresh, logout, password change, entity switch."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import authenticated
from portal_runtime.errors import InvalidArgument, NotFound, Unauthenticated, require_field
from portal_runtime.outbox import add_event
from portal_runtime.tokens import FIRST_LOGIN, Principal
from services.identity import events
from services.identity.domain.accounts import normalise_number
from services.identity.domain.emails import normalise_email, parse_email
from services.identity.domain.links import hash_token
from services.identity.domain.refresh import RefreshOutcome, classify_refresh, refresh_error
from services.identity.domain.users import User, invalid_credentials
from services.identity.sessions import SessionTokens
from services.identity.usecases.account_events import publish_account_updated
from services.identity.usecases.common import (
    Deps,
    caller,
    end_sessions,
    permissions_in,
    start_first_login,
    start_session,
)

log = logging.getLogger(__name__)


async def _find_login(deps: Deps, s: AsyncSession, login: str) -> tuple[User | None, str]:
    """(user, preferred entity): an e-mail, or a client number meaning the
    entity's first manager."""
    if "@" in login:
        return await deps.repo.users.by_email(s, normalise_email(login)), ""
    account = await deps.repo.accounts.by_client_number(s, normalise_number(login))
    if account is None or not account.entity.manager_user_id:
        return None, ""
    return await deps.repo.users.get(s, account.entity.manager_user_id), account.id


async def login(deps: Deps, login_name: str, password: str, client_ip: str = "") -> SessionTokens:
    """Every failure answers INVALID_CREDENTIALS after one argon2 verification,
    whether the login exists or not (no enumeration, constant-ish time). The
    password is verified outside any transaction (SQLite holds a write lock for
    a transaction's whole length)."""
    require_field(login_name, "login")
    require_field(password, "password")
    now = deps.clock()
    async with deps.db.transaction() as s:
        user, preferred = await _find_login(deps, s, login_name.strip())
    if user is None:
        await deps.hasher.verify_async(None, password)
        log.info("login failed: unknown login", extra={"client_ip": client_ip})
        raise invalid_credentials()
    if user.is_locked(now):
        # Never check the password while locked (see domain.lockout).
        await deps.hasher.verify_async(None, password)
        log.warning(
            "login refused: account locked",
            extra={
                "user_id": user.id,
                "locked_until": str(user.throttle.locked_until),
                "client_ip": client_ip,
            },
        )
        raise invalid_credentials()
    if not user.may_log_in():
        await deps.hasher.verify_async(None, password)
        raise invalid_credentials()
    if not await deps.hasher.verify_async(user.password_hash, password):
        async with deps.db.transaction() as s:
            # Counted on the user as it is now: other attempts run concurrently.
            current = await deps.repo.users.get(s, user.id, for_update=True)
            assert current is not None
            current.record_failed_login(now)
            await deps.repo.users.save_throttle(s, current)
        if current.is_locked(now):
            log.warning("account locked after repeated failures", extra={"user_id": user.id})
        raise invalid_credentials()
    assert user.password_hash is not None
    rehashed = (
        await deps.hasher.hash_async(password)
        if deps.hasher.needs_rehash(user.password_hash)
        else None
    )
    async with deps.db.transaction() as s:
        # Saved from the user as it is now: a password reset may have happened
        # while the password was being verified. What follows still rests on the
        # user the password was verified for.
        current = await deps.repo.users.get(s, user.id, for_update=True)
        assert current is not None
        current.record_password_login(now, rehashed)
        await deps.repo.users.save(s, current)
        await deps.repo.users.save_throttle(s, current)
        if user.password_temporary:
            tokens = await start_first_login(deps, s, user, now, preferred_entity=preferred)
        else:
            tokens = await start_session(deps, s, user, now, preferred_entity=preferred)
        if tokens is None:
            raise invalid_credentials()
        return tokens


async def first_login(
    deps: Deps,
    principal: Principal | None,
    *,
    new_password: str,
    primary_email: str,
    secondary_email: str,
    paperless_consent: bool | None,
) -> SessionTokens:
    """Sets the password of someone holding a temporary one (then the primary
    e-mail is required) or none at all after a first-connection link (then an
    empty primary e-mail keeps the address the link went to); the secondary
    e-mail, and the account's paperless consent when given (None: unchanged).
    Returns a full session; the restricted one is single use."""
    require_field(new_password, "newPassword")
    email = parse_email(primary_email, "primaryEmail") if primary_email.strip() else ""
    secondary = parse_email(secondary_email, "secondaryEmail") if secondary_email.strip() else ""
    now = deps.clock()
    async with deps.db.transaction() as s:
        user = await caller(deps, s, principal, for_update=True)
        assert principal is not None
        if principal.kind != FIRST_LOGIN or not user.must_set_password():
            raise Unauthenticated("SESSION_REVOKED", "this first-login token was already used")
        if not email and user.password_temporary:
            raise InvalidArgument.for_field("primaryEmail", "is required", reason="REQUIRED_FIELD")
        email = email or user.email
        if secondary and secondary == email:
            raise InvalidArgument.for_field("secondaryEmail", "must differ from the primary e-mail")
        current = user.password_hash
        deps.policy.check(
            new_password,
            field="newPassword",
            email=email,
            matches_current=(lambda p: deps.hasher.verify(current, p)) if current else None,
        )
        if email != user.email:
            other = await deps.repo.users.by_email(s, email)
            if other is not None:
                raise InvalidArgument.for_field(
                    "primaryEmail", "is already used by another user", reason="EMAIL_TAKEN"
                )
        password_hash = await deps.hasher.hash_async(new_password)
        user.complete_first_login(email, secondary, password_hash, now)
        await deps.repo.users.save(s, user)
        account = (
            await deps.repo.accounts.get(s, principal.entity_id) if principal.entity_id else None
        )
        if account is not None and paperless_consent is not None:
            account.entity.record_paperless_consent(paperless_consent)
            await deps.repo.accounts.save_paperless_consent(s, account.entity)
        # The consent, and the holder's e-mails, are in the accounts' snapshots.
        changed = {e.id for e in await deps.repo.accounts.held_by(s, user.id)}
        if account is not None:
            changed.add(account.id)
        for entity_id in sorted(changed):
            await publish_account_updated(deps, s, entity_id)
        # The first-login token is single use.
        await end_sessions(deps, s, now, family_id=principal.session_id)
        tokens = await start_session(deps, s, user, now, preferred_entity=principal.entity_id)
        if tokens is None:
            raise Unauthenticated("SESSION_REVOKED", "this account has no active access")
        return tokens


async def refresh(deps: Deps, raw_token: str) -> SessionTokens:
    require_field(raw_token, "refreshToken")
    now = deps.clock()
    outcome = RefreshOutcome.INVALID
    async with deps.db.transaction() as s:
        stored = await deps.repo.sessions.refresh_token(s, hash_token(raw_token))
        outcome = classify_refresh(stored, now)
        if outcome is RefreshOutcome.ROTATE:
            assert stored is not None
            user = await deps.repo.users.get(s, stored.user_id)
            member_ok = user is not None and (
                user.operator
                or await deps.repo.memberships.active(s, stored.entity_id, user.id) is not None
            )
            if user is None or not user.is_active or not member_ok:
                await end_sessions(deps, s, now, family_id=stored.family_id)
                outcome = RefreshOutcome.INVALID
            elif not await deps.repo.sessions.mark_rotated(s, stored, now):
                outcome = RefreshOutcome.REUSED  # a concurrent call rotated it first
            else:
                permissions = (
                    frozenset()
                    if user.operator
                    else await permissions_in(deps, s, stored.entity_id, user.id)
                )
                return await deps.sessions.continue_family(
                    s,
                    family_id=stored.family_id,
                    user_id=user.id,
                    entity_id=stored.entity_id,
                    permissions=permissions,
                    operator=bool(user.operator),
                    now=now,
                )
        if outcome is RefreshOutcome.REUSED and stored is not None:
            log.warning(
                "refresh token reused: session family revoked",
                extra={"user_id": stored.user_id, "family_id": stored.family_id},
            )
            await end_sessions(deps, s, now, family_id=stored.family_id)
    # Raised after the commit, so the revocation above is kept.
    raise refresh_error(outcome)


async def logout(deps: Deps, principal: Principal | None, raw_refresh: str = "") -> None:
    principal = authenticated(principal)
    now = deps.clock()
    async with deps.db.transaction() as s:
        if principal.session_id:
            family = await deps.repo.sessions.family(s, principal.session_id)
            if family is not None and family.user_id == principal.user_id:
                await end_sessions(deps, s, now, family_id=family.id)
        if raw_refresh:
            stored = await deps.repo.sessions.refresh_token(s, hash_token(raw_refresh))
            if stored is not None and stored.user_id == principal.user_id:
                await end_sessions(deps, s, now, family_id=stored.family_id)


async def change_password(
    deps: Deps, principal: Principal | None, current_password: str, new_password: str
) -> SessionTokens:
    require_field(current_password, "currentPassword")
    require_field(new_password, "newPassword")
    now = deps.clock()
    async with deps.db.transaction() as s:
        user = await caller(deps, s, principal)
    if not await deps.hasher.verify_async(user.password_hash, current_password):
        raise InvalidArgument.for_field(
            "currentPassword", "is incorrect", reason="INVALID_CURRENT_PASSWORD"
        )
    deps.policy.check(
        new_password,
        field="newPassword",
        email=user.email,
        matches_current=lambda p: p == current_password,
    )
    new_hash = await deps.hasher.hash_async(new_password)
    assert principal is not None
    async with deps.db.transaction() as s:
        user = await caller(deps, s, principal, for_update=True)
        changed = user.change_password(new_hash, now, principal.entity_id)
        await deps.repo.users.save(s, user)
        await end_sessions(deps, s, now, user_id=user.id)
        await deps.repo.links.revoke_all_of(s, user.id, now)
        await add_event(s, events.password_changed(changed))
        tokens = await start_session(deps, s, user, now, preferred_entity=principal.entity_id)
        if tokens is None:
            raise Unauthenticated("SESSION_REVOKED", "this account has no active access")
        return tokens


async def switch_entity(deps: Deps, principal: Principal | None, entity_id: str) -> SessionTokens:
    require_field(entity_id, "entityId")
    now = deps.clock()
    async with deps.db.transaction() as s:
        user = await caller(deps, s, principal)
        assert principal is not None
        if user.operator or await deps.repo.memberships.active(s, entity_id, user.id) is None:
            raise NotFound("ENTITY_NOT_FOUND", "no such account among yours")
        await end_sessions(deps, s, now, family_id=principal.session_id)
        permissions = await permissions_in(deps, s, entity_id, user.id)
        return await deps.sessions.start(
            s,
            user_id=user.id,
            entity_id=entity_id,
            permissions=permissions,
            operator=False,
            now=now,
        )
