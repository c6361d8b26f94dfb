"""What the assets pages (equipment park, service requests, quotes, parking,
change requests) share: the API's enums in words, the API's violations placed
on the form's fields, attachments sent with a request, and paging links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from starlette.datastructures import FormData, UploadFile

from web.api import ApiError
from web.api_texts import in_words
from web.forms import idempotency_header
from web.i18n import LOCALES, _, current_language
from web.labels import contact_topics, intervention_types
from web.pages.context import Ctx

# The API takes at most this many attachments of at most this size per request.
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Lists that feed a select (machines of the park) are read in one page.
SELECT_PAGE_SIZE = 500


# ---- the API's enums in words ------------------------------------------------------------


def equipment_statuses() -> dict[str, str]:
    return {
        "EQUIPMENT_STATUS_IN_SERVICE": _("In service"),
        "EQUIPMENT_STATUS_OUT_OF_ORDER": _("Out of order"),
        "EQUIPMENT_STATUS_UNDER_MAINTENANCE": _("Under maintenance"),
        "EQUIPMENT_STATUS_REMOVED": _("Removed from the park"),
    }


def request_kinds() -> dict[str, str]:
    return {
        "SERVICE_REQUEST_KIND_PARTS": _("Spare parts"),
        "SERVICE_REQUEST_KIND_INTERVENTION": _("Intervention"),
        "SERVICE_REQUEST_KIND_EXPERTISE": _("Expertise"),
        "SERVICE_REQUEST_KIND_REMOVAL": _("Removal from the park"),
    }


def request_statuses() -> dict[str, str]:
    return {
        "SERVICE_REQUEST_STATUS_RECEIVED": _("Received"),
        "SERVICE_REQUEST_STATUS_PLANNED": _("Planned"),
        "SERVICE_REQUEST_STATUS_IN_PROGRESS": _("In progress"),
        "SERVICE_REQUEST_STATUS_DONE": _("Completed"),
        "SERVICE_REQUEST_STATUS_CANCELLED": _("Cancelled"),
    }


def urgencies() -> dict[str, str]:
    return {
        "URGENCY_NORMAL": _("Normal"),
        "URGENCY_HIGH": _("High"),
        "URGENCY_CRITICAL": _("Critical: the machine and production are stopped"),
    }


def quote_statuses() -> dict[str, str]:
    return {
        "QUOTE_STATUS_PENDING": _("Awaiting your answer"),
        "QUOTE_STATUS_ACCEPTED": _("Order validated"),
        "QUOTE_STATUS_DECLINED": _("Declined by you"),
        "QUOTE_STATUS_EXPIRED": _("Expired"),
    }


def contract_types() -> dict[str, str]:
    return {
        "PARKING_CONTRACT_TYPE_RESIDENT": _("Resident"),
        "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT": _("Low-usage resident"),
        "PARKING_CONTRACT_TYPE_BUSINESS": _("Business"),
        "PARKING_CONTRACT_TYPE_MOTORCYCLE": _("Motorcycle"),
    }


def contact_statuses() -> dict[str, str]:
    return {
        "CONTACT_REQUEST_STATUS_OPEN": _("Being processed"),
        "CONTACT_REQUEST_STATUS_ACCEPTED": _("Change made"),
        "CONTACT_REQUEST_STATUS_REFUSED": _("Refused"),
        "CONTACT_REQUEST_STATUS_ANSWERED": _("Answered"),
    }


def labels() -> dict[str, dict[str, str]]:
    """Every enum in words, in the request's language (templates' `labels`)."""
    return {
        "equipment_status": equipment_statuses(),
        "request_kind": request_kinds(),
        "request_status": request_statuses(),
        "intervention_type": intervention_types(),
        "urgency": urgencies(),
        "quote_status": quote_statuses(),
        "contract_type": contract_types(),
        "contact_topic": contact_topics(),
        "contact_status": contact_statuses(),
    }


# ---- errors where they belong --------------------------------------------------------------


@dataclass
class Placed:
    """An API refusal as the form shows it: messages next to fields, and the
    rest (no field of the form, or no field at all) at the top."""

    fields: dict[str, str]
    general: list[str]


def place_errors(error: ApiError, to_field: Callable[[str], str | None]) -> Placed:
    """`to_field` maps an API field (`parts[2].quantity`) to the form's field,
    None when the form has none for it."""
    fields: dict[str, str] = {}
    general: list[str] = []
    for name, descriptions in error.violations.items():
        text = "; ".join(in_words(d) for d in descriptions if d)
        target = to_field(name) if name else None
        if target:
            fields[target] = f"{fields[target]}; {text}" if target in fields else text
        else:
            general.append(f"{name}: {text}" if name else text)
    if not error.violations and error.message:
        general.append(error.message)
    return Placed(fields, general)


def renamed(mapping: dict[str, str]) -> Callable[[str], str | None]:
    return mapping.get


# ---- forms ----------------------------------------------------------------------------------


def texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def chosen_files(form: FormData, name: str = "files") -> list[UploadFile]:
    """The files chosen (a browser sends an empty part when none is)."""
    return [
        f
        for f in form.getlist(name)
        if isinstance(f, UploadFile) and f.filename and (f.size is None or f.size > 0)
    ]


def files_problem(files: list[UploadFile]) -> str:
    """What the API would refuse anyway, said before anything is created."""
    if len(files) > MAX_ATTACHMENTS:
        return _("At most %(count)s files per request.") % {"count": MAX_ATTACHMENTS}
    for upload in files:
        if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
            return _("%(file)s is larger than 10 MB.") % {"file": upload.filename}
    return ""


async def upload_files(
    ctx: Ctx, collection: str, parent_id: str, files: list[UploadFile], key: str = ""
) -> list[str]:
    """Posts each file to `/v1/<collection>/<id>/attachments`; the refused
    ones in words (`name: why`)."""
    refused = []
    for index, upload in enumerate(files):
        data = await upload.read()
        try:
            await ctx.api(
                "POST",
                f"/v1/{collection}/{parent_id}/attachments",
                params={"filename": upload.filename},
                content=data,
                headers={
                    "Content-Type": upload.content_type or "application/octet-stream",
                    **idempotency_header(key, f"-file-{index}"),
                },
            )
        except ApiError as error:
            if error.status in (401, 403, 404) or error.status >= 500:
                raise
            why = "; ".join(d for ds in error.violations.values() for d in ds) or error.message
            refused.append(f"{upload.filename}: {why}")
    return refused


def month_words(month: str) -> str:
    """`2026-03` -> `mars 2026` (`March 2026`); as given when it is no month."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        return month
    return format_date(first, "LLLL y", locale=LOCALES[current_language()])


# ---- lists ----------------------------------------------------------------------------------


def page_links(ctx: Ctx, next_token: str) -> dict[str, str]:
    """The first and next pages of a list, its filters kept."""
    url = ctx.request.url
    links = {}
    if ctx.request.query_params.get("page"):
        first = url.remove_query_params("page")
        links["first"] = first.path + (f"?{first.query}" if first.query else "")
    if next_token:
        following = url.include_query_params(page=next_token)
        links["next"] = f"{following.path}?{following.query}"
    return links


def query(ctx: Ctx, name: str) -> str:
    return ctx.request.query_params.get(name, "").strip()


async def park_names(ctx: Ctx) -> dict[str, dict[str, Any]]:
    """The park's machines by id (removed ones too), for lists that name them."""
    answer = await ctx.api(
        "GET", "/v1/equipment", params={"includeRemoved": "true", "pageSize": SELECT_PAGE_SIZE}
    )
    return {m["id"]: m for m in answer.get("equipment", [])}
