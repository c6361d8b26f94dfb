"""AccountUpdated: the snapshot of an account's name, language and contacts
that other services (notifications) keep as their own projection.

Published in the caller's transaction after any change to what it carries, so
the snapshot and the change commit together. A full snapshot, never a diff:
a consumer keeps the one with the newest `occurred_at` and needs nothing else."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.outbox import add_event
from services.identity import events
from services.identity.usecases.common import Deps


async def publish_account_updated(deps: Deps, s: AsyncSession, entity_id: str) -> None:
    """Adds an AccountUpdated for the account as it now stands in `s` (nothing
    when the account does not exist)."""
    account = await deps.repo.accounts.get(s, entity_id) if entity_id else None
    if account is None:
        return
    manager_id = account.entity.manager_user_id
    first_manager = await deps.repo.users.get(s, manager_id) if manager_id else None
    await add_event(s, events.account_updated(account.updated(first_manager)))
