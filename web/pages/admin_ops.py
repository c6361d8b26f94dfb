"""Back office: dead letters of every service (and retrying them), the order
production desk (production, shipping, delivery stages, card loads) and
received bank transfers (unmatched ones, matching again, recording, importing
a statement)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import (
    IDEMPOTENCY_FIELD,
    idempotency_header,
    new_idempotency_key,
    parse_euros,
    problem_rows,
)
from web.i18n import _
from web.pages.admin_common import (
    account_names,
    first_of,
    form_error,
    label,
    page_params,
    render,
    require_operator,
)
from web.pages.context import Ctx, field_errors, page
from web.pages.orders_common import order_lines_page

# The services whose consumers park events (`GET /v1/admin/<domain>/dead-letters`).
DOMAINS = ("identity", "ordering", "billing", "fleet", "assets", "notifications")
DEAD_LETTERS_SHOWN = 100
# A statement larger than this is refused before it reaches the API.
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


# ---- dead letters ------------------------------------------------------------------------


def _domain_names() -> dict[str, str]:
    return {
        "identity": _("Identity and access"),
        "ordering": _("Ordering"),
        "billing": _("Billing"),
        "fleet": _("Mobile fleet"),
        "assets": _("Equipment and parking"),
        "notifications": _("E-mails"),
    }


@page()
async def dead_letters(ctx: Ctx) -> Response:
    require_operator(ctx)

    def listing(domain: str):
        return lambda: ctx.api(
            "GET",
            f"/v1/admin/{domain}/dead-letters",
            params={"pageSize": DEAD_LETTERS_SHOWN},
        )

    answers = await first_of([listing(d) for d in DOMAINS])
    names = _domain_names()
    sections = []
    for domain, answer in zip(DOMAINS, answers, strict=True):
        if isinstance(answer, ApiError):
            if answer.status == 403:
                raise answer
            sections.append({"domain": domain, "name": names[domain], "error": answer.message})
            continue
        sections.append(
            {
                "domain": domain,
                "name": names[domain],
                "letters": answer.get("deadLetters") or [],
                "more": bool(answer.get("nextPageToken")),
            }
        )
    return render(
        ctx,
        "admin/dead_letters.html",
        sections=sections,
        total=sum(len(s.get("letters", [])) for s in sections),
    )


@page()
async def retry_dead_letter(ctx: Ctx) -> Response:
    require_operator(ctx)
    domain = ctx.request.path_params["domain"]
    letter_id = ctx.request.path_params["id"]
    await ctx.form()
    if domain not in DOMAINS:
        raise ApiError(404, "NOT_FOUND", "")
    try:
        answer = await ctx.api(
            "POST", f"/v1/admin/{domain}/dead-letters/{quote(letter_id, safe='')}:retry"
        )
    except ApiError as error:
        if error.status not in (400, 404, 409) and error.status < 500:
            raise
        ctx.session.flash(
            _("The retry failed: %(reason)s") % {"reason": error.message or error.status},
            "error",
        )
        return ctx.redirect("/admin/dead-letters")
    if answer.get("applied"):
        ctx.session.flash(_("The event was applied: its dead letter is removed."), "success")
    else:
        ctx.session.flash(_("The event had already been applied: nothing was done."), "info")
    return ctx.redirect("/admin/dead-letters")


# ---- the order production desk -------------------------------------------------------------


# The statuses an operator filters the list by; PAID first: the production queue.
ORDER_STATUSES = (
    "ORDER_STATUS_PAID",
    "ORDER_STATUS_IN_PRODUCTION",
    "ORDER_STATUS_SHIPPED",
    "ORDER_STATUS_DELIVERED",
    "ORDER_STATUS_AWAITING_PAYMENT",
    "ORDER_STATUS_DRAFT",
    "ORDER_STATUS_CANCELLED",
)
# The per-line load choice of the order page: `load-<line id>` and `reason-<line id>`.
LOAD_PREFIX = "load-"
REASON_PREFIX = "reason-"


def _order_id(raw: str) -> str:
    """An order id, typed or pasted with its link (`.../orders/<id>`)."""
    text = raw.strip().rstrip("/")
    return text.rsplit("/", 1)[-1].split("?", 1)[0] if text else ""


def _order_path(order_id: str) -> str:
    return f"/v1/admin/orders/{quote(order_id, safe='')}"


async def _desk(
    ctx: Ctx,
    order_id: str,
    *,
    order: dict | None = None,
    status: int = 200,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    """The order page: the order, its lines and the step forms. After a
    refused step the order is read again; an order that cannot be read (an
    unknown id) leaves the error alone on the page."""
    if order is None:
        try:
            order = await ctx.api("GET", _order_path(order_id))
        except ApiError as failure:
            if failure.status != 404 or not error:
                raise
    desk = f"/admin/orders/{quote(order_id, safe='')}"
    lines = (
        await order_lines_page(ctx, order, "/v1/admin/orders", desk, "step-loads") if order else {}
    )
    return render(
        ctx,
        "admin/order.html",
        status=status,
        order_id=order_id,
        order=order,
        **lines,
        accounts=await account_names(ctx, [order.get("entityId", "")] if order else []),
        load_labels={
            "LOAD_STATUS_PENDING": _("Pending"),
            "LOAD_STATUS_LOADED": _("Loaded"),
            "LOAD_STATUS_FAILED": _("Failed"),
        },
        form=form,
        values=values or {},
        errors=errors or {},
        error=error,
    )


@page()
async def orders(ctx: Ctx) -> Response:
    require_operator(ctx)
    query = ctx.request.query_params
    raw = query.get("id", "")
    if raw:
        # A pasted id or link opens its order (the links orders e-mails carry).
        order_id = _order_id(raw)
        if _ORDER_ID.match(order_id):
            return ctx.redirect(f"/admin/orders/{order_id}")
    status = query.get("status", "ORDER_STATUS_PAID")
    status = status if status in ORDER_STATUSES else ""
    filters = {
        "status": status,
        "entityId": query.get("entityId", "").strip(),
        "q": query.get("q", "").strip(),
    }
    errors: dict[str, str] = {}
    found: list[dict] = []
    next_token = ""
    if raw:
        errors["id"] = _("Paste an order id, or the link to the order.")
    else:
        try:
            answer = await ctx.api("GET", "/v1/admin/orders", params=page_params(ctx, **filters))
            found = answer.get("orders") or []
            next_token = answer.get("nextPageToken", "")
        except ApiError as error:
            if error.status != 400:
                raise
            errors = field_errors(error) or {"q": form_error(error, {})}
    return render(
        ctx,
        "admin/orders.html",
        status=400 if errors else 200,
        orders=found,
        statuses=[("", _("All orders")), *((v, label(v)) for v in ORDER_STATUSES)],
        filters=filters,
        raw_id=raw,
        errors=errors,
        accounts=await account_names(ctx, [o.get("entityId", "") for o in found]),
        next_token=next_token,
    )


@page()
async def order_desk(ctx: Ctx) -> Response:
    require_operator(ctx)
    return await _desk(ctx, ctx.request.path_params["id"])


async def _order_action(
    ctx: Ctx,
    verb: str,
    body: dict,
    *,
    form: str,
    values: dict[str, str],
    field_names: dict[str, str] | None = None,
) -> Response:
    """Calls `:verb` on the order; success -> back to the desk with its new
    status; a refusal -> the desk with the error next to the form's field."""
    order_id = ctx.request.path_params["id"]
    try:
        order = await ctx.api("POST", f"{_order_path(order_id)}:{verb}", json=body)
    except ApiError as error:
        if error.status not in (400, 404, 409):
            raise
        errors = field_errors(error, field_names)
        message = _("No order has this id.") if error.status == 404 else form_error(error, errors)
        return await _desk(
            ctx,
            order_id,
            status=400 if error.status != 404 else 404,
            form=form,
            values=values,
            errors=errors,
            error=message,
        )
    ctx.session.flash(
        _("Order %(number)s: %(status)s.")
        % {"number": order.get("number", order_id), "status": label(order.get("status"))},
        "success",
    )
    return ctx.redirect(f"/admin/orders/{quote(order_id, safe='')}")


@page()
async def start_production(ctx: Ctx) -> Response:
    require_operator(ctx)
    await ctx.form()
    return await _order_action(ctx, "startProduction", {}, form="production", values={})


@page()
async def ship(ctx: Ctx) -> Response:
    require_operator(ctx)
    values = {
        "carrier": (await ctx.field("carrier")).strip(),
        "trackingUrl": (await ctx.field("trackingUrl")).strip(),
    }
    return await _order_action(ctx, "ship", values, form="ship", values=values)


@page()
async def add_stage(ctx: Ctx) -> Response:
    require_operator(ctx)
    values = {
        "stageLabel": (await ctx.field("stageLabel")).strip(),
        "stageLocation": (await ctx.field("stageLocation")).strip(),
    }
    return await _order_action(
        ctx,
        "addDeliveryStage",
        {"label": values["stageLabel"], "location": values["stageLocation"]},
        form="stage",
        values=values,
        field_names={"label": "stageLabel", "location": "stageLocation"},
    )


@page()
async def deliver(ctx: Ctx) -> Response:
    require_operator(ctx)
    await ctx.form()
    return await _order_action(ctx, "deliver", {}, form="deliver", values={})


def _outcomes(text: str) -> tuple[list[dict], str]:
    """`<line id>` (loaded), `<line id>;failed;<why>` one a line -> the API's
    outcomes, or the first line that reads wrong."""
    outcomes = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        cells = [c.strip() for c in raw.split(";")]
        outcome = cells[1].lower() if len(cells) > 1 else ""
        if not cells[0] or outcome not in ("", "ok", "loaded", "failed", "ko"):
            return [], _("line %(number)s: write the line id, then ;failed;reason if it failed") % {
                "number": number
            }
        loaded = outcome in ("", "ok", "loaded")
        outcomes.append(
            {
                "lineId": cells[0],
                "loaded": loaded,
                "error": "" if loaded else ";".join(cells[2:]),
            }
        )
    return outcomes, ""


def _chosen_outcomes(form: Mapping[str, object]) -> list[dict]:
    """The outcomes chosen line by line on the order page (`load-<line id>`:
    loaded or failed, `reason-<line id>`); lines left unchosen are skipped."""
    outcomes = []
    for name, value in form.items():
        if not name.startswith(LOAD_PREFIX) or value not in ("loaded", "failed"):
            continue
        line_id = name.removeprefix(LOAD_PREFIX)
        reason = str(form.get(REASON_PREFIX + line_id, "")).strip()
        loaded = value == "loaded"
        outcomes.append({"lineId": line_id, "loaded": loaded, "error": "" if loaded else reason})
    return outcomes


@page()
async def record_loads(ctx: Ctx) -> Response:
    require_operator(ctx)
    form = await ctx.form()
    text = str(form.get("outcomes", ""))
    # Everything typed or chosen, kept for the form shown again on an error.
    values = {
        name: str(value)
        for name, value in form.items()
        if name == "outcomes" or name.startswith((LOAD_PREFIX, REASON_PREFIX))
    }
    typed, problem = _outcomes(text)
    outcomes = _chosen_outcomes(form) + typed
    if not problem and not outcomes:
        problem = _("Choose the outcome of at least one line, or write it here.")
    if problem:
        return await _desk(
            ctx,
            ctx.request.path_params["id"],
            status=400,
            form="loads",
            values=values,
            errors={"outcomes": problem},
            error=_("Please correct the fields shown."),
        )
    return await _order_action(
        ctx,
        "recordLoads",
        {"outcomes": outcomes},
        form="loads",
        values=values,
        field_names={"lineId": "outcomes"},
    )


# ---- bank transfers ------------------------------------------------------------------------

TRANSFER_FIELDS = ("receivedOn", "amount", "reference", "payer")
TRANSFER_FIELD_NAMES = {"amount.amountCents": "amount", "amount.currency": "amount"}


async def _transfers_page(ctx: Ctx, *, status: int = 200, **extra) -> Response:
    show_all = ctx.request.query_params.get("all") == "1"
    params = page_params(ctx, unmatched="" if show_all else "true")
    answer = await ctx.api("GET", "/v1/admin/transfers", params=params)
    transfers = answer.get("transfers") or []
    context = {
        "values": {"receivedOn": date.today().isoformat()},
        "errors": {},
        "error": "",
        "import_errors": {},
        "problems": [],
        "problems_total": 0,
        **extra,
    }
    return render(
        ctx,
        "admin/transfers.html",
        status=status,
        show_all=show_all,
        transfers=transfers,
        accounts=await account_names(ctx, [t.get("entityId", "") for t in transfers]),
        next_token=answer.get("nextPageToken", ""),
        filters={"all": "1"} if show_all else {},
        idempotency_key=new_idempotency_key(),
        **context,
    )


@page()
async def transfers(ctx: Ctx) -> Response:
    require_operator(ctx)
    return await _transfers_page(ctx)


@page()
async def rematch(ctx: Ctx) -> Response:
    require_operator(ctx)
    await ctx.form()
    answer = await ctx.api("POST", "/v1/admin/transfers:rematch")
    matched = len(answer.get("transfers") or [])
    ctx.session.flash(
        _("%(matched)s transfer(s) matched now; %(left)s still match nothing.")
        % {"matched": matched, "left": answer.get("stillUnmatched", 0)},
        "success" if matched else "info",
    )
    return ctx.redirect("/admin/transfers")


@page()
async def record_transfer(ctx: Ctx) -> Response:
    require_operator(ctx)
    form = await ctx.form()
    values = {name: str(form.get(name, "")).strip() for name in TRANSFER_FIELDS}
    try:
        cents = parse_euros(values["amount"], required=True)
    except ValueError as problem:
        errors = {"amount": str(problem)}
        return await _transfers_page(
            ctx,
            status=400,
            values=values,
            errors=errors,
            error=_("Please correct the fields shown."),
        )
    try:
        transfer = await ctx.api(
            "POST",
            "/v1/admin/transfers",
            json={
                "receivedOn": values["receivedOn"],
                "amount": {"amountCents": cents, "currency": "EUR"},
                "reference": values["reference"],
                "payer": values["payer"],
            },
            headers=idempotency_header(str(form.get(IDEMPOTENCY_FIELD, ""))),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error, TRANSFER_FIELD_NAMES)
        return await _transfers_page(
            ctx, status=400, values=values, errors=errors, error=form_error(error, errors)
        )
    if transfer.get("matched"):
        ctx.session.flash(
            _("Transfer %(reference)s recorded and matched.")
            % {"reference": transfer.get("reference", "")},
            "success",
        )
    else:
        ctx.session.flash(
            _("Transfer %(reference)s recorded: it matches nothing yet.")
            % {"reference": transfer.get("reference", "")},
            "info",
        )
    return ctx.redirect("/admin/transfers")


@page()
async def import_statement(ctx: Ctx) -> Response:
    require_operator(ctx)
    upload = (await ctx.form()).get("statement")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if not data or len(data) > MAX_STATEMENT_BYTES:
        message = (
            _("Choose the statement's CSV file.")
            if not data
            else _("The file is larger than 5 MB.")
        )
        return await _transfers_page(ctx, status=400, import_errors={"statement": message})
    try:
        answer = await ctx.api(
            "POST",
            "/v1/admin/transfers:import",
            content=data,
            headers={"Content-Type": "text/csv"},
        )
    except ApiError as error:
        if error.status not in (400, 413):
            raise
        problems = problem_rows(error.violations)
        return await _transfers_page(
            ctx,
            status=400,
            problems=problems,
            problems_total=max(error.total_violations, len(problems)),
            import_errors={} if problems else {"statement": error.message},
        )
    ctx.session.flash(
        _("Statement imported: %(matched)s transfer(s) matched, %(unmatched)s unmatched.")
        % {"matched": answer.get("matched", 0), "unmatched": answer.get("unmatched", 0)},
        "success",
    )
    return ctx.redirect("/admin/transfers")


routes = [
    Route("/admin/dead-letters", dead_letters, methods=["GET"]),
    Route("/admin/dead-letters/{domain}/{id}/retry", retry_dead_letter, methods=["POST"]),
    Route("/admin/orders", orders, methods=["GET"]),
    Route("/admin/orders/{id}", order_desk, methods=["GET"]),
    Route("/admin/orders/{id}/start-production", start_production, methods=["POST"]),
    Route("/admin/orders/{id}/ship", ship, methods=["POST"]),
    Route("/admin/orders/{id}/stage", add_stage, methods=["POST"]),
    Route("/admin/orders/{id}/deliver", deliver, methods=["POST"]),
    Route("/admin/orders/{id}/loads", record_loads, methods=["POST"]),
    Route("/admin/transfers", transfers, methods=["GET"]),
    Route("/admin/transfers", record_transfer, methods=["POST"]),
    Route("/admin/transfers/rematch", rematch, methods=["POST"]),
    Route("/admin/transfers/import", import_statement, methods=["POST"]),
]
