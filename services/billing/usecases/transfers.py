"""Received bank transfers: recorded one by one or from a bank statement, every
one kept; a transfer quoting an expected reference pays that document (and so
its order) with a TRANSFER payment."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from portal_runtime.errors import Violations
from portal_runtime.filters import parse_day
from portal_runtime.money import amount_problem, currency_problem
from portal_runtime.pagination import parse_page
from services.billing.domain.documents import Document
from services.billing.domain.payments import TRANSFER, Allocation, PaymentState
from services.billing.domain.transfers import (
    PAYER_MAX,
    REFERENCE_MAX,
    Transfer,
    TransferMatch,
    match_transfer,
    normalise_reference,
    parse_bank_statement,
    received_transfer,
    rematched,
    still_expected,
)
from services.billing.usecases.common import Deps
from services.billing.usecases.payments import add_payment, settle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransferInput:
    received_on: date
    amount_cents: int
    reference: str
    payer: str


async def _match(
    deps: Deps, s: AsyncSession, reference: str, amount_cents: int
) -> tuple[TransferMatch, Document | None]:
    """What a transfer quoting `reference` pays now, and the document it pays
    (locked until commit: see `DocumentsRepository.get`)."""
    key = normalise_reference(reference)
    expected = await deps.repo.transfers.expected(s, key) if key else None
    doc = (
        await deps.repo.documents.get(s, expected.document_id, None, for_update=True)
        if expected
        else None
    )
    match = match_transfer(
        reference, amount_cents, [still_expected(expected, doc)] if expected else []
    )
    return match, doc


async def _pay(
    deps: Deps, s: AsyncSession, transfer: Transfer, match: TransferMatch, doc: Document | None
) -> Transfer:
    """The matched transfer's TRANSFER payment, settling what it pays."""
    if doc is None or match.applied_cents <= 0:
        log.warning("transfer %s quotes %s: nothing left to pay", transfer.id, transfer.reference)
        return transfer
    payment = await add_payment(
        deps,
        s,
        entity_id=doc.entity_id,
        method=TRANSFER,
        allocations=[Allocation(doc.id, doc.number, match.applied_cents)],
        documents=[doc],
        state=PaymentState.SUCCEEDED,
    )
    await settle(deps, s, payment, [doc])
    return transfer.paid_by(payment.id)


async def _record(deps: Deps, s: AsyncSession, given: TransferInput) -> Transfer:
    match, doc = await _match(deps, s, given.reference, given.amount_cents)
    transfer = received_transfer(
        transfer_id=new_id(),
        received_on=given.received_on,
        amount_cents=given.amount_cents,
        reference=given.reference,
        payer=given.payer,
        match=match,
        at=deps.clock(),
    )
    if match.matched:
        transfer = await _pay(deps, s, transfer, match, doc)
    await deps.repo.transfers.add(s, transfer)
    return transfer


async def apply_waiting_transfers(
    deps: Deps, s: AsyncSession, reference: str | None = None
) -> list[Transfer]:
    """Matches the unmatched transfers whose reference is now expected (only
    `reference` when given, as billing learns it): each paid once, in the order
    received, in the caller's transaction."""
    applied: list[Transfer] = []
    for waiting in await deps.repo.transfers.unmatched_expected(s, reference):
        match, doc = await _match(deps, s, waiting.reference, waiting.amount_cents)
        if not match.matched:
            continue
        transfer = rematched(waiting, match)
        transfer = await _pay(deps, s, transfer, match, doc)
        if await deps.repo.transfers.save_match(s, transfer):
            log.info("transfer %s matched %s after it was received", transfer.id, reference)
            applied.append(transfer)
    return applied


async def rematch_transfers(deps: Deps) -> tuple[list[Transfer], int]:
    """Operators: every waiting transfer matched again; (those matched now, how
    many still match nothing)."""
    async with deps.db.transaction() as s:
        applied = await apply_waiting_transfers(deps, s)
        return applied, await deps.repo.transfers.count_unmatched(s)


def transfer_input(
    received_on: str, amount_cents: int, reference: str, payer: str, currency: str = ""
) -> TransferInput:
    day = parse_day(received_on)
    problems = Violations()
    if day is None:
        problems.add("receivedOn", "must be a valid date YYYY-MM-DD")
    if problem := amount_problem(amount_cents):
        problems.add("amount", problem)
    if problem := currency_problem(currency):
        problems.add("amount.currency", problem)
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


async def record_transfer(deps: Deps, given: TransferInput) -> Transfer:
    async with deps.db.transaction() as s:
        return await _record(deps, s, given)


async def import_statement(deps: Deps, data: bytes) -> list[Transfer]:
    """Every line recorded (matched or not), in one transaction; a bad file
    records nothing and lists every bad line."""
    lines = parse_bank_statement(data)
    async with deps.db.transaction() as s:
        return [
            await _record(
                deps,
                s,
                TransferInput(line.received_on, line.amount_cents, line.reference, line.payer),
            )
            for line in lines
        ]


async def list_transfers(
    deps: Deps, unmatched: bool, page_size: int, page_token: str
) -> tuple[list[Transfer], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found = await deps.repo.transfers.find(
            s, unmatched=unmatched, offset=page.offset, limit=page.limit + 1
        )
    return found[: page.limit], page.next_token(len(found) > page.limit)
