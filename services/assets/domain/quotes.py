"""Quotes an operator issues to a customer, and the customer's answer.

A quote is PENDING until the customer accepts it ("valider ma commande", with a
purchase-order reference: it becomes an order that billing invoices) or
declines it. EXPIRED is never stored: a PENDING quote whose `valid_until` (the
last day it may be accepted) is before today is expired, and can no longer be
answered. Amounts are integer cents; the totals come from `totals_by_rate`, the
one VAT rule billing invoices with too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations, require_field
from portal_runtime.money import (
    MAX_OPERATION_CENTS,
    Totals,
    currency_problem,
    format_euros,
    totals_by_rate,
    vat_rate_problem,
)

MAX_TITLE = 200
MAX_LABEL = 200
MAX_LINES = 200
MAX_QUANTITY = 1_000_000
MAX_PURCHASE_ORDER_REFERENCE = 64
MAX_DECLINE_REASON = 2000
# Ids are uuid4 hex (32 characters): anything longer is no id of ours.
MAX_ID = 32


class QuoteStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    # Computed, never stored: PENDING past its validity date.
    EXPIRED = "EXPIRED"


def quote_number(year: int, sequence: int) -> str:
    return f"DEV-{year}-{sequence:06d}"


def order_number(year: int, sequence: int) -> str:
    return f"CMD-{year}-{sequence:06d}"


@dataclass(frozen=True)
class QuoteLine:
    label: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int

    @property
    def total_excl_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class LineInput:
    """A line as the operator typed it; `unit_price_cents` None when missing."""

    label: str
    quantity: int
    unit_price_cents: int | None
    vat_rate_bp: int
    currency: str = ""


@dataclass(frozen=True)
class QuoteAccepted:
    quote_id: str
    entity_id: str
    number: str
    order_number: str
    purchase_order_reference: str
    title: str
    lines: tuple[QuoteLine, ...]
    totals: Totals
    user_id: str
    at: datetime


@dataclass(frozen=True)
class QuoteDeclined:
    quote_id: str
    entity_id: str
    number: str
    reason: str
    user_id: str
    at: datetime


@dataclass
class Quote:
    id: str
    entity_id: str
    number: str
    title: str
    lines: tuple[QuoteLine, ...]
    valid_until: date
    issued_at: datetime
    issued_by: str = ""
    service_request_id: str = ""
    equipment_id: str = ""
    status: QuoteStatus = QuoteStatus.PENDING
    purchase_order_reference: str = ""
    order_number: str = ""
    decline_reason: str = ""
    answered_at: datetime | None = None
    answered_by: str = ""
    totals: Totals = field(init=False)

    def __post_init__(self) -> None:
        self.totals = totals_by_rate((li.total_excl_cents, li.vat_rate_bp) for li in self.lines)

    def status_on(self, today: date) -> QuoteStatus:
        if self.status is QuoteStatus.PENDING and self.valid_until < today:
            return QuoteStatus.EXPIRED
        return self.status

    def check_answerable(self, today: date) -> None:
        """FAILED_PRECONDITION naming why the customer can no longer answer."""
        status = self.status_on(today)
        if status is QuoteStatus.ACCEPTED:
            raise FailedPrecondition(
                "QUOTE_ALREADY_ACCEPTED",
                f"quote {self.number} was already accepted (order {self.order_number})",
            )
        if status is QuoteStatus.DECLINED:
            raise FailedPrecondition("QUOTE_DECLINED", f"quote {self.number} was declined")
        if status is QuoteStatus.EXPIRED:
            raise FailedPrecondition(
                "QUOTE_EXPIRED",
                f"quote {self.number} expired: it could be accepted until "
                f"{self.valid_until.isoformat()}",
            )

    def accept(
        self, purchase_order_reference: str, order: str, user_id: str, now: datetime
    ) -> QuoteAccepted:
        self.check_answerable(now.date())
        self.status = QuoteStatus.ACCEPTED
        self.purchase_order_reference = purchase_order_reference
        self.order_number = order
        self.answered_at = now
        self.answered_by = user_id
        return QuoteAccepted(
            quote_id=self.id,
            entity_id=self.entity_id,
            number=self.number,
            order_number=order,
            purchase_order_reference=purchase_order_reference,
            title=self.title,
            lines=self.lines,
            totals=self.totals,
            user_id=user_id,
            at=now,
        )

    def decline(self, reason: str, user_id: str, now: datetime) -> QuoteDeclined:
        self.check_answerable(now.date())
        self.status = QuoteStatus.DECLINED
        self.decline_reason = reason
        self.answered_at = now
        self.answered_by = user_id
        return QuoteDeclined(
            quote_id=self.id,
            entity_id=self.entity_id,
            number=self.number,
            reason=reason,
            user_id=user_id,
            at=now,
        )


@dataclass(frozen=True)
class QuoteDraft:
    """An operator's quote, checked whole, before it gets its number."""

    entity_id: str
    title: str
    lines: tuple[QuoteLine, ...]
    valid_until: date
    service_request_id: str
    equipment_id: str

    def issue(self, quote_id: str, number: str, operator_id: str, now: datetime) -> Quote:
        return Quote(
            id=quote_id,
            entity_id=self.entity_id,
            number=number,
            title=self.title,
            lines=self.lines,
            valid_until=self.valid_until,
            issued_at=now,
            issued_by=operator_id,
            service_request_id=self.service_request_id,
            equipment_id=self.equipment_id,
        )


def _check_line(index: int, line: LineInput, violations: Violations) -> QuoteLine | None:
    name = f"lines[{index}]"
    problems = len(violations.items)
    label = line.label.strip()
    if not label:
        violations.add(f"{name}.label", "is required")
    elif len(label) > MAX_LABEL:
        violations.add(f"{name}.label", f"must be at most {MAX_LABEL} characters")
    if not 1 <= line.quantity <= MAX_QUANTITY:
        violations.add(f"{name}.quantity", f"must be between 1 and {MAX_QUANTITY:,}")
    price = line.unit_price_cents
    if price is None:
        violations.add(f"{name}.unitPriceExclTax", "is required")
    elif price < 0:
        violations.add(f"{name}.unitPriceExclTax", "must not be negative")
    elif price > MAX_OPERATION_CENTS:
        violations.add(
            f"{name}.unitPriceExclTax", f"must be at most {format_euros(MAX_OPERATION_CENTS)}"
        )
    currency = currency_problem(line.currency)
    if currency:
        violations.add(f"{name}.unitPriceExclTax.currency", currency)
    rate = vat_rate_problem(line.vat_rate_bp)
    if rate:
        violations.add(f"{name}.vatRateBp", rate)
    if len(violations.items) > problems or price is None:
        return None
    checked = QuoteLine(label, line.quantity, price, line.vat_rate_bp)
    if checked.total_excl_cents > MAX_OPERATION_CENTS:
        violations.add(
            f"{name}.quantity",
            f"quantity x unit price must be at most {format_euros(MAX_OPERATION_CENTS)}",
        )
        return None
    return checked


def check_draft(
    *,
    entity_id: str,
    title: str,
    lines: Sequence[LineInput],
    valid_until: str,
    service_request_id: str,
    equipment_id: str,
    today: date,
) -> QuoteDraft:
    """The quote once every field holds; INVALID_ARGUMENT listing every problem
    (each line's by its index) otherwise."""
    violations = Violations()
    entity = entity_id.strip()
    if not entity:
        violations.add("entityId", "is required")
    elif len(entity) > MAX_ID:
        violations.add("entityId", "is not an account id")
    clean_title = title.strip()
    if not clean_title:
        violations.add("title", "is required")
    elif len(clean_title) > MAX_TITLE:
        violations.add("title", f"must be at most {MAX_TITLE} characters")
    if not lines:
        violations.add("lines", "at least one line is required")
    elif len(lines) > MAX_LINES:
        violations.add("lines", f"a quote has at most {MAX_LINES} lines")
    checked = [_check_line(i, line, violations) for i, line in enumerate(lines[:MAX_LINES])]
    until = parse_iso_date(valid_until.strip())
    if not valid_until.strip():
        violations.add("validUntil", "is required")
    elif until is None:
        violations.add("validUntil", "must be a valid date YYYY-MM-DD")
    elif until < today:
        violations.add("validUntil", f"must not be in the past (today is {today.isoformat()})")
    if not violations and lines:
        total = totals_by_rate((li.total_excl_cents, li.vat_rate_bp) for li in checked if li)
        if total.incl_cents > MAX_OPERATION_CENTS:
            violations.add(
                "lines", f"the total incl. VAT must be at most {format_euros(MAX_OPERATION_CENTS)}"
            )
    violations.raise_if_any("INVALID_QUOTE")
    assert until is not None  # checked above
    return QuoteDraft(
        entity_id=entity,
        title=clean_title,
        lines=tuple(li for li in checked if li),
        valid_until=until,
        service_request_id=service_request_id.strip(),
        equipment_id=equipment_id.strip(),
    )


def check_purchase_order_reference(raw: str) -> str:
    reference = require_field(raw, "purchaseOrderReference")
    if len(reference) > MAX_PURCHASE_ORDER_REFERENCE:
        raise InvalidArgument.for_field(
            "purchaseOrderReference",
            f"must be at most {MAX_PURCHASE_ORDER_REFERENCE} characters",
        )
    return reference


def check_decline_reason(raw: str) -> str:
    reason = require_field(raw, "reason")
    if len(reason) > MAX_DECLINE_REASON:
        raise InvalidArgument.for_field(
            "reason", f"must be at most {MAX_DECLINE_REASON} characters"
        )
    return reason


# ---- lists -------------------------------------------------------------------------


class SortKey(StrEnum):
    ISSUED = "issued"
    AMOUNT = "amount"
    VALID_UNTIL = "validUntil"


@dataclass(frozen=True)
class QuoteSort:
    key: SortKey
    descending: bool


DEFAULT_SORT = QuoteSort(SortKey.ISSUED, descending=True)
_SORTS = {
    **{key.value: QuoteSort(key, descending=False) for key in SortKey},
    **{f"-{key.value}": QuoteSort(key, descending=True) for key in SortKey},
}


def parse_sort(raw: str) -> QuoteSort:
    """`amount` ascending, `-amount` descending (same for `issued` and
    `validUntil`); empty: newest first."""
    text = raw.strip()
    if not text:
        return DEFAULT_SORT
    found = _SORTS.get(text)
    if found is None:
        raise InvalidArgument.for_field(
            "sort", f"must be one of {', '.join(_SORTS)}", reason="INVALID_SORT"
        )
    return found


@dataclass(frozen=True)
class QuoteFilter:
    status: QuoteStatus | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    min_amount_cents: int | None = None
    max_amount_cents: int | None = None
    equipment_id: str = ""
    sort: QuoteSort = DEFAULT_SORT


def quote_filter(
    *,
    status: QuoteStatus | None,
    issued_from: date | None,
    issued_to: date | None,
    min_amount_cents: int,
    max_amount_cents: int,
    equipment_id: str,
    sort: str,
) -> QuoteFilter:
    """A list's filter; amounts 0 mean unset. INVALID_ARGUMENT names every bad
    field at once."""
    violations = Violations()
    for name, value in (("minAmountCents", min_amount_cents), ("maxAmountCents", max_amount_cents)):
        if value < 0:
            violations.add(name, "must not be negative")
    if 0 < max_amount_cents < min_amount_cents:
        violations.add("maxAmountCents", "must not be below minAmountCents")
    try:
        order = parse_sort(sort)
    except InvalidArgument as exc:
        violations.items.extend(exc.violations)
        order = DEFAULT_SORT
    violations.raise_if_any("INVALID_FILTER")
    return QuoteFilter(
        status=status,
        issued_from=issued_from,
        issued_to=issued_to,
        min_amount_cents=min_amount_cents or None,
        max_amount_cents=max_amount_cents or None,
        equipment_id=equipment_id.strip(),
        sort=order,
    )
