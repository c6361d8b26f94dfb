"""Claims: a customer disputes an invoice; an operator answers.

Statuses OPEN -> IN_PROGRESS -> ACCEPTED | REJECTED; OPEN may go straight to
ACCEPTED or REJECTED. Moving a claim takes an answer. One open claim (OPEN or
IN_PROGRESS) per document at a time. Opening a claim states ClaimOpened, answering
it ClaimAnswered."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import AlreadyExists, FailedPrecondition, Violations

from .documents import Document, DocumentType

MESSAGE_MAX = 2000
ANSWER_MAX = 2000


class ClaimReason(StrEnum):
    WRONG_AMOUNT = "WRONG_AMOUNT"
    NOT_RECEIVED = "NOT_RECEIVED"
    DUPLICATE = "DUPLICATE"
    OTHER = "OTHER"


class ClaimStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


OPEN_STATUSES = frozenset({ClaimStatus.OPEN, ClaimStatus.IN_PROGRESS})
_NEXT: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.OPEN: frozenset(
        {ClaimStatus.IN_PROGRESS, ClaimStatus.ACCEPTED, ClaimStatus.REJECTED}
    ),
    ClaimStatus.IN_PROGRESS: frozenset({ClaimStatus.ACCEPTED, ClaimStatus.REJECTED}),
    ClaimStatus.ACCEPTED: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
}


@dataclass(frozen=True)
class ClaimFields:
    reason: ClaimReason
    message: str


@dataclass(frozen=True)
class Claim:
    id: str
    entity_id: str
    document_id: str
    document_number: str
    reason: ClaimReason
    message: str
    status: ClaimStatus = ClaimStatus.OPEN
    answer: str = ""
    created_at: datetime | None = None
    answered_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class ClaimOpened:
    claim_id: str
    entity_id: str
    document_id: str
    document_number: str
    reason: ClaimReason
    message: str


@dataclass(frozen=True)
class ClaimAnswered:
    claim_id: str
    entity_id: str
    document_number: str
    status: ClaimStatus
    answer: str


def validate_claim(
    *, reason: str, message: str, document_type: DocumentType, open_claim_exists: bool
) -> ClaimFields:
    """The claim's fields, or InvalidArgument (fields), FailedPrecondition (not an
    invoice) or AlreadyExists (a claim on this document is still open)."""
    violations = Violations()
    clean_reason = reason.strip().upper()
    if not clean_reason:
        violations.add("reason", "is required")
    elif clean_reason not in ClaimReason.__members__:
        violations.add("reason", "must be one of " + ", ".join(ClaimReason.__members__))
    clean_message = message.strip()
    if not clean_message:
        violations.add("message", "is required")
    elif len(clean_message) > MESSAGE_MAX:
        violations.add("message", f"must be at most {MESSAGE_MAX} characters")
    violations.raise_if_any()
    if document_type is not DocumentType.INVOICE:
        raise FailedPrecondition("CLAIM_NOT_AN_INVOICE", "only invoices can be disputed")
    if open_claim_exists:
        raise AlreadyExists(
            "CLAIM_ALREADY_OPEN", "a claim on this document is already open; follow it instead"
        )
    return ClaimFields(reason=ClaimReason(clean_reason), message=clean_message)


def open_claim(
    document: Document,
    *,
    reason: str,
    message: str,
    open_claim_exists: bool,
    claim_id: str,
    at: datetime,
) -> tuple[Claim, ClaimOpened]:
    """The customer's claim on `document` (see `validate_claim`), and its opening."""
    fields = validate_claim(
        reason=reason,
        message=message,
        document_type=document.type,
        open_claim_exists=open_claim_exists,
    )
    claim = Claim(
        id=claim_id,
        entity_id=document.entity_id,
        document_id=document.id,
        document_number=document.number,
        reason=fields.reason,
        message=fields.message,
        created_at=at,
    )
    opened = ClaimOpened(
        claim_id=claim.id,
        entity_id=claim.entity_id,
        document_id=claim.document_id,
        document_number=claim.document_number,
        reason=claim.reason,
        message=claim.message,
    )
    return claim, opened


def answer_claim(
    claim: Claim, *, status: ClaimStatus, answer: str, at: datetime
) -> tuple[Claim, ClaimAnswered]:
    """The claim moved to `status` with the operator's `answer`, and the answer."""
    violations = Violations()
    clean_answer = answer.strip()
    if not clean_answer:
        violations.add("answer", "is required")
    elif len(clean_answer) > ANSWER_MAX:
        violations.add("answer", f"must be at most {ANSWER_MAX} characters")
    violations.raise_if_any()
    if status not in _NEXT[claim.status]:
        raise FailedPrecondition(
            "CLAIM_TRANSITION_NOT_ALLOWED",
            f"a claim {claim.status.value} cannot become {status.value}",
        )
    answered = dataclasses.replace(claim, status=status, answer=clean_answer, answered_at=at)
    fact = ClaimAnswered(
        claim_id=answered.id,
        entity_id=answered.entity_id,
        document_number=answered.document_number,
        status=answered.status,
        answer=answered.answer,
    )
    return answered, fact
