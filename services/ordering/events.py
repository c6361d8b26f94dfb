"""Ordering's integration events: each domain fact as its `events_pb2` message
(`portal/ordering/v1/events.proto`), ready for the outbox."""

from __future__ import annotations

from portal.ordering.v1 import events_pb2
from portal_runtime.outbox import new_event
from portal_runtime.protos import money
from services.ordering.domain import facts

# The facts about one numbered order.
OrderFact = (
    facts.OrderSubmitted
    | facts.OrderCancelled
    | facts.OrderShipped
    | facts.OrderDelivered
    | facts.CardsLoaded
)


def _order(fact: OrderFact) -> dict[str, str]:
    return {"entity_id": fact.entity_id, "order_id": fact.order_id, "order_number": fact.number}


def order_submitted(fact: facts.OrderSubmitted) -> events_pb2.OrderSubmitted:
    return new_event(
        events_pb2.OrderSubmitted,
        **_order(fact),
        amount=money(fact.amount_cents),
        payment_method=fact.payment_method,
        transfer_reference=fact.transfer_reference,
        transfer_iban=fact.transfer_iban,
        transfer_bic=fact.transfer_bic,
        transfer_holder=fact.transfer_holder,
        loads_cents=fact.loads_cents,
        new_cards=fact.new_cards,
        card_fee_cents=fact.card_fee_cents,
        card_fee_vat_bp=fact.card_fee_vat_bp,
    )


def order_paid(fact: facts.OrderPaid) -> events_pb2.OrderPaid:
    return new_event(
        events_pb2.OrderPaid,
        entity_id=fact.entity_id,
        order_id=fact.order_id,
        amount=money(fact.amount_cents),
    )


def order_cancelled(fact: facts.OrderCancelled) -> events_pb2.OrderCancelled:
    return new_event(events_pb2.OrderCancelled, **_order(fact))


def order_shipped(fact: facts.OrderShipped) -> events_pb2.OrderShipped:
    return new_event(
        events_pb2.OrderShipped,
        **_order(fact),
        carrier=fact.carrier,
        tracking_url=fact.tracking_url,
    )


def order_delivered(fact: facts.OrderDelivered) -> events_pb2.OrderDelivered:
    return new_event(events_pb2.OrderDelivered, **_order(fact))


def cards_loaded(fact: facts.CardsLoaded) -> events_pb2.CardsLoaded:
    return new_event(
        events_pb2.CardsLoaded,
        **_order(fact),
        lines_loaded=fact.lines_loaded,
        lines_failed=fact.lines_failed,
        amount_loaded=money(fact.amount_loaded_cents),
    )
