"""SIM card orders: a customer orders cards (physical or eSIM) to an address;
the operator ships them with their ICCIDs; the customer activates a received
card on a line (the line's old card then stops working)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations

from .lines import ICCID_PROBLEM, parse_iccid

MAX_QUANTITY = 500
MAX_TEXT = 200


class SimOrderStatus(StrEnum):
    ORDERED = "ORDERED"
    SHIPPED = "SHIPPED"


@dataclass(frozen=True)
class DeliveryAddress:
    line1: str
    line2: str
    postal_code: str
    city: str
    country: str

    @property
    def lines(self) -> tuple[str, ...]:
        city = f"{self.postal_code} {self.city}".strip()
        return tuple(x for x in (self.line1, self.line2, city, self.country) if x)


@dataclass(frozen=True)
class SimCard:
    iccid: str
    line_id: str = ""  # the line it was activated on


@dataclass
class SimOrder:
    id: str
    entity_id: str
    user_id: str
    reference: str
    quantity: int
    esim: bool
    recipient: str
    address: DeliveryAddress
    created_at: datetime
    status: SimOrderStatus = SimOrderStatus.ORDERED
    cards: list[SimCard] = field(default_factory=list)
    carrier: str = ""
    tracking_url: str = ""
    shipped_at: datetime | None = None

    def ship(self, iccids: Sequence[str], carrier: str, tracking_url: str, now: datetime) -> None:
        """The cards sent, one ICCID per card ordered (Luhn-checked, each once)."""
        if self.status is not SimOrderStatus.ORDERED:
            raise FailedPrecondition("SIM_ORDER_ALREADY_SHIPPED", "this order was shipped already")
        violations = Violations()
        parsed: list[str] = []
        for index, raw in enumerate(iccids):
            iccid = parse_iccid(raw)
            if iccid is None:
                violations.add(f"iccids[{index}]", ICCID_PROBLEM)
            elif iccid in parsed:
                violations.add(f"iccids[{index}]", "is listed twice")
            else:
                parsed.append(iccid)
        if len(iccids) != self.quantity:
            violations.add("iccids", f"give one ICCID per card ordered ({self.quantity})")
        if len(carrier) > MAX_TEXT:
            violations.add("carrier", f"must be at most {MAX_TEXT} characters")
        if tracking_url and not tracking_url.startswith(("https://", "http://")):
            violations.add("trackingUrl", "must be an http(s) address")
        violations.raise_if_any("SIM_SHIPMENT_INVALID")
        self.cards = [SimCard(iccid) for iccid in parsed]
        self.carrier = carrier.strip()
        self.tracking_url = tracking_url.strip()
        self.status = SimOrderStatus.SHIPPED
        self.shipped_at = now

    def card(self, iccid: str) -> SimCard | None:
        return next((c for c in self.cards if c.iccid == iccid), None)

    def mark_activated(self, iccid: str, line_id: str) -> None:
        self.cards = [replace(c, line_id=line_id) if c.iccid == iccid else c for c in self.cards]


def new_sim_order(
    *,
    order_id: str,
    entity_id: str,
    user_id: str,
    reference: str,
    quantity: int,
    esim: bool,
    recipient: str,
    address: DeliveryAddress,
    now: datetime,
) -> SimOrder:
    violations = Violations()
    if not 1 <= quantity <= MAX_QUANTITY:
        violations.add("quantity", f"must be between 1 and {MAX_QUANTITY}")
    recipient = " ".join(recipient.split())
    if not recipient:
        violations.add("recipient", "is required")
    elif len(recipient) > MAX_TEXT:
        violations.add("recipient", f"must be at most {MAX_TEXT} characters")
    clean = DeliveryAddress(
        *(
            " ".join(v.split())
            for v in (
                address.line1,
                address.line2,
                address.postal_code,
                address.city,
                address.country,
            )
        )
    )
    for name, value, required in (
        ("deliveryAddress.line1", clean.line1, True),
        ("deliveryAddress.line2", clean.line2, False),
        ("deliveryAddress.postalCode", clean.postal_code, True),
        ("deliveryAddress.city", clean.city, True),
    ):
        if required and not value:
            violations.add(name, "is required")
        elif len(value) > MAX_TEXT:
            violations.add(name, f"must be at most {MAX_TEXT} characters")
    country = clean.country.upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        violations.add("deliveryAddress.country", "must be an ISO 3166 alpha-2 code (BE, FR...)")
    violations.raise_if_any("SIM_ORDER_INVALID")
    return SimOrder(
        id=order_id,
        entity_id=entity_id,
        user_id=user_id,
        reference=reference,
        quantity=quantity,
        esim=esim,
        recipient=recipient,
        address=replace(clean, country=country),
        created_at=now,
    )


def sim_reference(year: int, sequence: int) -> str:
    return f"SIM-{year}-{sequence:06d}"


def require_iccid(raw: str) -> str:
    iccid = parse_iccid(raw)
    if iccid is None:
        raise InvalidArgument.for_field("iccid", ICCID_PROBLEM, reason="ICCID_INVALID")
    return iccid


def check_activatable(order: SimOrder | None, iccid: str) -> None:
    """The card must be one shipped to this entity and not yet activated."""
    card = order.card(iccid) if order else None
    if order is None or card is None:
        raise FailedPrecondition(
            "SIM_UNKNOWN", "this SIM was not shipped to your account: check the ICCID on the card"
        )
    if card.line_id:
        raise FailedPrecondition("SIM_ALREADY_ACTIVATED", "this SIM is already active on a line")
