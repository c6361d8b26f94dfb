"""The operator's printable welcome letter: a new temporary password handed
over on paper with the portal's address and the login identifier (the parking
guide's first login with the client number)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.errors import FailedPrecondition, NotFound, require_field
from portal_runtime.tokens import Principal
from services.identity.domain.accounts import Entity
from services.identity.domain.identifiers import welcome_letter
from services.identity.domain.passwords import generate_temporary_password
from services.identity.domain.users import User
from services.identity.letters import render_welcome_letter
from services.identity.usecases.common import Deps, caller, end_sessions


def _user_not_found() -> NotFound:
    return NotFound("USER_NOT_FOUND", "no such customer user")


async def _letter_entity(deps: Deps, s: AsyncSession, user: User, entity_id: str) -> Entity:
    """`entity_id` when the user may act for it, else the first account they
    hold (their identifier is then its client number), else their first."""
    memberships = await deps.repo.memberships.active_of_user(s, user.id)
    acting_for = [m.entity_id for m in memberships]
    if entity_id and entity_id not in acting_for:
        raise _user_not_found()
    held = [e.id for e in await deps.repo.accounts.held_by(s, user.id) if e.id in acting_for]
    chosen = entity_id or next(iter(held + acting_for), "")
    if not chosen:
        raise FailedPrecondition("USER_HAS_NO_ACCESS", "this user has no access to any account")
    found = await deps.repo.accounts.entities_by_ids(s, [chosen])
    return found[chosen]


async def print_welcome_letter(
    deps: Deps, principal: Principal | None, user_id: str, entity_id: str = ""
) -> bytes:
    """The letter as PDF. Its temporary password replaces the previous one
    (ending the sessions it opened); only its hash is kept."""
    require_field(user_id, "id")
    temporary = generate_temporary_password()
    password_hash = await deps.hasher.hash_async(temporary)
    now = deps.clock()
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        user = await deps.repo.users.get(s, user_id, for_update=True)
        if user is None or user.operator:
            raise _user_not_found()
        entity = await _letter_entity(deps, s, user, entity_id.strip())
        user.ensure_may_get_temporary_password()
        user.give_temporary_password(password_hash, now)
        await deps.repo.users.save(s, user)
        await end_sessions(deps, s, now, user_id=user.id)
        letter = welcome_letter(user, entity, temporary, deps.web_url)
    return render_welcome_letter(letter)
