"""The contact form, on every page's menu (the guide's "formulaire de contact"):
a change of postal address, phone number, licence plate (the contract and the
plate chosen from the customer's parking contracts) or bank details, or any
other question, with attachments; the requests sent, their status and the
operator's answer. Routes: `web/pages/assets.py`."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

from web.api import ApiError
from web.forms import IDEMPOTENCY_FIELD, idempotency_header, new_idempotency_key
from web.i18n import _
from web.labels import contact_topics
from web.pages.assets_common import (
    chosen_files,
    files_problem,
    labels,
    page_links,
    place_errors,
    query,
    text,
    upload_files,
)
from web.pages.context import Ctx, page

PAGE_SIZE = 25
# The topics as the form's address names them.
TOPICS = {
    "address": "CONTACT_TOPIC_POSTAL_ADDRESS",
    "phone": "CONTACT_TOPIC_PHONE",
    "plate": "CONTACT_TOPIC_LICENCE_PLATE",
    "bank": "CONTACT_TOPIC_BANK_DETAILS",
    "other": "CONTACT_TOPIC_OTHER",
}
FIELDS = ("message", "plate", "new_plate", "line1", "line2", "postal_code", "city", "country")
FIELDS += ("phone", "iban")
API_FIELDS = {
    "message": "message",
    "contractId": "plate",
    "oldPlate": "plate",
    "newPlate": "new_plate",
    "newAddress": "line1",
    "newAddress.line1": "line1",
    "newAddress.line2": "line2",
    "newAddress.postalCode": "postal_code",
    "newAddress.city": "city",
    "newAddress.country": "country",
    "newPhone": "phone",
    "newIban": "iban",
}
# The plate field's value: the contract and its plate.
SEPARATOR = "|"


async def _contracts(ctx: Ctx) -> list[dict]:
    """The customer's parking contracts (none for a user who may not read them)."""
    try:
        answer = await ctx.api("GET", "/v1/parking/contracts")
    except ApiError as error:
        if error.status == 403:
            return []
        raise
    return sorted(answer.get("contracts", []), key=lambda c: c.get("number", ""))


async def _render_form(
    ctx: Ctx,
    topic: str,
    values: dict[str, str],
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
) -> Response:
    contracts = await _contracts(ctx) if topic == "plate" else []
    return ctx.render(
        "assets/contact.html",
        status=status,
        topic=topic,
        topics=[(slug, contact_topics()[enum]) for slug, enum in TOPICS.items()],
        contracts=contracts,
        separator=SEPARATOR,
        values=values,
        errors=errors or {},
        problems=problems or [],
    )


@page()
async def contact_form(ctx: Ctx) -> Response:
    topic = query(ctx, "topic")
    values = {IDEMPOTENCY_FIELD: new_idempotency_key(), "country": "FR"}
    if topic == "plate" and query(ctx, "contract"):
        # From a contract's page: that contract's plate, when it has just one.
        for found in await _contracts(ctx):
            if found["id"] == query(ctx, "contract") and len(found.get("plates", [])) == 1:
                values["plate"] = f"{found['id']}{SEPARATOR}{found['plates'][0]}"
    return await _render_form(ctx, topic if topic in TOPICS else "", values)


def _body(topic: str, values: dict[str, str]) -> dict:
    """What the API takes for the topic (fields of other topics left out)."""
    body: dict = {"topic": TOPICS[topic], "message": values["message"].strip()}
    if topic == "plate":
        contract_id, _sep, plate = values["plate"].partition(SEPARATOR)
        body.update(contractId=contract_id, oldPlate=plate, newPlate=values["new_plate"])
    elif topic == "address":
        body["newAddress"] = {
            "line1": values["line1"],
            "line2": values["line2"],
            "postalCode": values["postal_code"],
            "city": values["city"],
            "country": values["country"],
        }
    elif topic == "phone":
        body["newPhone"] = values["phone"]
    elif topic == "bank":
        body["newIban"] = values["iban"]
    return body


@page()
async def send_contact(ctx: Ctx) -> Response:
    form = await ctx.form()
    topic = text(form, "topic")
    if topic not in TOPICS:
        return ctx.redirect("/contact")
    values = {name: text(form, name).strip() for name in (*FIELDS, IDEMPOTENCY_FIELD)}
    files = chosen_files(form)
    problem = files_problem(files)
    if problem:
        return await _render_form(ctx, topic, values, status=400, errors={"files": problem})
    try:
        created = await ctx.api(
            "POST",
            "/v1/contact-requests",
            json=_body(topic, values),
            headers=idempotency_header(values[IDEMPOTENCY_FIELD]),
        )
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, API_FIELDS.get)
        if files:
            placed.general.append(_("Please choose your files again."))
        return await _render_form(
            ctx, topic, values, status=400, errors=placed.fields, problems=placed.general
        )
    refused = await upload_files(
        ctx, "contact-requests", created["id"], files, values[IDEMPOTENCY_FIELD]
    )
    ctx.session.flash(
        _("Your request %(reference)s was sent: we answer it as soon as possible.")
        % {"reference": created.get("reference", "")},
        "success",
    )
    for why in refused:
        ctx.session.flash(_("This file was not attached: %(why)s") % {"why": why}, "error")
    return ctx.redirect(f"/contact/requests/{created['id']}")


# ---- the requests sent --------------------------------------------------------------------


@page()
async def contact_requests(ctx: Ctx) -> Response:
    status = query(ctx, "status")
    words = labels()
    params = {"status": status, "pageSize": PAGE_SIZE, "pageToken": query(ctx, "page")}
    context = {
        "status_filter": status,
        "labels": words,
        "status_options": list(words["contact_status"].items()),
    }
    try:
        answer = await ctx.api("GET", "/v1/contact-requests", params=params)
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, {"status": "status"}.get)
        return ctx.render(
            "assets/contact_requests.html",
            status=400,
            requests=[],
            links={},
            errors=placed.fields,
            problems=placed.general,
            **context,
        )
    return ctx.render(
        "assets/contact_requests.html",
        requests=answer.get("contactRequests", []),
        links=page_links(ctx, answer.get("nextPageToken", "")),
        errors={},
        problems=[],
        **context,
    )


def _request_path(ctx: Ctx) -> str:
    return f"/v1/contact-requests/{quote(ctx.request.path_params['id'])}"


async def _render_request(
    ctx: Ctx, *, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    found = await ctx.api("GET", _request_path(ctx))
    contract = None
    if found.get("contractId"):
        try:
            contract = await ctx.api("GET", f"/v1/parking/contracts/{quote(found['contractId'])}")
        except ApiError as error:
            if error.status not in (403, 404):
                raise
    return ctx.render(
        "assets/contact_request.html",
        status=status,
        contact=found,
        contract=contract,
        labels=labels(),
        open_=found.get("status") == "CONTACT_REQUEST_STATUS_OPEN",
        errors=errors or {},
    )


@page()
async def contact_request(ctx: Ctx) -> Response:
    return await _render_request(ctx)


@page()
async def add_contact_files(ctx: Ctx) -> Response:
    form = await ctx.form()
    files = chosen_files(form)
    problem = files_problem(files) or ("" if files else _("Choose at least one file."))
    if problem:
        return await _render_request(ctx, status=400, errors={"files": problem})
    found = await ctx.api("GET", _request_path(ctx))
    refused = await upload_files(ctx, "contact-requests", found["id"], files)
    if refused:
        return await _render_request(ctx, status=400, errors={"files": "; ".join(refused)})
    ctx.session.flash(_("Your files are attached."), "success")
    return ctx.redirect(f"/contact/requests/{found['id']}")


@page()
async def contact_file(ctx: Ctx) -> Response:
    found = await ctx.api("GET", _request_path(ctx))
    attachment_id = ctx.request.path_params["attachment_id"]
    attachment = next((a for a in found.get("attachments", []) if a["id"] == attachment_id), None)
    if attachment is None:
        raise ApiError(404, "ATTACHMENT_NOT_FOUND", "no such attachment")
    return await ctx.download(
        f"{_request_path(ctx)}/attachments/{quote(attachment_id)}",
        filename=attachment.get("filename") or "attachment",
    )
