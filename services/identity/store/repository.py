"""Identity's repository: every query, taking the caller's AsyncSession.

Customer-scoped methods take the entity id from the verified token (passed by
the use cases) and filter on it, so another entity's ids are simply not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.db import new_id
from services.identity.domain.lockout import LoginThrottle
from services.identity.domain.users import MembershipStatus, UserStatus
from services.identity.store.credentials import CredentialsRepository
from services.identity.store.tables import (
    contracts,
    entities,
    memberships,
    profiles,
    users,
)

NEW_USER_DEFAULTS: dict[str, Any] = {
    "status": UserStatus.PENDING,
    "operator": False,
    "password_temporary": False,
    "failed_logins": 0,
    "sessions_valid_after": 0,
}


class Repository(CredentialsRepository):
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
        """A new user; what callers leave out is a customer who has not set a
        password yet (PENDING, no temporary password, no failures)."""
        for column, default in NEW_USER_DEFAULTS.items():
            values.setdefault(column, default)
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
