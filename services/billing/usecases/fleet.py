"""Fleet's completed requests, billed: the one-off charges of the options a
request activated make one invoice for the entity, once per request.

Once twice over: the runtime's inbox drops an event id seen before, and the
invoice's source (`fleet-request:<request id>`) is looked up before issuing and
unique in the store, so a copy of the event published again under another id
bills nothing (two copies handled at the same moment: the second one's insert
is refused once the first commits, and its transaction rolls back)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.errors import require_field
from services.billing.domain.documents import Document, DocumentType
from services.billing.domain.fleet_charges import OneOffCharge, charge_lines, fleet_request_source
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import issue

log = logging.getLogger(__name__)


async def invoice_fleet_charges(
    deps: Deps,
    s: AsyncSession,
    *,
    request_id: str,
    entity_id: str,
    charges: Sequence[OneOffCharge],
) -> Document | None:
    """Issues the request's invoice, payable like any invoice without a transfer
    reference (an order paid by card, an operator's): unpaid, due after the
    payment term, paid by card from the portal (the document or the balance) or
    collected by direct debit under a mandate. None when the request owes
    nothing or is already invoiced."""
    if not charges:
        return None
    lines = charge_lines(charges)
    if not lines:
        log.info("fleet request %s owes nothing (charges at no price)", request_id)
        return None
    source = fleet_request_source(request_id)
    entity_id = require_field(entity_id, "entityId")
    invoiced = await deps.repo.documents.invoice_of_source(s, source)
    if invoiced is not None:
        log.info("fleet request %s is already invoiced (%s)", request_id, invoiced.number)
        return None
    account = await deps.repo.accounts.get(s, entity_id)
    return await issue(
        deps,
        s,
        entity_id=entity_id,
        doc_type=DocumentType.INVOICE,
        lines=lines,
        contract_number=account.invoiced_contract if account else "",
        source_key=source,
    )
