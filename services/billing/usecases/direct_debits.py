"""Direct debits, for operators: collecting the due invoices under active
mandates (each customer pre-notified by DirectDebitScheduled), the batch's SEPA
file, its settlement once the bank collected it (DIRECT_DEBIT payments through
`payments.settle`), and the bank's returns (DirectDebitReturned)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from portal_runtime.db import new_id
from portal_runtime.errors import FailedPrecondition, NotFound
from portal_runtime.filters import parse_day
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from services.billing import events
from services.billing.domain.debit_returns import apply_return, check_known, parse_returns
from services.billing.domain.direct_debits import (
    DebitBatch,
    DebitStatus,
    DirectDebit,
    applied_cents,
    collecting_mandates,
    collection_date_for,
    plan_batch,
    plan_settlement,
)
from services.billing.domain.mandates import Mandate
from services.billing.domain.payments import DIRECT_DEBIT, PaymentState
from services.billing.sepa_file import Debtor, pain008
from services.billing.usecases.common import Deps
from services.billing.usecases.payments import add_payment, settle

log = logging.getLogger(__name__)


def batch_not_found() -> NotFound:
    return NotFound("DIRECT_DEBIT_BATCH_NOT_FOUND", "no such direct-debit batch")


async def collect(deps: Deps, collection_date: str) -> DebitBatch:
    """A new batch of every due invoice under an active mandate, collected on
    `collection_date`; one DirectDebitScheduled per debit."""
    day = collection_date_for(
        parse_day(collection_date), today=deps.today(), min_notice_days=deps.min_notice_days
    )
    async with deps.db.transaction() as s:
        mandates = collecting_mandates(await deps.repo.mandates.active(s))
        # The invoices first (locked), then the debits holding them: see `due_by`.
        invoices = await deps.repo.documents.due_by(s, list(mandates), day)
        batch, scheduled = plan_batch(
            batch_id=new_id(),
            collection_date=day,
            creditor_id=deps.creditor.identifier,
            invoices=invoices,
            mandates=mandates,
            presented_mandates=await deps.repo.direct_debits.presented_mandate_ids(s),
            pending_documents=await deps.repo.direct_debits.pending_document_ids(s),
            new_id=new_id,
            at=deps.clock(),
        )
        await deps.repo.direct_debits.add(s, batch)
        for fact in scheduled:
            await add_event(s, events.direct_debit_scheduled(fact))
    log.info("direct-debit batch %s: %d debits", batch.id, len(batch.debits))
    return batch


async def list_batches(deps: Deps, page_size: int, page_token: str) -> tuple[list[DebitBatch], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found = await deps.repo.direct_debits.find(s, offset=page.offset, limit=page.limit + 1)
    return found[: page.limit], page.next_token(len(found) > page.limit)


async def get_batch(deps: Deps, batch_id: str) -> DebitBatch:
    async with deps.db.read() as s:
        batch = await deps.repo.direct_debits.get(s, batch_id) if batch_id else None
    if batch is None:
        raise batch_not_found()
    return batch


def _debtor(deps: Deps, mandate: Mandate, sealed: dict[str, str]) -> Debtor:
    token = sealed.get(mandate.iban_secret_id)
    if token is None or mandate.created_at is None:
        raise FailedPrecondition(
            "MANDATE_IBAN_UNKNOWN", f"mandate {mandate.reference}: its IBAN is not kept"
        )
    return Debtor(
        holder=mandate.holder,
        iban=deps.ibans.open(token),
        bic=mandate.bic,
        signed_on=mandate.created_at.date(),
    )


async def batch_file(deps: Deps, batch_id: str) -> bytes:
    """The batch as a pain.008.001.02 file, the debtors' IBANs decrypted for it."""
    batch = await get_batch(deps, batch_id)
    async with deps.db.transaction() as s:
        mandates = await deps.repo.mandates.by_ids(s, sorted({d.mandate_id for d in batch.debits}))
        sealed = await deps.repo.iban_secrets.get_many(s, [m.iban_secret_id for m in mandates])
    debtors = {mandate.id: _debtor(deps, mandate, sealed) for mandate in mandates}
    # Building and checking the XML against its schema is CPU work: off the loop.
    return await asyncio.to_thread(pain008, batch, deps.creditor, debtors)


async def settle_batch(deps: Deps, batch_id: str) -> DebitBatch:
    """The bank collected the batch: each pending debit pays its invoice with a
    succeeded DIRECT_DEBIT payment (PaymentSucceeded, InvoiceSettled); one whose
    invoice was credited meanwhile is cancelled. Settled once: a settled batch
    is answered as it is."""
    async with deps.db.transaction() as s:
        batch = (
            await deps.repo.direct_debits.get(s, batch_id, for_update=True) if batch_id else None
        )
        if batch is None:
            raise batch_not_found()
        if batch.settled:
            log.info("direct-debit batch %s is already settled", batch.id)
            return batch
        pending = [d.document_id for d in batch.debits if d.status is DebitStatus.PENDING]
        plan = plan_settlement(batch, await deps.repo.documents.by_ids(s, pending, for_update=True))
        changed: list[DirectDebit] = list(plan.cancelled)
        for debit in plan.cancelled:
            log.warning("direct debit %s not collected: invoice credited", debit.end_to_end_id)
        for debit, invoice in plan.collect:
            payment = await add_payment(
                deps,
                s,
                entity_id=debit.entity_id,
                method=DIRECT_DEBIT,
                allocations=[debit.allocation],
                documents=[invoice],
                state=PaymentState.SUCCEEDED,
            )
            settlement = await settle(deps, s, payment, [invoice])
            changed.append(
                debit.collected(payment.id, applied_cents(invoice, settlement.documents))
            )
        settled = batch.settle(changed, at=deps.clock())
        await deps.repo.direct_debits.save_settled(s, settled)
    return settled


@dataclass(frozen=True)
class ReturnsImported:
    """What a returns file did, debit by debit (in the file's order)."""

    returned: tuple[DirectDebit, ...]  # collected, sent back: invoice due again
    rejected: tuple[DirectDebit, ...]  # pending, sent back
    unchanged: tuple[DirectDebit, ...]  # applied already, or cancelled
    debits: tuple[DirectDebit, ...]


async def import_returns(deps: Deps, data: bytes) -> ReturnsImported:
    """Applies every return of the file in one transaction; a bad file (a bad
    line, an end-to-end id no debit has) lists every bad line and applies none."""
    lines = parse_returns(data)
    today = deps.today()
    returned: list[DirectDebit] = []
    rejected: list[DirectDebit] = []
    unchanged: list[DirectDebit] = []
    every: list[DirectDebit] = []
    async with deps.db.transaction() as s:
        debits = await deps.repo.direct_debits.by_end_to_end_ids(
            s, [line.end_to_end_id for line in lines]
        )
        check_known(lines, debits.keys())
        for line in lines:
            debit = debits[line.end_to_end_id]
            document = payment = None
            if debit.status is DebitStatus.COLLECTED:
                document = await deps.repo.documents.get(
                    s, debit.document_id, None, for_update=True
                )
                payment = await deps.repo.payments.get(s, debit.payment_id, None)
            applied = apply_return(
                debit,
                reason_code=line.reason_code,
                returned_on=line.returned_on or today,
                document=document,
                payment=payment,
            )
            if applied is None:
                unchanged.append(debit)
                every.append(debit)
                continue
            await deps.repo.direct_debits.save_debit(s, applied.debit)
            if applied.document is not None:
                await deps.repo.documents.save_paid(s, applied.document)
            if applied.payment is not None:
                await deps.repo.payments.save_state(s, applied.payment)
            await add_event(s, events.direct_debit_returned(applied.fact))
            debits[line.end_to_end_id] = applied.debit
            (returned if applied.fact.reopened else rejected).append(applied.debit)
            every.append(applied.debit)
    return ReturnsImported(tuple(returned), tuple(rejected), tuple(unchanged), tuple(every))
