"""Parking contracts of a car-park operator's subscribers, and the monthly
statements of low-usage residents ("petits rouleurs"): a number of exits is
included each month, each exit beyond it is billed at the contract's price.

Plates and badges are compared in one spelling (upper case, no spaces or
dashes), so `ab-123-cd` and `AB 123 CD` are the same plate. A badge opens one
car park for one contract at a time: the operator's contracts never share one.

A month closes once: its exits are imported and every low-usage contract
active in it gets its statement in the same step; importing the month again
changes nothing (`close_month` says so, the store keeps one row per closed
month so that two imports at once cannot both close it)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations
from portal_runtime.money import (
    MAX_OPERATION_CENTS,
    amount_problem,
    currency_problem,
    vat_rate_problem,
)

MAX_NUMBER = 40
MAX_CAR_PARK = 100
MAX_PLATES = 10
MAX_BADGES = 20
# Far above any month of one subscriber (about one exit every 20 minutes).
MAX_INCLUDED_EXITS = 10_000
PLATE_PROBLEM = "must be a licence plate: 2 to 12 letters or digits (spaces and dashes aside)"
BADGE_PROBLEM = "must be a badge number: 1 to 32 letters or digits (spaces and dashes aside)"
MONTH_PROBLEM = "must be a month YYYY-MM"
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
# A path segment of the API (`/v1/admin/parking/contracts/{number}`): no slash.
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# What people type between the groups of a plate or a badge number.
_SEPARATORS = re.compile(r"[\s\-\u00a0\u202f\u2010-\u2015]+")
_PLATE = re.compile(r"^[A-Z0-9]{2,12}$")
_BADGE = re.compile(r"^[A-Z0-9]{1,32}$")


class ContractType(StrEnum):
    RESIDENT = "RESIDENT"
    LOW_USAGE_RESIDENT = "LOW_USAGE_RESIDENT"
    BUSINESS = "BUSINESS"
    MOTORCYCLE = "MOTORCYCLE"


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw).upper()


def normalise_plate(raw: str) -> str | None:
    """`ab-123 cd` -> `AB123CD`, or None when it cannot be a plate."""
    plate = _compact(raw)
    return plate if _PLATE.match(plate) else None


def normalise_badge(raw: str) -> str | None:
    """`b 0001-42` -> `B000142`, or None when it cannot be a badge number."""
    badge = _compact(raw)
    return badge if _BADGE.match(badge) else None


def car_park_key(name: str) -> str:
    """A car park's name as compared (`Cardinet`, `CARDINET `, `cardinet` are one
    car park): case, accents and spacing aside."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def parse_month(raw: str) -> str | None:
    text = raw.strip()
    return text if _MONTH.match(text) else None


def month_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_day_of(month: str) -> date:
    """The month's last day (`2026-02` -> 2026-02-28)."""
    year, number = (int(part) for part in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class ContractTerms:
    """What the operator gives for a contract, before and after checking."""

    entity_id: str
    car_park: str
    type: ContractType | None
    start_date: str | date
    plates: Sequence[str]
    badges: Sequence[str]
    monthly_price_cents: int
    included_exits: int = 0
    extra_exit_price_cents: int = 0
    vat_rate_bp: int = 0
    # Currencies of the two prices as given ("" means euros).
    monthly_price_currency: str = ""
    extra_exit_price_currency: str = ""
    # The number in the body, if any: the path's names the contract.
    number: str = ""


@dataclass
class ParkingContract:
    id: str
    entity_id: str
    number: str
    car_park: str
    type: ContractType
    start_date: date
    plates: tuple[str, ...]
    badges: tuple[str, ...]
    monthly_price_cents: int
    included_exits: int
    extra_exit_price_cents: int
    vat_rate_bp: int
    created_at: datetime
    updated_at: datetime

    @property
    def low_usage(self) -> bool:
        return self.type is ContractType.LOW_USAGE_RESIDENT

    def active_in(self, month: str) -> bool:
        """Started on or before the month's last day."""
        return self.start_date <= last_day_of(month)

    def apply(self, terms: ContractTerms, now: datetime) -> None:
        """Replaces the contract's terms with checked ones (`check_terms`)."""
        assert terms.type is not None and isinstance(terms.start_date, date)
        self.entity_id = terms.entity_id
        self.car_park = terms.car_park
        self.type = terms.type
        self.start_date = terms.start_date
        self.plates = tuple(terms.plates)
        self.badges = tuple(terms.badges)
        self.monthly_price_cents = terms.monthly_price_cents
        self.included_exits = terms.included_exits
        self.extra_exit_price_cents = terms.extra_exit_price_cents
        self.vat_rate_bp = terms.vat_rate_bp
        self.updated_at = now

    def replace_plate(self, old: str, new: str, now: datetime) -> None:
        """`old` becomes `new` where it stood (a plate change accepted)."""
        if old not in self.plates:
            raise FailedPrecondition(
                "PLATE_NOT_ON_CONTRACT",
                f"plate {old} is no longer on contract {self.number}: refuse the request "
                "or ask the customer for a new one",
            )
        plates: list[str] = []
        for plate in self.plates:
            kept = new if plate == old else plate
            if kept not in plates:
                plates.append(kept)
        self.plates = tuple(plates)
        self.updated_at = now


def new_contract(
    contract_id: str, number: str, terms: ContractTerms, now: datetime
) -> ParkingContract:
    """A contract with checked terms (`check_terms`)."""
    assert terms.type is not None and isinstance(terms.start_date, date)
    contract = ParkingContract(
        id=contract_id, entity_id=terms.entity_id, number=number, car_park=terms.car_park,
        type=terms.type, start_date=terms.start_date, plates=(), badges=(),
        monthly_price_cents=0, included_exits=0, extra_exit_price_cents=0, vat_rate_bp=0,
        created_at=now, updated_at=now,
    )  # fmt: skip
    contract.apply(terms, now)
    return contract


def check_number(raw: str) -> str:
    number = raw.strip()
    if not number:
        raise InvalidArgument.for_field("number", "is required", reason="REQUIRED_FIELD")
    if len(number) > MAX_NUMBER or not _NUMBER.match(number):
        raise InvalidArgument.for_field(
            "number",
            f"must be 1 to {MAX_NUMBER} letters, digits, dots, dashes or underscores",
        )
    return number


def _normalised_list(
    values: Sequence[str],
    name: str,
    normalise: Callable[[str], str | None],
    problem: str,
    maximum: int,
    violations: Violations,
) -> list[str]:
    kept: list[str] = []
    if len(values) > maximum:
        violations.add(f"contract.{name}", f"at most {maximum} per contract")
    for index, raw in enumerate(values):
        value = normalise(raw)
        if value is None:
            violations.add(f"contract.{name}[{index}]", problem)
        elif value in kept:
            violations.add(f"contract.{name}[{index}]", f"{value} is listed twice")
        else:
            kept.append(value)
    return kept


def _price(cents: int, currency: str, name: str, violations: Violations, *, positive: bool) -> None:
    currency_wrong = currency_problem(currency)
    if currency_wrong:
        violations.add(f"contract.{name}.currency", currency_wrong)
    problem = None
    if positive:
        problem = amount_problem(cents)
    elif cents < 0:
        problem = "must not be negative"
    elif cents > MAX_OPERATION_CENTS:
        problem = f"must be at most {MAX_OPERATION_CENTS} cents"
    if problem:
        violations.add(f"contract.{name}", problem)


def check_terms(terms: ContractTerms, number: str) -> ContractTerms:
    """The terms of contract `number` normalised (plates and badges in their one
    spelling, the start date as a date), or InvalidArgument naming every problem."""
    violations = Violations()
    if terms.number.strip() and terms.number.strip() != number:
        violations.add("contract.number", f"must be {number}, the number in the path, or left out")
    entity_id = terms.entity_id.strip()
    if not entity_id:
        violations.add("contract.entityId", "is required")
    car_park = " ".join(terms.car_park.split())
    if not car_park:
        violations.add("contract.carPark", "is required")
    elif len(car_park) > MAX_CAR_PARK:
        violations.add("contract.carPark", f"must be at most {MAX_CAR_PARK} characters")
    if terms.type is None:
        violations.add(
            "contract.type", "is required (RESIDENT, LOW_USAGE_RESIDENT, BUSINESS or MOTORCYCLE)"
        )
    start = terms.start_date
    if not isinstance(start, date):
        start = parse_iso_date(start.strip()) if start.strip() else None
        if start is None:
            violations.add("contract.startDate", "is required: a date YYYY-MM-DD")
    plates = _normalised_list(
        terms.plates, "plates", normalise_plate, PLATE_PROBLEM, MAX_PLATES, violations
    )
    badges = _normalised_list(
        terms.badges, "badges", normalise_badge, BADGE_PROBLEM, MAX_BADGES, violations
    )
    _price(
        terms.monthly_price_cents,
        terms.monthly_price_currency,
        "monthlyPrice",
        violations,
        positive=False,
    )
    if terms.type is ContractType.LOW_USAGE_RESIDENT:
        if not 0 <= terms.included_exits <= MAX_INCLUDED_EXITS:
            violations.add("contract.includedExits", f"must be between 0 and {MAX_INCLUDED_EXITS}")
        _price(
            terms.extra_exit_price_cents,
            terms.extra_exit_price_currency,
            "extraExitPrice",
            violations,
            positive=True,
        )
    elif terms.type is not None:
        # Only low-usage contracts count exits: a value elsewhere is a mistake.
        if terms.included_exits:
            violations.add("contract.includedExits", "is only for LOW_USAGE_RESIDENT contracts")
        if terms.extra_exit_price_cents:
            violations.add("contract.extraExitPrice", "is only for LOW_USAGE_RESIDENT contracts")
    problem = vat_rate_problem(terms.vat_rate_bp)
    if problem:
        violations.add("contract.vatRateBp", problem)
    violations.raise_if_any()
    assert start is not None
    return replace(
        terms, entity_id=entity_id, car_park=car_park, start_date=start, plates=plates,
        badges=badges, number=number,
    )  # fmt: skip


def check_badges_free(
    badges: Sequence[str], holders: Mapping[str, ParkingContract], number: str
) -> None:
    """A badge on another contract (`holders`: badge -> its contract) is
    refused, naming that contract."""
    violations = Violations()
    for index, badge in enumerate(badges):
        holder = holders.get(badge)
        if holder is not None and holder.number != number:
            violations.add(f"contract.badges[{index}]", f"{badge} is on contract {holder.number}")
    violations.raise_if_any("BADGE_ON_ANOTHER_CONTRACT")


# ---- exits and statements ------------------------------------------------------------


@dataclass(frozen=True)
class Exit:
    """A badge leaving a car park, at the car park's local time."""

    badge: str
    exited_at: datetime  # naive: the car park's wall-clock time
    car_park: str
    contract_id: str
    entity_id: str


@dataclass(frozen=True)
class ParkingStatement:
    """A low-usage contract's month: exits counted, included, extra ones and what
    they cost (excluding VAT)."""

    id: str
    entity_id: str
    contract_id: str
    contract_number: str
    car_park: str
    month: str
    exits: int
    included_exits: int
    extra_exits: int
    extra_exit_price_cents: int
    amount_excl_cents: int
    vat_rate_bp: int
    created_at: datetime


def statement_of(
    contract: ParkingContract, month: str, exits: int, statement_id: str, now: datetime
) -> ParkingStatement:
    """Extra exits are those beyond the included ones (none when fewer), each
    billed at the contract's price."""
    extra = max(0, exits - contract.included_exits)
    return ParkingStatement(
        id=statement_id,
        entity_id=contract.entity_id,
        contract_id=contract.id,
        contract_number=contract.number,
        car_park=contract.car_park,
        month=month,
        exits=exits,
        included_exits=contract.included_exits,
        extra_exits=extra,
        extra_exit_price_cents=contract.extra_exit_price_cents,
        amount_excl_cents=extra * contract.extra_exit_price_cents,
        vat_rate_bp=contract.vat_rate_bp,
        created_at=now,
    )


@dataclass(frozen=True)
class ClosedMonth:
    month: str
    closed_at: datetime
    exits: int
    statements: int


@dataclass(frozen=True)
class MonthClosing:
    """What closing a month writes: the record that it is closed, its exits and
    the low-usage statements."""

    closed: ClosedMonth
    exits: tuple[Exit, ...]
    statements: tuple[ParkingStatement, ...]


def close_month(
    month: str,
    already: ClosedMonth | None,
    exits: Sequence[Exit],
    contracts: Iterable[ParkingContract],
    now: datetime,
    new_id: Callable[[], str],
) -> MonthClosing | None:
    """The month closed with `exits`: every low-usage contract active in it (of
    `contracts`) gets its statement. None when the month was closed already: a
    month closes once, so a second file (the same or another) changes nothing."""
    if already is not None:
        return None
    counts: dict[str, int] = {}
    for found in exits:
        counts[found.contract_id] = counts.get(found.contract_id, 0) + 1
    statements = tuple(
        statement_of(contract, month, counts.get(contract.id, 0), new_id(), now)
        for contract in sorted(contracts, key=lambda c: c.number)
        if contract.low_usage and contract.active_in(month)
    )
    closed = ClosedMonth(month=month, closed_at=now, exits=len(exits), statements=len(statements))
    return MonthClosing(closed=closed, exits=tuple(exits), statements=statements)
