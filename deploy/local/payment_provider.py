"""The local test payment provider: a stand-in for a real card payment provider.

A test double: all state (checkouts, webhooks sent) lives in memory and is lost on
restart. It behaves like a real provider so billing can be exercised end to end:

- ``POST /v1/checkouts`` {payment_id, amount, currency, description, return_url}
  -> {ref, redirect_url}; the same payment_id (or ``Idempotency-Key``) gives back
  the same checkout.
- ``GET /pay/{ref}``: the payment page with "Pay (success)", "Decline (failure)"
  and "Pay with 3-D Secure"; ``GET /pay/{ref}/3ds``: "Confirm" / "Cancel".
- ``POST /pay/{ref}/complete`` (form or JSON ``outcome`` = success | failure | 3ds
  | 3ds_confirm | 3ds_cancel): records the state, sends the signed webhook(s) in
  the background (retried with backoff until a 2xx, bounded attempts), then
  redirects the browser (303) to return_url (to the 3-D Secure page for ``3ds``).
- ``POST /pay/{ref}/replay``: re-sends the last webhook (same event id).
- ``GET /v1/checkouts/{ref}``: the checkout's state and the webhooks sent.

Run: ``python -m deploy.local.payment_provider``. Variables:
``PORTAL_PAYMENT_PROVIDER_ADDR`` (127.0.0.1:8090), ``PORTAL_PAYMENT_PROVIDER_PUBLIC_URL``
(http://<addr>), ``PORTAL_PAYMENT_WEBHOOK_URL``
(http://127.0.0.1:8080/v1/payments/webhook), ``PORTAL_PAYMENT_WEBHOOK_SECRET``
(the development secret; several comma-separated sign with each, for rotation).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import secrets as random_tokens
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from services.billing.providers import DEV_WEBHOOK_SECRET
from services.billing.providers.base import (
    SIGNATURE_HEADER,
    build_notification_body,
    sign,
)

log = logging.getLogger("payment_provider")

DEFAULT_ADDR = "127.0.0.1:8090"
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8080/v1/payments/webhook"
# Waits before attempts 2..8 (8 attempts in all), like a real provider's backoff.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 60)

# (url, body, headers) -> HTTP status; raises on a transport error.
WebhookSender = Callable[[str, bytes, dict[str, str]], Awaitable[int]]

# outcome -> (required current status, new status, failure reason)
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    "success": ("PENDING", "SUCCEEDED", ""),
    "failure": ("PENDING", "FAILED", "CARD_DECLINED"),
    "3ds": ("PENDING", "ACTION_REQUIRED", ""),
    "3ds_confirm": ("ACTION_REQUIRED", "SUCCEEDED", ""),
    "3ds_cancel": ("ACTION_REQUIRED", "FAILED", "AUTHENTICATION_FAILED"),
}


@dataclass
class Delivery:
    attempt: int
    status_code: int | None
    error: str = ""


@dataclass
class Webhook:
    event_id: str
    status: str
    body: bytes
    deliveries: list[Delivery] = field(default_factory=list)
    delivered: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "status": self.status,
            "body": json.loads(self.body),
            "delivered": self.delivered,
            "attempts": [
                {"attempt": d.attempt, "status_code": d.status_code, "error": d.error}
                for d in self.deliveries
            ],
        }


@dataclass
class CheckoutState:
    ref: str
    payment_id: str
    amount: int
    currency: str
    description: str
    return_url: str
    created: int
    status: str = "PENDING"
    failure_reason: str = ""
    webhooks: list[Webhook] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "payment_id": self.payment_id,
            "amount": self.amount,
            "currency": self.currency,
            "description": self.description,
            "return_url": self.return_url,
            "created": self.created,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "webhooks": [w.as_json() for w in self.webhooks],
        }


async def http_sender(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(url, content=body, headers=headers)
        return response.status_code


class LocalPaymentProvider:
    """The provider's in-memory state and webhook delivery."""

    def __init__(
        self,
        *,
        webhook_url: str,
        secrets: Sequence[str],
        public_url: str,
        sender: WebhookSender = http_sender,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.webhook_url = webhook_url
        self.secrets = list(secrets)
        self.public_url = public_url.rstrip("/")
        self.sender = sender
        self.retry_delays = list(retry_delays)
        self.clock = clock
        self.checkouts: dict[str, CheckoutState] = {}
        self.by_payment_id: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def open_checkout(self, asked: CheckoutRequest, key: str) -> CheckoutState:
        """A new checkout, found again later by `key` (payment id or idempotency key)."""
        ref = f"pay_{random_tokens.token_hex(12)}"
        checkout = CheckoutState(
            ref=ref,
            payment_id=asked.payment_id,
            amount=asked.amount,
            currency=asked.currency,
            description=asked.description,
            return_url=asked.return_url,
            created=int(self.clock()),
        )
        self.checkouts[ref] = checkout
        self.by_payment_id[key] = ref
        log.info(
            "checkout created",
            extra={"ref": ref, "payment_id": asked.payment_id, "amount": asked.amount},
        )
        return checkout

    # --- webhooks ---------------------------------------------------------------

    def emit(self, checkout: CheckoutState) -> Webhook:
        """Records a webhook for the checkout's current state and delivers it."""
        now = int(self.clock())
        event_id = f"evt_{random_tokens.token_hex(12)}"
        body = build_notification_body(
            event_id=event_id,
            status=checkout.status,
            created=now,
            provider_ref=checkout.ref,
            payment_id=checkout.payment_id,
            amount_cents=checkout.amount,
            currency=checkout.currency,
            failure_reason=checkout.failure_reason,
        )
        webhook = Webhook(event_id=event_id, status=checkout.status, body=body)
        checkout.webhooks.append(webhook)
        self.deliver(webhook)
        return webhook

    def deliver(self, webhook: Webhook) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(webhook))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, webhook: Webhook) -> None:
        attempts = len(self.retry_delays) + 1
        for attempt in range(1, attempts + 1):
            # Signed at each attempt, so a late retry is not refused as expired.
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "portail-local-payment-provider",
                SIGNATURE_HEADER: sign(webhook.body, self.secrets, int(self.clock())),
            }
            try:
                status = await self.sender(self.webhook_url, webhook.body, headers)
                webhook.deliveries.append(Delivery(attempt, status))
            except Exception as exc:  # any transport failure is retried
                status = None
                webhook.deliveries.append(Delivery(attempt, None, f"{type(exc).__name__}: {exc}"))
            if status is not None and 200 <= status < 300:
                webhook.delivered = True
                log.info(
                    "webhook delivered",
                    extra={"event_id": webhook.event_id, "attempt": attempt, "status": status},
                )
                return
            log.warning(
                "webhook delivery failed",
                extra={"event_id": webhook.event_id, "attempt": attempt, "status": status},
            )
            if attempt < attempts:
                await asyncio.sleep(self.retry_delays[attempt - 1])
        log.error("webhook abandoned", extra={"event_id": webhook.event_id})

    async def drain(self) -> None:
        """Waits for every delivery in progress (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


# --- HTTP ---------------------------------------------------------------------------


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _money(amount: int, currency: str) -> str:
    return f"{amount // 100}.{amount % 100:02d} {currency}"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _button(ref: str, outcome: str, label: str) -> str:
    return (
        f"<form method='post' action='/pay/{html.escape(ref)}/complete' style='display:inline'>"
        f"<input type='hidden' name='outcome' value='{outcome}'>"
        f"<button type='submit'>{html.escape(label)}</button></form>"
    )


def _provider(request: Request) -> LocalPaymentProvider:
    return request.app.state.provider


def _checkout(request: Request) -> CheckoutState | None:
    return _provider(request).checkouts.get(request.path_params["ref"])


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: str
    amount: int
    currency: str
    description: str
    return_url: str


def parse_checkout_request(doc: object) -> CheckoutRequest | str:
    """The checkout a client asks for, or what is wrong with its body."""
    if not isinstance(doc, dict):
        return "body must be a JSON object"
    payment_id = doc.get("payment_id")
    amount = doc.get("amount")
    currency = doc.get("currency")
    description = doc.get("description", "")
    return_url = doc.get("return_url")
    if not isinstance(payment_id, str) or not payment_id:
        return "payment_id is required"
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return "amount must be a positive integer (cents)"
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        return "currency must be an ISO 4217 code"
    if not isinstance(description, str):
        return "description must be a string"
    if not isinstance(return_url, str) or not return_url.startswith(("http://", "https://")):
        return "return_url must be an http(s) URL"
    return CheckoutRequest(payment_id, amount, currency.upper(), description, return_url)


async def create_checkout(request: Request) -> Response:
    provider = _provider(request)
    try:
        doc = await request.json()
    except ValueError:
        return _error(400, "body must be JSON")
    asked = parse_checkout_request(doc)
    if isinstance(asked, str):
        return _error(400, asked)
    key = request.headers.get("idempotency-key") or asked.payment_id
    existing = provider.by_payment_id.get(key)
    if existing is not None:
        checkout = provider.checkouts[existing]
    else:
        checkout = provider.open_checkout(asked, key)
    return JSONResponse(
        {"ref": checkout.ref, "redirect_url": f"{provider.public_url}/pay/{checkout.ref}"},
        status_code=200 if existing else 201,
    )


async def get_checkout(request: Request) -> Response:
    checkout = _checkout(request)
    if checkout is None:
        return _error(404, "no such checkout")
    return JSONResponse(checkout.as_json())


def _not_found_page() -> HTMLResponse:
    return _page("Payment not found", "<p>This payment link is unknown.</p>")


def _status_page(title: str, summary: str, checkout: CheckoutState) -> HTMLResponse:
    return _page(title, summary + f"<p>This payment is {html.escape(checkout.status.lower())}.</p>")


async def pay_page(request: Request) -> Response:
    checkout = _checkout(request)
    if checkout is None:
        return _not_found_page()
    summary = (
        f"<p class='amount'>{_money(checkout.amount, checkout.currency)}</p>"
        f"<p class='description'>{html.escape(checkout.description)}</p>"
    )
    if checkout.status != "PENDING":
        return _status_page("Payment", summary, checkout)
    buttons = (
        _button(checkout.ref, "success", "Pay (success)")
        + _button(checkout.ref, "failure", "Decline (failure)")
        + _button(checkout.ref, "3ds", "Pay with 3-D Secure")
    )
    return _page("Payment", summary + buttons)


async def three_ds_page(request: Request) -> Response:
    checkout = _checkout(request)
    if checkout is None:
        return _not_found_page()
    summary = f"<p class='amount'>{_money(checkout.amount, checkout.currency)}</p>"
    if checkout.status != "ACTION_REQUIRED":
        return _status_page("3-D Secure", summary, checkout)
    buttons = _button(checkout.ref, "3ds_confirm", "Confirm") + _button(
        checkout.ref, "3ds_cancel", "Cancel"
    )
    return _page("3-D Secure", summary + "<p>Confirm this payment with your bank.</p>" + buttons)


async def _outcome(request: Request) -> object:
    """The outcome a payment page's form (or a JSON client) chose; a `ValueError`
    for a body that is not JSON."""
    if "json" in request.headers.get("content-type", ""):
        doc = await request.json()
        return doc.get("outcome") if isinstance(doc, dict) else None
    return (await request.form()).get("outcome")


async def complete(request: Request) -> Response:
    checkout = _checkout(request)
    if checkout is None:
        return _error(404, "no such checkout")
    try:
        outcome = await _outcome(request)
    except ValueError:
        return _error(400, "body must be JSON")
    if outcome not in TRANSITIONS:
        return _error(400, f"outcome must be one of {', '.join(TRANSITIONS)}")
    required, new_status, reason = TRANSITIONS[outcome]
    if checkout.status != required:
        return _error(409, f"checkout is {checkout.status}, {outcome} needs {required}")
    checkout.status = new_status
    checkout.failure_reason = reason
    log.info("checkout %s", outcome, extra={"ref": checkout.ref, "status": new_status})
    _provider(request).emit(checkout)
    if new_status == "ACTION_REQUIRED":
        return RedirectResponse(f"/pay/{checkout.ref}/3ds", status_code=303)
    return RedirectResponse(checkout.return_url, status_code=303)


async def replay(request: Request) -> Response:
    checkout = _checkout(request)
    if checkout is None:
        return _error(404, "no such checkout")
    if not checkout.webhooks:
        return _error(409, "no webhook sent yet")
    webhook = checkout.webhooks[-1]
    _provider(request).deliver(webhook)
    log.info("webhook replayed", extra={"ref": checkout.ref, "event_id": webhook.event_id})
    return JSONResponse({"replayed": webhook.event_id}, status_code=202)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/v1/checkouts", create_checkout, methods=["POST"]),
    Route("/v1/checkouts/{ref}", get_checkout, methods=["GET"]),
    Route("/pay/{ref}", pay_page, methods=["GET"]),
    Route("/pay/{ref}/3ds", three_ds_page, methods=["GET"]),
    Route("/pay/{ref}/complete", complete, methods=["POST"]),
    Route("/pay/{ref}/replay", replay, methods=["POST"]),
]


def create_app(provider: LocalPaymentProvider) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await provider.close()

    app = Starlette(routes=ROUTES, lifespan=lifespan)
    app.state.provider = provider
    return app


def provider_from_env(env: dict[str, str] | None = None) -> tuple[LocalPaymentProvider, str]:
    env = dict(os.environ if env is None else env)
    addr = env.get("PORTAL_PAYMENT_PROVIDER_ADDR", DEFAULT_ADDR)
    raw_secret = env.get("PORTAL_PAYMENT_WEBHOOK_SECRET", "") or DEV_WEBHOOK_SECRET
    provider = LocalPaymentProvider(
        webhook_url=env.get("PORTAL_PAYMENT_WEBHOOK_URL", DEFAULT_WEBHOOK_URL),
        secrets=[s.strip() for s in raw_secret.split(",") if s.strip()],
        public_url=env.get("PORTAL_PAYMENT_PROVIDER_PUBLIC_URL", f"http://{addr}"),
    )
    return provider, addr


def main() -> None:
    import uvicorn

    from portal_runtime.logs import configure_logging

    configure_logging("payment-provider", os.environ.get("PORTAL_LOG_LEVEL", "INFO"))
    provider, addr = provider_from_env()
    host, _, port = addr.rpartition(":")
    print(  # the one start banner
        f"local test payment provider on http://{addr} -> webhooks to {provider.webhook_url}"
    )
    uvicorn.run(create_app(provider), host=host or "127.0.0.1", port=int(port), log_config=None)


if __name__ == "__main__":
    main()
