"""Service requests on machines of the park (the guide's "demande de pièces,
d'intervention, d'expertise, de suppression"): one form per kind, with photos
or PDFs attached in the same form (or later, on the request's page); the list
of requests and each one's status, comments, planned date, attachments, and
its cancellation. Routes: `web/pages/assets.py`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from starlette.responses import Response

from web.api import ApiError
from web.forms import IDEMPOTENCY_FIELD, idempotency_header, new_idempotency_key
from web.i18n import _
from web.pages.assets_common import (
    chosen_files,
    files_problem,
    labels,
    page_links,
    park_names,
    place_errors,
    query,
    text,
    texts,
    upload_files,
    urgencies,
)
from web.pages.context import Ctx, page

PAGE_SIZE = 25
MAX_MACHINES = 50
WISHED_DATE_SLOTS = 5
# The kinds as the pages' addresses name them.
KINDS = {
    "parts": "SERVICE_REQUEST_KIND_PARTS",
    "intervention": "SERVICE_REQUEST_KIND_INTERVENTION",
    "expertise": "SERVICE_REQUEST_KIND_EXPERTISE",
    "removal": "SERVICE_REQUEST_KIND_REMOVAL",
}
INTERVENTION_TYPES = {
    "breakdown": "INTERVENTION_TYPE_BREAKDOWN",
    "preventive": "INTERVENTION_TYPE_PREVENTIVE",
}
# A customer withdraws a request until the technician is on his way.
CANCELLABLE = ("SERVICE_REQUEST_STATUS_RECEIVED", "SERVICE_REQUEST_STATUS_PLANNED")
CLOSED = ("SERVICE_REQUEST_STATUS_DONE", "SERVICE_REQUEST_STATUS_CANCELLED")
_INDEXED = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?$")


@dataclass
class PartRow:
    """A part of a selected machine's model, with its quantity field."""

    machine: dict
    code: str
    label: str
    field: str


@dataclass
class RequestForm:
    kind: str
    machines: list[dict]
    parts: list[PartRow] = field(default_factory=list)
    missing_lists: list[dict] = field(default_factory=list)


async def _load_form(ctx: Ctx, kind: str, equipment_ids: list[str]) -> RequestForm:
    """The machines asked about (another entity's: the not-found page) and, for
    parts, each one's model's parts list."""
    machines = []
    for equipment_id in list(dict.fromkeys(i for i in equipment_ids if i))[:MAX_MACHINES]:
        machines.append(await ctx.api("GET", f"/v1/equipment/{quote(equipment_id)}"))
    loaded = RequestForm(kind, machines)
    if kind == "parts":
        models: dict[str, dict] = {}
        for m_index, machine in enumerate(machines):
            code = machine.get("modelId", "")
            if code not in models:
                try:
                    models[code] = await ctx.api(
                        "GET", f"/v1/equipment-models/{quote(code, safe='')}"
                    )
                except ApiError as error:
                    if error.status != 404:
                        raise
                    models[code] = {}
            parts = models[code].get("parts", [])
            if not parts:
                loaded.missing_lists.append(machine)
            for p_index, part in enumerate(parts):
                loaded.parts.append(
                    PartRow(
                        machine, part["code"], part.get("label", ""), f"qty-{m_index}-{p_index}"
                    )
                )
    return loaded


def _render_form(
    ctx: Ctx,
    loaded: RequestForm,
    values: dict,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
) -> Response:
    return ctx.render(
        "assets/request_new.html",
        status=status,
        form=loaded,
        kind_enum=KINDS[loaded.kind],
        values=values,
        errors=errors or {},
        problems=problems or [],
        labels=labels(),
        urgency_options=list(urgencies().items()),
        wished_slots=range(WISHED_DATE_SLOTS),
    )


@page()
async def new_request_form(ctx: Ctx) -> Response:
    kind = query(ctx, "kind")
    ids = ctx.request.query_params.getlist("equipment")
    if kind not in KINDS or not any(ids):
        ctx.session.flash(
            _("Select one or more machines of your park, then the request to make."), "info"
        )
        return ctx.redirect("/equipment")
    loaded = await _load_form(ctx, kind, ids)
    return _render_form(ctx, loaded, {IDEMPOTENCY_FIELD: new_idempotency_key()})


def _to_form_field(name: str, loaded: RequestForm, sent_parts: list[str], slots: list[int]):
    """The form's field for an API field of the request."""
    simple = {
        "equipmentIds": "machines",
        "message": "message",
        "interventionType": "intervention_type",
        "urgency": "urgency",
        "wishedDates": "wished_dates",
        "parts": "parts",
    }
    if name in simple:
        return simple[name]
    indexed = _INDEXED.match(name)
    if not indexed:
        return None
    collection, index = indexed.group(1), int(indexed.group(2))
    if collection == "equipmentIds":
        return "machines"
    if collection == "wishedDates" and index < len(slots):
        return f"wished_date_{slots[index]}"
    if collection == "parts" and index < len(sent_parts):
        return sent_parts[index]
    return None


@page()
async def create_request(ctx: Ctx) -> Response:
    form = await ctx.form()
    kind = text(form, "kind")
    if kind not in KINDS:
        return ctx.redirect("/equipment")
    loaded = await _load_form(ctx, kind, texts(form, "equipment"))
    values: dict = {
        IDEMPOTENCY_FIELD: text(form, IDEMPOTENCY_FIELD),
        "message": text(form, "message"),
        "intervention_type": text(form, "intervention_type"),
        "urgency": text(form, "urgency"),
    }
    errors: dict[str, str] = {}
    body: dict = {
        "equipmentIds": [m["id"] for m in loaded.machines],
        "kind": KINDS[kind],
        "message": values["message"].strip(),
    }
    slots: list[int] = []
    sent_parts: list[str] = []
    if kind == "intervention":
        chosen = INTERVENTION_TYPES.get(values["intervention_type"])
        if chosen:
            body["interventionType"] = chosen
        # Only what the chosen type takes: the other section may hold leftovers.
        if chosen == INTERVENTION_TYPES["breakdown"] and values["urgency"]:
            body["urgency"] = values["urgency"]
        if chosen == INTERVENTION_TYPES["preventive"]:
            dates = []
            for slot in range(WISHED_DATE_SLOTS):
                typed = text(form, f"wished_date_{slot}").strip()
                values[f"wished_date_{slot}"] = typed
                if typed:
                    slots.append(slot)
                    dates.append(typed)
            body["wishedDates"] = dates
    if kind == "parts":
        parts = []
        for row in loaded.parts:
            typed = text(form, row.field).strip()
            values[row.field] = typed
            if not typed:
                continue
            if not typed.isdigit():
                errors[row.field] = _("Type a whole number of parts.")
                continue
            sent_parts.append(row.field)
            parts.append(
                {"partCode": row.code, "quantity": int(typed), "equipmentId": row.machine["id"]}
            )
        body["parts"] = parts
    files = chosen_files(form)
    problem = files_problem(files)
    if problem:
        errors["files"] = problem
    if errors:
        return _render_form(ctx, loaded, values, status=400, errors=errors)
    try:
        created = await ctx.api(
            "POST",
            "/v1/service-requests",
            json=body,
            headers=idempotency_header(values[IDEMPOTENCY_FIELD]),
        )
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, lambda n: _to_form_field(n, loaded, sent_parts, slots))
        if files:
            placed.general.append(_("Please choose your files again."))
        return _render_form(
            ctx, loaded, values, status=400, errors=placed.fields, problems=placed.general
        )
    refused = await upload_files(
        ctx, "service-requests", created["id"], files, values[IDEMPOTENCY_FIELD]
    )
    ctx.session.flash(
        _("Your request %(reference)s was sent to the department in charge.")
        % {"reference": created.get("reference", "")},
        "success",
    )
    for why in refused:
        ctx.session.flash(_("This file was not attached: %(why)s") % {"why": why}, "error")
    return ctx.redirect(f"/equipment/requests/{created['id']}")


# ---- the requests -------------------------------------------------------------------------


@page()
async def requests_list(ctx: Ctx) -> Response:
    filters = {name: query(ctx, name) for name in ("status", "kind", "equipment")}
    names = await park_names(ctx)
    params = {
        "status": filters["status"],
        "kind": filters["kind"],
        "equipmentId": filters["equipment"],
        "pageSize": PAGE_SIZE,
        "pageToken": query(ctx, "page"),
    }
    words = labels()
    context = {
        "filters": filters,
        "names": names,
        "labels": words,
        "status_options": list(words["request_status"].items()),
        "kind_options": list(words["request_kind"].items()),
        "machine": names.get(filters["equipment"]),
    }
    try:
        answer = await ctx.api("GET", "/v1/service-requests", params=params)
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, {"status": "status", "kind": "kind"}.get)
        return ctx.render(
            "assets/requests.html",
            status=400,
            requests=[],
            links={},
            errors=placed.fields,
            problems=placed.general,
            **context,
        )
    return ctx.render(
        "assets/requests.html",
        requests=answer.get("serviceRequests", []),
        links=page_links(ctx, answer.get("nextPageToken", "")),
        errors={},
        problems=[],
        **context,
    )


def _request_path(ctx: Ctx) -> str:
    return f"/v1/service-requests/{quote(ctx.request.path_params['id'])}"


async def _render_request(
    ctx: Ctx,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    values: dict | None = None,
) -> Response:
    found = await ctx.api("GET", _request_path(ctx))
    names = await park_names(ctx)
    return ctx.render(
        "assets/request.html",
        status=status,
        service_request=found,
        names=names,
        labels=labels(),
        cancellable=found.get("status") in CANCELLABLE,
        open_=found.get("status") not in CLOSED,
        errors=errors or {},
        problems=problems or [],
        values=values or {},
    )


@page()
async def request_detail(ctx: Ctx) -> Response:
    return await _render_request(ctx)


@page()
async def cancel_request(ctx: Ctx) -> Response:
    reason = (await ctx.field("reason")).strip()
    try:
        done = await ctx.api("POST", f"{_request_path(ctx)}:cancel", json={"reason": reason})
    except ApiError as error:
        if error.status != 400:
            raise
        placed = place_errors(error, {"reason": "reason"}.get)
        if error.reason == "NOT_CANCELLABLE":
            placed.general = [
                _("This request can no longer be cancelled: the work has started or is over.")
            ]
        return await _render_request(
            ctx,
            status=400,
            errors=placed.fields,
            problems=placed.general,
            values={"reason": reason},
        )
    ctx.session.flash(
        _("Request %(reference)s is cancelled.") % {"reference": done.get("reference", "")},
        "success",
    )
    return ctx.redirect(f"/equipment/requests/{done['id']}")


@page()
async def add_request_files(ctx: Ctx) -> Response:
    form = await ctx.form()
    files = chosen_files(form)
    problem = files_problem(files) or ("" if files else _("Choose at least one file."))
    if problem:
        return await _render_request(ctx, status=400, errors={"files": problem})
    found = await ctx.api("GET", _request_path(ctx))
    refused = await upload_files(ctx, "service-requests", found["id"], files)
    if refused:
        return await _render_request(ctx, status=400, errors={"files": "; ".join(refused)})
    ctx.session.flash(_("Your files are attached."), "success")
    return ctx.redirect(f"/equipment/requests/{found['id']}")


@page()
async def request_file(ctx: Ctx) -> Response:
    found = await ctx.api("GET", _request_path(ctx))
    attachment_id = ctx.request.path_params["attachment_id"]
    attachment = next((a for a in found.get("attachments", []) if a["id"] == attachment_id), None)
    if attachment is None:
        raise ApiError(404, "ATTACHMENT_NOT_FOUND", "no such attachment")
    return await ctx.download(
        f"{_request_path(ctx)}/attachments/{quote(attachment_id)}",
        filename=attachment.get("filename") or "attachment",
    )
