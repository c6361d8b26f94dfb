"""What every use case shares: the dependencies, the caller's session check,
profile resolution, and sessions for a user (started, and ended everywhere)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import authenticated
from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from portal_runtime.errors import NotFound
from portal_runtime.outbox import add_event
from portal_runtime.tokens import Principal
from services.identity import events
from services.identity.domain import profiles as profile_rules
from services.identity.domain.accounts import UnlockRule
from services.identity.domain.links import LinkPurpose
from services.identity.domain.passwords import PasswordPolicy
from services.identity.domain.refresh import ensure_session_alive, session_state, sessions_ended
from services.identity.domain.users import User
from services.identity.passwords import PasswordHasher
from services.identity.sessions import SessionIssuer, SessionTokens
from services.identity.store import Repository

log = logging.getLogger(__name__)


@dataclass
class Deps:
    db: Database
    repo: Repository
    hasher: PasswordHasher
    policy: PasswordPolicy
    sessions: SessionIssuer
    normalise_phone: Callable[[str], str | None]
    clock: Callable[[], datetime] = field(default=utcnow)
    # Per-purpose link lifetimes from configuration; absent = the domain default.
    link_lifetimes: dict[LinkPurpose, timedelta] = field(default_factory=dict)
    # The unlock rule of accounts whose creation names none.
    default_unlock_rule: UnlockRule = UnlockRule.FIRST_ORDER
    # The portal's address, printed on welcome letters.
    web_url: str = "http://127.0.0.1:8080"


async def caller(
    deps: Deps, s: AsyncSession, principal: Principal | None, *, for_update: bool = False
) -> User:
    """The caller, once their session is known to be alive (`for_update`: the
    transaction saves the user, see `UsersRepository.get`).

    Identity checks its own methods against revoked session families and the
    user's `sessions_valid_after` (password change/reset, disabling); other
    services rely on the access token's short lifetime instead."""
    principal = authenticated(principal)
    user = await deps.repo.users.get(s, principal.user_id, for_update=for_update)
    family = (
        await deps.repo.sessions.family(s, principal.session_id) if principal.session_id else None
    )
    ensure_session_alive(session_state(family, user), principal.issued_at)
    assert user is not None
    return user


async def resolve_profile(
    deps: Deps, s: AsyncSession, entity_id: str, profile_id: str
) -> profile_rules.Profile:
    """A built-in profile or one of this entity's own; any other id (including
    another entity's profile) is NOT_FOUND."""
    found = profile_rules.built_in(profile_id)
    if found is None and profile_id:
        found = await deps.repo.profiles.get(s, entity_id, profile_id)
    if found is None:
        raise NotFound("PROFILE_NOT_FOUND", "no such profile for this account")
    return found


async def profile_name(deps: Deps, s: AsyncSession, entity_id: str, profile_id: str) -> str:
    try:
        return (await resolve_profile(deps, s, entity_id, profile_id)).name
    except NotFound:
        return ""


async def permissions_in(deps: Deps, s: AsyncSession, entity_id: str, user_id: str) -> frozenset:
    membership = await deps.repo.memberships.active(s, entity_id, user_id)
    if membership is None:
        return frozenset()
    try:
        profile = await resolve_profile(deps, s, entity_id, membership.profile_id)
    except NotFound:
        return frozenset()
    return profile.permissions


async def session_entity(
    deps: Deps, s: AsyncSession, user: User, preferred: str = ""
) -> str | None:
    """The entity a new session acts for: `preferred` when the user is an
    active member of it, else their first active membership; None if none."""
    if preferred and await deps.repo.memberships.active(s, preferred, user.id) is not None:
        return preferred
    memberships = await deps.repo.memberships.active_of_user(s, user.id)
    return memberships[0].entity_id if memberships else None


async def start_session(
    deps: Deps, s: AsyncSession, user: User, now: datetime, *, preferred_entity: str = ""
) -> SessionTokens | None:
    """A full session for an operator (no entity) or a member (their entity's
    profile permissions); None when a customer user has no active access."""
    if user.operator:
        return await deps.sessions.start(
            s, user_id=user.id, entity_id="", permissions=frozenset(), operator=True, now=now
        )
    entity_id = await session_entity(deps, s, user, preferred_entity)
    if entity_id is None:
        return None
    permissions = await permissions_in(deps, s, entity_id, user.id)
    return await deps.sessions.start(
        s, user_id=user.id, entity_id=entity_id, permissions=permissions, operator=False, now=now
    )


async def start_first_login(
    deps: Deps, s: AsyncSession, user: User, now: datetime, *, preferred_entity: str = ""
) -> SessionTokens | None:
    """The restricted session of someone who must set a password first (a
    temporary password, or a first-connection link): good for FirstLogin only.
    None when a customer user has no active access."""
    entity_id = "" if user.operator else await session_entity(deps, s, user, preferred_entity)
    if entity_id is None:
        return None
    return await deps.sessions.first_login(s, user_id=user.id, entity_id=entity_id, now=now)


async def end_sessions(
    deps: Deps,
    s: AsyncSession,
    now: datetime,
    *,
    family_id: str | None = None,
    user_id: str | None = None,
    entity_id: str | None = None,
    except_family: str | None = None,
) -> None:
    """Ends the sessions matching every criterion, and states it so that every
    service refuses their access tokens at once (not only at their expiry)."""
    ended = await deps.repo.sessions.revoke_families(
        s,
        now,
        family_id=family_id,
        user_id=user_id,
        entity_id=entity_id,
        except_family=except_family,
    )
    access_ttl = timedelta(seconds=deps.sessions.issuer.ttl_seconds)
    for fact in sessions_ended(ended, now, access_ttl):
        await add_event(s, events.sessions_ended(fact))
