"""SIM orders and their cards."""

from __future__ import annotations

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from services.fleet.domain.sims import DeliveryAddress, SimCard, SimOrder, SimOrderStatus
from services.fleet.store.tables import counters, sim_cards, sim_orders

o = sim_orders.c
k = sim_cards.c


def _order(row: Row, cards: list[SimCard]) -> SimOrder:
    return SimOrder(
        id=row.id,
        entity_id=row.entity_id,
        user_id=row.user_id,
        reference=row.reference,
        quantity=row.quantity,
        esim=row.esim,
        recipient=row.recipient,
        address=DeliveryAddress(
            row.address_line1, row.address_line2, row.postal_code, row.city, row.country
        ),
        created_at=aware(row.created_at),
        status=SimOrderStatus(row.status),
        cards=cards,
        carrier=row.carrier,
        tracking_url=row.tracking_url,
        shipped_at=aware(row.shipped_at),
    )


class SimOrdersRepository:
    async def next_sequence(self, s: AsyncSession, name: str) -> int:
        """The next number of a named sequence (in the caller's transaction)."""
        current = await s.scalar(
            select(counters.c.value).where(counters.c.name == name).with_for_update()
        )
        if current is None:
            await s.execute(insert(counters).values(name=name, value=1))
            return 1
        await s.execute(update(counters).where(counters.c.name == name).values(value=current + 1))
        return current + 1

    async def add(self, s: AsyncSession, order: SimOrder) -> None:
        await s.execute(
            insert(sim_orders).values(
                id=order.id,
                entity_id=order.entity_id,
                user_id=order.user_id,
                reference=order.reference,
                quantity=order.quantity,
                esim=order.esim,
                recipient=order.recipient,
                address_line1=order.address.line1,
                address_line2=order.address.line2,
                postal_code=order.address.postal_code,
                city=order.address.city,
                country=order.address.country,
                status=order.status.value,
                carrier=order.carrier,
                tracking_url=order.tracking_url,
                created_at=order.created_at,
                shipped_at=order.shipped_at,
            )
        )

    async def _cards(self, s: AsyncSession, order_ids: list[str]) -> dict[str, list[SimCard]]:
        found: dict[str, list[SimCard]] = {order_id: [] for order_id in order_ids}
        if order_ids:
            query = select(sim_cards).where(k.sim_order_id.in_(order_ids)).order_by(k.iccid)
            for row in await s.execute(query):
                found[row.sim_order_id].append(SimCard(row.iccid, row.line_id))
        return found

    async def get(
        self, s: AsyncSession, order_id: str, entity_id: str | None, *, for_update: bool = False
    ) -> SimOrder | None:
        """`entity_id` None: operators."""
        query = select(sim_orders).where(o.id == order_id)
        if entity_id is not None:
            query = query.where(o.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return _order(row, (await self._cards(s, [row.id]))[row.id])

    async def list(
        self,
        s: AsyncSession,
        entity_id: str | None,
        status: SimOrderStatus | None,
        page: Page,
        *,
        oldest_first: bool = False,
    ) -> tuple[list[SimOrder], bool]:
        query = select(sim_orders)
        if entity_id is not None:
            query = query.where(o.entity_id == entity_id)
        if status is not None:
            query = query.where(o.status == status.value)
        order = (o.created_at, o.id) if oldest_first else (o.created_at.desc(), o.id.desc())
        query = query.order_by(*order).offset(page.offset).limit(page.limit + 1)
        rows = (await s.execute(query)).all()[: page.limit + 1]
        cards = await self._cards(s, [row.id for row in rows[: page.limit]])
        return [_order(row, cards[row.id]) for row in rows[: page.limit]], len(rows) > page.limit

    async def save_shipment(self, s: AsyncSession, order: SimOrder) -> None:
        await s.execute(
            update(sim_orders)
            .where(o.id == order.id)
            .values(
                status=order.status.value,
                carrier=order.carrier,
                tracking_url=order.tracking_url,
                shipped_at=order.shipped_at,
            )
        )
        await s.execute(
            insert(sim_cards),
            [
                {
                    "iccid": card.iccid,
                    "sim_order_id": order.id,
                    "entity_id": order.entity_id,
                    "line_id": card.line_id,
                }
                for card in order.cards
            ],
        )

    async def known_iccids(self, s: AsyncSession, iccids: list[str]) -> set[str]:
        query = select(k.iccid).where(k.iccid.in_(iccids))
        return {row.iccid for row in await s.execute(query)}

    async def order_of_card(
        self, s: AsyncSession, entity_id: str, iccid: str, *, for_update: bool = False
    ) -> SimOrder | None:
        """The entity's order that shipped this card."""
        query = select(k.sim_order_id).where(k.entity_id == entity_id, k.iccid == iccid)
        order_id = await s.scalar(query)
        if order_id is None:
            return None
        return await self.get(s, order_id, entity_id, for_update=for_update)

    async def set_card_line(self, s: AsyncSession, iccid: str, line_id: str) -> None:
        await s.execute(update(sim_cards).where(k.iccid == iccid).values(line_id=line_id))
