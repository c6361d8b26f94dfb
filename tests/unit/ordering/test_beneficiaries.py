from __future__ import annotations

from datetime import date

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.ordering.domain.beneficiaries import ensure_deletable, validate_beneficiary

TODAY = date(2026, 11, 23)


def _valid(**overrides: str):
    values = {
        "employee_number": " E-001_a ",
        "first_name": "  Élodie ",
        "last_name": "Martin",
        "email": " Elodie.Martin@Example.COM ",
        "birth_date": "1990-05-17",
        "hire_date": "2015-09-01",
    }
    values.update(overrides)
    return validate_beneficiary(today=TODAY, **values)


def _fields(excinfo: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in excinfo.value.violations}


def test_valid_beneficiary_is_normalised() -> None:
    b = _valid()
    assert b.employee_number == "E-001_a"
    assert b.first_name == "Élodie"
    assert b.email == "elodie.martin@example.com"
    assert b.birth_date == "1990-05-17"


def test_optional_fields_may_be_empty() -> None:
    b = _valid(email="", birth_date="", hire_date="  ")
    assert (b.email, b.birth_date, b.hire_date) == ("", "", "")


def test_every_problem_is_reported_with_json_names() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _valid(
            employee_number="",
            first_name=" ",
            last_name="x" * 101,
            email="not-an-email",
            birth_date="1990-02-30",
            hire_date="2020-13-01",
        )
    assert excinfo.value.reason == "INVALID_FIELDS"
    assert set(_fields(excinfo)) == {
        "employeeNumber",
        "firstName",
        "lastName",
        "email",
        "birthDate",
        "hireDate",
    }


@pytest.mark.parametrize("number", ["E 1", "É1", "a" * 33, "x/y", "1.2"])
def test_bad_employee_numbers(number: str) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _valid(employee_number=number)
    assert "employeeNumber" in _fields(excinfo)


@pytest.mark.parametrize("number", ["1", "a" * 32, "AB-12_cd"])
def test_good_employee_numbers(number: str) -> None:
    assert _valid(employee_number=number).employee_number == number


@pytest.mark.parametrize("email", ["a@b", "a@@b.fr", "a b@c.fr", "a@-b.fr", "a@b.c1"])
def test_bad_emails(email: str) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _valid(email=email)
    assert _fields(excinfo) == {"email": "is not a valid e-mail address"}


@pytest.mark.parametrize("raw", ["17/05/1990", "1990-5-17", "1990-05-17T00:00", "2023-02-29"])
def test_bad_birth_dates(raw: str) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _valid(birth_date=raw, hire_date="")
    assert _fields(excinfo) == {"birthDate": "must be a valid date YYYY-MM-DD"}


def test_birth_date_must_be_in_the_past() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _valid(birth_date="2026-11-23", hire_date="")
    assert _fields(excinfo) == {"birthDate": "must be in the past"}


def test_hire_date_at_least_fourteen_years_after_birth() -> None:
    assert _valid(birth_date="2000-01-01", hire_date="2014-01-01").hire_date == "2014-01-01"
    with pytest.raises(InvalidArgument) as excinfo:
        _valid(birth_date="2000-01-01", hire_date="2013-12-31")
    assert set(_fields(excinfo)) == {"hireDate"}


def test_hire_date_rule_handles_29_february() -> None:
    assert _valid(birth_date="2000-02-29", hire_date="2014-03-01").hire_date == "2014-03-01"
    with pytest.raises(InvalidArgument):
        _valid(birth_date="2000-02-29", hire_date="2014-02-28")


def test_hire_date_without_birth_date_is_fine() -> None:
    assert _valid(birth_date="", hire_date="2001-01-01").hire_date == "2001-01-01"


def test_deletion_refused_while_a_card_is_in_production() -> None:
    ensure_deletable(card_in_production=False)
    with pytest.raises(FailedPrecondition) as excinfo:
        ensure_deletable(card_in_production=True)
    assert excinfo.value.reason == "BENEFICIARY_IN_PRODUCTION"
