"""Claims: a customer disputes an invoice; an operator answers.

Statuses OPEN -> IN_PROGRESS -> ACCEPTED | REJECTED; OPEN may go straight to
ACCEPTED or REJECTED. Moving a claim takes an answer. One open claim (OPEN or
IN_PROGRESS) per document at a time."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import AlreadyExists, FailedPrecondition, Violations

from .documents import DocumentType

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


def answer_claim(claim: Claim, *, status: ClaimStatus, answer: str, at: datetime) -> Claim:
    """The claim moved to `status` with the operator's `answer`."""
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
    return dataclasses.replace(claim, status=status, answer=clean_answer, answered_at=at)
