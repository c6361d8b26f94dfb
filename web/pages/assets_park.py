"""The equipment park (the guide's "Mon parc"): machines found by name or
reference, filtered by brand, model and site, exported as CSV; a machine with
its history and the requests it may get; a machine added by choosing a model of
the catalogue and typing its reference. Routes: `web/pages/assets.py`."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.responses import Response

from web.api import ApiError
from web.forms import IDEMPOTENCY_FIELD, idempotency_header, new_idempotency_key
from web.i18n import _
from web.pages.assets_common import (
    SELECT_PAGE_SIZE,
    labels,
    page_links,
    place_errors,
    query,
    renamed,
    text,
)
from web.pages.context import Ctx, page

PAGE_SIZE = 25
FILTERS = ("q", "brand", "model", "site", "removed")
# The API's fields -> the filter form's and the new machine form's.
FILTER_FIELDS = {"q": "q", "brand": "brand", "model": "model", "siteId": "site"}
NEW_MACHINE_FIELDS = {
    "modelId": "model",
    "reference": "reference",
    "name": "name",
    "siteId": "site",
    "commissionedOn": "commissioned_on",
}


def _filter_params(filters: dict[str, str]) -> dict[str, str]:
    return {
        "q": filters["q"],
        "brand": filters["brand"],
        "model": filters["model"],
        "siteId": filters["site"],
    }


async def _catalogue(ctx: Ctx) -> tuple[list[dict], list[dict]]:
    """The catalogue's models (brand, then name) and the entity's sites."""
    models = (await ctx.api("GET", "/v1/equipment-models")).get("models", [])
    models.sort(key=lambda m: (m.get("brand", "").lower(), m.get("name", "").lower()))
    sites = (await ctx.api("GET", "/v1/sites")).get("sites", [])
    return models, sites


@page()
async def park(ctx: Ctx) -> Response:
    filters = {name: query(ctx, name) for name in FILTERS}
    models, sites = await _catalogue(ctx)
    brands = sorted({m["brand"] for m in models if m.get("brand")}, key=str.lower)
    context = {
        "filters": filters,
        "options": {
            "brands": [(brand, brand) for brand in brands],
            "models": [(m["id"], f"{m.get('brand', '')} {m.get('name', '')}") for m in models],
            "sites": [(site["id"], site.get("name", "")) for site in sites],
        },
        "labels": labels(),
    }
    params = {
        **_filter_params(filters),
        "includeRemoved": "true" if filters["removed"] else None,
        "pageSize": PAGE_SIZE,
        "pageToken": query(ctx, "page"),
    }
    try:
        answer = await ctx.api("GET", "/v1/equipment", params=params)
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, renamed(FILTER_FIELDS))
        return ctx.render(
            "assets/park.html",
            status=400,
            machines=[],
            links={},
            errors=placed.fields,
            problems=placed.general,
            **context,
        )
    export = ctx.request.url.replace(path="/equipment/export").remove_query_params("page")
    return ctx.render(
        "assets/park.html",
        machines=answer.get("equipment", []),
        links=page_links(ctx, answer.get("nextPageToken", "")),
        export_url=f"{export.path}?{export.query}" if export.query else export.path,
        errors={},
        problems=[],
        **context,
    )


@page()
async def export_park(ctx: Ctx) -> Response:
    filters = {name: query(ctx, name) for name in FILTERS}
    try:
        return await ctx.download(
            "/v1/equipment:export",
            params=_filter_params(filters),
            filename=_("park-%(day)s.csv") % {"day": date.today().isoformat()},
        )
    except ApiError as error:
        if error.status != 400:
            raise
        ctx.session.flash(error.message, "error")
        back = ctx.request.url.replace(path="/equipment")
        return ctx.redirect(f"{back.path}?{back.query}" if back.query else back.path)


@page()
async def machine(ctx: Ctx) -> Response:
    found = await ctx.api("GET", f"/v1/equipment/{quote(ctx.request.path_params['id'])}")
    return ctx.render("assets/machine.html", machine=found, labels=labels())


# ---- adding a machine ---------------------------------------------------------------------


async def _new_machine_form(
    ctx: Ctx,
    *,
    values: dict[str, str],
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    existing: dict | None = None,
) -> Response:
    models, sites = await _catalogue(ctx)
    brands: dict[str, list[dict]] = {}
    for model in models:
        brands.setdefault(model.get("brand", ""), []).append(model)
    return ctx.render(
        "assets/machine_new.html",
        status=status,
        brands=brands,
        site_choices=[(site["id"], site.get("name", "")) for site in sites],
        values=values,
        errors=errors or {},
        problems=problems or [],
        existing=existing,
    )


@page()
async def new_machine_form(ctx: Ctx) -> Response:
    return await _new_machine_form(
        ctx, values={"model": query(ctx, "model"), IDEMPOTENCY_FIELD: new_idempotency_key()}
    )


@page()
async def add_machine(ctx: Ctx) -> Response:
    form = await ctx.form()
    values = {
        name: text(form, name).strip() for name in (*NEW_MACHINE_FIELDS.values(), IDEMPOTENCY_FIELD)
    }
    body = {
        "modelId": values["model"],
        "reference": values["reference"],
        "name": values["name"],
        "siteId": values["site"],
        "commissionedOn": values["commissioned_on"],
    }
    try:
        added = await ctx.api(
            "POST",
            "/v1/equipment",
            json=body,
            headers=idempotency_header(values[IDEMPOTENCY_FIELD]),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        placed = place_errors(error, renamed(NEW_MACHINE_FIELDS))
        existing = None
        if error.reason == "REFERENCE_IN_PARK":
            # The API's message names the machine; a link to it is handier still.
            placed.fields["reference"] = error.message
            placed.general = []
            existing = await _in_park(ctx, values["reference"])
        return await _new_machine_form(
            ctx,
            values=values,
            status=400,
            errors=placed.fields,
            problems=placed.general,
            existing=existing,
        )
    ctx.session.flash(
        _("%(name)s (%(reference)s) was added to your park.")
        % {"name": added.get("name", ""), "reference": added.get("reference", "")},
        "success",
    )
    return ctx.redirect(f"/equipment/{added['id']}")


async def _in_park(ctx: Ctx, reference: str) -> dict | None:
    """The park's machine with this reference (the API compares them without case)."""
    answer = await ctx.api(
        "GET", "/v1/equipment", params={"q": reference, "pageSize": SELECT_PAGE_SIZE}
    )
    for found in answer.get("equipment", []):
        if found.get("reference", "").casefold() == reference.casefold():
            return found
    return None
