"""`LocalTestProvider`: the adapter for the local test payment provider
(`python -m deploy.local.payment_provider`), spoken to over HTTP like a real one."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import httpx

from services.billing.providers.base import (
    Checkout,
    Notification,
    ProviderRejected,
    ProviderUnavailable,
    header_value,
    parse_notification,
    verify_signature,
)

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8090"


class LocalTestProvider:
    name = "local"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        secrets: str | Iterable[str] = (),
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        self._client = httpx.AsyncClient(
            base_url=self.url, timeout=httpx.Timeout(timeout), transport=transport
        )

    async def create_checkout(
        self,
        *,
        payment_id: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> Checkout:
        payload = {
            "payment_id": payment_id,
            "amount": int(amount_cents),
            "currency": currency,
            "description": description,
            "return_url": return_url,
        }
        try:
            response = await self._client.post(
                "/v1/checkouts", json=payload, headers={"Idempotency-Key": payment_id}
            )
        except httpx.HTTPError as exc:
            log.warning("payment provider unreachable", extra={"error": str(exc)})
            raise ProviderUnavailable(f"payment provider unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"payment provider answered {response.status_code}")
        if response.status_code >= 400:
            raise ProviderRejected(
                f"payment provider refused the checkout ({response.status_code}): "
                f"{response.text[:200]}"
            )
        try:
            doc = response.json()
            return Checkout(provider_ref=str(doc["ref"]), redirect_url=str(doc["redirect_url"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderUnavailable("payment provider sent an unreadable answer") from exc

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], now: float
    ) -> Notification:
        verify_signature(body, header_value(headers), self.secrets, now)
        return parse_notification(body)

    async def aclose(self) -> None:
        await self._client.aclose()
