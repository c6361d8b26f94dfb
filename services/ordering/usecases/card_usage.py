"""Operators import what the cards spent (per beneficiary and month, from the
card processor); customers see it next to their loads (`statistics`). A file is
written whole or not at all, and replaces the figures of each (account, month)
it covers."""

from __future__ import annotations

import asyncio

from portal_runtime.tokens import Principal
from services.ordering.domain.card_usage import (
    ImportedMonth,
    KnownBeneficiaries,
    by_account_month,
    imported_months,
    read_usage_file,
    usage_records,
)
from services.ordering.usecases.common import Deps, require_operator
from services.ordering.usecases.order_files import require_file


async def import_card_usage(
    deps: Deps, principal: Principal | None, data: bytes, entity_id: str
) -> tuple[int, list[ImportedMonth]]:
    """(lines imported, the months they cover). `entity_id`: the account whose
    employee numbers the file names ("" when it names beneficiary ids only)."""
    require_operator(principal)
    require_file(data)
    entity_id = entity_id.strip()
    now = deps.clock()
    usage = await asyncio.to_thread(read_usage_file, data, this_month=now.strftime("%Y-%m"))
    async with deps.db.transaction() as s:
        by_number = (
            await deps.repo.beneficiaries.refs_by_number(s, entity_id)
            if entity_id and usage.by_employee_number
            else {}
        )
        by_id = await deps.repo.beneficiaries.owned_refs(s, usage.beneficiary_ids)
        records = usage_records(usage, KnownBeneficiaries(entity_id, by_number, by_id), now)
        months = by_account_month(records)
        replaced = await deps.repo.card_usage.imported_months(s, months.keys())
        for (owner, month), figures in months.items():
            await deps.repo.card_usage.replace_month(s, owner, month, figures)
    return len(records), imported_months(records, replaced)
