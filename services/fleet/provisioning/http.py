"""`HttpProvisioning`: the adapter for an operator provisioning system spoken to
over HTTP (the local one is `python -m deploy.local.provisioning_simulator`).

- ``POST /v1/operations`` with the operation as JSON and ``Idempotency-Key: <key>``
  -> 200 ``{"key", "status": "APPLIED" | "REJECTED", "reason"}``;
- ``GET /v1/operations/{key}`` -> 200 (the same answer) or 404 (never received).

A transport error, a timeout, 408, 429, 5xx (or a redirect) is transient: retried
a few times within the call, then `ProvisioningUnavailable`. Any other 4xx means the request
itself is wrong, which sending it again will not fix: the operation is refused.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from services.fleet.provisioning.base import Operation, Outcome, ProvisioningUnavailable

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8091"
# Statuses that say "not now" rather than "not this request".
TRANSIENT_STATUSES = frozenset({408, 429})
STATUSES = {"APPLIED": True, "REJECTED": False}


class HttpProvisioning:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 3,
        first_wait: float = 0.1,
        max_wait: float = 1.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.url, timeout=httpx.Timeout(timeout), transport=transport
        )
        # Short on purpose: fleet's background loop retries later anyway, this
        # only absorbs a blip without giving the line back to the queue.
        self._retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(multiplier=first_wait, max=max_wait, jitter=first_wait),
            retry=retry_if_exception_type(ProvisioningUnavailable),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )

    async def apply(self, operation: Operation) -> Outcome:
        response = await self._send(
            "POST",
            "/v1/operations",
            json=asdict(operation),
            headers={"Idempotency-Key": operation.key},
        )
        if not response.is_success:
            log.warning(
                "provisioning refused an operation",
                extra={"key": operation.key, "status": response.status_code},
            )
            return Outcome(
                applied=False,
                reason=(
                    f"provisioning refused the request: HTTP {response.status_code} "
                    f"{_short(response.text)}"
                ).rstrip(),
            )
        return _outcome(response, operation.key)

    async def lookup(self, key: str) -> Outcome | None:
        response = await self._send("GET", f"/v1/operations/{quote(key, safe='')}")
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise ProvisioningUnavailable(f"{_answered(response)} to a lookup")
        return _outcome(response, key)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The answer (any status but a transient one), or ProvisioningUnavailable
        once the attempts are spent."""
        # A copy per call: a retrying object keeps its state per thread, and
        # concurrent calls share the event loop's thread.
        return await self._retrying.copy()(self._send_once, method, path, **options)

    async def _send_once(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **options)
        except httpx.HTTPError as exc:
            log.warning("provisioning unreachable", extra={"path": path, "error": str(exc)})
            raise ProvisioningUnavailable(f"provisioning unreachable: {exc!r}") from exc
        # A redirect too: the URL is misconfigured, which is fixed without
        # refusing the lines for good.
        transient = not (response.is_success or response.is_client_error)
        if transient or response.status_code in TRANSIENT_STATUSES:
            raise ProvisioningUnavailable(_answered(response))
        return response


def _outcome(response: httpx.Response, key: str) -> Outcome:
    """The outcome in a 2xx answer; an answer that cannot be read leaves the
    outcome unknown, so it is transient, not a refusal."""
    try:
        doc = response.json()
        applied = STATUSES[doc["status"]]
        reason = str(doc.get("reason") or "")
        answered_key = doc["key"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProvisioningUnavailable(
            f"provisioning sent an unreadable answer: {_short(response.text)}"
        ) from exc
    if answered_key != key:
        raise ProvisioningUnavailable(
            f"provisioning answered for {answered_key!r} when asked for {key!r}"
        )
    return Outcome(applied=applied, reason=reason)


def _answered(response: httpx.Response) -> str:
    body = _short(response.text)
    return f"provisioning answered {response.status_code}" + (f" ({body})" if body else "")


def _short(text: str, limit: int = 200) -> str:
    """A body fit for a reason or a log line: one line, bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
