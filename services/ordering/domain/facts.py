"""What an order's state changes tell other services: one fact per change that
has an integration event, built by the `Order` from its own data and turned
into the `events.proto` message by `services.ordering.events`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderSubmitted:
    order_id: str
    entity_id: str
    number: str
    amount_cents: int  # what the customer pays, fee VAT included
    payment_method: str
    transfer_reference: str  # the transfer fields are "" for a card payment
    transfer_iban: str
    transfer_bic: str
    transfer_holder: str
    loads_cents: int
    new_cards: int
    card_fee_cents: int
    card_fee_vat_bp: int


@dataclass(frozen=True)
class OrderPaid:
    order_id: str
    entity_id: str
    amount_cents: int


@dataclass(frozen=True)
class OrderCancelled:
    order_id: str
    entity_id: str
    number: str


@dataclass(frozen=True)
class OrderShipped:
    order_id: str
    entity_id: str
    number: str
    carrier: str
    tracking_url: str


@dataclass(frozen=True)
class OrderDelivered:
    order_id: str
    entity_id: str
    number: str


@dataclass(frozen=True)
class CardsLoaded:
    """The outcomes recorded by one report (a line reported twice counts once)."""

    order_id: str
    entity_id: str
    number: str
    lines_loaded: int
    lines_failed: int
    amount_loaded_cents: int
    # Beneficiaries whose new card was loaded: they hold a card from now on.
    new_card_holders: tuple[str, ...]
