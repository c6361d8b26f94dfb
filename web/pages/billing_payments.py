"""Payments: the list, and one payment's page, where the payment provider sends
the customer back (it follows the payment until its state is final)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.pages.billing_common import FINAL_PAYMENT_STATES, PAGE_SIZE, failure_reason, path_id
from web.pages.context import Ctx, page

# A payment still pending this long after it was made was most likely left on
# the provider's page: the page stops reloading itself and says so.
FOLLOW_FOR = timedelta(minutes=15)
# Documents named on a payment's page (a balance payment may settle many).
MAX_DOCUMENTS_SHOWN = 20


@page()
async def payments(ctx: Ctx) -> Response:
    token = ctx.request.query_params.get("pageToken", "")
    listed = await ctx.api(
        "GET", "/v1/payments", params={"pageSize": PAGE_SIZE, "pageToken": token}
    )
    next_token = listed.get("nextPageToken") or ""
    return ctx.render(
        "billing/payments.html",
        payments=listed.get("payments") or [],
        next_url="/payments?" + urlencode({"pageToken": next_token}) if next_token else "",
        show_first=bool(token),
    )


def _recent(payment: dict) -> bool:
    try:
        created = datetime.fromisoformat((payment.get("createdAt") or "").replace("Z", "+00:00"))
    except ValueError:
        return True
    return datetime.now(UTC) - created < FOLLOW_FOR


@page()
async def payment(ctx: Ctx) -> Response:
    found = await ctx.api("GET", f"/v1/payments/{path_id(ctx)}")
    documents = []
    for document_id in (found.get("documentIds") or [])[:MAX_DOCUMENTS_SHOWN]:
        try:
            documents.append(await ctx.api("GET", f"/v1/documents/{document_id}"))
        except ApiError as error:  # past the 5 years kept: not named
            if error.status != 404:
                raise
    final = found.get("state") in FINAL_PAYMENT_STATES
    return ctx.render(
        "billing/payment.html",
        payment=found,
        documents=documents,
        more_documents=max(len(found.get("documentIds") or []) - MAX_DOCUMENTS_SHOWN, 0),
        final=final,
        follow=not final and _recent(found),
        failure=failure_reason(found.get("failureReason") or "")
        if found.get("state") == "PAYMENT_STATE_FAILED"
        else "",
    )


routes = [
    Route("/payments", payments, methods=["GET"]),
    Route("/payments/{id}", payment, methods=["GET"]),
]
