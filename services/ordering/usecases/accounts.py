"""Ordering's projection of identity's accounts: each one's language."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.ordering.domain.accounts import account_language
from services.ordering.usecases.common import Deps

log = logging.getLogger(__name__)


async def record_account_language(
    deps: Deps, s: AsyncSession, *, entity_id: str, language: str, updated_at: datetime
) -> None:
    """Keeps the snapshot unless ordering already knows a newer one."""
    account = account_language(entity_id, language, updated_at)
    if not account.supersedes(await deps.repo.accounts.get(s, entity_id)):
        log.info("account %s: a newer snapshot is already known", entity_id)
        return
    await deps.repo.accounts.save(s, account)
