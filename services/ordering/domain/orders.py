"""Orders: lines, totals, the status machine, load outcomes.

Amounts are integer cents everywhere. Times are passed in by the caller (`now`)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations
from portal_runtime.money import format_euros, totals_by_rate

DEFAULT_MIN_LOAD_CENTS = 100
DEFAULT_MAX_LOAD_CENTS = 200_000
DEFAULT_CARD_FEE_CENTS = 500
# Card fees carry VAT (card loads do not): 20 % in basis points.
DEFAULT_CARD_FEE_VAT_BP = 2000


class OrderStatus(enum.Enum):
    DRAFT = "DRAFT"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    IN_PRODUCTION = "IN_PRODUCTION"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class Action(enum.Enum):
    SUBMIT = "submit"
    MARK_PAID = "mark paid"
    START_PRODUCTION = "start production"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"


S = OrderStatus
# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[OrderStatus], OrderStatus]] = {
    Action.SUBMIT: (frozenset({S.DRAFT}), S.AWAITING_PAYMENT),
    Action.MARK_PAID: (frozenset({S.AWAITING_PAYMENT}), S.PAID),
    Action.START_PRODUCTION: (frozenset({S.PAID}), S.IN_PRODUCTION),
    Action.SHIP: (frozenset({S.IN_PRODUCTION}), S.SHIPPED),
    Action.DELIVER: (frozenset({S.SHIPPED}), S.DELIVERED),
    Action.CANCEL: (frozenset({S.DRAFT, S.AWAITING_PAYMENT, S.PAID}), S.CANCELLED),
}
OPEN_STATUSES = frozenset({S.DRAFT, S.AWAITING_PAYMENT, S.PAID, S.IN_PRODUCTION, S.SHIPPED})


def next_status(current: OrderStatus, action: Action) -> OrderStatus:
    """Where `action` leads from `current`, or FailedPrecondition."""
    sources, target = TRANSITIONS[action]
    if current in sources:
        return target
    if action is Action.CANCEL:
        raise FailedPrecondition(
            "ORDER_NOT_CANCELLABLE",
            f"an order {current.value} cannot be cancelled (only before production starts)",
        )
    raise FailedPrecondition(
        "INVALID_ORDER_STATUS",
        f"cannot {action.value} an order {current.value}",
        metadata={"status": current.value},
    )


@dataclass(frozen=True)
class LoadBounds:
    """The contract's bounds for one line's load, in cents."""

    min_cents: int = DEFAULT_MIN_LOAD_CENTS
    max_cents: int = DEFAULT_MAX_LOAD_CENTS

    def problem(self, cents: int) -> str | None:
        if cents <= 0:
            return "must be positive"
        if not self.min_cents <= cents <= self.max_cents:
            return (
                f"must be between {format_euros(self.min_cents)} and {format_euros(self.max_cents)}"
            )
        return None


class LoadStatus(enum.Enum):
    PENDING = "PENDING"
    LOADED = "LOADED"
    FAILED = "FAILED"


@dataclass
class OrderLine:
    beneficiary_id: str
    new_card: bool
    load_amount_cents: int
    load_status: LoadStatus = LoadStatus.PENDING
    load_error: str = ""


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    at: datetime


@dataclass
class Order:
    number: str
    delivery_point_id: str
    lines: list[OrderLine]
    card_fee_cents: int = DEFAULT_CARD_FEE_CENTS
    card_fee_vat_bp: int = DEFAULT_CARD_FEE_VAT_BP
    status: OrderStatus = OrderStatus.DRAFT
    history: list[StatusChange] = field(default_factory=list)

    @property
    def loads_cents(self) -> int:
        return sum(line.load_amount_cents for line in self.lines)

    @property
    def new_cards(self) -> int:
        return sum(1 for line in self.lines if line.new_card)

    @property
    def fees_cents(self) -> int:
        return self.new_cards * self.card_fee_cents

    @property
    def fees_tax_cents(self) -> int:
        """VAT on the card fees: the shared money rule, on their sum, as the
        invoice does (billing issues one fee line at this rate)."""
        return totals_by_rate([(self.fees_cents, self.card_fee_vat_bp)]).tax_cents

    @property
    def total_cents(self) -> int:
        """What the customer pays: loads (no VAT) + fees + VAT on the fees, by the
        shared money rule, so the same amount as the order's invoice."""
        return totals_by_rate(
            [(self.loads_cents, 0), (self.fees_cents, self.card_fee_vat_bp)]
        ).incl_cents

    @property
    def lines_loaded(self) -> int:
        return sum(1 for line in self.lines if line.load_status is LoadStatus.LOADED)

    @property
    def lines_failed(self) -> int:
        return sum(1 for line in self.lines if line.load_status is LoadStatus.FAILED)

    @property
    def lines_pending(self) -> int:
        return sum(1 for line in self.lines if line.load_status is LoadStatus.PENDING)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def apply(self, action: Action, now: datetime) -> OrderStatus:
        self.status = next_status(self.status, action)
        self.history.append(StatusChange(self.status, now))
        return self.status

    def record_load(self, index: int, *, loaded: bool, error: str = "") -> None:
        """One line's load outcome (production reports them)."""
        if self.status not in (S.IN_PRODUCTION, S.SHIPPED, S.DELIVERED):
            raise FailedPrecondition(
                "INVALID_ORDER_STATUS",
                f"loads are recorded once production starts, not on an order {self.status.value}",
            )
        if not 0 <= index < len(self.lines):
            raise InvalidArgument.for_field("lineId", "is not a line of this order")
        line = self.lines[index]
        line.load_status = LoadStatus.LOADED if loaded else LoadStatus.FAILED
        line.load_error = "" if loaded else (error.strip() or "load failed")


def validate_lines(lines: Iterable[OrderLine], bounds: LoadBounds | None = None) -> list[OrderLine]:
    """At least one line, each beneficiary once, loads within the bounds (field
    names ``lines[i].loadAmountCents``)."""
    bounds = bounds or LoadBounds()
    items = list(lines)
    violations = Violations()
    if not items:
        violations.add("lines", "an order needs at least one line")
    seen: dict[str, int] = {}
    for index, line in enumerate(items):
        if not line.beneficiary_id:
            violations.add(f"lines[{index}].beneficiaryId", "is required")
        elif line.beneficiary_id in seen:
            violations.add(
                f"lines[{index}].beneficiaryId",
                f"repeats lines[{seen[line.beneficiary_id]}]: one line per beneficiary",
            )
        else:
            seen[line.beneficiary_id] = index
        problem = bounds.problem(line.load_amount_cents)
        if problem:
            violations.add(f"lines[{index}].loadAmountCents", problem)
    violations.raise_if_any()
    return items


def new_order(
    *,
    number: str,
    delivery_point_id: str,
    lines: Iterable[OrderLine],
    now: datetime,
    bounds: LoadBounds | None = None,
    card_fee_cents: int = DEFAULT_CARD_FEE_CENTS,
    card_fee_vat_bp: int = DEFAULT_CARD_FEE_VAT_BP,
) -> Order:
    """A draft order, its history starting with DRAFT at `now`."""
    if not delivery_point_id:
        raise InvalidArgument.for_field("deliveryPointId", "is required", reason="REQUIRED_FIELD")
    checked = validate_lines(lines, bounds)
    return Order(
        number=number,
        delivery_point_id=delivery_point_id,
        lines=checked,
        card_fee_cents=card_fee_cents,
        card_fee_vat_bp=card_fee_vat_bp,
        history=[StatusChange(OrderStatus.DRAFT, now)],
    )
