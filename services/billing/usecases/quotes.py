"""Assets' accepted quotes, billed: one invoice per quote, payable like any
invoice, whose totals are those of the quote the customer accepted.

Once twice over, as for fleet's requests: the runtime's inbox drops an event id
seen before, and the invoice's source (`quote:<quote id>`) is looked up before
issuing and unique in the store, so a copy of the event published again under
another id bills nothing."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.errors import InvalidArgument
from services.billing.domain.documents import Document, DocumentType
from services.billing.domain.quote_invoices import AcceptedQuote, quote_invoice
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import issue

log = logging.getLogger(__name__)


async def invoice_accepted_quote(
    deps: Deps, s: AsyncSession, quote: AcceptedQuote
) -> Document | None:
    """Issues the quote's invoice: unpaid, due after the payment term, paid by
    card from the portal or collected by direct debit like any invoice. None when
    the quote is already invoiced. A quote billing cannot invoice at the event's
    totals is refused (the event goes to the dead letters once retries are
    spent), never invoiced at another amount."""
    try:
        invoice = quote_invoice(quote)
    except InvalidArgument as err:
        log.error("accepted quote %s (%s) refused: %s", quote.number, quote.quote_id, err.message)
        raise
    invoiced = await deps.repo.documents.invoice_of_source(s, invoice.source_key)
    if invoiced is not None:
        log.info("quote %s is already invoiced (%s)", quote.number, invoiced.number)
        return None
    account = await deps.repo.accounts.get(s, invoice.entity_id)
    return await issue(
        deps,
        s,
        entity_id=invoice.entity_id,
        doc_type=DocumentType.INVOICE,
        lines=invoice.lines,
        contract_number=account.invoiced_contract if account else "",
        source_key=invoice.source_key,
        purchase_order_reference=invoice.purchase_order_reference,
    )
