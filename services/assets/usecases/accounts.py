"""assets' copy of each customer account (identity's AccountUpdated): the name,
client number, address and language printed on quotes."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.domain.accounts import Account
from services.assets.usecases.common import Deps

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "fr"


async def keep_account(deps: Deps, s: AsyncSession, account: Account) -> bool:
    """Stores the snapshot unless a newer one is known (events may arrive out
    of order); True when stored."""
    if not account.supersedes(await deps.repo.accounts.get(s, account.entity_id)):
        log.info("account %s: an older snapshot is ignored", account.entity_id)
        return False
    await deps.repo.accounts.save(s, account)
    return True
