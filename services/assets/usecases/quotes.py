"""Quotes: operators issue them; the customer lists, reads and downloads them,
accepts one with a purchase-order reference ("valider ma commande": an order
billing invoices) or declines it.

"Today" is the clock's (UTC) date: a quote is EXPIRED from the day after its
`valid_until`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import Aborted, NotFound, Violations
from portal_runtime.filters import day_bounds
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.assets.domain.quotes import (
    LineInput,
    Quote,
    QuoteStatus,
    check_decline_reason,
    check_draft,
    check_purchase_order_reference,
    order_number,
    quote_filter,
    quote_number,
)
from services.assets.events import quotes as events
from services.assets.quote_pdf import Customer, render_quote
from services.assets.usecases.accounts import DEFAULT_LANGUAGE
from services.assets.usecases.common import Deps, require_operator


@dataclass(frozen=True)
class QuoteView:
    """A quote with its status on the day it was read (EXPIRED is computed)."""

    quote: Quote
    status: QuoteStatus


async def _load(
    deps: Deps, s: AsyncSession, quote_id: str, entity_id: str, *, for_update: bool = False
) -> Quote:
    quote = await deps.repo.quotes.get(s, quote_id.strip(), entity_id, for_update=for_update)
    if quote is None:
        raise NotFound("QUOTE_NOT_FOUND", "no such quote")
    return quote


async def issue_quote(
    deps: Deps,
    principal: Principal | None,
    *,
    entity_id: str,
    title: str,
    lines: Sequence[LineInput],
    valid_until: str,
    service_request_id: str = "",
    equipment_id: str = "",
) -> QuoteView:
    """Operators: a new PENDING quote numbered DEV-<year>-<sequence>; the
    service request and machine it refers to must be the customer's."""
    require_operator(principal)
    now = deps.clock()
    draft = check_draft(
        entity_id=entity_id,
        title=title,
        lines=lines,
        valid_until=valid_until,
        service_request_id=service_request_id,
        equipment_id=equipment_id,
        today=now.date(),
    )
    async with deps.db.transaction() as s:
        violations = Violations()
        if draft.service_request_id and not await deps.repo.quotes.service_request_exists(
            s, draft.entity_id, draft.service_request_id
        ):
            violations.add("serviceRequestId", "is not a service request of this account")
        if draft.equipment_id and not await deps.repo.quotes.equipment_exists(
            s, draft.entity_id, draft.equipment_id
        ):
            violations.add("equipmentId", "is not a machine of this account's park")
        violations.raise_if_any("INVALID_QUOTE")
        sequence = await deps.repo.counters.next(s, f"DEV-{now.year}")
        quote = draft.issue(
            new_id(), quote_number(now.year, sequence), authenticated(principal).user_id, now
        )
        await deps.repo.quotes.add(s, quote)
        await add_event(s, events.quote_issued(quote))
    return QuoteView(quote, quote.status_on(now.date()))


async def list_quotes(
    deps: Deps,
    principal: Principal | None,
    *,
    status: QuoteStatus | None = None,
    date_from: str = "",
    date_to: str = "",
    min_amount_cents: int = 0,
    max_amount_cents: int = 0,
    equipment_id: str = "",
    sort: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[QuoteView], str]:
    """A page of the entity's quotes and the next page's token ("" at the end)."""
    entity_id = customer_entity(principal)
    issued_from, issued_to = day_bounds(date_from, date_to)
    where = quote_filter(
        status=status,
        issued_from=issued_from,
        issued_to=issued_to,
        min_amount_cents=min_amount_cents,
        max_amount_cents=max_amount_cents,
        equipment_id=equipment_id,
        sort=sort,
    )
    page = parse_page(page_size, page_token)
    today = deps.clock().date()
    async with deps.db.read() as s:
        found = await deps.repo.quotes.list(
            s, entity_id, where, today=today, offset=page.offset, limit=page.limit + 1
        )
    views = [QuoteView(quote, quote.status_on(today)) for quote in found[: page.limit]]
    return views, page.next_token(len(found) > page.limit)


async def get_quote(deps: Deps, principal: Principal | None, quote_id: str) -> QuoteView:
    entity_id = customer_entity(principal)
    today = deps.clock().date()
    async with deps.db.read() as s:
        quote = await _load(deps, s, quote_id, entity_id)
    return QuoteView(quote, quote.status_on(today))


async def quote_pdf(deps: Deps, principal: Principal | None, quote_id: str) -> bytes:
    """The quote as PDF, with the customer's name, client number and address
    from the account projection (blank while unknown), in the account's
    language (French by default)."""
    entity_id = customer_entity(principal)
    today = deps.clock().date()
    async with deps.db.transaction() as s:
        quote = await _load(deps, s, quote_id, entity_id)
        account = await deps.repo.accounts.get(s, entity_id)
    customer = (
        Customer(account.name, account.client_number, account.address_lines)
        if account
        else Customer()
    )
    return render_quote(
        quote,
        quote.status_on(today),
        customer,
        operator_name=deps.operator_name,
        language=(account.language if account else "") or DEFAULT_LANGUAGE,
    )


async def _lost_race(deps: Deps, s: AsyncSession, quote: Quote, today: date) -> Aborted:
    """The conditional update found the quote answered by a concurrent
    transaction: the reason it now gives, else ABORTED."""
    current = await _load(deps, s, quote.id, quote.entity_id)
    current.check_answerable(today)
    return Aborted("QUOTE_CHANGED", "the quote changed meanwhile: read it again")


async def accept_quote(
    deps: Deps, principal: Principal | None, quote_id: str, purchase_order_reference: str
) -> QuoteView:
    """ "Valider ma commande": the quote becomes order CMD-<year>-<sequence> and
    QuoteAccepted tells billing to invoice it. Refused (nothing changes) when
    expired, declined or accepted already; of two managers accepting at once,
    one gets the order and the other QUOTE_ALREADY_ACCEPTED."""
    entity_id = customer_entity(principal)
    user_id = authenticated(principal).user_id
    reference = check_purchase_order_reference(purchase_order_reference)
    now = deps.clock()
    async with deps.db.transaction() as s:
        quote = await _load(deps, s, quote_id, entity_id, for_update=True)
        # Checked before taking an order number, so a refusal consumes none.
        quote.check_answerable(now.date())
        sequence = await deps.repo.counters.next(s, f"CMD-{now.year}")
        fact = quote.accept(reference, order_number(now.year, sequence), user_id, now)
        if not await deps.repo.quotes.save_answer(s, quote):
            raise await _lost_race(deps, s, quote, now.date())
        await add_event(s, events.quote_accepted(fact))
    return QuoteView(quote, quote.status)


async def decline_quote(
    deps: Deps, principal: Principal | None, quote_id: str, reason: str
) -> QuoteView:
    """The customer declines a PENDING quote, saying why."""
    entity_id = customer_entity(principal)
    user_id = authenticated(principal).user_id
    why = check_decline_reason(reason)
    now = deps.clock()
    async with deps.db.transaction() as s:
        quote = await _load(deps, s, quote_id, entity_id, for_update=True)
        fact = quote.decline(why, user_id, now)
        if not await deps.repo.quotes.save_answer(s, quote):
            raise await _lost_race(deps, s, quote, now.date())
        await add_event(s, events.quote_declined(fact))
    return QuoteView(quote, quote.status)
