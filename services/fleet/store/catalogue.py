"""Plans and the options catalogue (shared by every entity: the operator's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.fleet.domain.catalogue import (
    Catalogue,
    CatalogueOption,
    OptionType,
    Plan,
    PriceKind,
)
from services.fleet.store.tables import options, plans


def _codes(text: str) -> frozenset[str]:
    return frozenset(code for code in text.split("|") if code)


def _joined(codes: frozenset[str]) -> str:
    return "|".join(sorted(codes))


def _plan(row: Row) -> Plan:
    return Plan(row.code, row.name, row.product, row.monthly_cents, row.vat_bp)


def _option(row: Row) -> CatalogueOption:
    return CatalogueOption(
        code=row.code,
        type=OptionType(row.type),
        name=row.name,
        description=row.description,
        price_cents=row.price_cents,
        price_kind=PriceKind(row.price_kind),
        vat_bp=row.vat_bp,
        plans=_codes(row.plans),
        excludes=_codes(row.excludes),
        requires_one_of=_codes(row.requires_one_of),
    )


def _option_row(option: CatalogueOption, now: datetime) -> dict[str, Any]:
    return {
        "code": option.code,
        "type": option.type.value,
        "name": option.name,
        "description": option.description,
        "price_cents": option.price_cents,
        "price_kind": option.price_kind.value,
        "vat_bp": option.vat_bp,
        "plans": _joined(option.plans),
        "excludes": _joined(option.excludes),
        "requires_one_of": _joined(option.requires_one_of),
        "updated_at": now,
    }


class CatalogueRepository:
    async def load(self, s: AsyncSession) -> Catalogue:
        """The whole catalogue (a few hundred rows at most)."""
        plan_rows = (await s.execute(select(plans).order_by(plans.c.code))).all()
        option_rows = (await s.execute(select(options).order_by(options.c.code))).all()
        return Catalogue(
            plans={row.code: _plan(row) for row in plan_rows},
            options={row.code: _option(row) for row in option_rows},
        )

    async def put_plan(self, s: AsyncSession, plan: Plan, now: datetime) -> None:
        await s.execute(delete(plans).where(plans.c.code == plan.code))
        await s.execute(
            insert(plans).values(
                code=plan.code,
                name=plan.name,
                product=plan.product,
                monthly_cents=plan.monthly_cents,
                vat_bp=plan.vat_bp,
                updated_at=now,
            )
        )

    async def put_option(self, s: AsyncSession, option: CatalogueOption, now: datetime) -> None:
        await s.execute(delete(options).where(options.c.code == option.code))
        await s.execute(insert(options).values(**_option_row(option, now)))
