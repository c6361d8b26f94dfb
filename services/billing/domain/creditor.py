"""The operator as SEPA creditor: its creditor identifier (ICS), name and the
account direct debits are collected to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal_runtime.errors import Violations

from .mandates import HOLDER_MAX, AccountChecker

_CREDITOR_ID = re.compile(r"^([A-Z]{2})(\d{2})[A-Z0-9]{3}([A-Z0-9]{1,28})$")


@dataclass(frozen=True)
class Creditor:
    identifier: str
    name: str
    iban: str
    bic: str


def creditor_id_problem(identifier: str) -> str | None:
    """Why `identifier` is not a SEPA creditor identifier, or None: country,
    check digits (ISO 7064 mod 97-10 over the national id and the country, the
    3-character business code left out), business code, national id."""
    match = _CREDITOR_ID.match(identifier)
    if not match:
        return "must be a SEPA creditor identifier, e.g. FR72ZZZ123456"
    country, check, national = match.groups()
    digits = "".join(str(int(char, 36)) for char in f"{national}{country}00")
    if 98 - int(digits) % 97 != int(check):
        return "has wrong check digits"
    return None


def validate_creditor(
    *, identifier: str, name: str, iban: str, bic: str, check: AccountChecker
) -> Creditor:
    """The creditor's settings normalised, or InvalidArgument naming each
    variable that is wrong."""
    violations = Violations()
    clean_id = re.sub(r"\s", "", identifier).upper()
    if problem := creditor_id_problem(clean_id):
        violations.add("PORTAL_SEPA_CREDITOR_ID", problem)
    clean_name = " ".join(name.split())[:HOLDER_MAX]
    if not clean_name:
        violations.add("PORTAL_SEPA_CREDITOR_NAME", "is required")
    account = check(iban, bic)
    if account.iban_problem:
        violations.add("PORTAL_SEPA_CREDITOR_IBAN", account.iban_problem)
    if account.bic_problem or not account.bic:
        violations.add("PORTAL_SEPA_CREDITOR_BIC", account.bic_problem or "is required")
    violations.raise_if_any("INVALID_SEPA_CREDITOR")
    return Creditor(identifier=clean_id, name=clean_name, iban=account.iban, bic=account.bic)
