"""A new order by file (the template, the upload, a large file's background
import) or line by line (a delivery point, beneficiaries with their amounts).
Its routes (`new_routes`) come before `/orders/{id}` in `web.pages.orders`."""

from __future__ import annotations

import re

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import (
    file_problems,
    new_idempotency_key,
    parse_euros,
    posted_idempotency_header,
)
from web.i18n import _, current_language
from web.pages.context import Ctx, page
from web.pages.orders_common import (
    CSV,
    all_delivery_points,
    column_label,
    line_errors,
    refusal,
)
from web.pages.orders_people import point_options

# The API's largest page: beneficiaries to choose from, in one call.
PAGE_SIZE = 500
# A background import's page reloads itself this often while it runs.
REFRESH_SECONDS = 2
_API_LINE = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


# ---- by file ---------------------------------------------------------------------------


@page()
async def order_template(ctx: Ctx) -> Response:
    return await ctx.download(
        "/v1/orders/template.csv",
        _("order-template") + ".csv",
        params={"language": current_language()},
        media_type=CSV,
    )


async def _file_form(
    ctx: Ctx,
    *,
    errors: dict | None = None,
    problems: list | None = None,
    total: int = 0,
    status: int = 200,
) -> Response:
    return ctx.render(
        "orders/new_file.html",
        status=status,
        points=await all_delivery_points(ctx),
        errors=errors or {},
        problems=problems or [],
        total=total,
        key=new_idempotency_key(),
    )


@page()
async def file_form(ctx: Ctx) -> Response:
    return await _file_form(ctx)


@page()
async def file_upload(ctx: Ctx) -> Response:
    upload = (await ctx.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if not data:
        return await _file_form(
            ctx, errors={"file": _("Choose the filled order file to upload.")}, status=400
        )
    name = (upload.filename if isinstance(upload, UploadFile) else "") or "order.csv"
    try:
        answer = await ctx.api(
            "POST",
            "/v1/orders:import",
            files={"file": (name, data, "text/csv")},
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status == 413:
            return await _file_form(
                ctx, errors={"file": _("This file is too large for one order.")}, status=400
            )
        if error.status not in (400, 409):
            raise
        # Nothing was created: every bad line is listed for the user to fix.
        problems, others = file_problems(error.violations, column_label)
        if not problems and not others:
            others = {"file": refusal(error)}
        return await _file_form(
            ctx,
            errors={"file": "; ".join(others.values())} if others else {},
            problems=problems,
            total=max(error.total_violations, len(problems)),
            status=400,
        )
    if answer.get("job"):
        return ctx.redirect(f"/orders/imports/{answer['job']['id']}")
    ctx.session.flash(_("Your draft order is ready: review it, then choose how to pay."), "success")
    return ctx.redirect(f"/orders/{answer['order']['id']}")


@page()
async def order_import(ctx: Ctx) -> Response:
    job = await ctx.api("GET", f"/v1/order-imports/{ctx.request.path_params['id']}")
    running = job.get("state") == "ORDER_IMPORT_STATE_RUNNING"
    response = ctx.render(
        "orders/import.html",
        job=job,
        running=running,
        refresh=REFRESH_SECONDS,
        problems=line_errors(job.get("errors", [])),
        total=int(job.get("errorsTotal") or 0),
    )
    if running:
        # Browsers honour the header even where a <meta> refresh in the body is ignored.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@page()
async def order_import_errors(ctx: Ctx) -> Response:
    return await ctx.download(
        f"/v1/order-imports/{ctx.request.path_params['id']}/errors.csv",
        _("order-file-problems") + ".csv",
        media_type=CSV,
    )


# ---- line by line ----------------------------------------------------------------------


async def _unit_form(
    ctx: Ctx,
    *,
    q: str,
    values: dict,
    errors: dict | None = None,
    status: int = 200,
) -> Response:
    points = await all_delivery_points(ctx)
    found = await ctx.api("GET", "/v1/beneficiaries", params={"q": q, "pageSize": PAGE_SIZE})
    people = found.get("beneficiaries", [])
    chosen = values.get("chosen", set())
    rows = [
        {
            "person": person,
            "chosen": person["id"] in chosen,
            "amount": values.get("amounts", {}).get(person["id"], ""),
            # A first card for those who have none, unless the user said otherwise.
            "new_card": values["new_cards"].get(person["id"], False)
            if "new_cards" in values
            else not person.get("hasCard"),
        }
        for person in people
    ]
    return ctx.render(
        "orders/new_unit.html",
        status=status,
        q=q,
        rows=rows,
        more=bool(found.get("nextPageToken")),
        points=points,
        point_options=point_options(points),
        values=values,
        errors=errors or {},
        key=new_idempotency_key(),
    )


@page()
async def unit_form(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    points = await all_delivery_points(ctx)
    default_point = points[0]["id"] if len(points) == 1 else ""
    return await _unit_form(
        ctx,
        q=params.get("q", "").strip(),
        values={"deliveryPointId": params.get("deliveryPointId", default_point)},
    )


@page()
async def unit_create(ctx: Ctx) -> Response:
    form = await ctx.form()
    q = (await ctx.field("q")).strip()
    ids = [str(v) for v in form.getlist("id")]
    ticked = {str(v) for v in form.getlist("line")}
    amounts = {i: (await ctx.field(f"amount-{i}")).strip() for i in ids}
    values = {
        "deliveryPointId": await ctx.field("deliveryPointId"),
        "defaultAmount": (await ctx.field("defaultAmount")).strip(),
        # A typed amount puts the line in the order even if its box was left unticked.
        "chosen": {i for i in ids if i in ticked or amounts[i]},
        "amounts": amounts,
        "new_cards": {i: f"new_card-{i}" in form for i in ids},
    }
    errors: dict[str, str] = {}
    default_cents = None
    if values["defaultAmount"]:
        try:
            default_cents = parse_euros(values["defaultAmount"], required=True)
        except ValueError as problem:
            errors["defaultAmount"] = str(problem)
    if not values["deliveryPointId"]:
        errors["deliveryPointId"] = _("Choose where the cards are sent.")
    lines, order_of_lines = [], []
    for i in ids:  # the page's order: the API's lines[n] are these rows
        if i not in values["chosen"]:
            continue
        try:
            cents = parse_euros(amounts[i], required=True) if amounts[i] else default_cents
        except ValueError as problem:
            errors[f"amount-{i}"] = str(problem)
            continue
        if cents is None:
            if "defaultAmount" not in errors:
                errors[f"amount-{i}"] = _("Enter the amount to load.")
            continue
        lines.append(
            {"beneficiaryId": i, "newCard": values["new_cards"][i], "loadAmountCents": cents}
        )
        order_of_lines.append(i)
    if not values["chosen"]:
        errors["lines"] = _("Tick at least one beneficiary.")
    if errors:
        return await _unit_form(ctx, q=q, values=values, errors=errors, status=400)
    try:
        order = await ctx.api(
            "POST",
            "/v1/orders",
            json={"deliveryPointId": values["deliveryPointId"], "lines": lines},
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = _unit_errors(error, order_of_lines)
        return await _unit_form(ctx, q=q, values=values, errors=errors, status=400)
    ctx.session.flash(_("Your draft order is ready: review it, then choose how to pay."), "success")
    return ctx.redirect(f"/orders/{order['id']}")


def _unit_errors(error: ApiError, line_ids: list[str]) -> dict[str, str]:
    """The API's `lines[2].loadAmountCents` next to the third ordered row."""
    errors: dict[str, str] = {}
    for name, descriptions in error.violations.items():
        text = "; ".join(d for d in descriptions if d)
        found = _API_LINE.match(name)
        if found and int(found.group(1)) < len(line_ids):
            row = line_ids[int(found.group(1))]
            key = f"amount-{row}" if found.group(2) == "loadAmountCents" else f"line-{row}"
            errors[key] = text
        elif name == "deliveryPointId":
            errors["deliveryPointId"] = text
        else:
            errors["lines"] = f"{errors['lines']}; {text}" if "lines" in errors else text
    if not errors:
        errors["lines"] = refusal(error)
    return errors


new_routes = [
    Route("/orders/template.csv", order_template, methods=["GET"]),
    Route("/orders/new/file", file_form, methods=["GET"]),
    Route("/orders/new/file", file_upload, methods=["POST"]),
    Route("/orders/imports/{id}", order_import, methods=["GET"]),
    Route("/orders/imports/{id}/errors.csv", order_import_errors, methods=["GET"]),
    Route("/orders/new", unit_form, methods=["GET"]),
    Route("/orders/new", unit_create, methods=["POST"]),
]
