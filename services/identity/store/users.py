"""Users (with their login throttle) and memberships."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.db import new_id
from services.identity.domain.lockout import LoginThrottle
from services.identity.domain.users import Member, Membership, MembershipStatus, User, UserStatus
from services.identity.store.tables import memberships, users

# Built once: the calls every request makes (GetMe) skip building and keying the
# statement again (most of their cost in SQLAlchemy).
_USER = select(users).where(users.c.id == bindparam("user_id"))
_USER_FOR_UPDATE = _USER.with_for_update()
_ACTIVE_OF_USER = (
    select(memberships)
    .where(
        memberships.c.user_id == bindparam("user_id"),
        memberships.c.status == MembershipStatus.ACTIVE,
    )
    .order_by(memberships.c.created_at, memberships.c.id)
)


def _user(row: Row) -> User:
    return User(
        id=row.id,
        email=row.email,
        language=row.language,
        created_at=aware(row.created_at),  # type: ignore[arg-type]
        first_name=row.first_name,
        last_name=row.last_name,
        secondary_email=row.secondary_email,
        status=UserStatus(row.status),
        operator=bool(row.operator),
        password_hash=row.password_hash,
        password_temporary=bool(row.password_temporary),
        password_changed_at=aware(row.password_changed_at),
        sessions_valid_after=row.sessions_valid_after,
        last_login_at=aware(row.last_login_at),
        throttle=LoginThrottle(
            failures=row.failed_logins,
            first_failure_at=aware(row.first_failure_at),
            locked_until=aware(row.locked_until),
        ),
    )


def _user_values(user: User) -> dict[str, Any]:
    """Every column a user's changes write, except the throttle."""
    return {
        "email": user.email,
        "secondary_email": user.secondary_email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "status": user.status.value,
        "password_hash": user.password_hash,
        "password_temporary": user.password_temporary,
        "password_changed_at": user.password_changed_at,
        "sessions_valid_after": user.sessions_valid_after,
        "last_login_at": user.last_login_at,
    }


def _throttle_values(user: User) -> dict[str, Any]:
    return {
        "failed_logins": user.throttle.failures,
        "first_failure_at": user.throttle.first_failure_at,
        "locked_until": user.throttle.locked_until,
    }


def _membership(row: Row, *, status: str, created_at: Any) -> Membership:
    return Membership(
        user_id=row.user_id,
        entity_id=row.entity_id,
        profile_id=row.profile_id,
        created_at=aware(created_at),  # type: ignore[arg-type]
        status=MembershipStatus(status),
        invited_by=row.invited_by,
    )


class UsersRepository:
    async def add(self, s: AsyncSession, user: User) -> None:
        await s.execute(
            insert(users).values(
                id=user.id,
                operator=user.operator,
                created_at=user.created_at,
                **_user_values(user),
                **_throttle_values(user),
            )
        )

    async def get(self, s: AsyncSession, user_id: str, *, for_update: bool = False) -> User | None:
        """The user; `for_update` when this transaction will `save` it: the row is
        locked until commit (PostgreSQL; SQLite's transactions already hold the
        write lock), so a concurrent change is not written over."""
        query = _USER_FOR_UPDATE if for_update else _USER
        row = (await s.execute(query, {"user_id": user_id})).first()
        return _user(row) if row is not None else None

    async def by_email(self, s: AsyncSession, email: str) -> User | None:
        row = (await s.execute(select(users).where(users.c.email == email))).first()
        return _user(row) if row is not None else None

    async def any_operator(self, s: AsyncSession) -> bool:
        return await s.scalar(select(users.c.id).where(users.c.operator.is_(True))) is not None

    async def save(self, s: AsyncSession, user: User) -> None:
        """Writes a user loaded `for_update` in this same transaction (never one
        read in an earlier one, nor unlocked: it would undo what happened in
        between)."""
        await s.execute(update(users).where(users.c.id == user.id).values(**_user_values(user)))

    async def save_throttle(self, s: AsyncSession, user: User) -> None:
        """The login throttle alone: failed logins run concurrently with
        everything else (a brute force), and must never write the rest back."""
        await s.execute(update(users).where(users.c.id == user.id).values(**_throttle_values(user)))


# The (membership, user) columns of a member, without the names they share.
_MEMBER_COLUMNS = (
    users,
    memberships.c.user_id,
    memberships.c.entity_id,
    memberships.c.profile_id,
    memberships.c.invited_by,
    memberships.c.status.label("membership_status"),
    memberships.c.created_at.label("member_since"),
)


def _member(row: Row) -> Member:
    membership = _membership(row, status=row.membership_status, created_at=row.member_since)
    return Member(_user(row), membership)


class MembershipsRepository:
    """Memberships are known by (entity_id, user_id); the row id is the table's own."""

    async def add(self, s: AsyncSession, membership: Membership) -> None:
        await s.execute(
            insert(memberships).values(
                id=new_id(),
                user_id=membership.user_id,
                entity_id=membership.entity_id,
                profile_id=membership.profile_id,
                status=membership.status.value,
                invited_by=membership.invited_by,
                created_at=membership.created_at,
            )
        )

    async def get(self, s: AsyncSession, entity_id: str, user_id: str) -> Membership | None:
        query = select(memberships).where(
            memberships.c.entity_id == entity_id, memberships.c.user_id == user_id
        )
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return _membership(row, status=row.status, created_at=row.created_at)

    async def active(self, s: AsyncSession, entity_id: str, user_id: str) -> Membership | None:
        found = await self.get(s, entity_id, user_id)
        return found if found is not None and found.is_active else None

    async def active_of_user(self, s: AsyncSession, user_id: str) -> list[Membership]:
        """Oldest first."""
        rows = (await s.execute(_ACTIVE_OF_USER, {"user_id": user_id})).all()
        return [_membership(r, status=r.status, created_at=r.created_at) for r in rows]

    # Two managers may change one membership at once (one its profile, the
    # other its status): each save writes only its own part.
    async def save_profile(self, s: AsyncSession, membership: Membership) -> None:
        await self._write(s, membership, profile_id=membership.profile_id)

    async def save_status(self, s: AsyncSession, membership: Membership) -> None:
        await self._write(s, membership, status=membership.status.value)

    async def _write(self, s: AsyncSession, membership: Membership, **values: Any) -> None:
        await s.execute(
            update(memberships)
            .where(
                memberships.c.entity_id == membership.entity_id,
                memberships.c.user_id == membership.user_id,
            )
            .values(**values)
        )

    async def member(self, s: AsyncSession, entity_id: str, user_id: str) -> Member | None:
        query = (
            select(*_MEMBER_COLUMNS)
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(memberships.c.entity_id == entity_id, memberships.c.user_id == user_id)
        )
        row = (await s.execute(query)).first()
        return _member(row) if row is not None else None

    async def members(
        self, s: AsyncSession, entity_id: str, *, offset: int, limit: int
    ) -> list[Member]:
        """The entity's members, oldest first."""
        query = (
            select(*_MEMBER_COLUMNS)
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(memberships.c.entity_id == entity_id)
            .order_by(memberships.c.created_at, memberships.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_member(row) for row in (await s.execute(query)).all()]

    async def count_active_with_profile(
        self, s: AsyncSession, entity_id: str, profile_id: str
    ) -> int:
        query = select(func.count()).where(
            memberships.c.entity_id == entity_id,
            memberships.c.profile_id == profile_id,
            memberships.c.status == MembershipStatus.ACTIVE,
        )
        return int(await s.scalar(query) or 0)
