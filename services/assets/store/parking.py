"""Parking contracts, exits, closed months and statements. Customers' reads
filter on their entity; operators' writes name contracts by number or badge."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from services.assets.domain.parking import (
    ClosedMonth,
    ContractType,
    Exit,
    MonthClosing,
    ParkingContract,
    ParkingStatement,
)
from services.assets.store.parking_tables import (
    parking_badges,
    parking_closed_months,
    parking_contracts,
    parking_exits,
    parking_statements,
)

c = parking_contracts.c
b = parking_badges.c
x = parking_exits.c
st = parking_statements.c
_PER_QUERY = 5_000
# Rows per INSERT of a month's exits: many rows per statement, within
# PostgreSQL's 65,535 bound parameters (6 per row).
_EXITS_PER_INSERT = 5_000


def _contract(row: Row, badges: Sequence[str]) -> ParkingContract:
    return ParkingContract(
        id=row.id,
        entity_id=row.entity_id,
        number=row.number,
        car_park=row.car_park,
        type=ContractType(row.type),
        start_date=row.start_date,
        plates=tuple(p for p in row.plates.split("|") if p),
        badges=tuple(badges),
        monthly_price_cents=row.monthly_price_cents,
        included_exits=row.included_exits,
        extra_exit_price_cents=row.extra_exit_price_cents,
        vat_rate_bp=row.vat_rate_bp,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )


def _statement(row: Row) -> ParkingStatement:
    return ParkingStatement(
        id=row.id,
        entity_id=row.entity_id,
        contract_id=row.contract_id,
        contract_number=row.contract_number,
        car_park=row.car_park,
        month=row.month,
        exits=row.exits,
        included_exits=row.included_exits,
        extra_exits=row.extra_exits,
        extra_exit_price_cents=row.extra_exit_price_cents,
        amount_excl_cents=row.amount_excl_cents,
        vat_rate_bp=row.vat_rate_bp,
        created_at=aware(row.created_at),
    )


def _contract_values(contract: ParkingContract) -> dict[str, Any]:
    return {
        "entity_id": contract.entity_id,
        "number": contract.number,
        "car_park": contract.car_park,
        "type": contract.type.value,
        "start_date": contract.start_date,
        "plates": "|".join(contract.plates),
        "monthly_price_cents": contract.monthly_price_cents,
        "included_exits": contract.included_exits,
        "extra_exit_price_cents": contract.extra_exit_price_cents,
        "vat_rate_bp": contract.vat_rate_bp,
        "updated_at": contract.updated_at,
    }


class ParkingRepository:
    # ---- contracts ---------------------------------------------------------------

    async def _with_badges(self, s: AsyncSession, rows: Sequence[Row]) -> list[ParkingContract]:
        ids = [row.id for row in rows]
        badges: dict[str, list[str]] = {contract_id: [] for contract_id in ids}
        for start in range(0, len(ids), _PER_QUERY):
            query = (
                select(b.contract_id, b.badge)
                .where(b.contract_id.in_(ids[start : start + _PER_QUERY]))
                .order_by(b.contract_id, b.position)
            )
            for contract_id, badge in await s.execute(query):
                badges[contract_id].append(badge)
        return [_contract(row, badges[row.id]) for row in rows]

    async def _one(self, s: AsyncSession, query: Any, for_update: bool) -> ParkingContract | None:
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        return (await self._with_badges(s, [row]))[0] if row else None

    async def get_contract(
        self, s: AsyncSession, contract_id: str, entity_id: str, *, for_update: bool = False
    ) -> ParkingContract | None:
        query = select(parking_contracts).where(c.id == contract_id, c.entity_id == entity_id)
        return await self._one(s, query, for_update)

    async def contract_by_number(
        self, s: AsyncSession, number: str, *, for_update: bool = False
    ) -> ParkingContract | None:
        """Operators: the contract with this number, whoever's it is."""
        return await self._one(s, select(parking_contracts).where(c.number == number), for_update)

    async def contracts_by_numbers(
        self, s: AsyncSession, numbers: Iterable[str], *, for_update: bool = False
    ) -> dict[str, ParkingContract]:
        """Operators: number -> contract, for the numbers known, whoever's they are."""
        wanted = sorted(set(numbers))
        rows: list[Row] = []
        for start in range(0, len(wanted), _PER_QUERY):
            query = select(parking_contracts).where(
                c.number.in_(wanted[start : start + _PER_QUERY])
            )
            if for_update:
                query = query.with_for_update()
            rows.extend((await s.execute(query)).all())
        return {contract.number: contract for contract in await self._with_badges(s, rows)}

    async def list_contracts(self, s: AsyncSession, entity_id: str) -> list[ParkingContract]:
        query = select(parking_contracts).where(c.entity_id == entity_id).order_by(c.number, c.id)
        return await self._with_badges(s, (await s.execute(query)).all())

    async def contracts_by_badges(
        self, s: AsyncSession, badges: Iterable[str]
    ) -> dict[str, ParkingContract]:
        """Operators: badge -> the contract holding it, for the badges held."""
        wanted = sorted(set(badges))
        holder_of: dict[str, str] = {}
        for start in range(0, len(wanted), _PER_QUERY):
            query = select(b.badge, b.contract_id).where(
                b.badge.in_(wanted[start : start + _PER_QUERY])
            )
            holder_of.update({badge: contract_id for badge, contract_id in await s.execute(query)})
        ids = sorted(set(holder_of.values()))
        rows: list[Row] = []
        for start in range(0, len(ids), _PER_QUERY):
            query = select(parking_contracts).where(c.id.in_(ids[start : start + _PER_QUERY]))
            rows.extend((await s.execute(query)).all())
        by_id = {contract.id: contract for contract in await self._with_badges(s, rows)}
        return {badge: by_id[contract_id] for badge, contract_id in holder_of.items()}

    async def low_usage_contracts(self, s: AsyncSession) -> list[ParkingContract]:
        """Operators: every low-usage contract (closing a month picks the active ones)."""
        query = (
            select(parking_contracts)
            .where(c.type == ContractType.LOW_USAGE_RESIDENT.value)
            .order_by(c.number)
        )
        return await self._with_badges(s, (await s.execute(query)).all())

    async def add_contract(self, s: AsyncSession, contract: ParkingContract) -> None:
        await s.execute(
            insert(parking_contracts).values(
                id=contract.id, created_at=contract.created_at, **_contract_values(contract)
            )
        )
        await self._save_badges(s, contract)

    async def save_contract(self, s: AsyncSession, contract: ParkingContract) -> None:
        await s.execute(
            update(parking_contracts)
            .where(c.id == contract.id)
            .values(**_contract_values(contract))
        )
        await self._save_badges(s, contract)

    async def write_contracts(
        self, s: AsyncSession, new: Sequence[ParkingContract], changed: Sequence[ParkingContract]
    ) -> None:
        """Adds and saves contracts whole (an import). The changed contracts'
        badges go first, so that a badge moving between two of them is free
        when it is written again."""
        changed_ids = [contract.id for contract in changed]
        for start in range(0, len(changed_ids), _PER_QUERY):
            chunk = changed_ids[start : start + _PER_QUERY]
            await s.execute(delete(parking_badges).where(b.contract_id.in_(chunk)))
        if changed:
            # Bound names differ from the columns': SQLAlchemy reserves those for SET.
            rows = [
                {"b_id": contract.id}
                | {f"b_{name}": value for name, value in _contract_values(contract).items()}
                for contract in changed
            ]
            values = {name[2:]: bindparam(name) for name in rows[0] if name != "b_id"}
            await s.execute(
                update(parking_contracts).where(c.id == bindparam("b_id")).values(**values),
                rows,
                execution_options={"synchronize_session": False},
            )
        if new:
            await s.execute(
                insert(parking_contracts),
                [
                    {"id": contract.id, "created_at": contract.created_at}
                    | _contract_values(contract)
                    for contract in new
                ],
            )
        badges = [
            {"badge": badge, "contract_id": contract.id, "position": position}
            for contract in (*changed, *new)
            for position, badge in enumerate(contract.badges)
        ]
        if badges:
            await s.execute(insert(parking_badges), badges)

    async def save_plates(self, s: AsyncSession, contract: ParkingContract) -> None:
        await s.execute(
            update(parking_contracts)
            .where(c.id == contract.id)
            .values(plates="|".join(contract.plates), updated_at=contract.updated_at)
        )

    async def _save_badges(self, s: AsyncSession, contract: ParkingContract) -> None:
        await s.execute(delete(parking_badges).where(b.contract_id == contract.id))
        if contract.badges:
            await s.execute(
                insert(parking_badges),
                [
                    {"badge": badge, "contract_id": contract.id, "position": position}
                    for position, badge in enumerate(contract.badges)
                ],
            )

    # ---- months, exits and statements ------------------------------------------------

    async def closed_month(self, s: AsyncSession, month: str) -> ClosedMonth | None:
        query = select(parking_closed_months).where(parking_closed_months.c.month == month)
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return ClosedMonth(
            month=row.month, closed_at=aware(row.closed_at), exits=row.exits,
            statements=row.statements,
        )  # fmt: skip

    async def add_closing(self, s: AsyncSession, closing: MonthClosing) -> None:
        """The closed month's row first: a concurrent closing of the same month
        fails on it (IntegrityError) before writing anything else."""
        closed = closing.closed
        await s.execute(
            insert(parking_closed_months).values(
                month=closed.month,
                closed_at=closed.closed_at,
                exits=closed.exits,
                statements=closed.statements,
            )
        )
        rows = [
            {
                "badge": found.badge,
                "exited_at": found.exited_at,
                "month": closed.month,
                "contract_id": found.contract_id,
                "entity_id": found.entity_id,
                "car_park": found.car_park,
            }
            for found in closing.exits
        ]
        for start in range(0, len(rows), _EXITS_PER_INSERT):
            await s.execute(insert(parking_exits), rows[start : start + _EXITS_PER_INSERT])
        if closing.statements:
            await s.execute(
                insert(parking_statements),
                [
                    {
                        "id": found.id,
                        "entity_id": found.entity_id,
                        "contract_id": found.contract_id,
                        "contract_number": found.contract_number,
                        "car_park": found.car_park,
                        "month": found.month,
                        "exits": found.exits,
                        "included_exits": found.included_exits,
                        "extra_exits": found.extra_exits,
                        "extra_exit_price_cents": found.extra_exit_price_cents,
                        "amount_excl_cents": found.amount_excl_cents,
                        "vat_rate_bp": found.vat_rate_bp,
                        "created_at": found.created_at,
                    }
                    for found in closing.statements
                ],
            )

    async def list_statements(
        self, s: AsyncSession, entity_id: str, month: str, page: Page
    ) -> tuple[list[ParkingStatement], bool]:
        """A page, newest month first, then by contract number; whether more follow."""
        query = select(parking_statements).where(st.entity_id == entity_id)
        if month:
            query = query.where(st.month == month)
        query = query.order_by(st.month.desc(), st.contract_number, st.id)
        rows = (await s.execute(query.offset(page.offset).limit(page.limit + 1))).all()
        return [_statement(row) for row in rows[: page.limit]], len(rows) > page.limit

    async def get_statement(
        self, s: AsyncSession, statement_id: str, entity_id: str
    ) -> ParkingStatement | None:
        query = select(parking_statements).where(st.id == statement_id, st.entity_id == entity_id)
        row = (await s.execute(query)).first()
        return _statement(row) if row else None

    async def exits_of(
        self, s: AsyncSession, entity_id: str, contract_id: str, month: str
    ) -> list[Exit]:
        """A contract's exits of a month, oldest first."""
        query = (
            select(parking_exits)
            .where(x.entity_id == entity_id, x.contract_id == contract_id, x.month == month)
            .order_by(x.exited_at, x.badge)
        )
        return [
            Exit(
                badge=row.badge,
                exited_at=row.exited_at,
                car_park=row.car_park,
                contract_id=row.contract_id,
                entity_id=row.entity_id,
            )
            for row in await s.execute(query)
        ]
