"""The account-language projection (identity's AccountUpdated)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from services.ordering.domain.accounts import AccountLanguage
from services.ordering.store.tables import account_languages

a = account_languages.c


class AccountsRepository:
    async def get(self, s: AsyncSession, entity_id: str) -> AccountLanguage | None:
        row = (await s.execute(select(account_languages).where(a.entity_id == entity_id))).first()
        if row is None:
            return None
        return AccountLanguage(row.entity_id, row.language, aware(row.updated_at))

    async def save(self, s: AsyncSession, account: AccountLanguage) -> None:
        """Stores the snapshot in place of the one known (see `supersedes`)."""
        values = {
            "entity_id": account.entity_id,
            "language": account.language,
            "updated_at": account.updated_at,
        }
        dialect = postgresql if s.bind.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(account_languages).values(**values)
        await s.execute(statement.on_conflict_do_update(index_elements=[a.entity_id], set_=values))
