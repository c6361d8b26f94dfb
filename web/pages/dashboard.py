"""The dashboard: what needs the customer's attention, each area saying its
part (orders in progress, what is due...)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from web.pages import billing, orders
from web.pages.context import Ctx, page

# Each returns the context of its `<area>/_attention.html` ({} when nothing).
ATTENTION = [orders.attention, billing.attention]


@page()
async def dashboard(ctx: Ctx) -> Response:
    if ctx.session.operator:  # operators act for no customer account
        return ctx.redirect("/admin/accounts")
    me = await ctx.api("GET", "/v1/me")
    # Each area says what needs attention (nothing when the user may not see it).
    parts: dict = {}
    for area in ATTENTION:
        parts.update(await area(ctx))
    return ctx.render("dashboard.html", me=me, **parts)


routes = [Route("/", dashboard, methods=["GET"])]
