"""Amounts loaded on the entity's cards, per month (of the load record) and per
beneficiary, next to what the cards spent in the months the range touches
(`convert.load_statistics_body` renders them as JSON or CSV)."""

from __future__ import annotations

from portal_runtime.auth import customer_entity
from portal_runtime.filters import day_range
from portal_runtime.tokens import Principal
from services.ordering.domain.statistics import LoadStatistics, summarise, usage_months
from services.ordering.usecases.common import Deps


async def load_statistics(
    deps: Deps, principal: Principal | None, date_from: str, date_to: str
) -> LoadStatistics:
    entity_id = customer_entity(principal)
    start, end = day_range(date_from, date_to)
    month_from, month_to = usage_months(start, end)
    async with deps.db.transaction() as s:
        lines = await deps.repo.orders.loaded_lines(
            s, entity_id, loaded_from=start, loaded_before=end
        )
        usage = await deps.repo.card_usage.find(
            s, entity_id, month_from=month_from, month_to=month_to
        )
    return summarise(lines, usage)
