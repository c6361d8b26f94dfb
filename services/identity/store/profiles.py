"""Entities' own permission profiles (the built-in ones live in the domain)."""

from __future__ import annotations

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from services.identity.domain.profiles import Profile
from services.identity.store.tables import profiles


def _profile(row: Row) -> Profile:
    return Profile(
        id=row.id,
        name=row.name,
        permissions=frozenset(row.permissions),
        built_in=False,
        entity_id=row.entity_id,
        created_at=aware(row.created_at),
    )


class ProfilesRepository:
    """Every method is scoped to the entity: another entity's profile is not found."""

    async def add(self, s: AsyncSession, profile: Profile) -> None:
        await s.execute(
            insert(profiles).values(
                id=profile.id,
                entity_id=profile.entity_id,
                name=profile.name,
                permissions=sorted(profile.permissions),
                created_at=profile.created_at,
            )
        )

    async def get(self, s: AsyncSession, entity_id: str, profile_id: str) -> Profile | None:
        query = select(profiles).where(
            profiles.c.entity_id == entity_id, profiles.c.id == profile_id
        )
        row = (await s.execute(query)).first()
        return _profile(row) if row is not None else None

    async def named(self, s: AsyncSession, entity_id: str, name: str) -> Profile | None:
        """The entity's profile with this name, ignoring case."""
        query = select(profiles).where(
            profiles.c.entity_id == entity_id, func.lower(profiles.c.name) == name.lower()
        )
        row = (await s.execute(query)).first()
        return _profile(row) if row is not None else None

    async def of_entity(self, s: AsyncSession, entity_id: str) -> list[Profile]:
        """Oldest first."""
        query = (
            select(profiles)
            .where(profiles.c.entity_id == entity_id)
            .order_by(profiles.c.created_at, profiles.c.id)
        )
        return [_profile(row) for row in (await s.execute(query)).all()]

    async def save(self, s: AsyncSession, profile: Profile) -> None:
        await s.execute(
            update(profiles)
            .where(profiles.c.entity_id == profile.entity_id, profiles.c.id == profile.id)
            .values(name=profile.name, permissions=sorted(profile.permissions))
        )

    async def delete(self, s: AsyncSession, profile: Profile) -> None:
        await s.execute(
            delete(profiles).where(
                profiles.c.entity_id == profile.entity_id, profiles.c.id == profile.id
            )
        )
