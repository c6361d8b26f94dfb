"""What every use case shares: the dependencies, the caller's
session check, profile resolution, sessions for a user, event helpers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2
from portal_runtime.auth import authenticated
from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from portal_runtime.errors import NotFound
from portal_runtime.tokens import Principal
from services.identity.domain import profiles as profile_rules
from services.identity.domain.links import LinkPurpose
from services.identity.domain.passwords import PasswordPolicy
from services.identity.domain.refresh import SessionState, ensure_session_alive
from services.identity.domain.users import MembershipStatus, UserStatus, display_name
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


def epoch_seconds(now: datetime) -> int:
    return int(now.timestamp())


def recipient(user: Row) -> events_pb2.Recipient:
    return events_pb2.Recipient(
        email=user.email,
        name=display_name(user.first_name, user.last_name, user.email),
        language=user.language,
    )


async def caller(deps: Deps, s: AsyncSession, principal: Principal | None) -> Row:
    """The caller's user row, once their session is known to be alive.

    Identity checks its own methods against revoked session families and the
    user's `sessions_valid_after` (password change/reset, disabling); other
    services rely on the access token's short lifetime instead."""
    principal = authenticated(principal)
    user = await deps.repo.user(s, principal.user_id)
    family = await deps.repo.family(s, principal.session_id) if principal.session_id else None
    state = None
    if user is not None and family is not None and family.user_id == user.id:
        state = SessionState(
            family_revoked=family.revoked_at is not None,
            user_active=user.status != UserStatus.DISABLED,
            sessions_valid_after=user.sessions_valid_after,
        )
    ensure_session_alive(state, principal.issued_at)
    assert user is not None
    return user


async def resolve_profile(
    deps: Deps, s: AsyncSession, entity_id: str, profile_id: str
) -> profile_rules.Profile:
    """A built-in profile or one of this entity's own; any other id (including
    another entity's profile) is NOT_FOUND."""
    found = profile_rules.built_in(profile_id)
    if found is not None:
        return found
    row = await deps.repo.profile(s, entity_id, profile_id) if profile_id else None
    if row is None:
        raise NotFound("PROFILE_NOT_FOUND", "no such profile for this account")
    return profile_from_row(row)


def profile_from_row(row: Row) -> profile_rules.Profile:
    return profile_rules.Profile(
        id=row.id,
        name=row.name,
        permissions=frozenset(row.permissions),
        built_in=False,
        entity_id=row.entity_id,
    )


async def profile_name(deps: Deps, s: AsyncSession, entity_id: str, profile_id: str) -> str:
    try:
        return (await resolve_profile(deps, s, entity_id, profile_id)).name
    except NotFound:
        return ""


async def permissions_in(deps: Deps, s: AsyncSession, entity_id: str, user_id: str) -> frozenset:
    membership = await deps.repo.active_membership(s, entity_id, user_id)
    if membership is None:
        return frozenset()
    try:
        profile = await resolve_profile(deps, s, entity_id, membership.profile_id)
    except NotFound:
        return frozenset()
    return profile.permissions


async def session_entity(deps: Deps, s: AsyncSession, user: Row, preferred: str = "") -> str | None:
    """The entity a new session acts for: `preferred` when the user is an
    active member of it, else their first active membership; None if none."""
    if preferred and await deps.repo.active_membership(s, preferred, user.id) is not None:
        return preferred
    memberships = await deps.repo.active_memberships_of_user(s, user.id)
    return memberships[0].entity_id if memberships else None


async def start_session(
    deps: Deps, s: AsyncSession, user: Row, now: datetime, *, preferred_entity: str = ""
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


def member_status(user_status: str, membership_status: str) -> str:
    if membership_status == MembershipStatus.DISABLED:
        return UserStatus.DISABLED
    return user_status
