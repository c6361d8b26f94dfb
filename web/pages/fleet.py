"""The mobile fleet: the list of lines (search, filters, export, selection for
changes), one line (details, options, usage, history, SIM activation)."""

from __future__ import annotations

from datetime import date
from functools import partial

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _
from web.pages.context import Ctx, field_errors, page
from web.pages.fleet_common import (
    ACCEPTED,
    LINE_STATUSES,
    MAX_SELECTION,
    PAGE_SIZES,
    api_each,
    catalogue,
    label,
    names,
    path_id,
    phone,
    plans,
    refusal,
    template_helpers,
)

LIST_FIELDS = {
    "customerNumber": "customer_number",
    "pageToken": "page",
    "pageSize": "size",
    "format": "format",
}
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _filters(ctx: Ctx) -> dict[str, str]:
    params = ctx.request.query_params
    return {
        name: params.get(name, "").strip() for name in ("q", "status", "plan", "customer_number")
    }


def _api_filters(filters: dict[str, str]) -> dict[str, str]:
    return {
        "q": filters["q"],
        "status": filters["status"],
        "plan": filters["plan"],
        "customerNumber": filters["customer_number"],
    }


@page()
async def lines(ctx: Ctx) -> Response:
    filters = _filters(ctx)
    params = ctx.request.query_params
    size = int(params["size"]) if params.get("size", "") in map(str, PAGE_SIZES) else 50
    token = params.get("page", "")
    errors: dict[str, str] = {}
    status = 200
    try:
        listed = await ctx.api(
            "GET",
            "/v1/fleet/lines",
            params={**_api_filters(filters), "pageSize": size, "pageToken": token},
        )
    except ApiError as error:
        if error.status != 400:
            raise
        listed, status = {}, 400
        errors = field_errors(error, LIST_FIELDS)
        if not errors:
            ctx.session.flash(error.message, "error")
    plan_list, options = await api_each([partial(plans, ctx), partial(catalogue, ctx)])
    return ctx.render(
        "fleet/lines.html",
        status=status,
        lines=listed.get("lines", []),
        next_page=listed.get("nextPageToken", ""),
        data_updated_at=listed.get("dataUpdatedAt", ""),
        filters=filters,
        size=size,
        size_choices=[(str(n), str(n)) for n in PAGE_SIZES],
        first_page=not token,
        errors=errors,
        status_choices=[(code, label(code)) for code in LINE_STATUSES],
        plan_choices=[(p["code"], p.get("name") or p["code"]) for p in plan_list],
        plan_names=names(plan_list),
        option_names=names(options),
        may_write=ctx.session.may("fleet.write"),
        max_selection=MAX_SELECTION,
        **template_helpers(),
    )


@page()
async def export(ctx: Ctx) -> Response:
    """The filtered list as a file, as the API makes it."""
    file_format = ctx.request.query_params.get("format", "csv")
    if file_format not in EXPORT_TYPES:
        file_format = "csv"
    filename = f"fleet-lines-{date.today().isoformat()}.{file_format}"
    return await ctx.download(
        "/v1/fleet/lines:export",
        filename,
        params={**_api_filters(_filters(ctx)), "format": file_format},
        media_type=EXPORT_TYPES[file_format],
    )


async def _render_line(
    ctx: Ctx,
    line_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    line = await ctx.api("GET", f"/v1/fleet/lines/{line_id}")
    history_token = ctx.request.query_params.get("history", "")
    history, usage, options, plan_list = await api_each(
        [
            partial(
                ctx.api,
                "GET",
                f"/v1/fleet/lines/{line_id}/history",
                params={"pageToken": history_token},
            ),
            partial(ctx.api, "GET", "/v1/fleet/usage", params={"lineId": line["id"]}),
            partial(catalogue, ctx, line["id"]),
            partial(plans, ctx),
        ]
    )
    return ctx.render(
        "fleet/line.html",
        status=status,
        line=line,
        number=line.get("nationalNumber") or phone(line.get("number")),
        history=history.get("entries", []),
        history_next=history.get("nextPageToken", ""),
        history_first=not history_token,
        usage=usage.get("usage", []),
        options=options,
        option_names=names(options),
        plan_names=names(plan_list),
        may_write=ctx.session.may("fleet.write"),
        values=values or {},
        errors=errors or {},
        key=new_idempotency_key(),
        **template_helpers(),
    )


@page()
async def line_page(ctx: Ctx) -> Response:
    return await _render_line(ctx, path_id(ctx.request.path_params["id"]))


@page()
async def activate_sim(ctx: Ctx) -> Response:
    line_id = path_id(ctx.request.path_params["id"])
    iccid = (await ctx.field("iccid")).strip()
    try:
        request = await ctx.api(
            "POST",
            f"/v1/fleet/lines/{line_id}:activate-sim",
            json={"iccid": iccid},
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status != 400:
            raise
        found = refusal(error, [{}], {"iccid": "iccid"})
        # Every problem here is the card's (or the line's, for this card): said by the field.
        reasons = [reason for line in found.lines for reason in line["reasons"]] + found.other
        message = found.fields.get("iccid") or " ".join([found.summary, *reasons])
        return await _render_line(
            ctx, line_id, values={"iccid": iccid}, errors={"iccid": message}, status=400
        )
    ctx.session.flash(_(ACCEPTED), "success")
    return ctx.redirect(f"/fleet/requests/{request['id']}")


routes = [
    Route("/fleet/lines", lines, methods=["GET"]),
    Route("/fleet/lines/export", export, methods=["GET"]),
    Route("/fleet/lines/{id}", line_page, methods=["GET"]),
    Route("/fleet/lines/{id}/activate-sim", activate_sim, methods=["POST"]),
]
