"""What the cards pages share: idempotency keys carried by forms, amounts typed
in euros, the problems of an order file, the API's refusals said in the user's
language, and CSV answers passed through."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import NumberFormatError, parse_decimal
from starlette.responses import Response

from web.api import ApiError
from web.i18n import LOCALES, _, current_language
from web.pages.context import Ctx

# The API's largest page: the portal asks for whole lists in few calls.
PAGE_SIZE = 500
# A key sent by a browser is only ever one of ours: uuid hex.
_KEY = re.compile(r"^[0-9a-f]{32}$")
_LINE_FIELD = re.compile(r"^line (\d+)(?:: (.*))?$")
_BLANKS = re.compile(r"[\s\u00a0\u202f€]+")


def new_key() -> str:
    """An idempotency key for a form about to be shown: sending the form twice
    (double click, reload) does the thing once."""
    return uuid.uuid4().hex


async def idempotency(ctx: Ctx) -> dict[str, str]:
    """The `Idempotency-Key` header from the form's hidden `key` field."""
    key = await ctx.field("key")
    return {"Idempotency-Key": key} if _KEY.match(key) else {}


def parse_amount(raw: str) -> int:
    """Euros as the user types them (`50`, `50,5`, `1 234,50`) -> cents;
    ValueError saying what is wrong."""
    text = _BLANKS.sub("", raw)
    if not text:
        raise ValueError(_("Enter an amount."))
    try:
        euros = parse_decimal(text, locale=LOCALES[current_language()], strict=True)
    except NumberFormatError:
        raise ValueError(_("Enter an amount in euros, e.g. 50 or 50.50.")) from None
    cents = euros * 100
    if cents != cents.to_integral_value():
        raise ValueError(_("At most two decimals (cents)."))
    if cents <= 0:
        raise ValueError(_("The amount must be positive."))
    return int(cents)


def euros_input(cents: int | str | None) -> str:
    """Cents as an amount to put back into a form field (`50,00`)."""
    value = Decimal(int(cents or 0)) / 100
    text = f"{value:.2f}"
    return text.replace(".", ",") if current_language() == "fr" else text


@dataclass(frozen=True)
class Problem:
    line: str
    column: str
    problem: str


def column_label(name: str) -> str:
    """An order file column by the name the template gives it in this language."""
    labels = {
        "employeeNumber": _("Employee number"),
        "lastName": _("Last name"),
        "firstName": _("First name"),
        "email": _("E-mail"),
        "birthDate": _("Birth date"),
        "deliveryPointCode": _("Delivery point code"),
        "newCard": _("New card"),
        "loadAmount": _("Amount"),
        "header": _("Header row"),
        "columns": _("Number of columns"),
    }
    return labels.get(name, name)


def file_problems(violations: dict[str, list[str]]) -> tuple[list[Problem], dict[str, str]]:
    """The API's `line 12: email` violations as table rows, and the problems
    of the file as a whole (`file`...) by field."""
    rows: list[Problem] = []
    others: dict[str, str] = {}
    for name, descriptions in violations.items():
        found = _LINE_FIELD.match(name)
        if found:
            line, column = found.groups()
            rows += [Problem(line, column_label(column or ""), d) for d in descriptions]
        else:
            others[name] = "; ".join(d for d in descriptions if d)
    return rows, others


def line_errors(errors: list[dict]) -> list[Problem]:
    """A background import's `errors` (LineError: field, description) as rows."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(error.get("field", ""), []).append(error.get("description", ""))
    rows, others = file_problems(grouped)
    return rows + [Problem("", name, text) for name, text in others.items()]


def refusal(error: ApiError) -> str:
    """What a refused action means for the user, in their language where the
    reason is one these pages know; the API's own message otherwise."""
    known = {
        "EMPLOYEE_NUMBER_TAKEN": _("Another beneficiary already has this employee number."),
        "DELIVERY_POINT_CODE_TAKEN": _("Another delivery point already uses this code."),
        "BENEFICIARY_IN_PRODUCTION": _(
            "A card of this beneficiary is being produced: delete them once the order is delivered."
        ),
        "DELIVERY_POINT_IN_USE": _(
            "An open order is delivered to this point: deliver or cancel it first."
        ),
        "ORDER_NOT_CANCELLABLE": _("This order can no longer be cancelled."),
        "INVALID_ORDER_STATUS": _("This order has changed meanwhile: look at its status."),
        "DELIVERY_POINT_DELETED": _("The order's delivery point was deleted since."),
        "NOTHING_TO_DUPLICATE": _("Every beneficiary of that order was deleted since."),
        "PAPERLESS_CONSENT_REQUIRED": _(
            "Paying online needs your consent to paperless invoices (in My account)."
        ),
        "DOCUMENT_ALREADY_PAID": _("This invoice is already paid."),
        "IDEMPOTENCY_KEY_IN_FLIGHT": _(
            "This form is already being sent: wait a moment, then look at the result."
        ),
    }
    return known.get(error.reason, error.message)


def csv_response(body: bytes, filename: str) -> Response:
    """A CSV file from the API, downloaded under `filename`."""
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def all_delivery_points(ctx: Ctx) -> list[dict]:
    """Every delivery point of the account (the API has no single-point read)."""
    points: list[dict] = []
    token = ""
    while True:
        page = await ctx.api(
            "GET", "/v1/delivery-points", params={"pageSize": PAGE_SIZE, "pageToken": token}
        )
        points += page.get("deliveryPoints", [])
        token = page.get("nextPageToken", "")
        if not token:
            return points
