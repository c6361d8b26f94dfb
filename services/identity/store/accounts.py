"""Accounts: the `entities` table and its `contracts`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.db import new_id
from services.identity.domain.accounts import Account, Contract, Entity, UnlockRule
from services.identity.store.tables import contracts, entities

# Built once (read on every GetMe).
_ENTITIES_BY_IDS = select(entities).where(entities.c.id.in_(bindparam("ids", expanding=True)))


def _entity(row: Row) -> Entity:
    return Entity(
        id=row.id,
        name=row.name,
        client_number=row.client_number,
        language=row.language,
        created_at=aware(row.created_at),  # type: ignore[arg-type]
        paperless_consent=bool(row.paperless_consent),
        delegation_unlocked=bool(row.delegation_unlocked),
        delegation_unlocked_reason=row.delegation_unlocked_reason,
        delegation_unlocked_at=aware(row.delegation_unlocked_at),
        manager_user_id=row.manager_user_id,
        contacts=dict(row.contacts or {}),
        unlock_rule=UnlockRule(row.unlock_rule),
        paperless_consent_required=bool(row.paperless_consent_required),
    )


def _contract(row: Row) -> Contract:
    return Contract(
        row.number,
        row.label,
        aware(row.started_at),  # type: ignore[arg-type]
        aware(row.ended_at),
    )


class AccountsRepository:
    async def add(self, s: AsyncSession, account: Account) -> None:
        e = account.entity
        await s.execute(
            insert(entities).values(
                id=e.id,
                name=e.name,
                client_number=e.client_number,
                language=e.language,
                paperless_consent=e.paperless_consent,
                delegation_unlocked=e.delegation_unlocked,
                delegation_unlocked_reason=e.delegation_unlocked_reason,
                delegation_unlocked_at=e.delegation_unlocked_at,
                manager_user_id=e.manager_user_id,
                contacts=e.contacts,
                created_at=e.created_at,
                unlock_rule=e.unlock_rule.value,
                paperless_consent_required=e.paperless_consent_required,
            )
        )
        for contract in account.contracts:
            await self.add_contract(s, e.id, contract)

    async def add_contract(self, s: AsyncSession, entity_id: str, contract: Contract) -> None:
        # A contract is known by its number within the account; the row id is
        # the table's own.
        await s.execute(
            insert(contracts).values(
                id=new_id(),
                entity_id=entity_id,
                number=contract.number,
                label=contract.label,
                started_at=contract.started_at,
                ended_at=contract.ended_at,
            )
        )

    async def save_contract_end(self, s: AsyncSession, entity_id: str, contract: Contract) -> None:
        await s.execute(
            update(contracts)
            .where(contracts.c.entity_id == entity_id, contracts.c.number == contract.number)
            .values(ended_at=contract.ended_at)
        )

    async def get(self, s: AsyncSession, entity_id: str) -> Account | None:
        row = (await s.execute(select(entities).where(entities.c.id == entity_id))).first()
        return (await self._with_contracts(s, [row]))[0] if row is not None else None

    async def by_client_number(self, s: AsyncSession, client_number: str) -> Account | None:
        query = select(entities).where(entities.c.client_number == client_number)
        row = (await s.execute(query)).first()
        return (await self._with_contracts(s, [row]))[0] if row is not None else None

    async def client_number_taken(self, s: AsyncSession, client_number: str) -> bool:
        found = await s.scalar(
            select(entities.c.id).where(entities.c.client_number == client_number)
        )
        return found is not None

    async def search(self, s: AsyncSession, *, q: str, offset: int, limit: int) -> list[Account]:
        """Oldest first; `q` matches the client number or the name."""
        query = select(entities).order_by(entities.c.created_at, entities.c.id)
        if q:
            pattern = f"%{q.lower()}%"
            query = query.where(
                or_(
                    func.lower(entities.c.client_number).like(pattern),
                    func.lower(entities.c.name).like(pattern),
                )
            )
        rows = (await s.execute(query.offset(offset).limit(limit))).all()
        return await self._with_contracts(s, rows)

    async def held_by(self, s: AsyncSession, user_id: str) -> list[Entity]:
        """The accounts whose holder (first manager) the user is, oldest first."""
        query = (
            select(entities)
            .where(entities.c.manager_user_id == user_id)
            .order_by(entities.c.created_at, entities.c.id)
        )
        return [_entity(row) for row in (await s.execute(query)).all()]

    async def entities_by_ids(self, s: AsyncSession, ids: Sequence[str]) -> dict[str, Entity]:
        if not ids:
            return {}
        rows = (await s.execute(_ENTITIES_BY_IDS, {"ids": list(ids)})).all()
        return {row.id: _entity(row) for row in rows}

    # Narrow saves: the manager, the first login, the operator and the order consumers
    # change different parts of an entity at the same time, and must not write
    # back each other's part as they loaded it.
    async def save_contacts(self, s: AsyncSession, entity: Entity) -> None:
        await self._write(s, entity, contacts=entity.contacts)

    async def save_paperless_consent(self, s: AsyncSession, entity: Entity) -> None:
        await self._write(s, entity, paperless_consent=entity.paperless_consent)

    async def save_settings(self, s: AsyncSession, entity: Entity) -> None:
        """The operator's settings: the unlock rule and the consent condition."""
        await self._write(
            s,
            entity,
            unlock_rule=entity.unlock_rule.value,
            paperless_consent_required=entity.paperless_consent_required,
        )

    async def save_delegation(self, s: AsyncSession, entity: Entity) -> None:
        await self._write(
            s,
            entity,
            delegation_unlocked=entity.delegation_unlocked,
            delegation_unlocked_reason=entity.delegation_unlocked_reason,
            delegation_unlocked_at=entity.delegation_unlocked_at,
        )

    async def _write(self, s: AsyncSession, entity: Entity, **values: Any) -> None:
        await s.execute(update(entities).where(entities.c.id == entity.id).values(**values))

    async def _with_contracts(self, s: AsyncSession, rows: Sequence[Row]) -> list[Account]:
        by_entity: dict[str, list[Contract]] = {row.id: [] for row in rows}
        if by_entity:
            query = (
                select(contracts)
                .where(contracts.c.entity_id.in_(list(by_entity)))
                .order_by(contracts.c.started_at, contracts.c.number)
            )
            for row in (await s.execute(query)).all():
                by_entity[row.entity_id].append(_contract(row))
        return [Account(_entity(row), by_entity[row.id]) for row in rows]
