"""Attachments, reference counters and the account projection."""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from services.assets.domain.accounts import Account
from services.assets.domain.attachments import Attachment
from services.assets.store.common_tables import accounts, attachments, counters

a = attachments.c


def _attachment(row) -> Attachment:
    return Attachment(
        id=row.id,
        entity_id=row.entity_id,
        parent_kind=row.parent_kind,
        parent_id=row.parent_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        created_at=aware(row.created_at),
    )


class AttachmentsRepository:
    async def add(self, s: AsyncSession, attachment: Attachment, data: bytes) -> None:
        await s.execute(
            insert(attachments).values(
                id=attachment.id,
                entity_id=attachment.entity_id,
                parent_kind=attachment.parent_kind,
                parent_id=attachment.parent_id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
                data=data,
                created_at=attachment.created_at,
            )
        )

    async def count(self, s: AsyncSession, parent_kind: str, parent_id: str) -> int:
        query = select(func.count()).where(a.parent_kind == parent_kind, a.parent_id == parent_id)
        return int(await s.scalar(query) or 0)

    async def list(self, s: AsyncSession, parent_kind: str, parent_id: str) -> list[Attachment]:
        query = (
            select(*[col for col in attachments.c if col.name != "data"])
            .where(a.parent_kind == parent_kind, a.parent_id == parent_id)
            .order_by(a.created_at, a.id)
        )
        return [_attachment(row) for row in await s.execute(query)]

    async def of_parents(
        self, s: AsyncSession, parent_kind: str, parent_ids: list[str]
    ) -> dict[str, list[Attachment]]:
        found: dict[str, list[Attachment]] = {parent_id: [] for parent_id in parent_ids}
        if not parent_ids:
            return found
        query = (
            select(*[col for col in attachments.c if col.name != "data"])
            .where(a.parent_kind == parent_kind, a.parent_id.in_(parent_ids))
            .order_by(a.created_at, a.id)
        )
        for row in await s.execute(query):
            found[row.parent_id].append(_attachment(row))
        return found

    async def get(
        self, s: AsyncSession, entity_id: str, parent_kind: str, parent_id: str, attachment_id: str
    ) -> tuple[Attachment, bytes] | None:
        query = select(attachments).where(
            a.id == attachment_id,
            a.entity_id == entity_id,
            a.parent_kind == parent_kind,
            a.parent_id == parent_id,
        )
        row = (await s.execute(query)).first()
        return (_attachment(row), row.data) if row else None


class CountersRepository:
    async def next(self, s: AsyncSession, name: str) -> int:
        """The next number of a named sequence (in the caller's transaction)."""
        current = await s.scalar(
            select(counters.c.value).where(counters.c.name == name).with_for_update()
        )
        if current is None:
            await s.execute(insert(counters).values(name=name, value=1))
            return 1
        await s.execute(update(counters).where(counters.c.name == name).values(value=current + 1))
        return current + 1


class AccountsRepository:
    async def get(self, s: AsyncSession, entity_id: str) -> Account | None:
        row = (await s.execute(select(accounts).where(accounts.c.entity_id == entity_id))).first()
        if row is None:
            return None
        return Account(
            entity_id=row.entity_id,
            name=row.name,
            client_number=row.client_number,
            language=row.language,
            address_lines=tuple(x for x in row.address_lines.split("\n") if x),
            updated_at=aware(row.updated_at),
        )

    async def save(self, s: AsyncSession, account: Account) -> None:
        values = {
            "name": account.name,
            "client_number": account.client_number,
            "language": account.language,
            "address_lines": "\n".join(account.address_lines),
            "updated_at": account.updated_at,
        }
        done = await s.execute(
            update(accounts).where(accounts.c.entity_id == account.entity_id).values(**values)
        )
        if not done.rowcount:
            await s.execute(insert(accounts).values(entity_id=account.entity_id, **values))
