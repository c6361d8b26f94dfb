"""What the back-office pages share: the operator check, the labels of the
API's enums, finding one item in an admin list the API does not serve alone,
account names next to entity ids, list paging and form-level errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.responses import HTMLResponse

from web.api import ApiError
from web.i18n import _
from web.labels import contact_topics, intervention_types
from web.pages.context import Ctx

LIST_PAGE_SIZE = 50


def require_operator(ctx: Ctx) -> None:
    """Back-office pages are for operators: anyone else gets the forbidden
    page (the API refuses their calls too; this spares them a half page)."""
    if not ctx.session.operator:
        raise ApiError(403, "OPERATOR_ONLY", _("This page is for operators."))


def render(ctx: Ctx, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    return ctx.render(template, status=status, label=label, **context)


def _labels() -> dict[str, str]:
    # Built per call: `_()` follows the language of the request.
    return {
        **contact_topics(),
        **intervention_types(),
        # claims
        "CLAIM_STATUS_OPEN": _("Open"),
        "CLAIM_STATUS_IN_PROGRESS": _("In progress"),
        "CLAIM_STATUS_ACCEPTED": _("Accepted"),
        "CLAIM_STATUS_REJECTED": _("Rejected"),
        "WRONG_AMOUNT": _("Wrong amount"),
        "NOT_RECEIVED": _("Not received"),
        "DUPLICATE": _("Billed twice"),
        "OTHER": _("Other"),
        # service requests
        "SERVICE_REQUEST_STATUS_RECEIVED": _("Received"),
        "SERVICE_REQUEST_STATUS_PLANNED": _("Planned"),
        "SERVICE_REQUEST_STATUS_IN_PROGRESS": _("In progress"),
        "SERVICE_REQUEST_STATUS_DONE": _("Done"),
        "SERVICE_REQUEST_STATUS_CANCELLED": _("Cancelled"),
        "SERVICE_REQUEST_KIND_PARTS": _("Spare parts"),
        "SERVICE_REQUEST_KIND_INTERVENTION": _("Intervention"),
        "SERVICE_REQUEST_KIND_EXPERTISE": _("Expertise"),
        "SERVICE_REQUEST_KIND_REMOVAL": _("Removal"),
        "URGENCY_NORMAL": _("Normal"),
        "URGENCY_HIGH": _("High"),
        "URGENCY_CRITICAL": _("Critical: machine stopped"),
        # change requests
        "CONTACT_REQUEST_STATUS_OPEN": _("Open"),
        "CONTACT_REQUEST_STATUS_ACCEPTED": _("Accepted"),
        "CONTACT_REQUEST_STATUS_REFUSED": _("Refused"),
        "CONTACT_REQUEST_STATUS_ANSWERED": _("Answered"),
        # orders
        "ORDER_STATUS_DRAFT": _("Draft"),
        "ORDER_STATUS_AWAITING_PAYMENT": _("Awaiting payment"),
        "ORDER_STATUS_PAID": _("Paid"),
        "ORDER_STATUS_IN_PRODUCTION": _("In production"),
        "ORDER_STATUS_SHIPPED": _("Shipped"),
        "ORDER_STATUS_DELIVERED": _("Delivered"),
        "ORDER_STATUS_CANCELLED": _("Cancelled"),
        # accounts
        "UNLOCK_RULE_FIRST_ORDER": _("At the first order"),
        "UNLOCK_RULE_UNLOCKED": _("Unlocked from the start"),
        "CONTRACT_STATUS_ACTIVE": _("In force"),
        "CONTRACT_STATUS_ENDED": _("Ended"),
        # messages
        "DELIVERY_STATUS_PENDING": _("Being sent"),
        "DELIVERY_STATUS_SENT": _("Sent"),
        "DELIVERY_STATUS_FAILED": _("Not delivered"),
        "fr": _("French"),
        "en": _("English"),
    }


def label(value: str | None) -> str:
    """The words for an enum value of the API (the value itself when unknown)."""
    if not value:
        return ""
    return _labels().get(value, value)


async def account_names(ctx: Ctx, entity_ids: list[str]) -> dict[str, dict]:
    """The accounts (id -> account) behind the entity ids of a list, for their
    names; one that cannot be read is left out (the page shows the id)."""
    wanted = list(dict.fromkeys(i for i in entity_ids if i))
    answers = await first_of(
        [
            lambda entity_id=entity_id: ctx.api(
                "GET", f"/v1/admin/accounts/{quote(entity_id, safe='')}"
            )
            for entity_id in wanted
        ]
    )
    return {
        entity_id: answer
        for entity_id, answer in zip(wanted, answers, strict=True)
        if isinstance(answer, dict)
    }


async def find_in_list(ctx: Ctx, path: str, key: str, item_id: str) -> dict:
    """One item of an admin list, by id, when the API has no route to read it
    alone: the list is paged through; not found is the not-found page."""
    for item in await ctx.api_all(path, key):
        if item.get("id") == item_id:
            return item
    raise ApiError(404, "NOT_FOUND", "")


def form_error(error: ApiError, errors: dict[str, str]) -> str:
    """The message to show at the top of a form: the API's own words when no
    field took the blame (a refused move, a conflict)."""
    if errors:
        return _("Please correct the fields shown.")
    return error.message or _("The request was refused.")


async def first_of(calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Runs the first call alone (it refreshes an expired token once), then the
    others side by side; each result is the answer or the ApiError."""
    results: list[Any] = []

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except ApiError as error:
            return error

    if calls:
        results.append(await run(calls[0]))
        results += await asyncio.gather(*(run(c) for c in calls[1:]))
    return results


def page_params(ctx: Ctx, **filters: str) -> dict[str, Any]:
    """The list call's parameters: its filters, the page size and token."""
    return {
        **filters,
        "pageSize": LIST_PAGE_SIZE,
        "pageToken": ctx.request.query_params.get("pageToken", ""),
    }
