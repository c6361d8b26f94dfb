"""Assets' accepted quotes, billed: a quote the customer accepted is a confirmed
order that billing invoices once, with the quote's lines, the customer's
purchase-order reference, and the quote's and order's numbers on a line of their
own (no amount). Its source is the quote (`quote:<quote id>`), which makes it
unique.

Assets states the quote's totals; billing computes its own from the lines by the
shared rule of `portal_runtime.money`. They must be the same cents: an invoice
never bills another amount than the quote the customer accepted, so a
difference refuses the event (QUOTE_TOTALS_MISMATCH) instead of invoicing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portal_runtime.errors import InvalidArgument, Violations

from .documents import LABEL_MAX, DocumentType, Line, compute_totals, source_key, validate_lines

QUOTE_SOURCE = "quote:"
PURCHASE_ORDER_MAX = 100  # documents.purchase_order_reference
QUOTE_TOTALS_MISMATCH = "QUOTE_TOTALS_MISMATCH"


@dataclass(frozen=True)
class AcceptedQuote:
    """What assets says of the accepted quote (QuoteAccepted)."""

    quote_id: str
    entity_id: str
    number: str
    order_number: str
    purchase_order_reference: str
    title: str
    lines: Sequence[Line]
    total_excl_cents: int
    total_tax_cents: int
    total_incl_cents: int


@dataclass(frozen=True)
class QuoteInvoice:
    """The invoice an accepted quote makes, ready to be numbered and issued."""

    source_key: str
    entity_id: str
    lines: tuple[Line, ...]
    purchase_order_reference: str


def quote_source(quote_id: str) -> str:
    """The source key of an accepted quote's invoice."""
    return source_key(QUOTE_SOURCE, quote_id, "quoteId")


def reference_label(number: str, order_number: str, title: str) -> str:
    """'Devis / quote DEV-2026-000012 - commande / order CMD-2026-000034 : <title>'
    (the title shortened to fit)."""
    label = f"Devis / quote {number} - commande / order {order_number}"
    title = " ".join(title.split())
    if title:
        label = f"{label} : {title}"
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1].rstrip() + "…"
    return label


def quote_invoice(quote: AcceptedQuote) -> QuoteInvoice:
    """The invoice of `quote`: first a line naming the quote and the order (no
    amount, at the first line's VAT rate so the VAT breakdown gains no rate),
    then the quote's lines. InvalidArgument naming every field that cannot be
    billed (``lines[1].vatRateBp``), then QUOTE_TOTALS_MISMATCH naming each
    total billing computes otherwise than the event states."""
    violations = Violations()
    for field_name, value in (
        ("quoteId", quote.quote_id),
        ("entityId", quote.entity_id),
        ("number", quote.number),
        ("orderNumber", quote.order_number),
    ):
        if not value.strip():
            violations.add(field_name, "is required")
    purchase_order = " ".join(quote.purchase_order_reference.split())
    if len(purchase_order) > PURCHASE_ORDER_MAX:
        violations.add("purchaseOrderReference", f"must be at most {PURCHASE_ORDER_MAX} characters")
    lines: tuple[Line, ...] = ()
    try:
        lines = validate_lines(DocumentType.INVOICE, quote.lines)
    except InvalidArgument as err:
        for violation in err.violations:
            violations.add(violation.field, violation.description)
    violations.raise_if_any()
    _check_totals(quote, lines)
    heading = Line(
        reference_label(quote.number.strip(), quote.order_number.strip(), quote.title),
        1,
        0,
        lines[0].vat_rate_bp,
    )
    return QuoteInvoice(
        source_key=quote_source(quote.quote_id),
        entity_id=quote.entity_id.strip(),
        lines=(heading, *lines),
        purchase_order_reference=purchase_order,
    )


def _check_totals(quote: AcceptedQuote, lines: Sequence[Line]) -> None:
    totals = compute_totals(lines)
    mismatches = Violations()
    for field_name, stated, computed in (
        ("totalExclTaxCents", quote.total_excl_cents, totals.excl_cents),
        ("totalTaxCents", quote.total_tax_cents, totals.tax_cents),
        ("totalInclTaxCents", quote.total_incl_cents, totals.incl_cents),
    ):
        if stated != computed:
            mismatches.add(
                field_name, f"is {stated} cents but the quote's lines total {computed} cents"
            )
    mismatches.raise_if_any(QUOTE_TOTALS_MISMATCH)
