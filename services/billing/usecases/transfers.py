"""Received bank transfers: recorded one by one or from a bank statement, every
one kept; a transfer quoting an expected reference pays that document (and so
its order) with a TRANSFER payment."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from portal_runtime.errors import Violations
from portal_runtime.filters import parse_day
from portal_runtime.pagination import parse_page
from services.billing.domain.payments import Allocation, PaymentState
from services.billing.domain.transfers import (
    PAYER_MAX,
    REFERENCE_MAX,
    Expected,
    match_transfer,
    normalise_reference,
    parse_bank_statement,
)
from services.billing.usecases.common import Deps, document_of
from services.billing.usecases.payments import add_payment, settle_succeeded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransferInput:
    received_on: date
    amount_cents: int
    reference: str
    payer: str


async def _record(deps: Deps, s: AsyncSession, given: TransferInput) -> str:
    key = normalise_reference(given.reference)
    expected_row = await deps.repo.expected_transfer(s, key) if key else None
    candidates: list[Expected] = []
    doc = None
    if expected_row is not None:
        row = await deps.repo.document(s, expected_row.document_id, None)
        doc = document_of(row) if row is not None else None
        remaining = doc.remaining_cents if doc else 0
        candidates.append(
            Expected(
                reference=expected_row.reference,
                amount_cents=remaining,
                entity_id=expected_row.entity_id,
                order_id=expected_row.order_id,
                document_id=expected_row.document_id,
            )
        )
    match = match_transfer(given.reference, given.amount_cents, candidates)
    transfer_id = new_id()
    values = {
        "id": transfer_id,
        "received_on": given.received_on,
        "amount_cents": given.amount_cents,
        "reference": given.reference,
        "payer": given.payer,
        "matched": match.matched,
        "surplus_cents": match.surplus_cents,
        "created_at": deps.clock(),
    }
    if match.expected is not None:
        values.update(
            entity_id=match.expected.entity_id,
            order_id=match.expected.order_id,
            document_id=match.expected.document_id,
        )
        if doc is not None and match.applied_cents > 0:
            payment = await add_payment(
                deps,
                s,
                entity_id=doc.entity_id,
                method="TRANSFER",
                allocations=[Allocation(doc.id, doc.number, match.applied_cents)],
                state=PaymentState.SUCCEEDED,
            )
            await settle_succeeded(deps, s, payment)
            values["payment_id"] = payment.id
        else:
            log.warning("transfer %s quotes %s: nothing left to pay", transfer_id, key)
    await deps.repo.add_transfer(s, **values)
    return transfer_id


def transfer_input(
    received_on: str, amount_cents: int, reference: str, payer: str
) -> TransferInput:
    day = parse_day(received_on)
    problems = Violations()
    if day is None:
        problems.add("receivedOn", "must be a valid date YYYY-MM-DD")
    if amount_cents <= 0:
        problems.add("amount", "must be greater than 0 cents")
    clean_reference = " ".join(reference.split())
    if not clean_reference:
        problems.add("reference", "is required")
    elif len(clean_reference) > REFERENCE_MAX:
        problems.add("reference", f"must be at most {REFERENCE_MAX} characters")
    clean_payer = " ".join(payer.split())
    if len(clean_payer) > PAYER_MAX:
        problems.add("payer", f"must be at most {PAYER_MAX} characters")
    problems.raise_if_any()
    assert day is not None
    return TransferInput(day, amount_cents, clean_reference, clean_payer)


async def record_transfer(deps: Deps, given: TransferInput) -> Row:
    async with deps.db.transaction() as s:
        transfer_id = await _record(deps, s, given)
        return (await deps.repo.transfers_by_ids(s, [transfer_id]))[0]


async def import_statement(deps: Deps, data: bytes) -> list[Row]:
    """Every line recorded (matched or not), in one transaction; a bad file
    records nothing and lists every bad line."""
    lines = parse_bank_statement(data)
    async with deps.db.transaction() as s:
        ids = [
            await _record(
                deps,
                s,
                TransferInput(line.received_on, line.amount_cents, line.reference, line.payer),
            )
            for line in lines
        ]
        return await deps.repo.transfers_by_ids(s, ids)


async def list_transfers(
    deps: Deps, unmatched: bool, page_size: int, page_token: str
) -> tuple[list[Row], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_transfers(
            s, unmatched=unmatched, offset=page.offset, limit=page.limit + 1
        )
    return rows[: page.limit], page.next_token(len(rows) > page.limit)
