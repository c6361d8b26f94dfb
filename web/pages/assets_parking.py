"""Parking (the guide's "Contrats" and "Décomptes petits rouleurs"): the
customer's contracts, each one's details, and the low-usage monthly statements
with their PDFs. Routes: `web/pages/assets.py`."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

from web.api import ApiError
from web.pages.assets_common import (
    labels,
    month_words,
    page_links,
    place_errors,
    query,
)
from web.pages.context import Ctx, page

PAGE_SIZE = 24
# A contract's page shows its statements of about the last two years.
CONTRACT_STATEMENTS = 100
LOW_USAGE = "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT"


@page()
async def contracts(ctx: Ctx) -> Response:
    answer = await ctx.api("GET", "/v1/parking/contracts")
    found = sorted(answer.get("contracts", []), key=lambda c: c.get("number", ""))
    return ctx.render(
        "assets/parking.html",
        contracts=found,
        labels=labels(),
        low_usage=any(c.get("type") == LOW_USAGE for c in found),
    )


@page()
async def contract(ctx: Ctx) -> Response:
    found = await ctx.api("GET", f"/v1/parking/contracts/{quote(ctx.request.path_params['id'])}")
    statements = []
    if found.get("type") == LOW_USAGE:
        # The API lists statements by month only: this contract's are picked out.
        answer = await ctx.api(
            "GET", "/v1/parking/statements", params={"pageSize": CONTRACT_STATEMENTS}
        )
        statements = [s for s in answer.get("statements", []) if s["contractId"] == found["id"]]
    return ctx.render(
        "assets/contract.html",
        contract=found,
        statements=statements,
        labels=labels(),
        low_usage=found.get("type") == LOW_USAGE,
        month_words=month_words,
    )


@page()
async def statements(ctx: Ctx) -> Response:
    month = query(ctx, "month")
    params = {"month": month, "pageSize": PAGE_SIZE, "pageToken": query(ctx, "page")}
    try:
        answer = await ctx.api("GET", "/v1/parking/statements", params=params)
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, {"month": "month"}.get)
        return ctx.render(
            "assets/statements.html",
            status=400,
            month=month,
            statements=[],
            links={},
            errors=placed.fields,
            problems=placed.general,
            month_words=month_words,
        )
    return ctx.render(
        "assets/statements.html",
        month=month,
        statements=answer.get("statements", []),
        links=page_links(ctx, answer.get("nextPageToken", "")),
        errors={},
        problems=[],
        month_words=month_words,
    )


@page()
async def statement_pdf(ctx: Ctx) -> Response:
    path = f"/v1/parking/statements/{quote(ctx.request.path_params['id'])}"
    found = await ctx.api("GET", path)
    name = "-".join(p for p in (found.get("contractNumber"), found.get("month")) if p)
    return await ctx.download(f"{path}/pdf", filename=f"{name or found['id']}.pdf")
