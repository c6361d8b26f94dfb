"""Ordering's orders, billed: the invoice of a submitted order (and, paid by
transfer, what billing then expects under its reference), the credit note of a
cancelled one. Each event type has its own consumer, so a cancellation may come
before the submission: the invoice is then credited as soon as it is issued."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.documents import DocumentType, Line
from services.billing.domain.payments import TRANSFER
from services.billing.domain.transfers import expected_for, normalise_reference
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import credit, issue
from services.billing.usecases.transfers import apply_waiting_transfers

log = logging.getLogger(__name__)


async def invoice_order(
    deps: Deps,
    s: AsyncSession,
    *,
    order_id: str,
    entity_id: str,
    lines: Sequence[Line],
    payment_method: str,
    transfer_reference: str,
) -> None:
    """Issues the order's invoice (one per order). An entity billing has no
    snapshot of yet is invoiced all the same (without a contract number)."""
    if await deps.repo.documents.invoice_of_order(s, order_id) is not None:
        log.info("order %s is already invoiced", order_id)
        return
    if not lines:
        log.warning("order %s bills nothing", order_id)
        return
    account = await deps.repo.accounts.get(s, entity_id)
    invoice = await issue(
        deps,
        s,
        entity_id=entity_id,
        doc_type=DocumentType.INVOICE,
        lines=lines,
        contract_number=account.invoiced_contract if account else "",
        order_id=order_id,
    )
    if await deps.repo.documents.order_cancelled(s, order_id):
        log.info("order %s was cancelled before it was invoiced", order_id)
        await credit(deps, s, invoice)
        return
    reference = normalise_reference(transfer_reference)
    if payment_method == TRANSFER and reference:
        await deps.repo.transfers.add_expected(s, expected_for(invoice, reference), at=deps.clock())
        # A transfer recorded before billing learnt this reference pays it now.
        await apply_waiting_transfers(deps, s, reference)


async def credit_cancelled_order(
    deps: Deps, s: AsyncSession, *, order_id: str, entity_id: str
) -> None:
    """Credits the order's invoice, if there is one not yet credited. An invoice
    already paid is credited all the same: the customer is owed a refund, which
    operators handle from the credit note."""
    invoice = await deps.repo.documents.invoice_of_order(s, order_id, for_update=True)
    if invoice is None:
        # Not invoiced (yet): a draft, or OrderSubmitted still on its way.
        await deps.repo.documents.mark_order_cancelled(s, order_id, entity_id, deps.clock())
        return
    if invoice.credited:
        log.info("invoice %s of order %s is already credited", invoice.number, order_id)
        return
    if invoice.paid_cents:
        log.warning("crediting paid invoice %s (%d cents)", invoice.number, invoice.paid_cents)
    await credit(deps, s, invoice)
