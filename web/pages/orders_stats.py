"""Card statistics: the amounts loaded per month next to what the cards spent,
drawn as an SVG bar chart on the server (no script), the figures as tables,
and the CSV export of the API."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_compact_currency
from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.i18n import LOCALES, _, current_language, money
from web.pages.context import Ctx, field_errors, page
from web.pages.orders_common import CSV

# The chart's drawing box (SVG user units): room on the left for the amounts,
# below for the months.
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 12, 36
MONTH_WIDTH = 64
BAR_WIDTH = 22
LOADED_FILL = "#1d4ed8"
SPENT_FILL = "#16a34a"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass
class Chart:
    width: float
    height: float
    left: float
    right: float
    baseline: float
    ticks: list[Tick] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    # (x of the label's centre, the month as the locale writes it)
    labels: list[tuple[float, str]] = field(default_factory=list)


def nice_step(top_cents: int, ticks: int = 4) -> int:
    """A round step (1, 2, 2.5 or 5 times a power of ten, in whole euros) for
    about `ticks` gridlines up to `top_cents`."""
    raw = max(top_cents / ticks, 100)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)


def axis_amount(cents: int) -> str:
    """A gridline's amount, short (`2,5 k €`)."""
    return format_compact_currency(
        cents / 100, "EUR", locale=LOCALES[current_language()], fraction_digits=1
    )


def month_label(month: str) -> str:
    """`2026-03` as the locale writes a short month (`mars 2026`, `Mar 2026`)."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        return month
    return format_date(first, "MMM y", locale=LOCALES[current_language()])


def chart(months: list[dict]) -> Chart | None:
    """The bars of each month (loaded, and spent where usage was imported)."""
    if not months:
        return None
    values = [int(m.get("amountCents") or 0) for m in months] + [
        int(m["spentCents"]) for m in months if m.get("spentCents") is not None
    ]
    step = nice_step(max(values))
    top = max(step, math.ceil(max(values) / step) * step)
    baseline = HEIGHT - BOTTOM
    scale = (baseline - TOP) / top
    width = LEFT + RIGHT + MONTH_WIDTH * len(months)
    drawn = Chart(width=width, height=HEIGHT, left=LEFT, right=width - RIGHT, baseline=baseline)
    drawn.ticks = [
        Tick(baseline - value * scale, axis_amount(value)) for value in range(0, top + 1, step)
    ]
    for index, month in enumerate(months):
        start = LEFT + index * MONTH_WIDTH + (MONTH_WIDTH - 2 * BAR_WIDTH) / 2
        label = month_label(month.get("month", ""))
        drawn.labels.append((start + BAR_WIDTH, label))
        loaded = int(month.get("amountCents") or 0)
        bars = [(loaded, LOADED_FILL, _("%(month)s: %(amount)s loaded"))]
        if month.get("spentCents") is not None:
            bars.append((int(month["spentCents"]), SPENT_FILL, _("%(month)s: %(amount)s spent")))
        for offset, (cents, fill, title) in enumerate(bars):
            height = cents * scale
            drawn.bars.append(
                Bar(
                    x=start + offset * BAR_WIDTH,
                    y=baseline - height,
                    width=BAR_WIDTH - 2,
                    height=height,
                    fill=fill,
                    title=title % {"month": label, "amount": money(cents)},
                )
            )
    return drawn


def _range(ctx: Ctx) -> dict[str, str]:
    params = ctx.request.query_params
    return {"from": params.get("from", "").strip(), "to": params.get("to", "").strip()}


@page()
async def statistics(ctx: Ctx) -> Response:
    period = _range(ctx)
    errors: dict[str, str] = {}
    stats: dict = {}
    try:
        stats = await ctx.api("GET", "/v1/statistics/loads", params=period)
    except ApiError as error:
        if error.status != 400:
            raise
        errors = field_errors(error) or {"from": error.message}
    months = stats.get("months", [])
    beneficiaries = stats.get("beneficiaries", [])
    for month in months:
        month["label"] = month_label(month.get("month", ""))
    for totals in months + beneficiaries:
        # Absent, not 0, while no card usage was imported: the pages say "not known".
        totals.setdefault("spentCents", None)
    return ctx.render(
        "orders/statistics.html",
        status=400 if errors else 200,
        period=period,
        errors=errors,
        months=months,
        beneficiaries=beneficiaries,
        chart=chart(months),
        loaded_fill=LOADED_FILL,
        spent_fill=SPENT_FILL,
        any_spent=any(m.get("spentCents") is not None for m in months),
        export_query=urlencode({k: v for k, v in period.items() if v}),
    )


@page()
async def statistics_csv(ctx: Ctx) -> Response:
    return await ctx.download(
        "/v1/statistics/loads",
        _("card-loads") + ".csv",
        params=_range(ctx),
        headers={"Accept": "text/csv"},
        media_type=CSV,
    )


routes = [
    Route("/statistics", statistics, methods=["GET"]),
    Route("/statistics/loads.csv", statistics_csv, methods=["GET"]),
]
