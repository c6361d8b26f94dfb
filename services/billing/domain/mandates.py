"""SEPA direct-debit mandates.

The IBAN (and the BIC, optional but checked when given) is validated by a callable
passed in (`services/billing/ibans.py` wraps schwifty). The mandate keeps the IBAN
masked for display and a reference to the full IBAN, which billing keeps
encrypted apart (`services/billing/iban_vault.py`): the domain never holds it
once the mandate is made. The unique mandate reference (UMR) is at most 35
characters of the SEPA character set."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations

HOLDER_MAX = 70
UMR_MAX = 35
UMR_PREFIX = "PTL"
_SHORT_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
_SEPA_CHARSET = re.compile(r"^[A-Za-z0-9/?:().,'+ -]+$")


class MandateStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


@dataclass(frozen=True)
class CheckedAccount:
    """What the bank-account checker says: the normalised IBAN and BIC, or what is
    wrong with either (empty when fine)."""

    iban: str = ""
    bic: str = ""
    iban_problem: str = ""
    bic_problem: str = ""


AccountChecker = Callable[[str, str], CheckedAccount]


@dataclass(frozen=True)
class MandateFields:
    holder: str
    iban: str
    iban_masked: str
    bic: str


@dataclass(frozen=True)
class Mandate:
    id: str
    entity_id: str
    reference: str
    holder: str
    iban_masked: str
    bic: str = ""
    status: MandateStatus = MandateStatus.ACTIVE
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    # The encrypted IBAN's id; empty for mandates recorded when only the masked
    # IBAN was kept (those cannot be collected).
    iban_secret_id: str = ""


def mask_iban(iban: str) -> str:
    """``FR7630006000011234567890189`` -> ``FR76 **** **** **** **** ***0 189``:
    country and check digits and the last four characters stay."""
    compact = re.sub(r"\s", "", iban).upper()
    hidden = max(len(compact) - 8, 0)
    masked = compact[:4] + "*" * hidden + compact[4 + hidden :]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def validate_mandate(*, holder: str, iban: str, bic: str, check: AccountChecker) -> MandateFields:
    """The mandate's normalised fields, or InvalidArgument listing every problem."""
    clean_holder = " ".join(holder.split())
    violations = Violations()
    if not clean_holder:
        violations.add("holder", "is required")
    elif len(clean_holder) > HOLDER_MAX:
        violations.add("holder", f"must be at most {HOLDER_MAX} characters")
    elif not _SEPA_CHARSET.match(clean_holder):
        violations.add("holder", "may contain only letters, digits, spaces and / - ? : ( ) . , ' +")
    account = CheckedAccount()
    if not iban.strip():
        violations.add("iban", "is required")
    else:
        account = check(iban, bic.strip())
        if account.iban_problem:
            violations.add("iban", account.iban_problem)
        if account.bic_problem:
            violations.add("bic", account.bic_problem)
    violations.raise_if_any()
    return MandateFields(
        holder=clean_holder,
        iban=account.iban,
        iban_masked=mask_iban(account.iban),
        bic=account.bic,
    )


def short_id(entity_id: str) -> str:
    """The entity's id as a mandate reference quotes it: letters and digits, 16 at most."""
    return (re.sub(r"[^A-Za-z0-9]", "", entity_id)[:16] or "X").upper()


def new_mandate(
    fields: MandateFields,
    *,
    mandate_id: str,
    entity_id: str,
    sequence: int,
    iban_secret_id: str,
    at: datetime,
) -> Mandate:
    """The entity's `sequence`-th mandate, active from `at`: the IBAN masked, and
    the id under which it is kept encrypted."""
    return Mandate(
        id=mandate_id,
        entity_id=entity_id,
        reference=mandate_reference(short_id(entity_id), sequence),
        holder=fields.holder,
        iban_masked=fields.iban_masked,
        bic=fields.bic,
        created_at=at,
        iban_secret_id=iban_secret_id,
    )


def mandate_reference(entity_short_id: str, sequence: int) -> str:
    """``PTL-<entity short id>-<6 digits>``, unique per entity and sequence."""
    if not _SHORT_ID.match(entity_short_id):
        raise InvalidArgument.for_field("entityShortId", "must be 1 to 16 letters or digits")
    if not 1 <= sequence <= 999_999_999:
        raise InvalidArgument.for_field("sequence", "must be between 1 and 999999999")
    reference = f"{UMR_PREFIX}-{entity_short_id.upper()}-{sequence:06d}"
    assert len(reference) <= UMR_MAX and _SEPA_CHARSET.match(reference)
    return reference


def status_filter(raw: str) -> MandateStatus | None:
    """An operator's `status` filter: ACTIVE, REVOKED, or empty for both."""
    code = raw.strip().upper()
    if not code:
        return None
    try:
        return MandateStatus(code)
    except ValueError:
        raise InvalidArgument.for_field("status", "must be ACTIVE or REVOKED") from None


def revoke(mandate: Mandate, *, at: datetime) -> Mandate:
    if mandate.status is MandateStatus.REVOKED:
        raise FailedPrecondition(
            "MANDATE_ALREADY_REVOKED", f"mandate {mandate.reference} is already revoked"
        )
    return dataclasses.replace(mandate, status=MandateStatus.REVOKED, revoked_at=at)
