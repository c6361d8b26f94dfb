"""Following the fleet: requests line by line, SIM card orders, and the
lines' monthly usage with thresholds."""

from __future__ import annotations

from functools import partial

from babel.numbers import parse_decimal
from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import IDEMPOTENCY_FIELD, idempotency_header, new_idempotency_key, parse_euros
from web.i18n import LOCALES, _, current_language
from web.pages.context import Ctx, field_errors, page
from web.pages.fleet_common import (
    LABELS,
    api_each,
    catalogue,
    label,
    names,
    path_id,
    plans,
    template_helpers,
)

REQUEST_KINDS = [code for code in LABELS if code.startswith("REQUEST_KIND_")]
REQUEST_STATES = [code for code in LABELS if code.startswith("REQUEST_STATE_")]
SIM_ORDER_FIELDS = {
    "deliveryAddress": "line1",
    "deliveryAddress.line1": "line1",
    "deliveryAddress.line2": "line2",
    "deliveryAddress.postalCode": "postalCode",
    "deliveryAddress.city": "city",
    "deliveryAddress.country": "country",
}
USAGE_FIELDS = {
    "minOutOfBundleCents": "min_out_of_bundle",
    "minDataMb": "min_data_mb",
    "minVoiceMinutes": "min_voice_minutes",
    "pageToken": "page",
}


# ---- requests ---------------------------------------------------------------------------


@page()
async def requests(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    filters = {name: params.get(name, "") for name in ("kind", "state")}
    token = params.get("page", "")
    errors: dict[str, str] = {}
    status = 200
    try:
        listed = await ctx.api("GET", "/v1/fleet/requests", params={**filters, "pageToken": token})
    except ApiError as error:
        if error.status != 400:
            raise
        listed, status = {}, 400
        errors = field_errors(error, {"pageToken": "page"})
        if not errors:
            ctx.session.flash(error.message, "error")
    return ctx.render(
        "fleet/requests.html",
        status=status,
        requests=listed.get("requests", []),
        next_page=listed.get("nextPageToken", ""),
        first_page=not token,
        filters=filters,
        errors=errors,
        kind_choices=[(code, label(code)) for code in REQUEST_KINDS],
        state_choices=[(code, label(code)) for code in REQUEST_STATES],
        **template_helpers(),
    )


@page()
async def request_page(ctx: Ctx) -> Response:
    request_id = path_id(ctx.request.path_params["id"])
    request = await ctx.api("GET", f"/v1/fleet/requests/{request_id}")
    options, plan_list = await api_each([partial(catalogue, ctx), partial(plans, ctx)])
    return ctx.render(
        "fleet/request.html",
        fleet_request=request,
        in_progress=request.get("state") == "REQUEST_STATE_IN_PROGRESS",
        option_names=names(options),
        plan_names=names(plan_list),
        **template_helpers(),
    )


# ---- SIM card orders ----------------------------------------------------------------------


@page()
async def sim_orders(ctx: Ctx) -> Response:
    token = ctx.request.query_params.get("page", "")
    listed = await ctx.api("GET", "/v1/fleet/sim-orders", params={"pageToken": token})
    return ctx.render(
        "fleet/sim_orders.html",
        orders=listed.get("simOrders", []),
        next_page=listed.get("nextPageToken", ""),
        first_page=not token,
        may_write=ctx.session.may("fleet.write"),
        **template_helpers(),
    )


def _render_sim_form(
    ctx: Ctx, values: dict[str, str], errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    return ctx.render(
        "fleet/sim_order_new.html",
        status=status,
        values=values,
        errors=errors or {},
        key=values.get(IDEMPOTENCY_FIELD) or new_idempotency_key(),
        **template_helpers(),
    )


@page()
async def sim_order_form(ctx: Ctx) -> Response:
    return _render_sim_form(ctx, {"quantity": "1"})


@page()
async def sim_order_create(ctx: Ctx) -> Response:
    names_ = (
        "quantity",
        "recipient",
        "line1",
        "line2",
        "postalCode",
        "city",
        "country",
        IDEMPOTENCY_FIELD,
    )
    values = {name: (await ctx.field(name)).strip() for name in names_}
    values["esim"] = "1" if await ctx.field("esim") else ""
    try:
        quantity = int(values["quantity"])
    except ValueError:
        errors = {"quantity": _("Enter a whole number of cards.")}
        return _render_sim_form(ctx, values, errors, status=400)
    body = {
        "quantity": quantity,
        "esim": bool(values["esim"]),
        "recipient": values["recipient"],
        "deliveryAddress": {
            "line1": values["line1"],
            "line2": values["line2"],
            "postalCode": values["postalCode"],
            "city": values["city"],
            "country": values["country"],
        },
    }
    try:
        order = await ctx.api(
            "POST",
            "/v1/fleet/sim-orders",
            json=body,
            headers=idempotency_header(values[IDEMPOTENCY_FIELD]),
        )
    except ApiError as error:
        if error.status != 400:
            raise
        errors = field_errors(error, SIM_ORDER_FIELDS)
        if not errors:
            ctx.session.flash(error.message, "error")
        return _render_sim_form(ctx, values, errors, status=400)
    ctx.session.flash(
        _("Your SIM card order %(reference)s is registered.") % {"reference": order["reference"]},
        "success",
    )
    return ctx.redirect(f"/fleet/sim-orders/{order['id']}")


@page()
async def sim_order_page(ctx: Ctx) -> Response:
    order_id = path_id(ctx.request.path_params["id"])
    order = await ctx.api("GET", f"/v1/fleet/sim-orders/{order_id}")
    tracking = order.get("trackingUrl", "")
    return ctx.render(
        "fleet/sim_order.html",
        order=order,
        # Only a web address becomes a link.
        tracking_url=tracking if tracking.startswith(("https://", "http://")) else "",
        **template_helpers(),
    )


# ---- usage --------------------------------------------------------------------------------


def _euro_cents(raw: str) -> int | None:
    return parse_euros(raw, zero=True)


def _whole(raw: str) -> int:
    amount = parse_decimal(raw, locale=LOCALES[current_language()], strict=True)
    if amount != amount.to_integral_value():
        raise ValueError("not a whole number")
    return int(amount)


@page()
async def usage(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    names_ = ("month", "min_out_of_bundle", "min_data_mb", "min_voice_minutes")
    filters = {name: params.get(name, "").strip() for name in names_}
    token = params.get("page", "")
    errors: dict[str, str] = {}
    api_params: dict[str, object] = {"month": filters["month"], "pageToken": token}
    for name, api_name, parse, problem in (
        (
            "min_out_of_bundle",
            "minOutOfBundleCents",
            _euro_cents,
            "",
        ),
        ("min_data_mb", "minDataMb", _whole, _("Enter a whole number.")),
        ("min_voice_minutes", "minVoiceMinutes", _whole, _("Enter a whole number.")),
    ):
        if filters[name]:
            try:
                api_params[api_name] = parse(filters[name])
            except ValueError as wrong:
                # A whole number's problem is the page's; an amount's, the parser's.
                errors[name] = problem or str(wrong)
    found: dict = {}
    status = 400 if errors else 200
    if not errors:
        try:
            found = await ctx.api("GET", "/v1/fleet/usage", params=api_params)
        except ApiError as error:
            if error.status != 400:
                raise
            status = 400
            errors = field_errors(error, USAGE_FIELDS)
            if not errors:
                ctx.session.flash(error.message, "error")
    return ctx.render(
        "fleet/usage.html",
        status=status,
        usage=found.get("usage", []),
        next_page=found.get("nextPageToken", ""),
        first_page=not token,
        filters=filters,
        errors=errors,
        searched=bool(not errors and any(filters.values())),
        **template_helpers(),
    )


routes = [
    Route("/fleet/requests", requests, methods=["GET"]),
    Route("/fleet/requests/{id}", request_page, methods=["GET"]),
    Route("/fleet/sim-orders", sim_orders, methods=["GET"]),
    Route("/fleet/sim-orders", sim_order_create, methods=["POST"]),
    Route("/fleet/sim-orders/new", sim_order_form, methods=["GET"]),
    Route("/fleet/sim-orders/{id}", sim_order_page, methods=["GET"]),
    Route("/fleet/usage", usage, methods=["GET"]),
]
