"""The message: one e-mail to one recipient, what it says (its template and
rendered content) and where its delivery stands (PENDING -> SENT | FAILED)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from portal_runtime.errors import InvalidArgument

from .retry import RetryPolicy
from .times import utc
from .wording import normalise_language

MAX_ERROR_LENGTH = 2000


class Template(enum.StrEnum):
    """What a message says; also the template file's name."""

    ACTIVATION = "activation"
    # The activation e-mail the account's opening sends (ACTIVATION: asked again).
    ACCOUNT_OPENED = "account_opened"
    FIRST_CONNECTION = "first_connection"
    IDENTIFIER_REMINDER = "identifier_reminder"
    MAGIC_LINK = "magic_link"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name
    INVITATION = "invitation"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a template name
    ORDER_SUBMITTED = "order_submitted"
    ORDER_SHIPPED = "order_shipped"
    DOCUMENT_AVAILABLE = "document_available"
    CLAIM_OPENED = "claim_opened"
    CLAIM_OPENED_SUPPORT = "claim_opened_support"
    CLAIM_ANSWERED = "claim_answered"
    DIRECT_DEBIT_SCHEDULED = "direct_debit_scheduled"
    DIRECT_DEBIT_RETURNED = "direct_debit_returned"
    FLEET_CHANGE_COMPLETED = "fleet_change_completed"
    SIM_ORDERED = "sim_ordered"
    # Assets: service requests, quotes, change requests. The *_DEPARTMENT ones
    # go to the operators' department mailbox, in French.
    SERVICE_REQUEST_DEPARTMENT = "service_request_department"
    SERVICE_REQUEST_RECEIVED = "service_request_received"
    SERVICE_REQUEST_STATUS_CHANGED = "service_request_status_changed"
    QUOTE_ISSUED = "quote_issued"
    QUOTE_ACCEPTED = "quote_accepted"
    CHANGE_REQUEST_DEPARTMENT = "change_request_department"
    CHANGE_REQUEST_ANSWERED = "change_request_answered"


class Status(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # gave up: too many attempts, or a permanent refusal


def normalise_email(raw: str | None) -> str:
    """Trimmed and lower-cased: the same address however it was typed."""
    return (raw or "").strip().lower()


def require_email(raw: str | None, field_name: str = "recipient") -> str:
    email = normalise_email(raw)
    if not email:
        raise InvalidArgument.for_field(field_name, "is required")
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in email):
        raise InvalidArgument.for_field(field_name, "is not an e-mail address")
    if any(c in email for c in '\r\n<>,;"') or len(email) > 320:
        raise InvalidArgument.for_field(field_name, "is not an e-mail address")
    return email


@dataclass(frozen=True)
class Content:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class Message:
    """One e-mail to one recipient, and where its delivery stands."""

    id: str
    event_id: str
    recipient: str
    recipient_name: str
    template: str
    language: str
    subject: str
    body_text: str
    body_html: str
    links: tuple[str, ...]
    status: Status
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None = None
    # When the causing event happened: lists sort on it (newest first), so a
    # redelivered or retried older event never hides a newer link.
    occurred_at: datetime | None = None

    @classmethod
    def new(
        cls,
        *,
        event_id: str,
        recipient: str,
        recipient_name: str = "",
        template: Template | str,
        language: str,
        content: Content,
        links: Sequence[str],
        now: datetime,
        occurred_at: datetime | None = None,
    ) -> Message:
        if not event_id:
            raise InvalidArgument.for_field("eventId", "is required")
        return cls(
            id=uuid.uuid4().hex,
            event_id=event_id,
            recipient=require_email(recipient),
            recipient_name=_one_line(recipient_name),
            template=str(template),
            language=normalise_language(language),
            subject=_one_line(content.subject),
            body_text=content.body_text,
            body_html=content.body_html,
            links=tuple(links),
            status=Status.PENDING,
            attempts=0,
            last_error="",
            next_attempt_at=now,
            created_at=now,
            occurred_at=utc(occurred_at) or now,
        )

    def sent(self, now: datetime) -> Message:
        return replace(
            self,
            status=Status.SENT,
            attempts=self.attempts + 1,
            last_error="",
            next_attempt_at=None,
            sent_at=now,
        )

    def failed_attempt(
        self, error: str, now: datetime, policy: RetryPolicy, *, permanent: bool = False
    ) -> Message:
        """Records a failed attempt: retry later, or FAILED when the policy gives
        up or the failure is permanent (e.g. the server refused the address)."""
        attempts = self.attempts + 1
        delay = None if permanent else policy.delay_after(attempts)
        return replace(
            self,
            status=Status.FAILED if delay is None else Status.PENDING,
            attempts=attempts,
            last_error=(error or "unknown error")[:MAX_ERROR_LENGTH],
            next_attempt_at=None if delay is None else now + delay,
        )


def _one_line(text: str) -> str:
    """Header-safe: no line breaks, collapsed whitespace."""
    return " ".join((text or "").split())
