"""What the cards pages share: amounts put back into forms, the columns of an
order file, the API's refusals said in the user's language, the account's
delivery points, and an order's lines page by page (the customer's order page
and the back office's)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote, urlencode

from web.api import ApiError
from web.forms import Problem, problem_rows
from web.i18n import _, current_language
from web.pages.context import Ctx

# What the API's CSV files are when it does not say.
CSV = "text/csv; charset=utf-8"


def euros_input(cents: int | str | None) -> str:
    """Cents as an amount to put back into a form field (`50,00`)."""
    value = Decimal(int(cents or 0)) / 100
    text = f"{value:.2f}"
    return text.replace(".", ",") if current_language() == "fr" else text


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


def line_errors(errors: list[dict]) -> list[Problem]:
    """A background import's `errors` (LineError: field, description) as rows."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(error.get("field", ""), []).append(error.get("description", ""))
    return problem_rows(grouped, column_label)


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


async def all_delivery_points(ctx: Ctx) -> list[dict]:
    """Every delivery point of the account (the API has no single-point read)."""
    return await ctx.api_all("/v1/delivery-points", "deliveryPoints")


# An order's lines shown at once (an order has up to 100,000).
LINES_PER_PAGE = 200


def _first_line(raw: str) -> int:
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


async def order_lines_page(
    ctx: Ctx, order: dict, api_path: str, page_path: str, anchor: str = "lines-title"
) -> dict:
    """The page of the order's lines to show, for the template: `lines`,
    `line_count`, `first_line` (its number) and the links to the next page and
    back to the first. The order carries its first lines; the others come from
    `api_path/lines` page by page, the link to the next page carrying its
    token (`?lines=`) and where it starts (`&from=`, shown only)."""
    params = ctx.request.query_params
    token = params.get("lines", "")
    count = int(order.get("lineCount") or 0)
    lines = order.get("lines") or []
    following, first = "", 1
    if token or count > len(lines):
        path = f"{api_path}/{quote(order['id'], safe='')}/lines"
        try:
            found = await ctx.api(
                "GET", path, params={"pageSize": LINES_PER_PAGE, "pageToken": token}
            )
            first = _first_line(params.get("from", "1")) if token else 1
        except ApiError as error:
            if error.status != 400:
                raise
            # A link whose token the API does not take (edited): the first page.
            found = await ctx.api("GET", path, params={"pageSize": LINES_PER_PAGE})
        lines, following = found.get("lines") or [], found.get("nextPageToken", "")
    next_query = urlencode({"lines": following, "from": first + len(lines)})
    return {
        "lines": lines,
        "line_count": count,
        "first_line": first,
        "next_lines_url": f"{page_path}?{next_query}#{anchor}" if following else "",
        "first_lines_url": f"{page_path}#{anchor}" if first > 1 else "",
    }
