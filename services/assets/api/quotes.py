"""Quotes' RPCs (customers: list, read, PDF, accept, decline; operators: issue)
and their protobuf conversions."""

from __future__ import annotations

from google.api import httpbody_pb2

from portal.assets.v1 import assets_pb2 as pb
from portal_runtime.auth import current_principal
from portal_runtime.protos import fill_priced_lines, set_timestamp, set_totals
from services.assets.domain.quotes import LineInput, QuoteStatus
from services.assets.usecases import quotes
from services.assets.usecases.common import Deps
from services.assets.usecases.quotes import QuoteView

PDF_TYPE = "application/pdf"
_STATUS_PREFIX = "QUOTE_STATUS_"


def status_from_proto(value: int) -> QuoteStatus | None:
    """None for QUOTE_STATUS_UNSPECIFIED (no filter)."""
    if not value:
        return None
    return QuoteStatus(pb.QuoteStatus.Name(value).removeprefix(_STATUS_PREFIX))


def line_input(line: pb.QuoteLine) -> LineInput:
    price = line.unit_price_excl_tax if line.HasField("unit_price_excl_tax") else None
    return LineInput(
        label=line.label,
        quantity=line.quantity,
        unit_price_cents=price.amount_cents if price is not None else None,
        vat_rate_bp=line.vat_rate_bp,
        currency=price.currency if price is not None else "",
    )


def quote_message(view: QuoteView, *, with_entity: bool = False) -> pb.Quote:
    message = pb.Quote()
    fill_quote(message, view, with_entity=with_entity)
    return message


def fill_quote(message: pb.Quote, view: QuoteView, *, with_entity: bool = False) -> None:
    """Writes the quote into `message` (e.g. a page's `quotes.add()`: no copy)."""
    found = view.quote
    totals = found.totals
    message.id = found.id
    message.number = found.number
    message.status = pb.QuoteStatus.Value(_STATUS_PREFIX + view.status.value)
    message.title = found.title
    fill_priced_lines(message.lines, found.lines)
    set_totals(message, totals)
    message.valid_until = found.valid_until.isoformat()
    message.service_request_id = found.service_request_id
    message.equipment_id = found.equipment_id
    message.purchase_order_reference = found.purchase_order_reference
    message.order_number = found.order_number
    message.decline_reason = found.decline_reason
    set_timestamp(message.issued_at, found.issued_at)
    set_timestamp(message.answered_at, found.answered_at)
    if with_entity:
        message.entity_id = found.entity_id


class QuoteRpcs:
    deps: Deps

    async def ListQuotes(self, request: pb.ListQuotesRequest, context):
        views, token = await quotes.list_quotes(
            self.deps,
            current_principal(),
            status=status_from_proto(request.status),
            date_from=getattr(request, "from"),
            date_to=request.to,
            min_amount_cents=request.min_amount_cents,
            max_amount_cents=request.max_amount_cents,
            equipment_id=request.equipment_id,
            sort=request.sort,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        answer = pb.ListQuotesResponse(next_page_token=token)
        for view in views:
            fill_quote(answer.quotes.add(), view)
        return answer

    async def GetQuote(self, request: pb.GetQuoteRequest, context):
        return quote_message(await quotes.get_quote(self.deps, current_principal(), request.id))

    async def GetQuotePdf(self, request: pb.GetQuoteRequest, context):
        data = await quotes.quote_pdf(self.deps, current_principal(), request.id)
        return httpbody_pb2.HttpBody(content_type=PDF_TYPE, data=data)

    async def AcceptQuote(self, request: pb.AcceptQuoteRequest, context):
        view = await quotes.accept_quote(
            self.deps, current_principal(), request.id, request.purchase_order_reference
        )
        return quote_message(view)

    async def DeclineQuote(self, request: pb.DeclineQuoteRequest, context):
        view = await quotes.decline_quote(
            self.deps, current_principal(), request.id, request.reason
        )
        return quote_message(view)


class QuoteAdminRpcs:
    deps: Deps

    async def IssueQuote(self, request: pb.IssueQuoteRequest, context):
        view = await quotes.issue_quote(
            self.deps,
            current_principal(),
            entity_id=request.entity_id,
            title=request.title,
            lines=[line_input(line) for line in request.lines],
            valid_until=request.valid_until,
            service_request_id=request.service_request_id,
            equipment_id=request.equipment_id,
        )
        return quote_message(view, with_entity=True)
