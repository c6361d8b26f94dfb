"""Delegated manager accesses and permission profiles of the caller's entity,
plus the operators' user creation. Every query is scoped to the entity of the
verified token; another entity's ids are NOT_FOUND."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from portal_runtime.errors import AlreadyExists, NotFound, require_field
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.identity import events
from services.identity.domain import links
from services.identity.domain import profiles as rules
from services.identity.domain.accounts import Entity, parse_language
from services.identity.domain.emails import parse_email
from services.identity.domain.links import LinkPurpose
from services.identity.domain.passwords import generate_temporary_password
from services.identity.domain.users import Member, Membership, User, ensure_not_self, person_name
from services.identity.usecases.accounts import MemberData, load_account
from services.identity.usecases.common import (
    Deps,
    caller,
    end_sessions,
    profile_name,
    resolve_profile,
)


async def _member(deps: Deps, s: AsyncSession, entity_id: str, user_id: str) -> Member:
    found = await deps.repo.memberships.member(s, entity_id, user_id) if user_id else None
    if found is None:
        raise NotFound("USER_NOT_FOUND", "no such user in this account")
    return found


async def _member_data(deps: Deps, s: AsyncSession, member: Member) -> MemberData:
    profile_id = member.membership.profile_id
    name = await profile_name(deps, s, member.membership.entity_id, profile_id)
    return MemberData(member.user, profile_id, name, member.status)


async def _unlocked_entity(deps: Deps, s: AsyncSession, entity_id: str) -> Entity:
    entity = (await load_account(deps, s, entity_id)).entity
    entity.ensure_delegation_unlocked()
    return entity


# ---- users ---------------------------------------------------------------------
async def list_users(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[MemberData], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        await caller(deps, s, principal)
        assert principal is not None
        found = await deps.repo.memberships.members(
            s, principal.entity_id, offset=page.offset, limit=page.limit + 1
        )
        members = [await _member_data(deps, s, m) for m in found[: page.limit]]
        return members, page.next_token(len(found) > page.limit)


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
        user = await deps.repo.users.by_email(s, email)
        if user is not None and user.operator:
            raise AlreadyExists("USER_EXISTS", "this e-mail belongs to a back-office user")
        if user is None:
            user = User(new_id(), email, language, now, first_name=first, last_name=last)
            await deps.repo.users.add(s, user)
        membership = await deps.repo.memberships.get(s, entity.id, user.id)
        if membership is None:
            membership = Membership(user.id, entity.id, profile.id, now, invited_by=inviter.id)
            await deps.repo.memberships.add(s, membership)
        else:
            membership.reactivate(profile.id)
            await deps.repo.memberships.save_status(s, membership)
            await deps.repo.memberships.save_profile(s, membership)
        invited = links.invite(
            entity, user, inviter, now, deps.link_lifetimes.get(LinkPurpose.INVITATION)
        )
        if invited.link is not None:
            await deps.repo.links.add(s, invited.link)
        await add_event(s, events.user_invited(invited))
        return await _member_data(deps, s, Member(user, membership))


async def update_user(
    deps: Deps, principal: Principal | None, user_id: str, profile_id: str
) -> MemberData:
    require_field(user_id, "id")
    require_field(profile_id, "profileId")
    async with deps.db.transaction() as s:
        me = await caller(deps, s, principal)
        assert principal is not None
        member = await _member(deps, s, principal.entity_id, user_id)  # NOT_FOUND first
        ensure_not_self(me.id, user_id, "change")
        await _unlocked_entity(deps, s, principal.entity_id)
        profile = await resolve_profile(deps, s, principal.entity_id, profile_id)
        member.membership.change_profile(profile.id)
        await deps.repo.memberships.save_profile(s, member.membership)
        return await _member_data(deps, s, member)


async def delete_user(deps: Deps, principal: Principal | None, user_id: str) -> None:
    require_field(user_id, "id")
    now = deps.clock()
    async with deps.db.transaction() as s:
        me = await caller(deps, s, principal)
        assert principal is not None
        member = await _member(deps, s, principal.entity_id, user_id)
        ensure_not_self(me.id, user_id, "remove")
        member.membership.disable()
        await deps.repo.memberships.save_status(s, member.membership)
        # Ends their sessions for this entity (identity checks families at once;
        # other services stop accepting them when the short access token expires).
        await end_sessions(deps, s, now, user_id=user_id, entity_id=principal.entity_id)


# ---- profiles ------------------------------------------------------------------
async def list_profiles(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[rules.Profile], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        await caller(deps, s, principal)
        assert principal is not None
        own = await deps.repo.profiles.of_entity(s, principal.entity_id)
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
            if await deps.repo.profiles.named(s, principal.entity_id, clean_name) is not None:
                raise _name_taken()
            profile = rules.Profile(
                new_id(), clean_name, perms, entity_id=principal.entity_id, created_at=deps.clock()
            )
            await deps.repo.profiles.add(s, profile)
            return profile
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
            new_name = rules.validate_profile_name(name) if name.strip() else None
            if new_name is not None:
                same = await deps.repo.profiles.named(s, principal.entity_id, new_name)
                if same is not None and same.id != profile.id:
                    raise _name_taken()
            new_permissions = rules.validate_permissions(permissions) if permissions else None
            edited = profile.edited(new_name, new_permissions)
            if edited != profile:
                await deps.repo.profiles.save(s, edited)
            return edited
    except IntegrityError as exc:
        raise _name_taken() from exc


async def delete_profile(deps: Deps, principal: Principal | None, profile_id: str) -> None:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        profile = await _own_profile(deps, s, principal.entity_id, profile_id)
        await _unlocked_entity(deps, s, principal.entity_id)
        used = await deps.repo.memberships.count_active_with_profile(
            s, principal.entity_id, profile.id
        )
        rules.ensure_unused(profile, used)
        await deps.repo.profiles.delete(s, profile)


# ---- operators --------------------------------------------------------------------
async def admin_create_user(
    deps: Deps, principal: Principal | None, entity_id: str, invitation: Invitation
) -> tuple[MemberData, str]:
    """A user with a temporary password (returned once) to change at first login."""
    temporary = generate_temporary_password()
    password_hash = await deps.hasher.hash_async(temporary)

    async def give_password(s: AsyncSession, entity: Entity, user: User) -> None:
        user.give_temporary_password(password_hash, user.created_at)

    return await _admin_new_user(deps, principal, entity_id, invitation, give_password), temporary


async def admin_invite_user(
    deps: Deps, principal: Principal | None, entity_id: str, invitation: Invitation
) -> MemberData:
    """A user e-mailed a first-connection link (30 days): it connects them
    without a password, then they set one (the maintenance guide)."""

    async def send_link(s: AsyncSession, entity: Entity, user: User) -> None:
        issued = links.invite_by_link(
            entity, user, deps.clock(), deps.link_lifetimes.get(LinkPurpose.FIRST_CONNECTION)
        )
        await deps.repo.links.add(s, issued.link)
        await add_event(s, events.first_connection_link_issued(issued))

    return await _admin_new_user(deps, principal, entity_id, invitation, send_link)


async def _admin_new_user(
    deps: Deps,
    principal: Principal | None,
    entity_id: str,
    invitation: Invitation,
    welcome: Callable[[AsyncSession, Entity, User], Awaitable[None]],
) -> MemberData:
    """A new user of the entity, with a profile (default: administrator), then
    `welcome` gives them a way in."""
    require_field(entity_id, "entityId")
    email = parse_email(invitation.email, "email")
    first = person_name(invitation.first_name, "firstName")
    last = person_name(invitation.last_name, "lastName")
    language = parse_language(invitation.language)
    now = deps.clock()
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            entity = (await load_account(deps, s, entity_id)).entity
            profile = await resolve_profile(
                deps, s, entity.id, invitation.profile_id or rules.ADMIN_PROFILE_ID
            )
            if await deps.repo.users.by_email(s, email) is not None:
                raise _user_exists()
            user = User(new_id(), email, language, now, first_name=first, last_name=last)
            await deps.repo.users.add(s, user)
            await welcome(s, entity, user)
            await deps.repo.users.save(s, user)
            membership = Membership(user.id, entity.id, profile.id, now)
            await deps.repo.memberships.add(s, membership)
            return await _member_data(deps, s, Member(user, membership))
    except IntegrityError as exc:
        raise _user_exists() from exc


def _user_exists() -> AlreadyExists:
    return AlreadyExists("USER_EXISTS", "a user with this e-mail already exists")
