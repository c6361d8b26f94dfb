"""Beneficiaries: the employees who hold meal cards.

`validate_beneficiary` checks every field and reports every problem at once with
the API's JSON field names; `ensure_deletable` guards deletion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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
