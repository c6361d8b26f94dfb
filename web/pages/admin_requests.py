"""Back office: what customers ask and operators answer. Invoice claims,
equipment service requests (moved through their statuses with a comment and a
planned date) and change requests (accepted, refused or answered). The API
lists them for operators but serves none alone: a request's page finds it in
its list."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.i18n import _
from web.pages.admin_common import (
    account_names,
    find_in_list,
    form_error,
    label,
    page_params,
    render,
    require_operator,
)
from web.pages.context import Ctx, field_errors, page

CLAIM_STATUSES = (
    "CLAIM_STATUS_OPEN",
    "CLAIM_STATUS_IN_PROGRESS",
    "CLAIM_STATUS_ACCEPTED",
    "CLAIM_STATUS_REJECTED",
)
CLAIM_OPEN = ("CLAIM_STATUS_OPEN", "CLAIM_STATUS_IN_PROGRESS")
SR_STATUSES = (
    "SERVICE_REQUEST_STATUS_RECEIVED",
    "SERVICE_REQUEST_STATUS_PLANNED",
    "SERVICE_REQUEST_STATUS_IN_PROGRESS",
    "SERVICE_REQUEST_STATUS_DONE",
    "SERVICE_REQUEST_STATUS_CANCELLED",
)
SR_OPEN = SR_STATUSES[:3]
# Where an operator may send a request (the API says which move is allowed).
SR_TARGETS = SR_STATUSES[1:]
SR_KINDS = (
    "SERVICE_REQUEST_KIND_PARTS",
    "SERVICE_REQUEST_KIND_INTERVENTION",
    "SERVICE_REQUEST_KIND_EXPERTISE",
    "SERVICE_REQUEST_KIND_REMOVAL",
)
CR_STATUSES = (
    "CONTACT_REQUEST_STATUS_OPEN",
    "CONTACT_REQUEST_STATUS_ACCEPTED",
    "CONTACT_REQUEST_STATUS_REFUSED",
    "CONTACT_REQUEST_STATUS_ANSWERED",
)


def _choice(ctx: Ctx, name: str, allowed: tuple[str, ...], default: str = "") -> str:
    """A list filter from the query string, kept only when the API knows it."""
    value = ctx.request.query_params.get(name, default)
    return value if value in allowed else ""


def _options(values: tuple[str, ...], everything: str) -> list[tuple[str, str]]:
    return [("", everything), *((v, label(v)) for v in values)]


# ---- claims ----------------------------------------------------------------------------------


@page()
async def claims(ctx: Ctx) -> Response:
    require_operator(ctx)
    status = _choice(ctx, "status", CLAIM_STATUSES, "CLAIM_STATUS_OPEN")
    answer = await ctx.api("GET", "/v1/admin/claims", params=page_params(ctx, status=status))
    found = answer.get("claims") or []
    return render(
        ctx,
        "admin/claims.html",
        claims=found,
        chosen_status=status,
        statuses=_options(CLAIM_STATUSES, _("All claims")),
        accounts=await account_names(ctx, [c.get("entityId", "") for c in found]),
        next_token=answer.get("nextPageToken", ""),
        filters={"status": status},
    )


async def _claim_page(ctx: Ctx, *, status: int = 200, **extra) -> Response:
    claim = await find_in_list(ctx, "/v1/admin/claims", "claims", ctx.request.path_params["id"])
    context = {"values": {}, "errors": {}, "error": "", **extra}
    return render(
        ctx,
        "admin/claim.html",
        status=status,
        claim=claim,
        answerable=claim.get("status") in CLAIM_OPEN,
        accounts=await account_names(ctx, [claim.get("entityId", "")]),
        **context,
    )


@page()
async def claim(ctx: Ctx) -> Response:
    require_operator(ctx)
    return await _claim_page(ctx)


@page()
async def answer_claim(ctx: Ctx) -> Response:
    require_operator(ctx)
    claim_id = ctx.request.path_params["id"]
    values = {"answer": await ctx.field("answer"), "status": await ctx.field("status")}
    try:
        await ctx.api(
            "POST",
            f"/v1/admin/claims/{quote(claim_id, safe='')}:answer",
            json={"answer": values["answer"].strip(), "status": values["status"]},
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error)
        return await _claim_page(
            ctx, status=400, values=values, errors=errors, error=form_error(error, errors)
        )
    ctx.session.flash(
        _("Claim answered (%(status)s): the customer is told.")
        % {"status": label(values["status"])},
        "success",
    )
    return ctx.redirect(f"/admin/claims/{quote(claim_id, safe='')}")


# ---- service requests -------------------------------------------------------------------------


@page()
async def service_requests(ctx: Ctx) -> Response:
    require_operator(ctx)
    status = _choice(ctx, "status", SR_STATUSES)
    kind = _choice(ctx, "kind", SR_KINDS)
    entity_id = ctx.request.query_params.get("entityId", "").strip()
    answer = await ctx.api(
        "GET",
        "/v1/admin/service-requests",
        params=page_params(ctx, status=status, kind=kind, entityId=entity_id),
    )
    found = answer.get("serviceRequests") or []
    chosen = {"status": status, "kind": kind, "entityId": entity_id}
    filters = {name: value for name, value in chosen.items() if value}
    return render(
        ctx,
        "admin/service_requests.html",
        requests=found,
        chosen_status=status,
        kind=kind,
        entity_id=entity_id,
        statuses=_options(SR_STATUSES, _("All statuses")),
        kinds=_options(SR_KINDS, _("All kinds")),
        accounts=await account_names(ctx, [r.get("entityId", "") for r in found] + [entity_id]),
        next_token=answer.get("nextPageToken", ""),
        filters=filters,
    )


async def _service_request_page(ctx: Ctx, *, status: int = 200, **extra) -> Response:
    request = await find_in_list(
        ctx, "/v1/admin/service-requests", "serviceRequests", ctx.request.path_params["id"]
    )
    context = {"values": {}, "errors": {}, "error": "", **extra}
    return render(
        ctx,
        "admin/service_request.html",
        status=status,
        sr=request,
        movable=request.get("status") in SR_OPEN,
        targets=[(s, label(s)) for s in SR_TARGETS],
        accounts=await account_names(ctx, [request.get("entityId", "")]),
        **context,
    )


@page()
async def service_request(ctx: Ctx) -> Response:
    require_operator(ctx)
    return await _service_request_page(ctx)


@page()
async def move_service_request(ctx: Ctx) -> Response:
    require_operator(ctx)
    request_id = ctx.request.path_params["id"]
    values = {
        "status": await ctx.field("status"),
        "comment": await ctx.field("comment"),
        "plannedFor": (await ctx.field("plannedFor")).strip(),
    }
    body = {"status": values["status"], "comment": values["comment"].strip()}
    if values["plannedFor"]:
        body["plannedFor"] = values["plannedFor"]
    try:
        moved = await ctx.api(
            "POST", f"/v1/admin/service-requests/{quote(request_id, safe='')}:status", json=body
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error)
        return await _service_request_page(
            ctx, status=400, values=values, errors=errors, error=form_error(error, errors)
        )
    ctx.session.flash(
        _("Request %(reference)s is now: %(status)s. The customer is told by e-mail.")
        % {"reference": moved.get("reference", ""), "status": label(moved.get("status"))},
        "success",
    )
    return ctx.redirect(f"/admin/service-requests/{quote(request_id, safe='')}")


# ---- change requests ---------------------------------------------------------------------------


@page()
async def contact_requests(ctx: Ctx) -> Response:
    require_operator(ctx)
    status = _choice(ctx, "status", CR_STATUSES, "CONTACT_REQUEST_STATUS_OPEN")
    entity_id = ctx.request.query_params.get("entityId", "").strip()
    answer = await ctx.api(
        "GET",
        "/v1/admin/contact-requests",
        params=page_params(ctx, status=status, entityId=entity_id),
    )
    found = answer.get("contactRequests") or []
    chosen = {"status": status, "entityId": entity_id}
    return render(
        ctx,
        "admin/contact_requests.html",
        requests=found,
        chosen_status=status,
        entity_id=entity_id,
        statuses=_options(CR_STATUSES, _("All requests")),
        accounts=await account_names(ctx, [*(r.get("entityId", "") for r in found), entity_id]),
        next_token=answer.get("nextPageToken", ""),
        filters={name: value for name, value in chosen.items() if value},
    )


async def _contact_request_page(ctx: Ctx, *, status: int = 200, **extra) -> Response:
    request = await find_in_list(
        ctx, "/v1/admin/contact-requests", "contactRequests", ctx.request.path_params["id"]
    )
    context = {"values": {}, "errors": {}, "error": "", **extra}
    # A change is accepted (made) or refused; a question is answered or refused.
    change = request.get("topic") != "CONTACT_TOPIC_OTHER"
    return render(
        ctx,
        "admin/contact_request.html",
        status=status,
        cr=request,
        change=change,
        answerable=request.get("status") == "CONTACT_REQUEST_STATUS_OPEN",
        accounts=await account_names(ctx, [request.get("entityId", "")]),
        **context,
    )


@page()
async def contact_request(ctx: Ctx) -> Response:
    require_operator(ctx)
    return await _contact_request_page(ctx)


@page()
async def answer_contact_request(ctx: Ctx) -> Response:
    require_operator(ctx)
    request_id = ctx.request.path_params["id"]
    values = {"answer": await ctx.field("answer"), "status": await ctx.field("status")}
    try:
        answered = await ctx.api(
            "POST",
            f"/v1/admin/contact-requests/{quote(request_id, safe='')}:answer",
            json={"answer": values["answer"].strip(), "status": values["status"]},
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error)
        return await _contact_request_page(
            ctx, status=400, values=values, errors=errors, error=form_error(error, errors)
        )
    ctx.session.flash(
        _("Request %(reference)s: %(status)s. The customer is told by e-mail.")
        % {"reference": answered.get("reference", ""), "status": label(answered.get("status"))},
        "success",
    )
    return ctx.redirect(f"/admin/contact-requests/{quote(request_id, safe='')}")


routes = [
    Route("/admin/claims", claims, methods=["GET"]),
    Route("/admin/claims/{id}", claim, methods=["GET"]),
    Route("/admin/claims/{id}", answer_claim, methods=["POST"]),
    Route("/admin/service-requests", service_requests, methods=["GET"]),
    Route("/admin/service-requests/{id}", service_request, methods=["GET"]),
    Route("/admin/service-requests/{id}", move_service_request, methods=["POST"]),
    Route("/admin/contact-requests", contact_requests, methods=["GET"]),
    Route("/admin/contact-requests/{id}", contact_request, methods=["GET"]),
    Route("/admin/contact-requests/{id}", answer_contact_request, methods=["POST"]),
]
