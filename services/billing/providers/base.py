"""The payment-provider interface billing talks to, and the webhook signature scheme.

A provider hosts the card payment page: billing asks it for a checkout (where to
send the customer), then learns the outcome from signed notifications posted to
`POST /v1/payments/webhook`. Notifications may arrive twice or out of order;
`Notification.event_id` and `Notification.status` let billing apply each one at
most once and never go back from a final state.

Signature (Stripe-like): header ``Portail-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``
where each ``v1`` is the hex HMAC-SHA256 of ``"<t>.<raw body>"`` with a shared
secret. Several ``v1`` values (and several accepted secrets) allow rotating the
secret without dropping notifications. A timestamp further than `TOLERANCE_SECONDS`
from now is refused, which bounds replays of a captured request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, get_args, runtime_checkable

from portal_runtime.errors import DomainError, InvalidArgument, Unauthenticated

SIGNATURE_HEADER = "Portail-Signature"
TOLERANCE_SECONDS = 300

PaymentStatus = Literal["PENDING", "ACTION_REQUIRED", "SUCCEEDED", "FAILED"]
STATUSES: tuple[str, ...] = get_args(PaymentStatus)
FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED"})

# Notification "type" <-> status.
EVENT_TYPES: dict[str, str] = {
    "payment.pending": "PENDING",
    "payment.action_required": "ACTION_REQUIRED",
    "payment.succeeded": "SUCCEEDED",
    "payment.failed": "FAILED",
}
EVENT_TYPE_FOR_STATUS: dict[str, str] = {v: k for k, v in EVENT_TYPES.items()}


@dataclass(frozen=True)
class Checkout:
    """A payment started at the provider: `redirect_url` is where the customer pays."""

    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class Notification:
    """A verified provider notification about one payment."""

    event_id: str
    provider_ref: str
    payment_id: str
    status: PaymentStatus
    amount_cents: int
    currency: str
    failure_reason: str
    created: int

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class InvalidSignature(Unauthenticated):
    """The webhook's signature is missing, malformed, wrong or expired (UNAUTHENTICATED,
    reason WEBHOOK_SIGNATURE_INVALID)."""

    def __init__(self, message: str) -> None:
        super().__init__("WEBHOOK_SIGNATURE_INVALID", message)


class InvalidNotification(InvalidArgument):
    """Correctly signed but not a notification we understand (INVALID_ARGUMENT,
    reason WEBHOOK_PAYLOAD_INVALID)."""

    def __init__(self, message: str) -> None:
        super().__init__("WEBHOOK_PAYLOAD_INVALID", message)


class ProviderUnavailable(DomainError):
    """The provider could not be reached or failed (UNAVAILABLE, reason
    PAYMENT_PROVIDER_UNAVAILABLE): the caller may retry."""

    def __init__(self, message: str) -> None:
        super().__init__("PAYMENT_PROVIDER_UNAVAILABLE", message, code="UNAVAILABLE")


class ProviderRejected(DomainError):
    """The provider refused the request (FAILED_PRECONDITION, reason
    PAYMENT_PROVIDER_REJECTED)."""

    def __init__(self, message: str) -> None:
        super().__init__("PAYMENT_PROVIDER_REJECTED", message, code="FAILED_PRECONDITION")


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    async def create_checkout(
        self,
        *,
        payment_id: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> Checkout:
        """Start a card payment; idempotent per `payment_id` where the provider allows.
        Raises ProviderUnavailable / ProviderRejected."""
        ...

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], now: float
    ) -> Notification:
        """Check the signature over the raw `body` and parse it. Raises InvalidSignature,
        then InvalidNotification."""
        ...

    async def aclose(self) -> None:
        """Release connections (called at service shutdown)."""
        ...


# --- signature ---------------------------------------------------------------------


def compute_signature(body: bytes, secret: str, timestamp: int) -> str:
    signed = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: str | Iterable[str], timestamp: int) -> str:
    """The `Portail-Signature` header value: one v1 per secret (rotation)."""
    if isinstance(secrets, str):
        secrets = [secrets]
    parts = [f"t={int(timestamp)}"]
    parts += [f"v1={compute_signature(body, s, timestamp)}" for s in secrets]
    return ",".join(parts)


def header_value(headers: Mapping[str, str], name: str = SIGNATURE_HEADER) -> str:
    """A header looked up without regard to case (gRPC metadata keys are lowercase)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def verify_signature(
    body: bytes,
    header: str,
    secrets: str | Iterable[str],
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Checks `header` against `body`; returns its timestamp. Any accepted secret
    matching any v1 value is enough."""
    if isinstance(secrets, str):
        secrets = [secrets]
    secrets = [s for s in secrets if s]
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidSignature("malformed signature timestamp") from None
        elif key == "v1":
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("signature timestamp outside the tolerance")
    if not secrets:
        raise InvalidSignature("no webhook secret configured")
    for secret in secrets:
        expected = compute_signature(body, secret, timestamp)
        for candidate in candidates:
            if hmac.compare_digest(expected.encode(), candidate.encode()):
                return timestamp
    raise InvalidSignature("signature does not match")


# --- notification body -------------------------------------------------------------


def build_notification_body(
    *,
    event_id: str,
    status: str,
    created: int,
    provider_ref: str,
    payment_id: str,
    amount_cents: int,
    currency: str,
    failure_reason: str = "",
) -> bytes:
    """The JSON a provider posts (used by the local test provider and tests)."""
    return json.dumps(
        {
            "id": event_id,
            "type": EVENT_TYPE_FOR_STATUS[status],
            "created": int(created),
            "data": {
                "payment_ref": provider_ref,
                "payment_id": payment_id,
                "amount": int(amount_cents),
                "currency": currency,
                "failure_reason": failure_reason,
            },
        },
        separators=(",", ":"),
    ).encode()


def parse_notification(body: bytes) -> Notification:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidNotification("notification body is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise InvalidNotification("notification has no data object")
    data = doc["data"]
    event_id, event_type, created = doc.get("id"), doc.get("type"), doc.get("created")
    if not isinstance(event_id, str) or not event_id:
        raise InvalidNotification("notification has no id")
    if event_type not in EVENT_TYPES:
        raise InvalidNotification(f"unknown notification type {event_type!r}")
    amount = data.get("amount")
    # bool is an int subclass; amounts are integers (cents), never floats.
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise InvalidNotification("amount must be a non-negative integer (cents)")
    if not isinstance(created, int) or isinstance(created, bool):
        raise InvalidNotification("created must be a unix timestamp")
    strings = {}
    for key in ("payment_ref", "payment_id", "currency", "failure_reason"):
        value = data.get(key) or ""
        if not isinstance(value, str):
            raise InvalidNotification(f"{key} must be a string")
        strings[key] = value
    if not strings["payment_ref"] or not strings["currency"]:
        raise InvalidNotification("payment_ref and currency are required")
    return Notification(
        event_id=event_id,
        provider_ref=strings["payment_ref"],
        payment_id=strings["payment_id"],
        status=EVENT_TYPES[event_type],  # type: ignore[arg-type]
        amount_cents=amount,
        currency=strings["currency"],
        failure_reason=strings["failure_reason"],
        created=created,
    )
