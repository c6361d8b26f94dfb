"""Credentials: one-time links, session families and refresh tokens. Only the
tokens' hashes are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.db import new_id
from services.identity.domain.links import IssuedLink, LinkPurpose, StoredLink
from services.identity.domain.refresh import (
    IssuedRefreshToken,
    SessionFamily,
    StoredRefreshToken,
)
from services.identity.store.tables import link_tokens, refresh_tokens, session_families

# Built once (read on every call identity checks a session for).
_FAMILY = select(session_families).where(session_families.c.id == bindparam("family_id"))


def _family(row: Row) -> SessionFamily:
    return SessionFamily(
        id=row.id,
        user_id=row.user_id,
        entity_id=row.entity_id,
        kind=row.kind,
        created_at=aware(row.created_at),  # type: ignore[arg-type]
        revoked_at=aware(row.revoked_at),
    )


class LinksRepository:
    async def add(self, s: AsyncSession, link: IssuedLink) -> None:
        """Stores a new link and revokes the user's earlier unused ones of the
        same purpose (regenerating invalidates: `domain.links.supersedes`)."""
        await s.execute(
            update(link_tokens)
            .where(
                link_tokens.c.user_id == link.user_id,
                link_tokens.c.purpose == link.purpose.value,
                link_tokens.c.used_at.is_(None),
                link_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=link.issued_at)
        )
        await s.execute(
            insert(link_tokens).values(
                id=new_id(),
                token_hash=link.token_hash,
                user_id=link.user_id,
                entity_id=link.entity_id,
                purpose=link.purpose.value,
                created_at=link.issued_at,
                expires_at=link.expires_at,
            )
        )

    async def get(self, s: AsyncSession, token_hash: str) -> StoredLink | None:
        row = (
            await s.execute(select(link_tokens).where(link_tokens.c.token_hash == token_hash))
        ).first()
        if row is None:
            return None
        return StoredLink(
            id=row.id,
            user_id=row.user_id,
            entity_id=row.entity_id,
            purpose=LinkPurpose(row.purpose),
            expires_at=aware(row.expires_at),  # type: ignore[arg-type]
            used_at=aware(row.used_at),
            revoked_at=aware(row.revoked_at),
        )

    async def consume(self, s: AsyncSession, link: StoredLink, now: datetime) -> bool:
        """Marks a link used; False when a concurrent call used it first."""
        result = await s.execute(
            update(link_tokens)
            .where(link_tokens.c.id == link.id, link_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_all_of(self, s: AsyncSession, user_id: str, now: datetime) -> None:
        """Every unused link of the user (password changed or reset)."""
        await s.execute(
            update(link_tokens)
            .where(
                link_tokens.c.user_id == user_id,
                link_tokens.c.used_at.is_(None),
                link_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


class SessionsRepository:
    async def add_family(self, s: AsyncSession, family: SessionFamily) -> None:
        await s.execute(
            insert(session_families).values(
                id=family.id,
                user_id=family.user_id,
                entity_id=family.entity_id,
                kind=family.kind,
                created_at=family.created_at,
                revoked_at=family.revoked_at,
            )
        )

    async def family(self, s: AsyncSession, family_id: str) -> SessionFamily | None:
        row = (await s.execute(_FAMILY, {"family_id": family_id})).first()
        return _family(row) if row is not None else None

    async def add_refresh_token(self, s: AsyncSession, token: IssuedRefreshToken) -> None:
        await s.execute(
            insert(refresh_tokens).values(
                id=new_id(),
                token_hash=token.token_hash,
                family_id=token.family_id,
                user_id=token.user_id,
                entity_id=token.entity_id,
                created_at=token.issued_at,
                expires_at=token.expires_at,
            )
        )

    async def refresh_token(self, s: AsyncSession, token_hash: str) -> StoredRefreshToken | None:
        query = (
            select(refresh_tokens, session_families.c.revoked_at.label("family_revoked_at"))
            .join(session_families, session_families.c.id == refresh_tokens.c.family_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return StoredRefreshToken(
            id=row.id,
            family_id=row.family_id,
            user_id=row.user_id,
            entity_id=row.entity_id,
            expires_at=aware(row.expires_at),  # type: ignore[arg-type]
            rotated_at=aware(row.rotated_at),
            revoked_at=aware(row.revoked_at),
            family_revoked_at=aware(row.family_revoked_at),
        )

    async def mark_rotated(self, s: AsyncSession, token: StoredRefreshToken, now: datetime) -> bool:
        """False when a concurrent refresh rotated it first."""
        result = await s.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token.id, refresh_tokens.c.rotated_at.is_(None))
            .values(rotated_at=now)
        )
        return result.rowcount == 1

    async def revoke_families(
        self,
        s: AsyncSession,
        now: datetime,
        *,
        family_id: str | None = None,
        user_id: str | None = None,
        entity_id: str | None = None,
        except_family: str | None = None,
    ) -> list[SessionFamily]:
        """Revokes session families (and their refresh tokens) matching every
        given criterion; the families it ended."""
        conditions = [session_families.c.revoked_at.is_(None)]
        if family_id is not None:
            conditions.append(session_families.c.id == family_id)
        if user_id is not None:
            conditions.append(session_families.c.user_id == user_id)
        if entity_id is not None:
            conditions.append(session_families.c.entity_id == entity_id)
        if except_family is not None:
            conditions.append(session_families.c.id != except_family)
        where = and_(*conditions)
        ended = [
            _family(row) for row in (await s.execute(select(session_families).where(where))).all()
        ]
        if not ended:
            return []
        ids = [family.id for family in ended]
        await s.execute(
            update(session_families).where(session_families.c.id.in_(ids)).values(revoked_at=now)
        )
        await s.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id.in_(ids), refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return ended
