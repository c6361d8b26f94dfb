from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.billing.domain.mandates import (
    Mandate,
    MandateStatus,
    mandate_reference,
    mask_iban,
    revoke,
    validate_mandate,
)
from services.billing.ibans import check_account

VALID = "FR7630006000011234567890189"


def test_real_checker_accepts_a_valid_iban_and_normalises_it() -> None:
    fields = validate_mandate(
        holder="  ACME   SAS ",
        iban="fr76 3000 6000 0112 3456 7890 189",
        bic="",
        check=check_account,
    )
    assert fields.iban == VALID
    assert fields.holder == "ACME SAS"
    assert fields.iban_masked == "FR76 **** **** **** **** ***0 189"
    assert fields.bic == "AGRIFRPPXXX"  # from the bank registry when not given


def test_real_checker_refuses_bad_check_digits_and_bad_bic() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_mandate(
            holder="ACME", iban="FR7630006000011234567890188", bic="NOPE", check=check_account
        )
    assert {v.field for v in caught.value.violations} == {"iban", "bic"}


def test_given_bic_is_checked_and_kept() -> None:
    fields = validate_mandate(
        holder="ACME", iban="DE89370400440532013000", bic="cobadeffxxx", check=check_account
    )
    assert fields.bic == "COBADEFFXXX"


def test_holder_and_iban_are_required() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_mandate(holder="", iban=" ", bic="", check=check_account)
    assert {v.field for v in caught.value.violations} == {"holder", "iban"}
    with pytest.raises(InvalidArgument) as long:
        validate_mandate(holder="A" * 71, iban=VALID, bic="", check=check_account)
    assert long.value.violations[0].field == "holder"


def test_mask() -> None:
    assert mask_iban(VALID) == "FR76 **** **** **** **** ***0 189"
    assert mask_iban("DE89370400440532013000") == "DE89 **** **** **** **30 00"


def test_reference() -> None:
    reference = mandate_reference("a1b2c3", 42)
    assert reference == "PTL-A1B2C3-000042"
    assert len(mandate_reference("X" * 16, 999_999_999)) <= 35
    with pytest.raises(InvalidArgument):
        mandate_reference("bad id!", 1)


def test_revoke_once() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    mandate = Mandate(id="m", entity_id="e", reference="PTL-E-000001", holder="A", iban_masked="x")
    revoked = revoke(mandate, at=at)
    assert revoked.status is MandateStatus.REVOKED and revoked.revoked_at == at
    with pytest.raises(FailedPrecondition) as caught:
        revoke(revoked, at=at)
    assert caught.value.reason == "MANDATE_ALREADY_REVOKED"
