"""Quotes (the guide's "Mes devis"): filtered and sorted, each with its lines,
totals and validity, its PDF, and "Validate my order" with the customer's
purchase-order reference (or a decline with a reason). Routes:
`web/pages/assets.py`."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

from web.api import ApiError
from web.forms import IDEMPOTENCY_FIELD, idempotency_header, new_idempotency_key, parse_euros
from web.i18n import _, day
from web.pages.assets_common import (
    SELECT_PAGE_SIZE,
    labels,
    page_links,
    place_errors,
    query,
    text,
)
from web.pages.context import Ctx, page

PAGE_SIZE = 25
FILTERS = ("status", "from", "to", "min", "max", "equipment", "sort")
FILTER_FIELDS = {
    "status": "status",
    "from": "from",
    "to": "to",
    "minAmountCents": "min",
    "maxAmountCents": "max",
    "equipmentId": "equipment",
    "sort": "sort",
}
PENDING = "QUOTE_STATUS_PENDING"


def _sorts() -> list[tuple[str, str]]:
    return [
        ("-issued", _("Newest first")),
        ("issued", _("Oldest first")),
        ("-amount", _("Largest amount first")),
        ("amount", _("Smallest amount first")),
        ("validUntil", _("Validity ending soonest")),
        ("-validUntil", _("Validity ending latest")),
    ]


@page()
async def quotes_list(ctx: Ctx) -> Response:
    filters = {name: query(ctx, name) for name in FILTERS}
    errors: dict[str, str] = {}
    amounts: dict[str, int | None] = {}
    for name in ("min", "max"):
        try:
            amounts[name] = parse_euros(filters[name], zero=True)
        except ValueError as problem:
            errors[name] = str(problem)
    machines = await ctx.api("GET", "/v1/equipment", params={"pageSize": SELECT_PAGE_SIZE})
    words = labels()
    context = {
        "filters": filters,
        "labels": words,
        "status_options": list(words["quote_status"].items()),
        "sort_options": _sorts(),
        "machine_options": [
            (m["id"], f"{m.get('name', '')} ({m.get('reference', '')})")
            for m in machines.get("equipment", [])
        ],
    }
    if errors:
        return ctx.render(
            "assets/quotes.html",
            status=400,
            quotes=[],
            links={},
            errors=errors,
            problems=[],
            **context,
        )
    params = {
        "status": filters["status"],
        "from": filters["from"],
        "to": filters["to"],
        "minAmountCents": amounts["min"],
        "maxAmountCents": amounts["max"],
        "equipmentId": filters["equipment"],
        "sort": filters["sort"],
        "pageSize": PAGE_SIZE,
        "pageToken": query(ctx, "page"),
    }
    try:
        answer = await ctx.api("GET", "/v1/quotes", params=params)
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, FILTER_FIELDS.get)
        return ctx.render(
            "assets/quotes.html",
            status=400,
            quotes=[],
            links={},
            errors=placed.fields,
            problems=placed.general,
            **context,
        )
    return ctx.render(
        "assets/quotes.html",
        quotes=answer.get("quotes", []),
        links=page_links(ctx, answer.get("nextPageToken", "")),
        errors={},
        problems=[],
        **context,
    )


def _quote_path(ctx: Ctx) -> str:
    return f"/v1/quotes/{quote(ctx.request.path_params['id'])}"


async def _render_quote(
    ctx: Ctx,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    values: dict | None = None,
) -> Response:
    found = await ctx.api("GET", _quote_path(ctx))
    machine = None
    if found.get("equipmentId"):
        try:
            machine = await ctx.api("GET", f"/v1/equipment/{quote(found['equipmentId'])}")
        except ApiError as error:
            if error.status != 404:
                raise
    return ctx.render(
        "assets/quote.html",
        status=status,
        quote=found,
        machine=machine,
        labels=labels(),
        answerable=found.get("status") == PENDING and ctx.session.may("quotes.accept"),
        errors=errors or {},
        problems=problems or [],
        values={IDEMPOTENCY_FIELD: new_idempotency_key(), **(values or {})},
    )


@page()
async def quote_detail(ctx: Ctx) -> Response:
    return await _render_quote(ctx)


@page()
async def quote_pdf(ctx: Ctx) -> Response:
    found = await ctx.api("GET", _quote_path(ctx))
    return await ctx.download(
        f"{_quote_path(ctx)}/pdf", filename=f"{found.get('number') or found['id']}.pdf"
    )


def _refusal(error: ApiError, found: dict) -> str:
    """Why the quote can no longer be answered, in the user's words."""
    if error.reason == "QUOTE_ALREADY_ACCEPTED":
        return _("This quote was already accepted (order %(order)s).") % {
            "order": found.get("orderNumber", "")
        }
    if error.reason == "QUOTE_EXPIRED":
        return _("This quote expired: it could be accepted until %(day)s.") % {
            "day": day(found.get("validUntil", ""))
        }
    if error.reason == "QUOTE_DECLINED":
        return _("This quote was declined: it can no longer be accepted.")
    return error.message


async def _answer(ctx: Ctx, action: str, body: dict, field: str, values: dict) -> Response:
    """Accepts or declines; a refusal is shown on the quote, the field's problem
    next to it."""
    try:
        answered = await ctx.api(
            "POST",
            f"{_quote_path(ctx)}:{action}",
            json=body,
            headers=idempotency_header(values.get(IDEMPOTENCY_FIELD, "")),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        if error.violations:
            placed = place_errors(error, {next(iter(body)): field}.get)
            return await _render_quote(
                ctx, status=400, errors=placed.fields, problems=placed.general, values=values
            )
        found = await ctx.api("GET", _quote_path(ctx))
        return await _render_quote(
            ctx, status=400, problems=[_refusal(error, found)], values=values
        )
    if action == "accept":
        ctx.session.flash(
            _("Your order %(order)s is confirmed, with your purchase order %(reference)s.")
            % {
                "order": answered.get("orderNumber", ""),
                "reference": answered.get("purchaseOrderReference", ""),
            },
            "success",
        )
    else:
        ctx.session.flash(
            _("You declined quote %(number)s.") % {"number": answered.get("number", "")},
            "success",
        )
    return ctx.redirect(f"/quotes/{answered['id']}")


@page()
async def accept_quote(ctx: Ctx) -> Response:
    form = await ctx.form()
    reference = text(form, "purchase_order_reference").strip()
    values = {
        "purchase_order_reference": reference,
        IDEMPOTENCY_FIELD: text(form, IDEMPOTENCY_FIELD),
    }
    return await _answer(
        ctx, "accept", {"purchaseOrderReference": reference}, "purchase_order_reference", values
    )


@page()
async def decline_quote(ctx: Ctx) -> Response:
    reason = (await ctx.field("reason")).strip()
    return await _answer(ctx, "decline", {"reason": reason}, "reason", {"reason": reason})
