"""Delegated manager accesses and permission profiles of the caller's entity,
plus the operators' user creation. Every query is scoped to the entity of the
verified token; another entity's ids are NOT_FOUND."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2
from portal_runtime.errors import AlreadyExists, NotFound, require_field
from portal_runtime.outbox import add_event, new_event
from portal_runtime.pagination import parse_page
from portal_runtime.protos import to_timestamp
from portal_runtime.tokens import Principal
from services.identity.domain import profiles as rules
from services.identity.domain.accounts import ensure_delegation_unlocked, parse_language
from services.identity.domain.emails import parse_email
from services.identity.domain.links import LinkPurpose
from services.identity.domain.passwords import generate_temporary_password
from services.identity.domain.users import (
    MembershipStatus,
    UserStatus,
    display_name,
    ensure_not_self,
    person_name,
)
from services.identity.usecases.accounts import MemberData, load_account
from services.identity.usecases.common import (
    Deps,
    caller,
    epoch_seconds,
    member_status,
    profile_from_row,
    profile_name,
    recipient,
    resolve_profile,
)
from services.identity.usecases.links import issue


async def _member(deps: Deps, s: AsyncSession, entity_id: str, user_id: str) -> MemberData:
    row = await deps.repo.member(s, entity_id, user_id) if user_id else None
    if row is None:
        raise NotFound("USER_NOT_FOUND", "no such user in this account")
    return await _member_data(deps, s, entity_id, row)


async def _member_data(deps: Deps, s: AsyncSession, entity_id: str, row: Row) -> MemberData:
    return MemberData(
        row,
        row.profile_id,
        await profile_name(deps, s, entity_id, row.profile_id),
        member_status(row.status, row.membership_status),
    )


async def _unlocked_entity(deps: Deps, s: AsyncSession, entity_id: str) -> Row:
    entity = (await load_account(deps, s, entity_id)).entity
    ensure_delegation_unlocked(bool(entity.delegation_unlocked))
    return entity


# ---- users ---------------------------------------------------------------------
async def list_users(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[MemberData], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        rows = await deps.repo.members(
            s, principal.entity_id, offset=page.offset, limit=page.limit + 1
        )
        has_more = len(rows) > page.limit
        members = [await _member_data(deps, s, principal.entity_id, r) for r in rows[: page.limit]]
        return members, page.next_token(has_more)


@dataclass(frozen=True)
class Invitation:
    email: str
    first_name: str
    last_name: str
    profile_id: str
    language: str


async def invite_user(deps: Deps, principal: Principal | None, req: Invitation) -> MemberData:
    email = parse_email(req.email, "email")
    require_field(req.profile_id, "profileId")
    first = person_name(req.first_name, "firstName")
    last = person_name(req.last_name, "lastName")
    language = parse_language(req.language)
    now = deps.clock()
    async with deps.db.transaction() as s:
        inviter = await caller(deps, s, principal)
        assert principal is not None
        entity = await _unlocked_entity(deps, s, principal.entity_id)
        profile = await resolve_profile(deps, s, entity.id, req.profile_id)
        user = await deps.repo.user_by_email(s, email)
        if user is not None and user.operator:
            raise AlreadyExists("USER_EXISTS", "this e-mail belongs to a back-office user")
        if user is None:
            user_id = await deps.repo.add_user(
                s,
                email=email,
                first_name=first,
                last_name=last,
                language=language,
                created_at=now,
            )
            user = await deps.repo.user(s, user_id)
        membership = await deps.repo.membership(s, entity.id, user.id)
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            raise AlreadyExists("USER_ALREADY_MEMBER", "this person already has access")
        if membership is not None:
            await deps.repo.update_membership(
                s, entity.id, user.id, status=MembershipStatus.ACTIVE, profile_id=profile.id
            )
        else:
            await deps.repo.add_membership(
                s,
                user_id=user.id,
                entity_id=entity.id,
                profile_id=profile.id,
                status=MembershipStatus.ACTIVE,
                invited_by=inviter.id,
                created_at=now,
            )
        # A person without a password of their own sets one with the link; one
        # who already has an account just gains access to one more entity.
        needs_link = user.status == UserStatus.PENDING and not user.password_temporary
        link = (
            await issue(deps, s, user.id, entity.id, LinkPurpose.INVITATION) if needs_link else None
        )
        await add_event(
            s,
            new_event(
                events_pb2.UserInvited,
                entity_id=entity.id,
                user_id=user.id,
                recipient=recipient(user),
                token=link.raw if link else "",
                expires_at=to_timestamp(link.expires_at) if link else None,
                entity_name=entity.name,
                invited_by=display_name(inviter.first_name, inviter.last_name, inviter.email),
            ),
        )
        return await _member(deps, s, entity.id, user.id)


async def update_user(
    deps: Deps, principal: Principal | None, user_id: str, profile_id: str
) -> MemberData:
    require_field(user_id, "id")
    require_field(profile_id, "profileId")
    async with deps.db.transaction() as s:
        me = await caller(deps, s, principal)
        assert principal is not None
        await _member(deps, s, principal.entity_id, user_id)  # NOT_FOUND first
        ensure_not_self(me.id, user_id, "change")
        await _unlocked_entity(deps, s, principal.entity_id)
        profile = await resolve_profile(deps, s, principal.entity_id, profile_id)
        await deps.repo.update_membership(s, principal.entity_id, user_id, profile_id=profile.id)
        return await _member(deps, s, principal.entity_id, user_id)


async def delete_user(deps: Deps, principal: Principal | None, user_id: str) -> None:
    require_field(user_id, "id")
    now = deps.clock()
    async with deps.db.transaction() as s:
        me = await caller(deps, s, principal)
        assert principal is not None
        await _member(deps, s, principal.entity_id, user_id)
        ensure_not_self(me.id, user_id, "remove")
        await deps.repo.update_membership(
            s, principal.entity_id, user_id, status=MembershipStatus.DISABLED
        )
        # Ends their sessions for this entity (identity checks families at once;
        # other services stop accepting them when the short access token expires).
        await deps.repo.revoke_families(s, now, user_id=user_id, entity_id=principal.entity_id)


# ---- profiles ------------------------------------------------------------------
async def list_profiles(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[rules.Profile], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        own = [profile_from_row(r) for r in await deps.repo.profiles_of(s, principal.entity_id)]
    every: Sequence[rules.Profile] = [*rules.BUILT_IN_PROFILES, *own]
    chunk = list(every[page.offset : page.offset + page.limit])
    return chunk, page.next_token(page.offset + page.limit < len(every))


async def create_profile(
    deps: Deps, principal: Principal | None, name: str, permissions: Sequence[str]
) -> rules.Profile:
    clean_name = rules.validate_profile_name(name)
    perms = rules.validate_permissions(permissions)
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            assert principal is not None
            await _unlocked_entity(deps, s, principal.entity_id)
            if await deps.repo.profile_named(s, principal.entity_id, clean_name) is not None:
                raise _name_taken()
            profile_id = await deps.repo.add_profile(
                s,
                entity_id=principal.entity_id,
                name=clean_name,
                permissions=sorted(perms),
                created_at=deps.clock(),
            )
            return await resolve_profile(deps, s, principal.entity_id, profile_id)
    except IntegrityError as exc:
        raise _name_taken() from exc


def _name_taken() -> AlreadyExists:
    return AlreadyExists("PROFILE_NAME_TAKEN", "this account already has a profile with this name")


async def _own_profile(
    deps: Deps, s: AsyncSession, entity_id: str, profile_id: str
) -> rules.Profile:
    require_field(profile_id, "id")
    profile = await resolve_profile(deps, s, entity_id, profile_id)
    rules.ensure_editable(profile)
    return profile


async def update_profile(
    deps: Deps, principal: Principal | None, profile_id: str, name: str, permissions: Sequence[str]
) -> rules.Profile:
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            assert principal is not None
            profile = await _own_profile(deps, s, principal.entity_id, profile_id)
            await _unlocked_entity(deps, s, principal.entity_id)
            values: dict = {}
            if name.strip():
                values["name"] = rules.validate_profile_name(name)
                same = await deps.repo.profile_named(s, principal.entity_id, values["name"])
                if same is not None and same.id != profile.id:
                    raise _name_taken()
            if permissions:
                values["permissions"] = sorted(rules.validate_permissions(permissions))
            if values:
                await deps.repo.update_profile(s, principal.entity_id, profile.id, **values)
            return await resolve_profile(deps, s, principal.entity_id, profile.id)
    except IntegrityError as exc:
        raise _name_taken() from exc


async def delete_profile(deps: Deps, principal: Principal | None, profile_id: str) -> None:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        profile = await _own_profile(deps, s, principal.entity_id, profile_id)
        await _unlocked_entity(deps, s, principal.entity_id)
        used = await deps.repo.count_members_with_profile(s, principal.entity_id, profile.id)
        rules.ensure_unused(profile, used)
        await deps.repo.delete_profile(s, principal.entity_id, profile.id)


# ---- operators --------------------------------------------------------------------
async def admin_create_user(
    deps: Deps, principal: Principal | None, entity_id: str, invitation: Invitation
) -> tuple[MemberData, str]:
    """A user with a temporary password (returned once) to change at first login."""
    require_field(entity_id, "entityId")
    email = parse_email(invitation.email, "email")
    first = person_name(invitation.first_name, "firstName")
    last = person_name(invitation.last_name, "lastName")
    language = parse_language(invitation.language)
    temporary = generate_temporary_password()
    password_hash = await deps.hasher.hash_async(temporary)
    now = deps.clock()
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            entity = (await load_account(deps, s, entity_id)).entity
            profile = await resolve_profile(
                deps, s, entity.id, invitation.profile_id or rules.ADMIN_PROFILE_ID
            )
            if await deps.repo.user_by_email(s, email) is not None:
                raise _user_exists()
            user_id = await deps.repo.add_user(
                s,
                email=email,
                first_name=first,
                last_name=last,
                language=language,
                password_hash=password_hash,
                password_temporary=True,
                sessions_valid_after=epoch_seconds(now),
                created_at=now,
            )
            await deps.repo.add_membership(
                s,
                user_id=user_id,
                entity_id=entity.id,
                profile_id=profile.id,
                status=MembershipStatus.ACTIVE,
                created_at=now,
            )
            return await _member(deps, s, entity.id, user_id), temporary
    except IntegrityError as exc:
        raise _user_exists() from exc


def _user_exists() -> AlreadyExists:
    return AlreadyExists("USER_EXISTS", "a user with this e-mail already exists")
