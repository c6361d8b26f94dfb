"""Orders: lines, totals, the status machine, payment, shipping, load outcomes.

An `Order` carries everything the store keeps of it (its lines with their
beneficiary snapshots, its status history, its delivery stages) and makes its
own state changes; a change other services hear of returns its fact
(`facts.py`). Amounts are integer cents; times are passed in by the caller (`now`)."""

from __future__ import annotations

import enum
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations
from portal_runtime.money import format_euros, totals_by_rate

from . import facts
from .references import transfer_reference
from .shipping import FIRST_STAGE, DeliveryStage

Result = TypeVar("Result")

DEFAULT_MIN_LOAD_CENTS = 100
DEFAULT_MAX_LOAD_CENTS = 200_000
DEFAULT_CARD_FEE_CENTS = 500
# Card fees carry VAT (card loads do not): 20 % in basis points.
DEFAULT_CARD_FEE_VAT_BP = 2000


class OrderStatus(enum.StrEnum):
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


class OrderSource(enum.StrEnum):
    FILE = "FILE"
    UNIT = "UNIT"
    DUPLICATE = "DUPLICATE"


class PaymentMethod(enum.StrEnum):
    CARD = "CARD"
    TRANSFER = "TRANSFER"


class LoadStatus(enum.StrEnum):
    PENDING = "PENDING"
    LOADED = "LOADED"
    FAILED = "FAILED"


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
    raise _status_error(current, action.value)


def _status_error(current: OrderStatus, what: str) -> FailedPrecondition:
    return FailedPrecondition(
        "INVALID_ORDER_STATUS",
        f"cannot {what} an order {current.value}",
        metadata={"status": current.value},
    )


def parse_payment_method(raw: str) -> PaymentMethod:
    try:
        return PaymentMethod(raw.strip().upper())
    except ValueError:
        raise InvalidArgument.for_field(
            "paymentMethod", "must be CARD or TRANSFER", reason="INVALID_PAYMENT_METHOD"
        ) from None


@dataclass(frozen=True)
class TransferAccount:
    """Where bank transfers for orders go."""

    iban: str
    bic: str
    holder: str


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


def total_to_pay(loads_cents: int, fees_cents: int, fee_vat_bp: int) -> int:
    """What the customer pays: loads (no VAT) + fees + VAT on the fees, by the
    shared money rule, so the same amount as the order's invoice."""
    return totals_by_rate([(loads_cents, 0), (fees_cents, fee_vat_bp)]).incl_cents


@dataclass(slots=True)
class OrderLine:
    """A value: the order replaces a line to change it, never edits it in place
    (the store finds the lines to write by identity, cheaply on 100,000 lines)."""

    beneficiary_id: str
    new_card: bool
    load_amount_cents: int
    # Snapshots: what the order said, whatever happens to the beneficiary later.
    employee_number: str = ""
    beneficiary_name: str = ""
    load_status: LoadStatus = LoadStatus.PENDING
    load_error: str = ""
    loaded_at: datetime | None = None  # when the outcome was recorded
    id: str = ""
    position: int = 0


@dataclass(frozen=True)
class LoadOutcome:
    """One line's load, as production reports it."""

    line_id: str
    loaded: bool
    error: str = ""


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    at: datetime


@dataclass
class Order:
    id: str
    entity_id: str
    number: str
    delivery_point_id: str
    source: OrderSource
    lines: list[OrderLine]
    created_at: datetime
    updated_at: datetime
    card_fee_cents: int = DEFAULT_CARD_FEE_CENTS
    card_fee_vat_bp: int = DEFAULT_CARD_FEE_VAT_BP
    status: OrderStatus = OrderStatus.DRAFT
    history: list[StatusChange] = field(default_factory=list)
    stages: list[DeliveryStage] = field(default_factory=list)
    payment_method: PaymentMethod | None = None
    # What paid it: the invoice billing settled (`payment_id`: a payment, for
    # orders paid before settlements did).
    invoice_id: str = ""
    payment_id: str = ""
    # Filled on submission for a transfer: what the customer's bank needs.
    transfer_iban: str = ""
    transfer_bic: str = ""
    transfer_holder: str = ""
    transfer_reference: str = ""
    carrier: str = ""
    tracking_url: str = ""

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
        return total_to_pay(self.loads_cents, self.fees_cents, self.card_fee_vat_bp)

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
        """Moves along the status machine and records the change in the history."""
        self.status = next_status(self.status, action)
        self.history.append(StatusChange(self.status, now))
        self.updated_at = now
        return self.status

    def submit(
        self, method: PaymentMethod, account: TransferAccount, now: datetime
    ) -> facts.OrderSubmitted:
        """Awaiting payment; a transfer gets the account and the order's RF reference."""
        reference = transfer_reference(self.number) if method is PaymentMethod.TRANSFER else ""
        self.apply(Action.SUBMIT, now)
        self.payment_method = method
        if reference:
            self.transfer_iban = account.iban
            self.transfer_bic = account.bic
            self.transfer_holder = account.holder
            self.transfer_reference = reference
        return facts.OrderSubmitted(
            order_id=self.id,
            entity_id=self.entity_id,
            number=self.number,
            amount_cents=self.total_cents,
            payment_method=method.value,
            transfer_reference=self.transfer_reference,
            transfer_iban=self.transfer_iban,
            transfer_bic=self.transfer_bic,
            transfer_holder=self.transfer_holder,
            loads_cents=self.loads_cents,
            new_cards=self.new_cards,
            card_fee_cents=self.card_fee_cents,
            card_fee_vat_bp=self.card_fee_vat_bp,
        )

    def mark_paid(self, invoice_id: str, now: datetime) -> facts.OrderPaid:
        """Paid once its invoice is settled (whatever paid it: billing decides)."""
        self.apply(Action.MARK_PAID, now)
        self.invoice_id = invoice_id
        return facts.OrderPaid(self.id, self.entity_id, self.total_cents)

    def cancel(self, now: datetime) -> facts.OrderCancelled:
        self.apply(Action.CANCEL, now)
        return facts.OrderCancelled(self.id, self.entity_id, self.number)

    def start_production(self, now: datetime) -> None:
        self.apply(Action.START_PRODUCTION, now)

    def ship(self, carrier: str, tracking_url: str, now: datetime) -> facts.OrderShipped:
        """Shipped with its carrier (see `check_shipping`); the first stage starts."""
        self.apply(Action.SHIP, now)
        self.carrier = carrier
        self.tracking_url = tracking_url
        self.stages.append(DeliveryStage(FIRST_STAGE, "", now))
        return facts.OrderShipped(self.id, self.entity_id, self.number, carrier, tracking_url)

    def add_stage(self, label: str, location: str, now: datetime) -> None:
        """A stage of a shipped order's journey (see `check_stage`)."""
        if self.status is not OrderStatus.SHIPPED:
            raise _status_error(self.status, "add a delivery stage to")
        self.stages.append(DeliveryStage(label, location, now))

    def deliver(self, now: datetime) -> facts.OrderDelivered:
        self.apply(Action.DELIVER, now)
        return facts.OrderDelivered(self.id, self.entity_id, self.number)

    def record_load(
        self, index: int, *, loaded: bool, error: str = "", at: datetime | None = None
    ) -> None:
        """One line's load outcome, recorded `at` (see `record_loads`)."""
        if self.status not in (S.IN_PRODUCTION, S.SHIPPED, S.DELIVERED):
            raise FailedPrecondition(
                "INVALID_ORDER_STATUS",
                f"loads are recorded once production starts, not on an order {self.status.value}",
            )
        if not 0 <= index < len(self.lines):
            raise InvalidArgument.for_field("lineId", "is not a line of this order")
        self.lines[index] = replace(
            self.lines[index],
            load_status=LoadStatus.LOADED if loaded else LoadStatus.FAILED,
            load_error="" if loaded else (error.strip() or "load failed"),
            loaded_at=at,
        )

    def record_loads(self, outcomes: Iterable[LoadOutcome], now: datetime) -> facts.CardsLoaded:
        """Each outcome sets its line LOADED or FAILED at `now`; a line reported
        twice keeps its last outcome and counts once."""
        index_of = {line.id: index for index, line in enumerate(self.lines)}
        touched: dict[int, None] = {}  # ordered set
        for outcome in outcomes:
            index = index_of.get(outcome.line_id, -1)
            self.record_load(index, loaded=outcome.loaded, error=outcome.error, at=now)
            touched[index] = None
        self.updated_at = now
        reported = [self.lines[index] for index in touched]
        loaded = [line for line in reported if line.load_status is LoadStatus.LOADED]
        return facts.CardsLoaded(
            order_id=self.id,
            entity_id=self.entity_id,
            number=self.number,
            lines_loaded=len(loaded),
            lines_failed=len(reported) - len(loaded),
            amount_loaded_cents=sum(line.load_amount_cents for line in loaded),
            new_card_holders=tuple(line.beneficiary_id for line in loaded if line.new_card),
        )


def checked_lines(
    lines: Iterable[OrderLine], bounds: LoadBounds | None = None
) -> Generator[None, None, list[OrderLine]]:
    """`validate_lines` one step per line: a file's order has up to 100,000
    lines, and the caller may let other work run between two steps
    (`portal_runtime.passes.finish`). Returns the lines."""
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
        yield
    violations.raise_if_any()
    return items


def validate_lines(lines: Iterable[OrderLine], bounds: LoadBounds | None = None) -> list[OrderLine]:
    """At least one line, each beneficiary once, loads within the bounds (field
    names ``lines[i].loadAmountCents``)."""
    return run_steps(checked_lines(lines, bounds))


def new_order_steps(
    *,
    id: str,
    entity_id: str,
    number: str,
    source: OrderSource,
    delivery_point_id: str,
    lines: Iterable[OrderLine],
    now: datetime,
    bounds: LoadBounds | None = None,
    card_fee_cents: int = DEFAULT_CARD_FEE_CENTS,
    card_fee_vat_bp: int = DEFAULT_CARD_FEE_VAT_BP,
) -> Generator[None, None, Order]:
    """`new_order` one step per line (see `checked_lines`); returns the order."""
    if not delivery_point_id:
        raise InvalidArgument.for_field("deliveryPointId", "is required", reason="REQUIRED_FIELD")
    checked = yield from checked_lines(lines, bounds)
    for position, line in enumerate(checked):
        line.position = position
        yield
    return Order(
        id=id,
        entity_id=entity_id,
        number=number,
        delivery_point_id=delivery_point_id,
        source=source,
        lines=checked,
        created_at=now,
        updated_at=now,
        card_fee_cents=card_fee_cents,
        card_fee_vat_bp=card_fee_vat_bp,
        history=[StatusChange(OrderStatus.DRAFT, now)],
    )


def new_order(**fields: Any) -> Order:
    """A draft order, its lines in the given order (checked: `validate_lines`),
    its history starting with DRAFT at `now`; the fields of `new_order_steps`."""
    return run_steps(new_order_steps(**fields))


def run_steps(steps: Generator[Any, None, Result]) -> Result:
    """What a pass written as steps (a generator) returns, run at once."""
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value
