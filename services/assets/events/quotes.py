"""Quotes' integration events: QuoteIssued, QuoteAccepted (billing invoices the
order once), QuoteDeclined."""

from __future__ import annotations

from portal.assets.v1 import events_pb2
from portal_runtime.outbox import new_event
from services.assets.domain.quotes import Quote, QuoteAccepted, QuoteDeclined


def quote_issued(quote: Quote) -> events_pb2.QuoteIssued:
    return new_event(
        events_pb2.QuoteIssued,
        entity_id=quote.entity_id,
        quote_id=quote.id,
        number=quote.number,
        title=quote.title,
        total_incl_tax_cents=quote.totals.incl_cents,
        valid_until=quote.valid_until.isoformat(),
    )


def quote_accepted(fact: QuoteAccepted) -> events_pb2.QuoteAccepted:
    return new_event(
        events_pb2.QuoteAccepted,
        entity_id=fact.entity_id,
        quote_id=fact.quote_id,
        number=fact.number,
        order_number=fact.order_number,
        purchase_order_reference=fact.purchase_order_reference,
        title=fact.title,
        lines=[
            events_pb2.AcceptedQuoteLine(
                label=line.label,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                vat_rate_bp=line.vat_rate_bp,
            )
            for line in fact.lines
        ],
        total_excl_tax_cents=fact.totals.excl_cents,
        total_tax_cents=fact.totals.tax_cents,
        total_incl_tax_cents=fact.totals.incl_cents,
        user_id=fact.user_id,
    )


def quote_declined(fact: QuoteDeclined) -> events_pb2.QuoteDeclined:
    return new_event(
        events_pb2.QuoteDeclined,
        entity_id=fact.entity_id,
        quote_id=fact.quote_id,
        number=fact.number,
        reason=fact.reason,
    )
