"""Payment providers for billing: the interface, the local test provider, and the
factory that picks one from settings.

    provider = provider_from_settings(settings.get)   # ServiceSettings.get
    checkout = await provider.create_checkout(payment_id=..., amount_cents=..., ...)
    notification = provider.verify_notification(body, metadata, time.time())

`get(name, default)` receives names without the ``PORTAL_`` prefix, like
`portal_runtime.config.ServiceSettings.get` (``PAYMENT_PROVIDER`` reads
``PORTAL_PAYMENT_PROVIDER``). Variables:

- ``PORTAL_PAYMENT_PROVIDER``: provider name, default ``local``; see `PROVIDERS`.
- ``PORTAL_PAYMENT_WEBHOOK_SECRET``: shared webhook secret; several separated by
  commas are all accepted (rotation). Default: a development secret.
- ``PORTAL_PAYMENT_PROVIDER_URL``: the provider's API, default http://127.0.0.1:8090.
- ``PORTAL_PAYMENT_PROVIDER_TIMEOUT_SECONDS``: HTTP timeout, default 10.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from services.billing.providers.base import (
    EVENT_TYPES,
    FINAL_STATUSES,
    SIGNATURE_HEADER,
    TOLERANCE_SECONDS,
    Checkout,
    InvalidNotification,
    InvalidSignature,
    Notification,
    PaymentProvider,
    PaymentStatus,
    ProviderRejected,
    ProviderUnavailable,
    build_notification_body,
    header_value,
    parse_notification,
    sign,
    verify_signature,
)
from services.billing.providers.local import DEFAULT_URL, LocalTestProvider

log = logging.getLogger(__name__)

DEV_WEBHOOK_SECRET = "whsec_portail_local_dev_only"  # noqa: S105 - development default

Getter = Callable[[str, str], str]
ProviderFactory = Callable[[Getter, list[str], str], PaymentProvider]


class UnknownPaymentProvider(ValueError):
    """PORTAL_PAYMENT_PROVIDER names no registered provider (raised at start-up)."""


def _local(get: Getter, secrets: list[str], url: str) -> PaymentProvider:
    timeout = float(get("PAYMENT_PROVIDER_TIMEOUT_SECONDS", "") or 10)
    return LocalTestProvider(url, secrets, timeout=timeout)


# name -> factory(get, webhook secrets, provider url). A real provider registers here.
PROVIDERS: dict[str, ProviderFactory] = {"local": _local}


def register_provider(name: str, factory: ProviderFactory) -> None:
    PROVIDERS[name] = factory


def webhook_secrets(get: Getter) -> list[str]:
    raw = get("PAYMENT_WEBHOOK_SECRET", "") or DEV_WEBHOOK_SECRET
    return [s.strip() for s in raw.split(",") if s.strip()]


def provider_from_settings(get: Getter) -> PaymentProvider:
    name = (get("PAYMENT_PROVIDER", "") or "local").strip().lower()
    factory = PROVIDERS.get(name)
    if factory is None:
        raise UnknownPaymentProvider(
            f"PORTAL_PAYMENT_PROVIDER={name!r} is not a known payment provider "
            f"(known: {', '.join(sorted(PROVIDERS))})"
        )
    secrets = webhook_secrets(get)
    if DEV_WEBHOOK_SECRET in secrets and name != "local":
        log.warning(
            "PORTAL_PAYMENT_WEBHOOK_SECRET is the development default: set a real secret",
            extra={"provider": name},
        )
    url = (get("PAYMENT_PROVIDER_URL", "") or DEFAULT_URL).strip()
    return factory(get, secrets, url)


__all__ = [
    "DEFAULT_URL",
    "DEV_WEBHOOK_SECRET",
    "EVENT_TYPES",
    "FINAL_STATUSES",
    "PROVIDERS",
    "SIGNATURE_HEADER",
    "TOLERANCE_SECONDS",
    "Checkout",
    "InvalidNotification",
    "InvalidSignature",
    "LocalTestProvider",
    "Notification",
    "PaymentProvider",
    "PaymentStatus",
    "ProviderRejected",
    "ProviderUnavailable",
    "UnknownPaymentProvider",
    "build_notification_body",
    "header_value",
    "parse_notification",
    "provider_from_settings",
    "register_provider",
    "sign",
    "verify_signature",
    "webhook_secrets",
]
