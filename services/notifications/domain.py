"""Notifications' rules: the message and its delivery life, the retry schedule,
recipients, languages and the links each template carries.

Standard library (and portal_runtime.errors) only: no I/O here.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from urllib.parse import quote, urlencode

from portal_runtime.errors import FailedPrecondition, InvalidArgument

DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")
DEFAULT_WEB_URL = "http://127.0.0.1:8080"
DEFAULT_SUPPORT_EMAIL = "support@portail.localhost"
MAX_ERROR_LENGTH = 2000


class Template(enum.StrEnum):
    """What a message says; also the template file's name."""

    ACTIVATION = "activation"
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


class Status(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # gave up: too many attempts, or a permanent refusal


# How long each kind of link stays valid when the event does not say.
DEFAULT_VALIDITY = {
    Template.ACTIVATION: timedelta(hours=48),
    Template.MAGIC_LINK: timedelta(days=30),
    Template.PASSWORD_RESET: timedelta(hours=1),
    Template.INVITATION: timedelta(hours=48),
}


def normalise_language(raw: str | None) -> str:
    """'en', 'EN', 'en-GB', 'en_US' -> 'en'; anything unknown or empty -> 'fr'."""
    if not raw:
        return DEFAULT_LANGUAGE
    primary = raw.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


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


def describe_validity(duration: timedelta, language: str) -> str:
    """A human phrase for how long a link stays valid: '48 heures', '30 days', '1 hour'.

    Whole days from 3 days up (and exact multiples of 24 h beyond 2 days);
    hours below that; minutes below one hour."""
    seconds = max(round(duration.total_seconds() / 60) * 60, 60)
    en = normalise_language(language) == "en"
    if seconds >= 3 * 86400 and seconds % 86400 < 3600:
        count, unit = round(seconds / 86400), ("day", "days") if en else ("jour", "jours")
    elif seconds >= 3600:
        count, unit = round(seconds / 3600), ("hour", "hours") if en else ("heure", "heures")
    else:
        count, unit = round(seconds / 60), ("minute", "minutes")  # same in both
    return f"{count} {unit[0] if count == 1 else unit[1]}"


_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def describe_moment(moment: datetime, language: str, tz: tzinfo = UTC) -> str:
    """'23/11/2025 à 16:05 (UTC)' / '23 November 2025 at 16:05 (UTC)'."""
    local = (utc(moment) or moment).astimezone(tz)
    zone = local.tzname() or "UTC"
    if normalise_language(language) == "en":
        day = f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
        return f"{day} at {local:%H:%M} ({zone})"
    return f"{local:%d/%m/%Y} à {local:%H:%M} ({zone})"


def describe_date(iso_date: str, language: str) -> str:
    """'2026-04-15' -> '15/04/2026' (fr) / '15 April 2026' (en); '' stays ''
    and anything unparsable is shown as given."""
    try:
        day = date.fromisoformat((iso_date or "").strip())
    except ValueError:
        return (iso_date or "").strip()
    if normalise_language(language) == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day:%d/%m/%Y}"


# Billing's codes in words (fr, en); an unknown code is shown as it came.
_DOCUMENT_TYPES = {
    "INVOICE": ("facture", "invoice"),
    "CREDIT_NOTE": ("avoir", "credit note"),
    "STATEMENT": ("relevé", "statement"),
}
_CLAIM_REASONS = {
    "WRONG_AMOUNT": ("montant erroné", "wrong amount"),
    "NOT_RECEIVED": ("prestation non reçue", "not received"),
    "DUPLICATE": ("doublon", "duplicate"),
    "OTHER": ("autre motif", "other"),
}
_CLAIM_STATUSES = {
    "OPEN": ("ouverte", "open"),
    "IN_PROGRESS": ("en cours de traitement", "in progress"),
    "ACCEPTED": ("acceptée", "accepted"),
    "REJECTED": ("refusée", "rejected"),
}


def _label(table: dict[str, tuple[str, str]], code: str, language: str) -> str:
    code = (code or "").strip().upper()
    words = table.get(code)
    if words is None:
        return code
    return words[1] if normalise_language(language) == "en" else words[0]


def describe_document_type(code: str, language: str) -> str:
    """'INVOICE' -> 'facture' / 'invoice'."""
    return _label(_DOCUMENT_TYPES, code, language)


def describe_claim_reason(code: str, language: str) -> str:
    """'WRONG_AMOUNT' -> 'montant erroné' / 'wrong amount'."""
    return _label(_CLAIM_REASONS, code, language)


def describe_claim_status(code: str, language: str) -> str:
    """'REJECTED' -> 'refusée' / 'rejected'."""
    return _label(_CLAIM_STATUSES, code, language)


# --- who an entity's e-mails go to ----------------------------------------------


@dataclass(frozen=True)
class Contact:
    email: str = ""
    name: str = ""


@dataclass(frozen=True)
class EntityContacts:
    """notifications' own copy of an account's contacts, fed by identity's
    AccountUpdated snapshots (never read from identity's tables or API)."""

    entity_id: str
    name: str
    client_number: str
    language: str
    paperless_consent: bool
    manager: Contact
    billing: Contact
    delivery: Contact
    updated_at: datetime  # the snapshot's occurred_at

    def supersedes(self, stored: EntityContacts | None) -> bool:
        """Newest occurred_at wins: an older (or same-time) snapshot is ignored."""
        if stored is None:
            return True
        return (utc(self.updated_at) or self.updated_at) > (
            utc(stored.updated_at) or stored.updated_at
        )

    def for_orders(self) -> Contact:
        return self._require(self.manager)

    def for_deliveries(self) -> Contact:
        """The delivery contact when the account has one, else the manager."""
        return self.delivery if self.delivery.email else self._require(self.manager)

    def for_billing(self) -> Contact:
        """The billing contact when the account has one, else the manager."""
        return self.billing if self.billing.email else self._require(self.manager)

    def _require(self, contact: Contact) -> Contact:
        if not contact.email:
            raise FailedPrecondition(
                "ENTITY_HAS_NO_MANAGER_EMAIL", f"account {self.entity_id} has no manager e-mail"
            )
        return contact


def contacts_unknown(entity_id: str) -> FailedPrecondition:
    """No AccountUpdated seen yet for this entity. Raised from a handler so the
    runtime naks the event and retries it later (see handlers.py)."""
    return FailedPrecondition(
        "ENTITY_CONTACTS_UNKNOWN", f"no contacts known yet for account {entity_id}"
    )


# --- links -------------------------------------------------------------------


@dataclass(frozen=True)
class LinkBuilder:
    """The web application's pages that e-mails point to. The one-time token
    travels in the query string (`?token=`), so operators (and tests) can read it
    back from the stored links."""

    web_url: str = DEFAULT_WEB_URL

    def __post_init__(self) -> None:
        object.__setattr__(self, "web_url", (self.web_url or DEFAULT_WEB_URL).rstrip("/"))

    def _with_token(self, path: str, token: str) -> str:
        if not token:
            raise InvalidArgument.for_field("token", "is required for this link")
        return f"{self.web_url}{path}?{urlencode({'token': token})}"

    def activation(self, token: str) -> str:
        return self._with_token("/activate", token)

    def magic_link(self, token: str) -> str:
        return self._with_token("/magic-link", token)

    def password_reset(self, token: str) -> str:
        return self._with_token("/reset-password", token)

    def invitation(self, token: str) -> str:
        """An invitation with a token creates the account; without one, the
        person already has an account and just logs in."""
        return self._with_token("/accept-invitation", token) if token else self.login()

    def login(self) -> str:
        return f"{self.web_url}/login"

    def forgot_password(self) -> str:
        """Where to ask for a reset link (the security notice points there)."""
        return f"{self.web_url}/forgot-password"

    def document(self, document_id: str) -> str:
        """A billing document in the customer's space."""
        return f"{self.web_url}/documents/{_segment(document_id, 'documentId')}"

    def claim(self, claim_id: str) -> str:
        """A claim in the customer's space."""
        return f"{self.web_url}/claims/{_segment(claim_id, 'claimId')}"

    def admin_claim(self, claim_id: str) -> str:
        """A claim in the operators' back office."""
        return f"{self.web_url}/admin/claims/{_segment(claim_id, 'claimId')}"


def _segment(value: str, field_name: str) -> str:
    if not value:
        raise InvalidArgument.for_field(field_name, "is required for this link")
    return quote(value, safe="")


# --- retries -----------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: after the n-th failed attempt, wait delays[n-1]
    (the last delay repeats); after max_attempts attempts the message FAILED."""

    delays: tuple[timedelta, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
    )
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or not self.delays:
            raise ValueError("a retry policy needs at least one attempt and one delay")

    def delay_after(self, attempts: int) -> timedelta | None:
        """How long to wait after `attempts` failed attempts; None = give up."""
        if attempts >= self.max_attempts:
            return None
        return self.delays[min(max(attempts, 1), len(self.delays)) - 1]

    def schedule(self) -> list[timedelta]:
        """Every wait between attempts, in order (max_attempts - 1 of them)."""
        return [d for n in range(1, self.max_attempts) if (d := self.delay_after(n)) is not None]


# --- the message -------------------------------------------------------------


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


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetimes everywhere (SQLite gives naive ones back)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
