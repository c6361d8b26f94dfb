"""Documents: issuing them (numbers drawn in the issuing transaction, then
DocumentIssued), credit notes, the customer's list, one document, its PDF, and
the balance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from portal.billing.v1 import events_pb2
from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import InvalidArgument, NotFound, require_field
from portal_runtime.filters import day_bounds
from portal_runtime.outbox import add_event, new_event
from portal_runtime.pagination import parse_page
from portal_runtime.protos import money
from portal_runtime.tokens import Principal
from services.billing.domain.documents import (
    RETENTION_YEARS,
    Document,
    DocumentType,
    Line,
    credit_note_for,
    document_number,
    due_date,
    validate_lines,
)
from services.billing.domain.payments import balance_cents
from services.billing.pdf import PdfParty, render_document
from services.billing.usecases.common import (
    Deps,
    DocumentView,
    document_of,
    document_values,
    view_of,
)


def document_not_found() -> NotFound:
    return NotFound("DOCUMENT_NOT_FOUND", "no such document for this account")


def kept_since(today: date) -> date:
    """The oldest issue date still listed (retention: five years)."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - RETENTION_YEARS, day=28) + timedelta(days=1)


async def _number(deps: Deps, s: AsyncSession, entity_id: str, doc_type: DocumentType, day: date):
    sequence = await deps.repo.next_document_sequence(s, entity_id, day.year, doc_type.value)
    return document_number(doc_type, day.year, sequence)


async def _publish_issued(s: AsyncSession, doc: Document) -> None:
    await add_event(
        s,
        new_event(
            events_pb2.DocumentIssued,
            entity_id=doc.entity_id,
            document_id=doc.id,
            number=doc.number,
            type=doc.type.value,
            total_incl_tax=money(doc.totals.incl_cents),
            due_date=doc.due_date.isoformat(),
            order_id=doc.order_id,
        ),
    )


async def issue(
    deps: Deps,
    s: AsyncSession,
    *,
    entity_id: str,
    doc_type: DocumentType,
    lines: Sequence[Line],
    contract_number: str = "",
    period_start: date | None = None,
    period_end: date | None = None,
    order_id: str = "",
) -> Document:
    """Numbers and stores a new document in `s`, with its DocumentIssued event."""
    now = deps.clock()
    today = now.date()
    doc = Document(
        id=new_id(),
        entity_id=entity_id,
        type=doc_type,
        number=await _number(deps, s, entity_id, doc_type, today),
        issue_date=today,
        due_date=due_date(today) if doc_type is DocumentType.INVOICE else today,
        lines=tuple(lines),
        contract_number=contract_number,
        period_start=period_start,
        period_end=period_end,
        order_id=order_id,
    )
    await deps.repo.add_document(s, document_values(doc, now))
    await _publish_issued(s, doc)
    return doc


async def credit(deps: Deps, s: AsyncSession, invoice: Document) -> Document:
    """The credit note cancelling `invoice` (domain rules: an invoice, once), stored
    with DocumentIssued; the invoice is marked credited."""
    now = deps.clock()
    note, credited = credit_note_for(
        invoice,
        credit_note_id=new_id(),
        number=await _number(deps, s, invoice.entity_id, DocumentType.CREDIT_NOTE, now.date()),
        issue_date=now.date(),
    )
    await deps.repo.add_document(s, document_values(note, now))
    await deps.repo.update_document(s, invoice.id, credited_by_id=credited.credited_by_id)
    await _publish_issued(s, note)
    return note


async def issue_by_operator(
    deps: Deps,
    *,
    entity_id: str,
    doc_type: DocumentType | None,
    lines: Sequence[Line],
    contract_number: str,
    period_start: str,
    period_end: str,
    credits_document_id: str,
) -> DocumentView:
    """An operator issues an invoice, a statement, or a credit note (of a given
    invoice: its lines; otherwise the lines given)."""
    entity_id = require_field(entity_id, "entityId")
    if doc_type is None:
        raise InvalidArgument.for_field("type", "is required", reason="REQUIRED_FIELD")
    start, end = day_bounds(period_start, period_end)
    async with deps.db.transaction() as s:
        if doc_type is DocumentType.CREDIT_NOTE and credits_document_id:
            row = await deps.repo.document(s, credits_document_id, entity_id)
            if row is None:
                raise NotFound(
                    "DOCUMENT_NOT_FOUND",
                    "no such invoice for that entity",
                    metadata={"field": "creditsDocumentId"},
                )
            doc = await credit(deps, s, document_of(row))
        else:
            doc = await issue(
                deps,
                s,
                entity_id=entity_id,
                doc_type=doc_type,
                lines=validate_lines(doc_type, lines),
                contract_number=contract_number.strip(),
                period_start=start,
                period_end=end,
            )
        return view_of(await deps.repo.document(s, doc.id, None))


async def list_documents(
    deps: Deps,
    principal: Principal | None,
    *,
    doc_type: DocumentType | None,
    date_from: str,
    date_to: str,
    unpaid: bool,
    page_size: int,
    page_token: str,
) -> tuple[list[DocumentView], str]:
    entity_id = customer_entity(principal)
    start, end = day_bounds(date_from, date_to)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_documents(
            s,
            entity_id,
            kept_since=kept_since(deps.today()),
            doc_type=doc_type.value if doc_type else "",
            issued_from=start,
            issued_to=end,
            unpaid=unpaid,
            offset=page.offset,
            limit=page.limit + 1,
        )
    return [view_of(r) for r in rows[: page.limit]], page.next_token(len(rows) > page.limit)


async def get_document(deps: Deps, principal: Principal | None, document_id: str) -> DocumentView:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.document(s, document_id, entity_id) if document_id else None
    if row is None or row.issue_date < kept_since(deps.today()):
        raise document_not_found()
    return view_of(row)


def _payment_status(doc: Document) -> str:
    if doc.type is not DocumentType.INVOICE:
        return ""
    if doc.credited:
        return "CREDITED"
    if doc.paid:
        return "PAID"
    return "PARTIALLY_PAID" if doc.paid_cents else "UNPAID"


async def document_pdf(deps: Deps, principal: Principal | None, document_id: str) -> bytes:
    """The document as PDF, with the entity's name, client number and language
    from the account projection (blank when not known yet)."""
    view = await get_document(deps, principal, document_id)
    doc = view.document
    async with deps.db.transaction() as s:
        account = await deps.repo.account(s, doc.entity_id)
    party = PdfParty(
        entity_name=account.name if account else "",
        client_number=account.client_number if account else "",
        address_lines=tuple(account.address_lines or ()) if account else (),
        payment_status=_payment_status(doc),
    )
    language = (account.language if account else "") or "fr"
    return render_document(doc, party, operator_name=deps.operator_name, language=language)


async def balance(deps: Deps, principal: Principal | None) -> tuple[int, list[DocumentView]]:
    """What is due and the unpaid invoices, oldest first."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        rows = await deps.repo.unpaid_documents(s, entity_id)
    views = [view_of(r) for r in rows]
    views = [v for v in views if v.document.remaining_cents > 0]
    return balance_cents(v.document for v in views), views
