"""Beneficiaries: the employees who hold meal cards.

`validate_beneficiary` checks every field and reports every problem at once with
the API's JSON field names; a `Beneficiary` takes the checked fields and guards
its own deletion. Order lines keep a `BeneficiaryRef`, a snapshot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import FailedPrecondition, Violations

from .values import INVALID_DATE, email_problem, normalise_email

EMPLOYEE_NUMBER_MAX = 32
NAME_MAX = 100
MIN_HIRING_AGE_YEARS = 14

_EMPLOYEE_NUMBER = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class BeneficiaryFields:
    """A beneficiary's values once checked and normalised (dates as ISO strings,
    empty when not given)."""

    employee_number: str
    first_name: str
    last_name: str
    email: str = ""
    birth_date: str = ""
    hire_date: str = ""


class BeneficiaryRef(NamedTuple):
    """What an order line keeps of its beneficiary: later changes to the
    beneficiary do not reach past orders. (A tuple: a file makes up to 100,000.)"""

    id: str
    employee_number: str
    name: str


def full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


@dataclass(slots=True)
class Beneficiary:
    id: str
    entity_id: str
    employee_number: str
    first_name: str
    last_name: str
    email: str
    birth_date: str  # YYYY-MM-DD or ""
    hire_date: str
    default_delivery_point_id: str  # or ""
    created_at: datetime
    updated_at: datetime
    # Set once a new card of theirs is loaded (see `CardsLoaded.new_card_holders`).
    has_card: bool = False
    deleted_at: datetime | None = None

    @property
    def name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def ref(self) -> BeneficiaryRef:
        return BeneficiaryRef(self.id, self.employee_number, self.name)

    def change(
        self, fields: BeneficiaryFields, default_delivery_point_id: str, now: datetime
    ) -> None:
        """New values, checked by `validate_beneficiary`."""
        self.employee_number = fields.employee_number
        self.first_name = fields.first_name
        self.last_name = fields.last_name
        self.email = fields.email
        self.birth_date = fields.birth_date
        self.hire_date = fields.hire_date
        self.default_delivery_point_id = default_delivery_point_id
        self.updated_at = now

    def delete(self, now: datetime, *, card_in_production: bool) -> None:
        """Soft delete: past orders keep their lines."""
        ensure_deletable(card_in_production=card_in_production)
        self.deleted_at = now


def new_beneficiary(
    *,
    id: str,
    entity_id: str,
    fields: BeneficiaryFields,
    default_delivery_point_id: str,
    now: datetime,
) -> Beneficiary:
    """A beneficiary with fields checked by `validate_beneficiary`, without a
    card yet."""
    return Beneficiary(
        id=id,
        entity_id=entity_id,
        employee_number=fields.employee_number,
        first_name=fields.first_name,
        last_name=fields.last_name,
        email=fields.email,
        birth_date=fields.birth_date,
        hire_date=fields.hire_date,
        default_delivery_point_id=default_delivery_point_id,
        created_at=now,
        updated_at=now,
    )


def employee_number_problem(value: str) -> str | None:
    if not value:
        return "is required"
    if len(value) > EMPLOYEE_NUMBER_MAX:
        return f"must be at most {EMPLOYEE_NUMBER_MAX} characters"
    if not _EMPLOYEE_NUMBER.match(value):
        return "may contain only letters, digits, '-' and '_'"
    return None


def name_problem(value: str) -> str | None:
    if not value:
        return "is required"
    if len(value) > NAME_MAX:
        return f"must be at most {NAME_MAX} characters"
    return None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 1 March
        return date(day.year + years, 3, 1)


def date_problems(birth_raw: str, hire_raw: str, today: date) -> dict[str, str]:
    """Problems with the two dates, by JSON field name (empty values are allowed)."""
    problems: dict[str, str] = {}
    birth = parse_iso_date(birth_raw) if birth_raw else None
    hire = parse_iso_date(hire_raw) if hire_raw else None
    if birth_raw and birth is None:
        problems["birthDate"] = INVALID_DATE
    elif birth is not None and birth >= today:
        problems["birthDate"] = "must be in the past"
    if hire_raw and hire is None:
        problems["hireDate"] = INVALID_DATE
    elif (
        hire is not None
        and birth is not None
        and "birthDate" not in problems
        and hire < _add_years(birth, MIN_HIRING_AGE_YEARS)
    ):
        problems["hireDate"] = f"must be at least {MIN_HIRING_AGE_YEARS} years after the birth date"
    return problems


def validate_beneficiary(
    *,
    employee_number: str,
    first_name: str,
    last_name: str,
    email: str = "",
    birth_date: str = "",
    hire_date: str = "",
    today: date,
) -> BeneficiaryFields:
    """The normalised fields, or InvalidArgument listing every problem."""
    values = BeneficiaryFields(
        employee_number=employee_number.strip(),
        first_name=" ".join(first_name.split()),
        last_name=" ".join(last_name.split()),
        email=normalise_email(email),
        birth_date=birth_date.strip(),
        hire_date=hire_date.strip(),
    )
    violations = Violations()
    for field_name, problem in (
        ("employeeNumber", employee_number_problem(values.employee_number)),
        ("firstName", name_problem(values.first_name)),
        ("lastName", name_problem(values.last_name)),
        ("email", email_problem(values.email) if values.email else None),
    ):
        if problem:
            violations.add(field_name, problem)
    for field_name, problem in date_problems(values.birth_date, values.hire_date, today).items():
        violations.add(field_name, problem)
    violations.raise_if_any()
    return values


def ensure_deletable(*, card_in_production: bool) -> None:
    """A beneficiary whose card is being produced cannot be deleted."""
    if card_in_production:
        raise FailedPrecondition(
            "BENEFICIARY_IN_PRODUCTION",
            "a card of this beneficiary is in an order in production; "
            "delete them once the order is delivered",
        )
