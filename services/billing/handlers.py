"""Event consumers of billing: identity's AccountUpdated (the account
projection), ordering's OrderSubmitted (the order's invoice) and OrderCancelled
(its credit note)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2 as identity_events
from portal.ordering.v1 import events_pb2 as ordering_events
from services.billing.domain.documents import DocumentType, Line
from services.billing.domain.transfers import normalise_reference
from services.billing.usecases.common import Deps, document_of
from services.billing.usecases.documents import credit, issue

log = logging.getLogger(__name__)

LOADS_LABEL = "Chargement de cartes / card loads"
FEES_LABEL = "Frais de carte / card fees"
LOADS_VAT_BP = 0  # meal-card loads carry no VAT

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


def _occurred(event: Any, fallback: datetime) -> datetime:
    if event.HasField("occurred_at"):
        return event.occurred_at.ToDatetime(tzinfo=UTC)
    return fallback


def order_lines(event: ordering_events.OrderSubmitted) -> list[Line]:
    """Card loads at VAT 0; new cards' fees at the rate ordering applied to the
    order's total (so the invoice's total is the amount the customer was told),
    only when there are some. An event from before these fields existed is
    billed as one line of its amount."""
    lines: list[Line] = []
    if event.loads_cents > 0:
        lines.append(Line(LOADS_LABEL, 1, event.loads_cents, LOADS_VAT_BP))
    if event.new_cards > 0:
        lines.append(Line(FEES_LABEL, event.new_cards, event.card_fee_cents, event.card_fee_vat_bp))
    if not lines and event.amount.amount_cents > 0:
        label = f"Commande / order {event.order_number}"
        lines.append(Line(label, 1, event.amount.amount_cents, LOADS_VAT_BP))
    return lines


def account_updated_handler(deps: Deps) -> Handler:
    async def on_account_updated(
        session: AsyncSession, event: identity_events.AccountUpdated
    ) -> None:
        """Keeps the newest snapshot of the account (name, client number, language,
        contracts, billing address) for documents and their PDFs."""
        saved = await deps.repo.save_account(
            session,
            {
                "entity_id": event.entity_id,
                "name": event.name,
                "client_number": event.client_number,
                "language": event.language or "fr",
                "contract_numbers": list(event.contract_numbers),
                "address_lines": list(event.billing_address_lines),
                "updated_at": _occurred(event, deps.clock()),
            },
        )
        if not saved:
            log.info("AccountUpdated %s is older than what billing knows", event.event_id)

    return on_account_updated


def order_submitted_handler(deps: Deps) -> Handler:
    async def on_order_submitted(
        session: AsyncSession, event: ordering_events.OrderSubmitted
    ) -> None:
        """Issues the order's invoice (one per order) and, for a transfer, what
        billing expects to receive under its reference. An entity billing has no
        snapshot of yet is invoiced all the same (without a contract number)."""
        if await deps.repo.invoice_of_order(session, event.order_id) is not None:
            log.info("order %s is already invoiced", event.order_id)
            return
        lines = order_lines(event)
        if not lines:
            log.warning("OrderSubmitted %s bills nothing", event.event_id)
            return
        account = await deps.repo.account(session, event.entity_id)
        contracts = list(account.contract_numbers or []) if account else []
        invoice = await issue(
            deps,
            session,
            entity_id=event.entity_id,
            doc_type=DocumentType.INVOICE,
            lines=lines,
            contract_number=contracts[0] if contracts else "",
            order_id=event.order_id,
        )
        if await deps.repo.order_cancelled(session, event.order_id):
            log.info("order %s was cancelled before it was invoiced", event.order_id)
            await credit(deps, session, invoice)
            return
        reference = normalise_reference(event.transfer_reference)
        if event.payment_method == "TRANSFER" and reference:
            await deps.repo.add_expected_transfer(
                session,
                reference=reference,
                entity_id=event.entity_id,
                order_id=event.order_id,
                document_id=invoice.id,
                amount_cents=invoice.totals.incl_cents,
                created_at=deps.clock(),
            )

    return on_order_submitted


def order_cancelled_handler(deps: Deps) -> Handler:
    async def on_order_cancelled(
        session: AsyncSession, event: ordering_events.OrderCancelled
    ) -> None:
        """Credits the order's invoice, if there is one not yet credited. An invoice
        already paid is credited all the same: the customer is owed a refund, which
        operators handle from the credit note."""
        row = await deps.repo.invoice_of_order(session, event.order_id)
        if row is None:
            # Not invoiced (yet): a draft, or OrderSubmitted still on its way.
            await deps.repo.mark_order_cancelled(
                session, event.order_id, event.entity_id, deps.clock()
            )
            return
        invoice = document_of(row)
        if invoice.credited:
            log.info("invoice %s of order %s is already credited", invoice.number, event.order_id)
            return
        if invoice.paid_cents:
            # An invoice already paid is credited all the same; the refund is the
            # operators' (the credit note shows what is owed back).
            log.warning("crediting paid invoice %s (%d cents)", invoice.number, invoice.paid_cents)
        await credit(deps, session, invoice)

    return on_order_cancelled


def subscriptions(deps: Deps) -> dict[type, Handler]:
    return {
        identity_events.AccountUpdated: account_updated_handler(deps),
        ordering_events.OrderSubmitted: order_submitted_handler(deps),
        ordering_events.OrderCancelled: order_cancelled_handler(deps),
    }
