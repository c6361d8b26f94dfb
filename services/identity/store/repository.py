"""Identity's repository: every query, taking the caller's AsyncSession.

Customer-scoped methods take the entity id from the verified token (passed by
the use cases) and filter on it, so another entity's ids are simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.domain.links import LinkPurpose, StoredLink
from services.identity.domain.lockout import LoginThrottle
from services.identity.domain.refresh import StoredRefreshToken
from services.identity.domain.users import MembershipStatus
from services.identity.store.tables import (
    contracts,
    entities,
    link_tokens,
    memberships,
    profiles,
    refresh_tokens,
    session_families,
    users,
)


def new_id() -> str:
    return uuid.uuid4().hex


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Repository:
    # ---- entities and contracts -------------------------------------------
    async def add_entity(self, s: AsyncSession, **values: Any) -> str:
        values.setdefault("id", new_id())
        await s.execute(insert(entities).values(**values))
        return values["id"]

    async def client_number_taken(self, s: AsyncSession, client_number: str) -> bool:
        found = await s.scalar(
            select(entities.c.id).where(entities.c.client_number == client_number)
        )
        return found is not None

    async def entity(self, s: AsyncSession, entity_id: str) -> Row | None:
        return (await s.execute(select(entities).where(entities.c.id == entity_id))).first()

    async def entity_by_client_number(self, s: AsyncSession, client_number: str) -> Row | None:
        query = select(entities).where(entities.c.client_number == client_number)
        return (await s.execute(query)).first()

    async def update_entity(self, s: AsyncSession, entity_id: str, **values: Any) -> None:
        await s.execute(update(entities).where(entities.c.id == entity_id).values(**values))

    async def list_entities(
        self, s: AsyncSession, *, q: str, offset: int, limit: int
    ) -> Sequence[Row]:
        query = select(entities).order_by(entities.c.created_at, entities.c.id)
        if q:
            pattern = f"%{q.lower()}%"
            query = query.where(
                or_(
                    func.lower(entities.c.client_number).like(pattern),
                    func.lower(entities.c.name).like(pattern),
                )
            )
        return (await s.execute(query.offset(offset).limit(limit))).all()

    async def entities_by_ids(self, s: AsyncSession, ids: Sequence[str]) -> dict[str, Row]:
        if not ids:
            return {}
        rows = (await s.execute(select(entities).where(entities.c.id.in_(ids)))).all()
        return {row.id: row for row in rows}

    async def add_contract(self, s: AsyncSession, **values: Any) -> None:
        values.setdefault("id", new_id())
        await s.execute(insert(contracts).values(**values))

    async def contracts_of(self, s: AsyncSession, entity_ids: Sequence[str]) -> dict[str, list]:
        result: dict[str, list] = {entity_id: [] for entity_id in entity_ids}
        if not entity_ids:
            return result
        query = (
            select(contracts)
            .where(contracts.c.entity_id.in_(entity_ids))
            .order_by(contracts.c.started_at, contracts.c.number)
        )
        for row in (await s.execute(query)).all():
            result[row.entity_id].append(row)
        return result

    async def has_contract(self, s: AsyncSession, entity_id: str, number: str) -> bool:
        found = await s.scalar(
            select(contracts.c.id).where(
                contracts.c.entity_id == entity_id, contracts.c.number == number
            )
        )
        return found is not None

    # ---- users ---------------------------------------------------------------
    async def add_user(self, s: AsyncSession, **values: Any) -> str:
        values.setdefault("id", new_id())
        await s.execute(insert(users).values(**values))
        return values["id"]

    async def user(self, s: AsyncSession, user_id: str) -> Row | None:
        return (await s.execute(select(users).where(users.c.id == user_id))).first()

    async def user_by_email(self, s: AsyncSession, email: str) -> Row | None:
        return (await s.execute(select(users).where(users.c.email == email))).first()

    async def update_user(self, s: AsyncSession, user_id: str, **values: Any) -> None:
        await s.execute(update(users).where(users.c.id == user_id).values(**values))

    async def any_operator(self, s: AsyncSession) -> bool:
        return await s.scalar(select(users.c.id).where(users.c.operator.is_(True))) is not None

    @staticmethod
    def throttle_of(user: Row) -> LoginThrottle:
        return LoginThrottle(
            failures=user.failed_logins,
            first_failure_at=aware(user.first_failure_at),
            locked_until=aware(user.locked_until),
        )

    async def save_throttle(self, s: AsyncSession, user_id: str, state: LoginThrottle) -> None:
        await self.update_user(
            s,
            user_id,
            failed_logins=state.failures,
            first_failure_at=state.first_failure_at,
            locked_until=state.locked_until,
        )

    # ---- memberships ---------------------------------------------------------
    async def add_membership(self, s: AsyncSession, **values: Any) -> str:
        values.setdefault("id", new_id())
        await s.execute(insert(memberships).values(**values))
        return values["id"]

    async def membership(self, s: AsyncSession, entity_id: str, user_id: str) -> Row | None:
        query = select(memberships).where(
            memberships.c.entity_id == entity_id, memberships.c.user_id == user_id
        )
        return (await s.execute(query)).first()

    async def active_membership(self, s: AsyncSession, entity_id: str, user_id: str) -> Row | None:
        row = await self.membership(s, entity_id, user_id)
        return row if row is not None and row.status == MembershipStatus.ACTIVE else None

    async def active_memberships_of_user(self, s: AsyncSession, user_id: str) -> Sequence[Row]:
        query = (
            select(memberships)
            .where(
                memberships.c.user_id == user_id,
                memberships.c.status == MembershipStatus.ACTIVE,
            )
            .order_by(memberships.c.created_at, memberships.c.id)
        )
        return (await s.execute(query)).all()

    async def update_membership(
        self, s: AsyncSession, entity_id: str, user_id: str, **values: Any
    ) -> None:
        await s.execute(
            update(memberships)
            .where(memberships.c.entity_id == entity_id, memberships.c.user_id == user_id)
            .values(**values)
        )

    async def members(
        self, s: AsyncSession, entity_id: str, *, offset: int, limit: int
    ) -> Sequence[Row]:
        """(membership, user) rows of one entity, oldest first."""
        query = (
            select(
                users,
                memberships.c.profile_id,
                memberships.c.status.label("membership_status"),
                memberships.c.created_at.label("member_since"),
            )
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(memberships.c.entity_id == entity_id)
            .order_by(memberships.c.created_at, memberships.c.id)
            .offset(offset)
            .limit(limit)
        )
        return (await s.execute(query)).all()

    async def member(self, s: AsyncSession, entity_id: str, user_id: str) -> Row | None:
        query = (
            select(
                users,
                memberships.c.profile_id,
                memberships.c.status.label("membership_status"),
                memberships.c.created_at.label("member_since"),
            )
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(memberships.c.entity_id == entity_id, memberships.c.user_id == user_id)
        )
        return (await s.execute(query)).first()

    async def count_members_with_profile(
        self, s: AsyncSession, entity_id: str, profile_id: str
    ) -> int:
        query = select(func.count()).where(
            memberships.c.entity_id == entity_id,
            memberships.c.profile_id == profile_id,
            memberships.c.status == MembershipStatus.ACTIVE,
        )
        return int(await s.scalar(query) or 0)

    # ---- custom profiles -----------------------------------------------------
    async def add_profile(self, s: AsyncSession, **values: Any) -> str:
        values.setdefault("id", new_id())
        await s.execute(insert(profiles).values(**values))
        return values["id"]

    async def profile(self, s: AsyncSession, entity_id: str, profile_id: str) -> Row | None:
        query = select(profiles).where(
            profiles.c.entity_id == entity_id, profiles.c.id == profile_id
        )
        return (await s.execute(query)).first()

    async def profile_named(self, s: AsyncSession, entity_id: str, name: str) -> Row | None:
        query = select(profiles).where(
            profiles.c.entity_id == entity_id, func.lower(profiles.c.name) == name.lower()
        )
        return (await s.execute(query)).first()

    async def profiles_of(self, s: AsyncSession, entity_id: str) -> Sequence[Row]:
        query = (
            select(profiles)
            .where(profiles.c.entity_id == entity_id)
            .order_by(profiles.c.created_at, profiles.c.id)
        )
        return (await s.execute(query)).all()

    async def update_profile(
        self, s: AsyncSession, entity_id: str, profile_id: str, **values: Any
    ) -> None:
        await s.execute(
            update(profiles)
            .where(profiles.c.entity_id == entity_id, profiles.c.id == profile_id)
            .values(**values)
        )

    async def delete_profile(self, s: AsyncSession, entity_id: str, profile_id: str) -> None:
        await s.execute(
            delete(profiles).where(profiles.c.entity_id == entity_id, profiles.c.id == profile_id)
        )

    # ---- one-time links -------------------------------------------------------
    async def add_link(
        self,
        s: AsyncSession,
        *,
        token_hash: str,
        user_id: str,
        entity_id: str,
        purpose: LinkPurpose,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Stores a new link and revokes the user's earlier unused ones of the
        same purpose (regenerating invalidates)."""
        await s.execute(
            update(link_tokens)
            .where(
                link_tokens.c.user_id == user_id,
                link_tokens.c.purpose == purpose.value,
                link_tokens.c.used_at.is_(None),
                link_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=created_at)
        )
        await s.execute(
            insert(link_tokens).values(
                id=new_id(),
                token_hash=token_hash,
                user_id=user_id,
                entity_id=entity_id,
                purpose=purpose.value,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    async def link(self, s: AsyncSession, token_hash: str) -> StoredLink | None:
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

    async def consume_link(self, s: AsyncSession, link_id: str, now: datetime) -> bool:
        """Marks a link used; False when a concurrent call used it first."""
        result = await s.execute(
            update(link_tokens)
            .where(link_tokens.c.id == link_id, link_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_links(self, s: AsyncSession, user_id: str, now: datetime) -> None:
        await s.execute(
            update(link_tokens)
            .where(
                link_tokens.c.user_id == user_id,
                link_tokens.c.used_at.is_(None),
                link_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    # ---- sessions and refresh tokens -----------------------------------------
    async def add_family(
        self, s: AsyncSession, *, user_id: str, entity_id: str, kind: str, now: datetime
    ) -> str:
        family_id = new_id()
        await s.execute(
            insert(session_families).values(
                id=family_id, user_id=user_id, entity_id=entity_id, kind=kind, created_at=now
            )
        )
        return family_id

    async def family(self, s: AsyncSession, family_id: str) -> Row | None:
        query = select(session_families).where(session_families.c.id == family_id)
        return (await s.execute(query)).first()

    async def add_refresh_token(
        self,
        s: AsyncSession,
        *,
        token_hash: str,
        family_id: str,
        user_id: str,
        entity_id: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await s.execute(
            insert(refresh_tokens).values(
                id=new_id(),
                token_hash=token_hash,
                family_id=family_id,
                user_id=user_id,
                entity_id=entity_id,
                created_at=now,
                expires_at=expires_at,
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

    async def mark_rotated(self, s: AsyncSession, token_id: str, now: datetime) -> bool:
        result = await s.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.rotated_at.is_(None))
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
    ) -> None:
        """Revokes session families (and their refresh tokens) matching every
        given criterion."""
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
        ids = (await s.execute(select(session_families.c.id).where(where))).scalars().all()
        if not ids:
            return
        await s.execute(
            update(session_families).where(session_families.c.id.in_(ids)).values(revoked_at=now)
        )
        await s.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id.in_(ids), refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
