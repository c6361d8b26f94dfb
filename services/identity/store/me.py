"""What GetMe shows, read in one statement: the caller, the session their token
stands on, their active memberships with each entity, and the custom profile of
the membership they act through.

GetMe is the call every page of the portal makes: as five statements (user,
session, memberships, entities, profile) it cost five round trips on PostgreSQL
and most of identity's time per call on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.domain.accounts import Entity
from services.identity.domain.profiles import Profile
from services.identity.domain.refresh import SessionFamily
from services.identity.domain.users import Membership, MembershipStatus, User
from services.identity.store.accounts import _entity
from services.identity.store.credentials import _family
from services.identity.store.profiles import _profile
from services.identity.store.tables import (
    entities,
    memberships,
    profiles,
    session_families,
    users,
)
from services.identity.store.users import _membership, _user


def _prefixed(table: Table, prefix: str) -> list[Any]:
    return [column.label(f"{prefix}{column.name}") for column in table.c]


class _Part:
    """One table's columns of a joined row, read under their own names, so the
    stores' row mappers (`_entity`, `_family`...) read them unchanged."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Row, prefix: str) -> None:
        self._row = row._mapping
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return self._row[self._prefix + name]


_ME = (
    select(
        users,
        *_prefixed(session_families, "f_"),
        *_prefixed(memberships, "m_"),
        *_prefixed(entities, "e_"),
        *_prefixed(profiles, "p_"),
    )
    .select_from(users)
    .outerjoin(session_families, session_families.c.id == bindparam("family_id"))
    .outerjoin(
        memberships,
        and_(
            memberships.c.user_id == users.c.id,
            memberships.c.status == MembershipStatus.ACTIVE,
        ),
    )
    .outerjoin(entities, entities.c.id == memberships.c.entity_id)
    # Only the current membership's custom profile (a built-in one has no row);
    # scoped to the entity like ProfilesRepository.get.
    .outerjoin(
        profiles,
        and_(
            memberships.c.entity_id == bindparam("entity_id"),
            profiles.c.entity_id == memberships.c.entity_id,
            profiles.c.id == memberships.c.profile_id,
        ),
    )
    .where(users.c.id == bindparam("user_id"))
    .order_by(memberships.c.created_at, memberships.c.id)
)


@dataclass(frozen=True)
class MeRows:
    user: User
    family: SessionFamily | None
    # Active memberships, oldest first, each with its entity (None if the
    # entity row is gone).
    memberships: list[tuple[Membership, Entity | None]]
    # The custom profile of the membership in `entity_id`, when it has one.
    custom_profile: Profile | None


class MeRepository:
    async def load(
        self, s: AsyncSession, user_id: str, family_id: str, entity_id: str
    ) -> MeRows | None:
        """None when the user does not exist."""
        rows = (
            await s.execute(
                _ME, {"user_id": user_id, "family_id": family_id, "entity_id": entity_id}
            )
        ).all()
        if not rows:
            return None
        first = rows[0]
        family = _family(_Part(first, "f_")) if first.f_id is not None else None
        found: list[tuple[Membership, Entity | None]] = []
        custom: Profile | None = None
        for row in rows:
            if row.m_id is None:
                continue  # the user has no active membership: one row, all NULL
            part = _Part(row, "m_")
            found.append(
                (
                    _membership(part, status=row.m_status, created_at=row.m_created_at),
                    _entity(_Part(row, "e_")) if row.e_id is not None else None,
                )
            )
            if row.p_id is not None:
                custom = _profile(_Part(row, "p_"))
        return MeRows(_user(first), family, found, custom)
