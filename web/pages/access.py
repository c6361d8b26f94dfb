"""Signing in and out, and the language switch (the reference page module: the
other areas follow its shape)."""

from __future__ import annotations

import contextlib
from urllib.parse import quote, urlparse

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.i18n import _, normalise_language, use_language
from web.pages.context import Ctx, field_errors, page


def safe_next(target: str) -> str:
    """A local path to go back to after signing in (never another site)."""
    parsed = urlparse(target or "/")
    if parsed.scheme or parsed.netloc or not (parsed.path or "/").startswith("/"):
        return "/"
    if parsed.path.startswith("//"):
        return "/"
    return target or "/"


@page(signed_in=False)
async def login_form(ctx: Ctx) -> Response:
    if ctx.session.signed_in:
        return ctx.redirect("/")
    return ctx.render(
        "access/login.html", next=safe_next(ctx.request.query_params.get("next", "")), values={}
    )


@page(signed_in=False)
async def login(ctx: Ctx) -> Response:
    login_name = (await ctx.field("login")).strip()
    password = await ctx.field("password")
    target = safe_next(await ctx.field("next"))
    values = {"login": login_name}
    try:
        answer = await ctx.api(
            "POST", "/v1/auth/login", json={"login": login_name, "password": password}
        )
    except ApiError as error:
        if error.status in (400, 401, 403, 429):
            message = (
                _("Too many attempts: wait a few minutes and try again.")
                if error.status == 429
                else _("This login and password do not match an active access.")
                if error.status in (401, 403)
                else error.message
            )
            return ctx.render(
                "access/login.html",
                status=error.status if error.status != 401 else 400,
                next=target,
                values=values,
                error=message,
                errors=field_errors(error),
            )
        raise
    if answer.get("passwordChangeRequired"):
        ctx.session.sign_out()
        ctx.session.first_login_token = answer.get("accessToken", "")
        return ctx.redirect("/first-login")
    entities = await start_session(ctx, answer)
    if len(entities) > 1:
        # Acting for several accounts: the user chooses which one first.
        return ctx.redirect(f"/account/entity?next={quote(target)}")
    return ctx.redirect(target)


async def start_session(ctx: Ctx, tokens: dict) -> list[dict]:
    """Signs the session in with the API's tokens and remembers who it is (for
    the menus) and the user's language (the user may switch)."""
    ctx.session.sign_in(tokens)
    me = await ctx.api("GET", "/v1/me")
    user = me.get("user") or {}
    ctx.session.user_name = " ".join(
        part for part in (user.get("firstName", ""), user.get("lastName", "")) if part
    ) or user.get("email", "")
    ctx.session.entity_name = (me.get("currentEntity") or {}).get("name", "")
    ctx.session.permissions = list(me.get("permissions") or [])
    ctx.session.operator = bool(me.get("operator"))
    if user.get("language"):
        ctx.session.language = normalise_language(user["language"])
        use_language(ctx.session.language)
    return list(me.get("entities") or [])


@page(signed_in=False)
async def logout(ctx: Ctx) -> Response:
    await ctx.form()
    if ctx.session.signed_in:
        # Ends the session in identity: its tokens stop working everywhere.
        with contextlib.suppress(ApiError):
            await ctx.api(
                "POST", "/v1/auth/logout", json={"refreshToken": ctx.session.refresh_token}
            )
    ctx.session.sign_out()
    ctx.session.flash(_("You are signed out."), "success")
    return ctx.redirect("/login")


@page(signed_in=False)
async def switch_language(ctx: Ctx) -> Response:
    language = normalise_language(await ctx.field("language"))
    ctx.session.language = language
    use_language(language)
    return ctx.redirect(safe_next(await ctx.field("next")))


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/language", switch_language, methods=["POST"]),
]
