from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.billing.domain.claims import (
    Claim,
    ClaimReason,
    ClaimStatus,
    answer_claim,
    validate_claim,
)
from services.billing.domain.documents import DocumentType

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _claim(status: ClaimStatus = ClaimStatus.OPEN) -> Claim:
    return Claim(
        id="c", entity_id="e", document_id="d", document_number="FAC-2026-000001",
        reason=ClaimReason.WRONG_AMOUNT, message="too much", status=status,
    )  # fmt: skip


def test_valid_claim() -> None:
    fields = validate_claim(
        reason="not_received", message=" never got it ", document_type=DocumentType.INVOICE,
        open_claim_exists=False,
    )  # fmt: skip
    assert fields.reason is ClaimReason.NOT_RECEIVED and fields.message == "never got it"


def test_claim_field_problems() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_claim(reason="ANGRY", message="", document_type=DocumentType.INVOICE,
                       open_claim_exists=False)  # fmt: skip
    assert {v.field for v in caught.value.violations} == {"reason", "message"}
    with pytest.raises(InvalidArgument) as long:
        validate_claim(reason="OTHER", message="x" * 2001, document_type=DocumentType.INVOICE,
                       open_claim_exists=False)  # fmt: skip
    assert long.value.violations[0].field == "message"


def test_only_invoices_and_one_open_claim() -> None:
    for doc_type in (DocumentType.CREDIT_NOTE, DocumentType.STATEMENT):
        with pytest.raises(FailedPrecondition):
            validate_claim(reason="OTHER", message="m", document_type=doc_type,
                           open_claim_exists=False)  # fmt: skip
    with pytest.raises(AlreadyExists) as caught:
        validate_claim(reason="OTHER", message="m", document_type=DocumentType.INVOICE,
                       open_claim_exists=True)  # fmt: skip
    assert caught.value.reason == "CLAIM_ALREADY_OPEN"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (ClaimStatus.OPEN, ClaimStatus.IN_PROGRESS),
        (ClaimStatus.OPEN, ClaimStatus.ACCEPTED),
        (ClaimStatus.OPEN, ClaimStatus.REJECTED),
        (ClaimStatus.IN_PROGRESS, ClaimStatus.ACCEPTED),
        (ClaimStatus.IN_PROGRESS, ClaimStatus.REJECTED),
    ],
)
def test_allowed_transitions(start: ClaimStatus, target: ClaimStatus) -> None:
    after, _ = answer_claim(_claim(start), status=target, answer=" we checked ", at=AT)
    assert after.status is target and after.answer == "we checked" and after.answered_at == AT
    assert after.open == (target is ClaimStatus.IN_PROGRESS)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (ClaimStatus.IN_PROGRESS, ClaimStatus.OPEN),
        (ClaimStatus.ACCEPTED, ClaimStatus.REJECTED),
        (ClaimStatus.REJECTED, ClaimStatus.IN_PROGRESS),
        (ClaimStatus.OPEN, ClaimStatus.OPEN),
    ],
)
def test_refused_transitions(start: ClaimStatus, target: ClaimStatus) -> None:
    with pytest.raises(FailedPrecondition) as caught:
        answer_claim(_claim(start), status=target, answer="a", at=AT)
    assert caught.value.reason == "CLAIM_TRANSITION_NOT_ALLOWED"


def test_answer_required() -> None:
    with pytest.raises(InvalidArgument) as caught:
        answer_claim(_claim(), status=ClaimStatus.ACCEPTED, answer="  ", at=AT)
    assert caught.value.violations[0].field == "answer"
