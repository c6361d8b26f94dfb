"""Beneficiaries (the employees who hold cards) and delivery points (where the
parcels go): lists, add, edit, delete after a confirmation."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _
from web.pages.access import safe_next
from web.pages.context import Ctx, field_errors, page
from web.pages.orders_common import all_delivery_points, refusal

LIST_SIZE = 50
BENEFICIARY_FIELDS = (
    "employeeNumber",
    "lastName",
    "firstName",
    "email",
    "birthDate",
    "hireDate",
    "defaultDeliveryPointId",
)
POINT_FIELDS = ("name", "code", "line1", "line2", "postalCode", "city", "country")
POINT_CONTACT_FIELDS = ("contactName", "contactPhone")
# The API names address fields by their path in the delivery point.
POINT_ERRORS = {f"address.{name}": name for name in ("line1", "line2", "postalCode", "city")} | {
    "address.country": "country"
}


def point_options(points: list[dict]) -> list[tuple[str, str]]:
    """Delivery points as (value, label) choices."""
    return [(p["id"], f"{p.get('name', '')} ({p.get('code', '')})") for p in points]


# ---- beneficiaries ---------------------------------------------------------------------


@page()
async def beneficiaries(ctx: Ctx) -> Response:
    q = ctx.request.query_params.get("q", "").strip()
    token = ctx.request.query_params.get("pageToken", "")
    found = await ctx.api(
        "GET", "/v1/beneficiaries", params={"q": q, "pageSize": LIST_SIZE, "pageToken": token}
    )
    points = {p["id"]: p for p in await all_delivery_points(ctx)}
    following = found.get("nextPageToken", "")
    return ctx.render(
        "orders/beneficiaries.html",
        q=q,
        beneficiaries=found.get("beneficiaries", []),
        points=points,
        next_url=f"/beneficiaries?{urlencode({'q': q, 'pageToken': following})}"
        if following
        else "",
        first_url=f"/beneficiaries?{urlencode({'q': q})}" if token else "",
    )


async def _beneficiary_form(
    ctx: Ctx,
    *,
    values: dict,
    beneficiary: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> Response:
    return ctx.render(
        "orders/beneficiary_form.html",
        status=status,
        beneficiary=beneficiary,
        values=values,
        errors=errors or {},
        point_options=point_options(await all_delivery_points(ctx)),
        next=values.get("next", ""),
        key=new_idempotency_key(),
    )


async def _beneficiary_values(ctx: Ctx) -> dict:
    values = {name: (await ctx.field(name)).strip() for name in BENEFICIARY_FIELDS}
    values["next"] = safe_next((await ctx.field("next")) or "/beneficiaries")
    return values


def _beneficiary_errors(error: ApiError) -> dict[str, str] | None:
    """Field errors of a refused beneficiary; None when the refusal is not about
    the form (the page then shows it the usual way)."""
    if error.reason == "EMPLOYEE_NUMBER_TAKEN":
        return {"employeeNumber": refusal(error)}
    if error.status == 400 and error.violations:
        return field_errors(error)
    return None


@page()
async def beneficiary_new_form(ctx: Ctx) -> Response:
    target = safe_next(ctx.request.query_params.get("next", "/beneficiaries"))
    return await _beneficiary_form(ctx, values={"next": target})


@page()
async def beneficiary_create(ctx: Ctx) -> Response:
    values = await _beneficiary_values(ctx)
    body = {name: values[name] for name in BENEFICIARY_FIELDS if values[name]}
    try:
        await ctx.api(
            "POST", "/v1/beneficiaries", json=body, headers=await posted_idempotency_header(ctx)
        )
    except ApiError as error:
        errors = _beneficiary_errors(error)
        if errors is None:
            raise
        return await _beneficiary_form(ctx, values=values, errors=errors, status=400)
    ctx.session.flash(_("The beneficiary was added."), "success")
    return ctx.redirect(values["next"])


@page()
async def beneficiary_edit_form(ctx: Ctx) -> Response:
    person = await ctx.api("GET", f"/v1/beneficiaries/{ctx.request.path_params['id']}")
    values = {name: person.get(name, "") for name in BENEFICIARY_FIELDS}
    return await _beneficiary_form(ctx, values=values, beneficiary=person)


@page()
async def beneficiary_update(ctx: Ctx) -> Response:
    path = f"/v1/beneficiaries/{ctx.request.path_params['id']}"
    person = await ctx.api("GET", path)
    values = await _beneficiary_values(ctx)
    body = {name: values[name] for name in BENEFICIARY_FIELDS}
    try:
        await ctx.api("PATCH", path, json=body)
    except ApiError as error:
        errors = _beneficiary_errors(error)
        if errors is None:
            raise
        return await _beneficiary_form(
            ctx, values=values, beneficiary=person, errors=errors, status=400
        )
    ctx.session.flash(_("The beneficiary was saved."), "success")
    return ctx.redirect(values["next"])


@page()
async def beneficiary_delete_form(ctx: Ctx) -> Response:
    person = await ctx.api("GET", f"/v1/beneficiaries/{ctx.request.path_params['id']}")
    name = f"{person.get('firstName', '')} {person.get('lastName', '')}".strip()
    return ctx.render(
        "orders/confirm.html",
        title=_("Delete a beneficiary"),
        question=_("Delete %(name)s (employee number %(number)s)?")
        % {"name": name, "number": person.get("employeeNumber", "")},
        detail=_("Their past orders are kept. You can add them again later."),
        action=f"/beneficiaries/{person['id']}/delete",
        button=_("Delete"),
        back="/beneficiaries",
    )


@page()
async def beneficiary_delete(ctx: Ctx) -> Response:
    await ctx.form()
    try:
        await ctx.api("DELETE", f"/v1/beneficiaries/{ctx.request.path_params['id']}")
    except ApiError as error:
        if error.status != 400:
            raise
        ctx.session.flash(refusal(error), "error")
        return ctx.redirect("/beneficiaries")
    ctx.session.flash(_("The beneficiary was deleted."), "success")
    return ctx.redirect("/beneficiaries")


# ---- delivery points -------------------------------------------------------------------


async def _point(ctx: Ctx) -> dict:
    """The delivery point of the path, or the not-found page."""
    wanted = ctx.request.path_params["id"]
    for point in await all_delivery_points(ctx):
        if point["id"] == wanted:
            return point
    raise ApiError(404, "DELIVERY_POINT_NOT_FOUND", "no such delivery point")


def _point_values(point: dict) -> dict:
    address = point.get("address") or {}
    return {
        "name": point.get("name", ""),
        "code": point.get("code", ""),
        **{name: address.get(name, "") for name in POINT_FIELDS[2:]},
        **{name: point.get(name, "") for name in POINT_CONTACT_FIELDS},
    }


def _point_body(values: dict) -> dict:
    return {
        "name": values["name"],
        "code": values["code"],
        "address": {name: values[name] for name in POINT_FIELDS[2:]},
        **{name: values[name] for name in POINT_CONTACT_FIELDS},
    }


def _point_errors(error: ApiError) -> dict[str, str] | None:
    if error.reason == "DELIVERY_POINT_CODE_TAKEN":
        return {"code": refusal(error)}
    if error.status == 400 and error.violations:
        return field_errors(error, POINT_ERRORS)
    return None


def _point_form(
    ctx: Ctx, *, values: dict, point: dict | None = None, errors: dict | None = None, status=200
) -> Response:
    return ctx.render(
        "orders/delivery_point_form.html",
        status=status,
        point=point,
        values=values,
        errors=errors or {},
        key=new_idempotency_key(),
    )


async def _posted_point(ctx: Ctx) -> dict:
    return {name: (await ctx.field(name)).strip() for name in POINT_FIELDS + POINT_CONTACT_FIELDS}


@page()
async def delivery_points(ctx: Ctx) -> Response:
    return ctx.render("orders/delivery_points.html", points=await all_delivery_points(ctx))


@page()
async def delivery_point_new_form(ctx: Ctx) -> Response:
    return _point_form(ctx, values={"country": "FR"})


@page()
async def delivery_point_create(ctx: Ctx) -> Response:
    values = await _posted_point(ctx)
    try:
        await ctx.api(
            "POST",
            "/v1/delivery-points",
            json=_point_body(values),
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        errors = _point_errors(error)
        if errors is None:
            raise
        return _point_form(ctx, values=values, errors=errors, status=400)
    ctx.session.flash(_("The delivery point was added."), "success")
    return ctx.redirect("/delivery-points")


@page()
async def delivery_point_edit_form(ctx: Ctx) -> Response:
    point = await _point(ctx)
    return _point_form(ctx, values=_point_values(point), point=point)


@page()
async def delivery_point_update(ctx: Ctx) -> Response:
    point = await _point(ctx)
    values = await _posted_point(ctx)
    try:
        await ctx.api("PATCH", f"/v1/delivery-points/{point['id']}", json=_point_body(values))
    except ApiError as error:
        errors = _point_errors(error)
        if errors is None:
            raise
        return _point_form(ctx, values=values, point=point, errors=errors, status=400)
    ctx.session.flash(_("The delivery point was saved."), "success")
    return ctx.redirect("/delivery-points")


@page()
async def delivery_point_delete_form(ctx: Ctx) -> Response:
    point = await _point(ctx)
    return ctx.render(
        "orders/confirm.html",
        title=_("Delete a delivery point"),
        question=_("Delete the delivery point %(name)s (code %(code)s)?")
        % {"name": point.get("name", ""), "code": point.get("code", "")},
        detail=_("Orders already delivered there keep it in their history."),
        action=f"/delivery-points/{point['id']}/delete",
        button=_("Delete"),
        back="/delivery-points",
    )


@page()
async def delivery_point_delete(ctx: Ctx) -> Response:
    await ctx.form()
    try:
        await ctx.api("DELETE", f"/v1/delivery-points/{ctx.request.path_params['id']}")
    except ApiError as error:
        if error.status != 400:
            raise
        ctx.session.flash(refusal(error), "error")
        return ctx.redirect("/delivery-points")
    ctx.session.flash(_("The delivery point was deleted."), "success")
    return ctx.redirect("/delivery-points")


routes = [
    Route("/beneficiaries", beneficiaries, methods=["GET"]),
    Route("/beneficiaries/new", beneficiary_new_form, methods=["GET"]),
    Route("/beneficiaries/new", beneficiary_create, methods=["POST"]),
    Route("/beneficiaries/{id}", beneficiary_edit_form, methods=["GET"]),
    Route("/beneficiaries/{id}", beneficiary_update, methods=["POST"]),
    Route("/beneficiaries/{id}/delete", beneficiary_delete_form, methods=["GET"]),
    Route("/beneficiaries/{id}/delete", beneficiary_delete, methods=["POST"]),
    Route("/delivery-points", delivery_points, methods=["GET"]),
    Route("/delivery-points/new", delivery_point_new_form, methods=["GET"]),
    Route("/delivery-points/new", delivery_point_create, methods=["POST"]),
    Route("/delivery-points/{id}", delivery_point_edit_form, methods=["GET"]),
    Route("/delivery-points/{id}", delivery_point_update, methods=["POST"]),
    Route("/delivery-points/{id}/delete", delivery_point_delete_form, methods=["GET"]),
    Route("/delivery-points/{id}/delete", delivery_point_delete, methods=["POST"]),
]
