"""Issuing sessions: a signed access token (portal_runtime.tokens) plus an
opaque refresh token (256 random bits, stored as SHA-256), both bound to a
session family whose id is the access token's `sid`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from portal_runtime.tokens import ACCESS, FIRST_LOGIN, TokenIssuer
from services.identity.domain.refresh import (
    FIRST_LOGIN_TTL_SECONDS,
    SessionFamily,
    issue_refresh_token,
)
from services.identity.store import Repository


@dataclass(frozen=True)
class SessionTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    password_change_required: bool = False
    session_id: str = ""


class SessionIssuer:
    def __init__(self, issuer: TokenIssuer, repo: Repository) -> None:
        self.issuer = issuer
        self.repo = repo

    async def start(
        self,
        s: AsyncSession,
        *,
        user_id: str,
        entity_id: str,
        permissions: frozenset[str],
        operator: bool,
        now: datetime,
    ) -> SessionTokens:
        """A new session family with its first refresh token."""
        family = SessionFamily(new_id(), user_id, entity_id, ACCESS, now)
        await self.repo.sessions.add_family(s, family)
        return await self.continue_family(
            s,
            family_id=family.id,
            user_id=user_id,
            entity_id=entity_id,
            permissions=permissions,
            operator=operator,
            now=now,
        )

    async def continue_family(
        self,
        s: AsyncSession,
        *,
        family_id: str,
        user_id: str,
        entity_id: str,
        permissions: frozenset[str],
        operator: bool,
        now: datetime,
    ) -> SessionTokens:
        """A new access token and refresh token in an existing family (rotation)."""
        refresh = issue_refresh_token(family_id, user_id, entity_id, now)
        await self.repo.sessions.add_refresh_token(s, refresh)
        access = self.issuer.issue(
            user_id=user_id,
            entity_id=entity_id,
            permissions=permissions,
            operator=operator,
            session_id=family_id,
            kind=ACCESS,
            now=now.timestamp(),
        )
        return SessionTokens(access, refresh.raw, self.issuer.ttl_seconds, session_id=family_id)

    async def first_login(
        self, s: AsyncSession, *, user_id: str, entity_id: str, now: datetime
    ) -> SessionTokens:
        """The restricted token of a temporary-password login: FirstLogin only,
        10 minutes, no refresh token, no permissions."""
        family = SessionFamily(new_id(), user_id, entity_id, FIRST_LOGIN, now)
        await self.repo.sessions.add_family(s, family)
        access = self.issuer.issue(
            user_id=user_id,
            entity_id=entity_id,
            permissions=frozenset(),
            session_id=family.id,
            kind=FIRST_LOGIN,
            ttl_seconds=FIRST_LOGIN_TTL_SECONDS,
            now=now.timestamp(),
        )
        return SessionTokens(
            access, "", FIRST_LOGIN_TTL_SECONDS, password_change_required=True, session_id=family.id
        )
