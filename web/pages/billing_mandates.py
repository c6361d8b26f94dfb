"""SEPA direct-debit mandates: the list, a new mandate (the API checks the IBAN
and the BIC), revoking one after a confirmation page (no JavaScript needed)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _
from web.pages.billing_common import (
    field_problems,
    path_id,
    refusal,
)
from web.pages.context import Ctx, page

FIELDS = ("iban", "bic", "holder")


async def _mandates_page(
    ctx: Ctx, *, status: int = 200, values: dict | None = None, errors: dict | None = None
) -> Response:
    mandates = await ctx.api_all("/v1/mandates", "mandates")
    return ctx.render(
        "billing/mandates.html",
        status=status,
        mandates=mandates,
        active=[m for m in mandates if m.get("status") == "ACTIVE"],
        may_pay=ctx.session.may("billing.pay"),
        values=values or {},
        errors=errors or {},
        idempotency_key=new_idempotency_key(),
    )


@page()
async def mandates(ctx: Ctx) -> Response:
    return await _mandates_page(ctx)


@page()
async def create_mandate(ctx: Ctx) -> Response:
    values = {name: (await ctx.field(name)).strip() for name in FIELDS}
    try:
        mandate = await ctx.api(
            "POST", "/v1/mandates", json=values, headers=await posted_idempotency_header(ctx)
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_problems(error)
        if not errors:
            ctx.session.flash(refusal(error), "error")
        return await _mandates_page(ctx, status=400, values=values, errors=errors)
    ctx.session.flash(
        _("Direct debit set up: mandate %(reference)s.") % {"reference": mandate.get("reference")},
        "success",
    )
    return ctx.redirect("/mandates")


async def _mandate(ctx: Ctx, mandate_id: str) -> dict | None:
    # The API has no call for one mandate: it is found in the account's list.
    mandates = await ctx.api_all("/v1/mandates", "mandates")
    return next((m for m in mandates if m.get("id") == mandate_id), None)


@page()
async def confirm_revoke(ctx: Ctx) -> Response:
    mandate = await _mandate(ctx, ctx.request.path_params["id"])
    if mandate is None:
        return ctx.render("errors/not_found.html", status=404)
    return ctx.render("billing/mandate_revoke.html", mandate=mandate)


@page()
async def revoke(ctx: Ctx) -> Response:
    await ctx.form()
    mandate_id = path_id(ctx)
    try:
        mandate = await ctx.api("POST", f"/v1/mandates/{mandate_id}:revoke", json={})
    except ApiError as error:
        if error.status != 400:
            raise
        ctx.session.flash(refusal(error), "error")
        return await _mandates_page(ctx, status=400)
    ctx.session.flash(
        _("Mandate %(reference)s revoked: no more direct debits will be made under it.")
        % {"reference": mandate.get("reference")},
        "success",
    )
    return ctx.redirect("/mandates")


routes = [
    Route("/mandates", mandates, methods=["GET"]),
    Route("/mandates", create_mandate, methods=["POST"]),
    Route("/mandates/{id}/revoke", confirm_revoke, methods=["GET"]),
    Route("/mandates/{id}/revoke", revoke, methods=["POST"]),
]
