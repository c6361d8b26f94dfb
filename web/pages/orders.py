"""Card orders: the history, the order page (lines, totals, submit and pay by
card or transfer, cancel, duplicate, tracking), and what needs attention on
the dashboard (`attention` with `orders/_attention.html`)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

import httpx
from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _
from web.pages.context import Ctx, field_errors, page
from web.pages.orders_common import all_delivery_points, order_lines_page, refusal
from web.pages.orders_new import new_routes

LIST_SIZE = 25
STATUSES = (
    "ORDER_STATUS_DRAFT",
    "ORDER_STATUS_AWAITING_PAYMENT",
    "ORDER_STATUS_PAID",
    "ORDER_STATUS_IN_PRODUCTION",
    "ORDER_STATUS_SHIPPED",
    "ORDER_STATUS_DELIVERED",
    "ORDER_STATUS_CANCELLED",
)
CANCELLABLE = frozenset(STATUSES[:3])
PAYMENT_METHODS = ("CARD", "TRANSFER")
# Billing issues the order's invoice once it hears of the submitted order: the
# card payment waits this long for it before sending the user to the order page.
INVOICE_WAIT_SECONDS = 8.0
ATTENTION_SIZE = 5


# ---- history ---------------------------------------------------------------------------


@page()
async def orders(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    filters = {
        "status": params.get("status", "") if params.get("status", "") in STATUSES else "",
        "from": params.get("from", "").strip(),
        "to": params.get("to", "").strip(),
    }
    token = params.get("pageToken", "")
    errors: dict[str, str] = {}
    found: dict = {}
    try:
        found = await ctx.api(
            "GET", "/v1/orders", params={**filters, "pageSize": LIST_SIZE, "pageToken": token}
        )
    except ApiError as error:
        if error.status != 400:
            raise
        errors = field_errors(error) or {"from": refusal(error)}
    following = found.get("nextPageToken", "")
    return ctx.render(
        "orders/orders.html",
        status=400 if errors else 200,
        orders=found.get("orders", []),
        filters=filters,
        statuses=STATUSES,
        errors=errors,
        filtered=any(filters.values()),
        next_url=f"/orders?{urlencode({**filters, 'pageToken': following})}" if following else "",
        first_url=f"/orders?{urlencode(filters)}" if token else "",
    )


# ---- one order -------------------------------------------------------------------------


async def _order_payments(ctx: Ctx, order_id: str) -> list[dict]:
    """The card payments started for the order (their page is billing's)."""
    if not ctx.session.may("billing.read"):
        return []
    try:
        listed = await ctx.api("GET", "/v1/payments", params={"pageSize": 100})
    except ApiError:
        return []  # the order page stays useful without them
    return [p for p in listed.get("payments", []) if p.get("orderId") == order_id]


async def _order_page(
    ctx: Ctx, order: dict, *, errors: dict | None = None, status: int = 200
) -> Response:
    lines = await order_lines_page(ctx, order, "/v1/orders", f"/orders/{order['id']}")
    point = next(
        (p for p in await all_delivery_points(ctx) if p["id"] == order.get("deliveryPointId")),
        None,
    )
    method = order.get("paymentMethod", "")
    awaiting = order.get("status") == "ORDER_STATUS_AWAITING_PAYMENT"
    return ctx.render(
        "orders/order.html",
        status=status,
        order=order,
        point=point,
        **lines,
        transfer=order.get("transfer") if awaiting and method == "TRANSFER" else None,
        pay_by_card=awaiting and method == "CARD",
        cancellable=order.get("status") in CANCELLABLE,
        payments=await _order_payments(ctx, order["id"]),
        errors=errors or {},
        key=new_idempotency_key(),
    )


@page()
async def order(ctx: Ctx) -> Response:
    found = await ctx.api("GET", f"/v1/orders/{ctx.request.path_params['id']}")
    return await _order_page(ctx, found)


@page()
async def submit(ctx: Ctx) -> Response:
    order_id = ctx.request.path_params["id"]
    method = await ctx.field("paymentMethod")
    key = await posted_idempotency_header(ctx)
    if method not in PAYMENT_METHODS:
        found = await ctx.api("GET", f"/v1/orders/{order_id}")
        errors = {"paymentMethod": _("Choose how to pay.")}
        return await _order_page(ctx, found, errors=errors, status=400)
    try:
        await ctx.api(
            "POST", f"/v1/orders/{order_id}:submit", json={"paymentMethod": method}, headers=key
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        # Already submitted (another tab, a double click still running): its page says where it is.
        ctx.session.flash(refusal(error), "error")
        return ctx.redirect(f"/orders/{order_id}")
    if method == "TRANSFER":
        ctx.session.flash(
            _("Your order is submitted. Pay it by bank transfer with the details below."),
            "success",
        )
        return ctx.redirect(f"/orders/{order_id}#transfer")
    return await _pay_by_card(ctx, order_id)


@page()
async def pay(ctx: Ctx) -> Response:
    return await _pay_by_card(ctx, ctx.request.path_params["id"])


async def _order_invoice(ctx: Ctx, order_id: str) -> dict | None:
    """The order's unpaid invoice, once billing has issued it."""
    deadline = time.monotonic() + INVOICE_WAIT_SECONDS
    while True:
        unpaid = await ctx.api(
            "GET",
            "/v1/documents",
            params={"type": "DOCUMENT_TYPE_INVOICE", "unpaid": "true", "pageSize": 100},
        )
        for document in unpaid.get("documents", []):
            if document.get("orderId") == order_id:
                return document
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.25)


async def _pay_by_card(ctx: Ctx, order_id: str) -> Response:
    """Starts the card payment of the order's invoice and sends the browser to
    the provider's page (which brings the user back to /payments/{id})."""
    found = await ctx.api("GET", f"/v1/orders/{order_id}")  # 404 for another account's
    if found.get("status") != "ORDER_STATUS_AWAITING_PAYMENT":
        ctx.session.flash(_("This order is not waiting for a payment."), "info")
        return ctx.redirect(f"/orders/{order_id}")
    invoice = await _order_invoice(ctx, order_id)
    if invoice is None:
        ctx.session.flash(
            _("Your invoice is being prepared: pay by card in a moment with the button below."),
            "info",
        )
        return ctx.redirect(f"/orders/{order_id}")
    # The submit's key names the form sent; the payment gets a key of its own.
    headers = await posted_idempotency_header(ctx, "-pay")
    try:
        payment = await ctx.api(
            "POST", f"/v1/documents/{invoice['id']}:pay", json={}, headers=headers
        )
    except ApiError as error:
        if error.status in (401, 403, 404):
            raise
        ctx.session.flash(
            refusal(error)
            if error.status < 500
            else _("The card payment could not be started. Please try again in a moment."),
            "error",
        )
        return ctx.redirect(f"/orders/{order_id}")
    if not payment.get("redirectUrl"):
        return ctx.redirect(f"/payments/{payment['id']}")
    return ctx.redirect(payment["redirectUrl"])


@page()
async def cancel_form(ctx: Ctx) -> Response:
    found = await ctx.api("GET", f"/v1/orders/{ctx.request.path_params['id']}")
    return ctx.render(
        "orders/confirm.html",
        title=_("Cancel an order"),
        question=_("Cancel the order %(number)s?") % {"number": found.get("number", "")},
        detail=_(
            "Nothing will be produced or loaded. Any invoice of it is cancelled by a credit note."
        ),
        action=f"/orders/{found['id']}/cancel",
        button=_("Cancel the order"),
        back=f"/orders/{found['id']}",
    )


@page()
async def cancel(ctx: Ctx) -> Response:
    await ctx.form()
    order_id = ctx.request.path_params["id"]
    try:
        await ctx.api("POST", f"/v1/orders/{order_id}:cancel", json={})
    except ApiError as error:
        if error.status != 400:
            raise
        ctx.session.flash(refusal(error), "error")
        return ctx.redirect(f"/orders/{order_id}")
    ctx.session.flash(_("The order was cancelled."), "success")
    return ctx.redirect(f"/orders/{order_id}")


@page()
async def duplicate(ctx: Ctx) -> Response:
    order_id = ctx.request.path_params["id"]
    try:
        copy = await ctx.api(
            "POST",
            f"/v1/orders/{order_id}:duplicate",
            json={},
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status != 400:
            raise
        ctx.session.flash(refusal(error), "error")
        return ctx.redirect(f"/orders/{order_id}")
    ctx.session.flash(
        _("A new draft order was made from that one: review it, then choose how to pay."),
        "success",
    )
    return ctx.redirect(f"/orders/{copy['id']}")


# ---- the dashboard ---------------------------------------------------------------------


async def attention(ctx: Ctx) -> dict:
    """What needs the user's attention in their card orders, for the dashboard's
    `orders/_attention.html`: `{"orders_attention": {...}}` with drafts to
    submit, orders awaiting payment and deliveries on the way (a few of each,
    `more` when there are others); nothing when the user may not see orders or
    nothing waits. An unreachable API never breaks the dashboard."""
    if not ctx.session.may("orders.read"):
        return {}
    groups: dict[str, dict] = {}
    try:
        # One call after the other: a token refreshed twice at once would be
        # taken for a stolen one.
        for name, status in (
            ("drafts", "ORDER_STATUS_DRAFT"),
            ("unpaid", "ORDER_STATUS_AWAITING_PAYMENT"),
            ("on_the_way", "ORDER_STATUS_SHIPPED"),
        ):
            found = await ctx.api(
                "GET", "/v1/orders", params={"status": status, "pageSize": ATTENTION_SIZE}
            )
            groups[name] = {
                "orders": found.get("orders", []),
                "more": bool(found.get("nextPageToken")),
                "href": f"/orders?{urlencode({'status': status})}",
            }
    except (ApiError, httpx.HTTPError):
        return {}
    if not any(group["orders"] for group in groups.values()):
        return {}
    return {"orders_attention": groups}


routes = [
    Route("/orders", orders, methods=["GET"]),
    *new_routes,  # before /orders/{id}: `template.csv` is not an order id
    Route("/orders/{id}", order, methods=["GET"]),
    Route("/orders/{id}/submit", submit, methods=["POST"]),
    Route("/orders/{id}/pay", pay, methods=["POST"]),
    Route("/orders/{id}/cancel", cancel_form, methods=["GET"]),
    Route("/orders/{id}/cancel", cancel, methods=["POST"]),
    Route("/orders/{id}/duplicate", duplicate, methods=["POST"]),
]
