"""What the mobile fleet pages share: the API's enum values in words, phone
numbers as the country writes them, the selection of lines carried from page
to page, and the API's refusals laid out line by line."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

import phonenumbers

from web.api import ApiError
from web.i18n import N_, _
from web.pages.context import Ctx

# The API's enum values (and the history's kinds) in words.
LABELS: dict[str, str] = {
    "LINE_STATUS_ACTIVE": N_("Active"),
    "LINE_STATUS_SUSPENDED": N_("Suspended"),
    "LINE_STATUS_PREPAID": N_("Prepaid"),
    "LINE_STATUS_PENDING_ACTIVATION": N_("Pending activation"),
    "LINE_STATUS_TERMINATED": N_("Terminated"),
    "OPTION_TYPE_ROAMING": N_("Roaming"),
    "OPTION_TYPE_DATA": N_("Data"),
    "OPTION_TYPE_SMS": N_("SMS"),
    "OPTION_TYPE_OTHER": N_("Other options"),
    "REQUEST_KIND_OPTIONS": N_("Option change"),
    "REQUEST_KIND_SUSPEND": N_("Suspension"),
    "REQUEST_KIND_REACTIVATE": N_("Reactivation"),
    "REQUEST_KIND_SWITCH_TO_PREPAID": N_("Switch to prepaid"),
    "REQUEST_KIND_CHANGE_PLAN": N_("Plan change"),
    "REQUEST_KIND_ACTIVATE_SIM": N_("SIM activation"),
    "REQUEST_STATE_IN_PROGRESS": N_("In progress"),
    "REQUEST_STATE_COMPLETED": N_("Completed"),
    "LINE_CHANGE_STATE_PENDING": N_("Waiting"),
    "LINE_CHANGE_STATE_SENT": N_("Sent to the network"),
    "LINE_CHANGE_STATE_DONE": N_("Done"),
    "LINE_CHANGE_STATE_FAILED": N_("Failed"),
    "SUSPENSION_REASON_LOSS": N_("Loss"),
    "SUSPENSION_REASON_THEFT": N_("Theft"),
    "SUSPENSION_REASON_TEMPORARY": N_("Temporary"),
    "SIM_ORDER_STATUS_ORDERED": N_("Ordered"),
    "SIM_ORDER_STATUS_SHIPPED": N_("Shipped"),
    "OPTIONS": N_("Options"),
    "SUSPEND": N_("Suspension"),
    "REACTIVATE": N_("Reactivation"),
    "SWITCH_TO_PREPAID": N_("Switch to prepaid"),
    "CHANGE_PLAN": N_("Plan change"),
    "ACTIVATE_SIM": N_("SIM activation"),
    "IMPORT": N_("Operator data"),
}

LINE_STATUSES = [
    "LINE_STATUS_ACTIVE",
    "LINE_STATUS_SUSPENDED",
    "LINE_STATUS_PREPAID",
    "LINE_STATUS_PENDING_ACTIVATION",
    "LINE_STATUS_TERMINATED",
]
OPTION_TYPES = ["OPTION_TYPE_ROAMING", "OPTION_TYPE_DATA", "OPTION_TYPE_SMS", "OPTION_TYPE_OTHER"]
SUSPENSION_REASONS = [
    "SUSPENSION_REASON_LOSS",
    "SUSPENSION_REASON_THEFT",
    "SUSPENSION_REASON_TEMPORARY",
]

ACCEPTED = N_("We have received your request and will process it within a few minutes.")

# What a refusal means, by the API's reason; the API's own words follow per line.
SUMMARIES: dict[str, str] = {
    "LINES_NOT_ALIKE": N_(
        "Only lines sharing the same plan and status can be changed together: "
        "change your selection."
    ),
    "LINE_CHANGE_REFUSED": N_("This change cannot be made on some of the selected lines."),
    "LINE_CHANGE_IN_PROGRESS": N_(
        "A line takes one change at a time: wait until the change in progress is completed."
    ),
    "OPTION_CHANGE_INVALID": N_(
        "Check the options chosen: at least one to add or remove, none on both sides."
    ),
    "LINES_REQUIRED": N_("Select at least one line."),
    "SIM_UNKNOWN": N_("This SIM card was not shipped to your account: check its ICCID."),
    "SIM_ALREADY_ACTIVATED": N_("This SIM card is already active on a line."),
}

# A selection is carried in the address (`?line=...`): one page of the list at most.
MAX_SELECTION = 100
PAGE_SIZES = (25, 50, 100)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_LINE_FIELD = re.compile(r"^lineIds\[(\d+)\]$")


def label(code: str | None) -> str:
    """An enum value in words; nothing for an unset one (`..._UNSPECIFIED`)."""
    if not code or code.endswith("_UNSPECIFIED"):
        return ""
    return _(LABELS[code]) if code in LABELS else code


def phone(number: str | None) -> str:
    """An E.164 number as its country writes it (`+32470123456` -> `0470 12 34 56`)."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def path_id(raw: str) -> str:
    """An id taken from the address, safe to put in an API path; any other
    text is a page that does not exist."""
    if not _ID.match(raw or ""):
        raise ApiError(404, "NOT_FOUND", "no such page")
    return quote(raw, safe="")


def distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def query(**params: Any) -> str:
    """A query string (lists repeat their key; empty values are left out)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            if one not in (None, ""):
                pairs.append((key, str(one)))
    return urlencode(pairs)


def template_helpers() -> dict[str, Any]:
    return {"label": label, "phone": phone, "query": query}


async def api_each(calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Several API calls: the first alone (an expired access token is refreshed
    by it, once), then the others together."""
    if not calls:
        return []
    first = await calls[0]()
    return [first, *await asyncio.gather(*(call() for call in calls[1:]))]


async def load_lines(ctx: Ctx, ids: list[str]) -> list[dict]:
    """The selected lines, in the order selected (another account's: not found)."""
    paths = [f"/v1/fleet/lines/{path_id(line_id)}" for line_id in ids]
    return await api_each([partial(ctx.api, "GET", path) for path in paths])


async def catalogue(ctx: Ctx, line_id: str = "") -> list[dict]:
    answer = await ctx.api("GET", "/v1/fleet/options", params={"lineId": line_id})
    return answer.get("options", [])


async def plans(ctx: Ctx, product: str = "") -> list[dict]:
    answer = await ctx.api("GET", "/v1/fleet/plans", params={"product": product})
    return answer.get("plans", [])


@dataclass
class Refusal:
    """An API refusal laid out for a page: what it means, each selected line
    with its reasons, the problems of form fields, and any other problem."""

    summary: str
    lines: list[dict] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)


def refusal(
    error: ApiError, lines: list[dict], form_fields: dict[str, str] | None = None
) -> Refusal:
    """`lines` are the selection in the order sent (`lineIds[i]` names the
    i-th); `form_fields` maps API field names to the form's."""
    form_fields = form_fields or {}
    summary = _(SUMMARIES[error.reason]) if error.reason in SUMMARIES else error.message
    found = Refusal(summary)
    per_line: dict[int, list[str]] = {}
    for name, descriptions in error.violations.items():
        described = [d for d in descriptions if d]
        matched = _LINE_FIELD.match(name)
        if matched and int(matched.group(1)) < len(lines):
            per_line.setdefault(int(matched.group(1)), []).extend(described)
        elif name in form_fields:
            found.fields[form_fields[name]] = "; ".join(described)
        else:
            found.other.extend(described)
    for index in sorted(per_line):
        line = lines[index]
        found.lines.append(
            {
                "id": line.get("id", ""),
                "number": line.get("nationalNumber") or phone(line.get("number")),
                "userName": line.get("userName", ""),
                "reasons": per_line[index],
            }
        )
    return found


def names(options: list[dict]) -> dict[str, str]:
    """Option (or plan) codes to their names."""
    return {o["code"]: o.get("name") or o["code"] for o in options}
