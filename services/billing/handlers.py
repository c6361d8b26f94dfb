"""Event consumers of billing: identity's AccountUpdated (the account
projection), ordering's OrderSubmitted (the order's invoice) and OrderCancelled
(its credit note), fleet's ChangeCompleted (the invoice of a request's one-off
charges), assets' QuoteAccepted (the accepted quote's invoice) and
ParkingMonthClosed (the statements of the month's extra exits)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.assets.v1 import events_pb2 as assets_events
from portal.fleet.v1 import events_pb2 as fleet_events
from portal.identity.v1 import events_pb2 as identity_events
from portal.ordering.v1 import events_pb2 as ordering_events
from services.billing.domain.accounts import DEFAULT_LANGUAGE, EntityAccount
from services.billing.domain.documents import Line
from services.billing.domain.fleet_charges import OneOffCharge
from services.billing.domain.order_invoices import lump_sum_lines, order_invoice_lines
from services.billing.domain.parking_statements import StatementExits
from services.billing.domain.quote_invoices import AcceptedQuote
from services.billing.usecases.common import Deps
from services.billing.usecases.fleet import invoice_fleet_charges
from services.billing.usecases.orders import credit_cancelled_order, invoice_order
from services.billing.usecases.parking import issue_parking_statements
from services.billing.usecases.quotes import invoice_accepted_quote

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


def _occurred(event: Any, fallback: datetime) -> datetime:
    if event.HasField("occurred_at"):
        return event.occurred_at.ToDatetime(tzinfo=UTC)
    return fallback


def order_lines(event: ordering_events.OrderSubmitted) -> tuple[Line, ...]:
    """What the order holds; an event from before these fields existed is billed
    as one line of its amount."""
    return order_invoice_lines(
        loads_cents=event.loads_cents,
        new_cards=event.new_cards,
        card_fee_cents=event.card_fee_cents,
        card_fee_vat_bp=event.card_fee_vat_bp,
    ) or lump_sum_lines(order_number=event.order_number, amount_cents=event.amount.amount_cents)


def account_updated_handler(deps: Deps) -> Handler:
    async def on_account_updated(
        session: AsyncSession, event: identity_events.AccountUpdated
    ) -> None:
        """Keeps the newest snapshot of the account (name, client number, language,
        contracts, billing address) for documents and their PDFs, and its paperless
        consent and whether online payment requires it."""
        account = EntityAccount(
            entity_id=event.entity_id,
            updated_at=_occurred(event, deps.clock()),
            name=event.name,
            client_number=event.client_number,
            language=event.language or DEFAULT_LANGUAGE,
            contract_numbers=tuple(event.contract_numbers),
            address_lines=tuple(event.billing_address_lines),
            paperless_consent=event.paperless_consent,
            paperless_consent_required=event.paperless_consent_required,
        )
        if not account.supersedes(await deps.repo.accounts.get(session, event.entity_id)):
            log.info("AccountUpdated %s is older than what billing knows", event.event_id)
            return
        await deps.repo.accounts.save(session, account)

    return on_account_updated


def order_submitted_handler(deps: Deps) -> Handler:
    async def on_order_submitted(
        session: AsyncSession, event: ordering_events.OrderSubmitted
    ) -> None:
        await invoice_order(
            deps,
            session,
            order_id=event.order_id,
            entity_id=event.entity_id,
            lines=order_lines(event),
            payment_method=event.payment_method,
            transfer_reference=event.transfer_reference,
        )

    return on_order_submitted


def order_cancelled_handler(deps: Deps) -> Handler:
    async def on_order_cancelled(
        session: AsyncSession, event: ordering_events.OrderCancelled
    ) -> None:
        await credit_cancelled_order(
            deps, session, order_id=event.order_id, entity_id=event.entity_id
        )

    return on_order_cancelled


def change_completed_handler(deps: Deps) -> Handler:
    async def on_change_completed(
        session: AsyncSession, event: fleet_events.ChangeCompleted
    ) -> None:
        """A request without one-off charges bills nothing."""
        await invoice_fleet_charges(
            deps,
            session,
            request_id=event.request_id,
            entity_id=event.entity_id,
            charges=[
                OneOffCharge(
                    option_code=charge.option_code,
                    option_name=charge.option_name,
                    unit_amount_cents=charge.unit_amount_cents,
                    vat_bp=charge.vat_bp,
                    quantity=charge.quantity,
                )
                for charge in event.charges
            ],
        )

    return on_change_completed


def quote_accepted_handler(deps: Deps) -> Handler:
    async def on_quote_accepted(session: AsyncSession, event: assets_events.QuoteAccepted) -> None:
        await invoice_accepted_quote(
            deps,
            session,
            AcceptedQuote(
                quote_id=event.quote_id,
                entity_id=event.entity_id,
                number=event.number,
                order_number=event.order_number,
                purchase_order_reference=event.purchase_order_reference,
                title=event.title,
                lines=[
                    Line(line.label, line.quantity, line.unit_price_cents, line.vat_rate_bp)
                    for line in event.lines
                ],
                total_excl_cents=event.total_excl_tax_cents,
                total_tax_cents=event.total_tax_cents,
                total_incl_cents=event.total_incl_tax_cents,
            ),
        )

    return on_quote_accepted


def parking_month_closed_handler(deps: Deps) -> Handler:
    async def on_parking_month_closed(
        session: AsyncSession, event: assets_events.ParkingMonthClosed
    ) -> None:
        await issue_parking_statements(
            deps,
            session,
            month=event.month,
            statements=[
                StatementExits(
                    statement_id=statement.statement_id,
                    entity_id=statement.entity_id,
                    contract_number=statement.contract_number,
                    extra_exits=statement.extra_exits,
                    extra_exit_price_cents=statement.extra_exit_price_cents,
                    amount_excl_cents=statement.amount_excl_tax_cents,
                    vat_rate_bp=statement.vat_rate_bp,
                )
                for statement in event.statements
            ],
        )

    return on_parking_month_closed


def subscriptions(deps: Deps) -> dict[type, Handler]:
    return {
        identity_events.AccountUpdated: account_updated_handler(deps),
        ordering_events.OrderSubmitted: order_submitted_handler(deps),
        ordering_events.OrderCancelled: order_cancelled_handler(deps),
        fleet_events.ChangeCompleted: change_completed_handler(deps),
        assets_events.QuoteAccepted: quote_accepted_handler(deps),
        assets_events.ParkingMonthClosed: parking_month_closed_handler(deps),
    }
