"""Financial documents (invoices, credit notes, statements), their PDF, the
balance and paying by card (a document or the balance: the browser goes to the
provider's page, which sends it back to `/payments/{id}`), and what billing
puts on the dashboard."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

import httpx
from babel.numbers import format_percent
from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, parse_euros, posted_idempotency_header
from web.i18n import LOCALES, current_language
from web.pages.billing_common import (
    DOCUMENT_TYPES,
    OPEN_CLAIM_STATUSES,
    PAGE_SIZE,
    all_claims,
    cents,
    field_problems,
    path_id,
    refusal,
)
from web.pages.context import Ctx, page

PARIS = ZoneInfo("Europe/Paris")


def vat_rate(basis_points: int | str | None) -> str:
    """2000 -> `20 %` / `20%`, 550 -> `5,5 %` (every decimal kept)."""
    return format_percent(
        Decimal(int(basis_points or 0)) / 10_000,
        locale=LOCALES[current_language()],
        decimal_quantization=False,
    )


def today() -> str:
    """Today in Paris, where the portal's customers' due dates fall."""
    return datetime.now(PARIS).date().isoformat()


# ---- documents ----------------------------------------------------------------------------


def _filters(ctx: Ctx) -> dict[str, str]:
    query = ctx.request.query_params
    kind = query.get("type", "")
    return {
        # Only the API's own types: a hand-edited URL lists everything instead.
        "type": kind if kind in DOCUMENT_TYPES else "",
        "from": query.get("from", "").strip(),
        "to": query.get("to", "").strip(),
        "unpaid": "true" if query.get("unpaid") in ("true", "on", "1") else "",
    }


@page()
async def documents(ctx: Ctx) -> Response:
    filters = _filters(ctx)
    token = ctx.request.query_params.get("pageToken", "")
    errors: dict[str, str] = {}
    listed: dict = {}
    try:
        listed = await ctx.api(
            "GET", "/v1/documents", params={**filters, "pageSize": PAGE_SIZE, "pageToken": token}
        )
    except ApiError as error:
        if error.status != 400 or not error.violations:
            raise
        errors = field_problems(error)
        for name in set(errors) - {"from", "to"}:  # a stale page token: said at the top
            ctx.session.flash(errors.pop(name), "error")
    balance = await ctx.api("GET", "/v1/balance")
    next_token = listed.get("nextPageToken") or ""
    return ctx.render(
        "billing/documents.html",
        status=400 if errors else 200,
        documents=listed.get("documents") or [],
        filters=filters,
        errors=errors,
        balance=balance,
        filtered=any(filters.values()),
        today=today(),
        show_first=bool(token),
        next_url=f"/documents?{urlencode({**filters, 'pageToken': next_token})}"
        if next_token
        else "",
        first_url=f"/documents?{urlencode({k: v for k, v in filters.items() if v})}",
    )


async def _credit_note_of(ctx: Ctx, invoice: dict) -> dict | None:
    """The credit note cancelling `invoice`, if any: the API marks a cancelled
    invoice paid (nothing left to pay) without saying it was credited."""
    notes = await ctx.api_all(
        "/v1/documents",
        "documents",
        params={"type": "DOCUMENT_TYPE_CREDIT_NOTE", "from": invoice.get("issueDate", "")},
        max_pages=5,
    )
    for note in notes:
        if note.get("creditsDocumentId") == invoice["id"]:
            return note
    return None


async def _document_page(
    ctx: Ctx, document_id: str, *, status: int = 200, error: str = ""
) -> Response:
    document = await ctx.api("GET", f"/v1/documents/{document_id}")
    invoice = document.get("type") == "DOCUMENT_TYPE_INVOICE"
    credit_note = await _credit_note_of(ctx, document) if invoice and document.get("paid") else None
    credited = None
    if document.get("creditsDocumentId"):
        try:
            credited = await ctx.api("GET", f"/v1/documents/{document['creditsDocumentId']}")
        except ApiError as missing:  # past the 5 years kept: named without a link
            if missing.status != 404:
                raise
    claims = [c for c in await all_claims(ctx) if c.get("documentId") == document["id"]]
    for line in document.get("lines") or []:
        line["vat_rate"] = vat_rate(line.get("vatRateBp"))
    if error:
        ctx.session.flash(error, "error")
    return ctx.render(
        "billing/document.html",
        status=status,
        document=document,
        invoice=invoice,
        today=today(),
        credit_note=credit_note,
        credited=credited,
        claims=claims,
        open_claim=next((c for c in claims if c.get("status") in OPEN_CLAIM_STATUSES), None),
        payable=invoice and cents(document.get("remaining")) > 0,
        may_pay=ctx.session.may("billing.pay"),
        idempotency_key=new_idempotency_key(),
    )


@page()
async def document(ctx: Ctx) -> Response:
    return await _document_page(ctx, path_id(ctx))


@page()
async def document_pdf(ctx: Ctx) -> Response:
    document_id = path_id(ctx)
    document = await ctx.api("GET", f"/v1/documents/{document_id}")
    # The number is ours, but a header is no place to trust it blindly:
    # `download` makes the name safe.
    name = document.get("number") or "document"
    return await ctx.download(
        f"/v1/documents/{document_id}/pdf", f"{name}.pdf", media_type="application/pdf"
    )


def _to_provider(ctx: Ctx, payment: dict) -> Response:
    """To the provider's page; to the payment's own page when there is none to go to."""
    target = payment.get("redirectUrl") or ""
    if urlparse(target).scheme in ("http", "https"):
        return ctx.redirect(target)
    return ctx.redirect(f"/payments/{payment['id']}")


@page()
async def pay_document(ctx: Ctx) -> Response:
    document_id = path_id(ctx)
    try:
        payment = await ctx.api(
            "POST",
            f"/v1/documents/{document_id}:pay",
            json={},
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status in (404, 403):
            raise
        return await _document_page(
            ctx, document_id, status=503 if error.status == 503 else 400, error=refusal(error)
        )
    return _to_provider(ctx, payment)


# ---- the balance ---------------------------------------------------------------------------


def _overdue(documents: list[dict]) -> int:
    now = today()
    return sum(1 for d in documents if d.get("dueDate") and d["dueDate"] < now)


async def _balance_page(
    ctx: Ctx, *, status: int = 200, values: dict | None = None, errors: dict | None = None
) -> Response:
    balance = await ctx.api("GET", "/v1/balance")
    unpaid = balance.get("unpaidDocuments") or []
    return ctx.render(
        "billing/balance.html",
        status=status,
        balance=balance,
        due_cents=cents(balance.get("due")),
        unpaid=unpaid,
        overdue=_overdue(unpaid),
        today=today(),
        may_pay=ctx.session.may("billing.pay"),
        values=values or {},
        errors=errors or {},
        idempotency_key=new_idempotency_key(),
    )


@page()
async def balance(ctx: Ctx) -> Response:
    return await _balance_page(ctx)


@page()
async def pay_balance(ctx: Ctx) -> Response:
    raw = (await ctx.field("amount")).strip()
    values = {"amount": raw}
    body: dict = {}
    if raw:
        try:
            amount = parse_euros(raw)
        except ValueError as problem:
            return await _balance_page(
                ctx, status=400, values=values, errors={"amount": str(problem)}
            )
        body = {"amount": {"amountCents": amount, "currency": "EUR"}}
    try:
        payment = await ctx.api(
            "POST", "/v1/balance:pay", json=body, headers=await posted_idempotency_header(ctx)
        )
    except ApiError as error:
        if error.status in (404, 403):
            raise
        errors = field_problems(
            error, {"amount.currency": "amount", "amount.amountCents": "amount"}
        )
        if not errors:
            ctx.session.flash(refusal(error), "error")
        return await _balance_page(
            ctx, status=503 if error.status == 503 else 400, values=values, errors=errors
        )
    return _to_provider(ctx, payment)


# ---- the dashboard ---------------------------------------------------------------------------


async def attention(ctx: Ctx) -> dict:
    """What billing asks the user to look at, for the dashboard's
    `billing/_attention.html`: `{"billing_attention": {...}}` (nothing when the
    user may not read billing or nothing needs attention). An unreachable
    billing never breaks the dashboard."""
    if not ctx.session.may("billing.read"):
        return {}
    try:
        balance = await ctx.api("GET", "/v1/balance")
        claims = await all_claims(ctx)
    except (ApiError, httpx.HTTPError):
        return {}
    unpaid = balance.get("unpaidDocuments") or []
    due = balance.get("due") or {}
    open_claims = [c for c in claims if c.get("status") in OPEN_CLAIM_STATUSES]
    if not cents(due) and not open_claims:
        return {}
    return {
        "billing_attention": {
            "due": due,
            "due_cents": cents(due),
            "unpaid_count": len(unpaid),
            "overdue_count": _overdue(unpaid),
            "open_claims": len(open_claims),
            "may_pay": ctx.session.may("billing.pay"),
        }
    }


routes = [
    Route("/documents", documents, methods=["GET"]),
    Route("/documents/{id}", document, methods=["GET"]),
    Route("/documents/{id}/pdf", document_pdf, methods=["GET"]),
    Route("/documents/{id}/pay", pay_document, methods=["POST"]),
    Route("/balance", balance, methods=["GET"]),
    Route("/balance/pay", pay_balance, methods=["POST"]),
]
