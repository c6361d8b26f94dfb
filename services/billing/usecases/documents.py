"""Documents: issuing them (numbers drawn in the issuing transaction, then
DocumentIssued), credit notes, the customer's list, one document, its PDF, and
the balance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import InvalidArgument, NotFound, require_field
from portal_runtime.filters import day_bounds
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.billing import events
from services.billing.domain.accounts import DEFAULT_LANGUAGE
from services.billing.domain.documents import (
    Document,
    DocumentType,
    Line,
    credit_note_for,
    document_number,
    issue_document,
    kept_since,
    validate_lines,
)
from services.billing.domain.payments import balance_cents
from services.billing.pdf import PdfParty, render_document
from services.billing.store import DocumentView
from services.billing.usecases.common import Deps


def document_not_found() -> NotFound:
    return NotFound("DOCUMENT_NOT_FOUND", "no such document for this account")


async def _number(deps: Deps, s: AsyncSession, doc_type: DocumentType, day: date) -> str:
    sequence = await deps.repo.documents.next_sequence(s, doc_type, day.year)
    return document_number(doc_type, day.year, sequence)


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
    source_key: str = "",
    purchase_order_reference: str = "",
) -> Document:
    """Numbers and stores a new document in `s`, with its DocumentIssued event."""
    now = deps.clock()
    doc, issued = issue_document(
        document_id=new_id(),
        entity_id=entity_id,
        doc_type=doc_type,
        number=await _number(deps, s, doc_type, now.date()),
        issue_date=now.date(),
        lines=lines,
        contract_number=contract_number,
        period_start=period_start,
        period_end=period_end,
        order_id=order_id,
        source_key=source_key,
        purchase_order_reference=purchase_order_reference,
    )
    await deps.repo.documents.add(s, doc, created_at=now)
    await add_event(s, events.document_issued(issued))
    return doc


async def credit(deps: Deps, s: AsyncSession, invoice: Document) -> Document:
    """The credit note cancelling `invoice` (domain rules: an invoice, once), stored
    with DocumentIssued; the invoice is marked credited."""
    now = deps.clock()
    note, credited, issued = credit_note_for(
        invoice,
        credit_note_id=new_id(),
        number=await _number(deps, s, DocumentType.CREDIT_NOTE, now.date()),
        issue_date=now.date(),
    )
    await deps.repo.documents.add(s, note, created_at=now)
    await deps.repo.documents.save_credited(s, credited)
    await add_event(s, events.document_issued(issued))
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
            invoice = await deps.repo.documents.get(
                s, credits_document_id, entity_id, for_update=True
            )
            if invoice is None:
                raise NotFound(
                    "DOCUMENT_NOT_FOUND",
                    "no such invoice for that entity",
                    metadata={"field": "creditsDocumentId"},
                )
            doc = await credit(deps, s, invoice)
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
        view = await deps.repo.documents.view(s, doc.id, None)
    assert view is not None  # stored just above, in this transaction
    return view


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
    async with deps.db.read() as s:
        views = await deps.repo.documents.find(
            s,
            entity_id,
            kept_since=kept_since(deps.today()),
            doc_type=doc_type,
            issued_from=start,
            issued_to=end,
            unpaid=unpaid,
            offset=page.offset,
            limit=page.limit + 1,
        )
    return views[: page.limit], page.next_token(len(views) > page.limit)


async def get_document(deps: Deps, principal: Principal | None, document_id: str) -> DocumentView:
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        view = await deps.repo.documents.view(s, document_id, entity_id) if document_id else None
    if view is None or view.document.issue_date < kept_since(deps.today()):
        raise document_not_found()
    return view


async def document_pdf(deps: Deps, principal: Principal | None, document_id: str) -> bytes:
    """The document as PDF, with the entity's name, client number (its web
    identifier) and language from the account projection (blank when not known
    yet), and the portal's address."""
    doc = (await get_document(deps, principal, document_id)).document
    async with deps.db.transaction() as s:
        account = await deps.repo.accounts.get(s, doc.entity_id)
    party = PdfParty(
        entity_name=account.name if account else "",
        client_number=account.client_number if account else "",
        address_lines=account.address_lines if account else (),
        payment_status=doc.payment_status,
    )
    language = (account.language if account else "") or DEFAULT_LANGUAGE
    return render_document(
        doc, party, operator_name=deps.operator_name, language=language, portal_url=deps.web_url
    )


async def balance(deps: Deps, principal: Principal | None) -> tuple[int, list[DocumentView]]:
    """What is due and the unpaid invoices, oldest first."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        views = await deps.repo.documents.unpaid(s, entity_id)
    views = [v for v in views if v.document.remaining_cents > 0]
    return balance_cents(v.document for v in views), views
