"""Claims: disputing an invoice, the list, one claim with the operator's answer."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _
from web.pages.billing_common import (
    CLAIM_REASONS,
    PAGE_SIZE,
    all_claims,
    field_problems,
    path_id,
    refusal,
)
from web.pages.context import Ctx, page


@page()
async def claims(ctx: Ctx) -> Response:
    token = ctx.request.query_params.get("pageToken", "")
    listed = await ctx.api("GET", "/v1/claims", params={"pageSize": PAGE_SIZE, "pageToken": token})
    next_token = listed.get("nextPageToken") or ""
    return ctx.render(
        "billing/claims.html",
        claims=listed.get("claims") or [],
        next_url="/claims?" + urlencode({"pageToken": next_token}) if next_token else "",
        show_first=bool(token),
    )


@page()
async def claim(ctx: Ctx) -> Response:
    claim_id = ctx.request.path_params["id"]
    # The API has no call for one claim: it is found in the account's list.
    found = next((c for c in await all_claims(ctx) if c.get("id") == claim_id), None)
    if found is None:
        return ctx.render("errors/not_found.html", status=404)
    return ctx.render("billing/claim.html", claim=found)


async def _claim_form(
    ctx: Ctx,
    document: dict,
    *,
    status: int = 200,
    values: dict | None = None,
    errors: dict | None = None,
) -> Response:
    return ctx.render(
        "billing/claim_new.html",
        status=status,
        document=document,
        reasons=CLAIM_REASONS,
        values=values or {},
        errors=errors or {},
        idempotency_key=new_idempotency_key(),
    )


@page()
async def new_claim(ctx: Ctx) -> Response:
    document = await ctx.api("GET", f"/v1/documents/{path_id(ctx)}")
    return await _claim_form(
        ctx, document, values={"reason": ctx.request.query_params.get("reason", "")}
    )


@page()
async def create_claim(ctx: Ctx) -> Response:
    document_id = path_id(ctx)
    values = {"reason": (await ctx.field("reason")).strip(), "message": await ctx.field("message")}
    try:
        opened = await ctx.api(
            "POST",
            f"/v1/documents/{document_id}/claims",
            json=values,
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        document = await ctx.api("GET", f"/v1/documents/{document_id}")
        errors = field_problems(error)
        if not errors:
            ctx.session.flash(refusal(error), "error")
        return await _claim_form(ctx, document, status=400, values=values, errors=errors)
    ctx.session.flash(
        _("Your claim on %(number)s is sent: we answer it here and by e-mail.")
        % {"number": opened.get("documentNumber")},
        "success",
    )
    return ctx.redirect(f"/claims/{opened['id']}")


routes = [
    Route("/claims", claims, methods=["GET"]),
    Route("/claims/{id}", claim, methods=["GET"]),
    Route("/documents/{id}/claim", new_claim, methods=["GET"]),
    Route("/documents/{id}/claim", create_claim, methods=["POST"]),
]
