"""The ways into the customer area besides the login form: activating the
account from its e-mail (or asking for that e-mail again), the first login
with a temporary password, sign-in links, forgotten password and identifier,
and accepting an invitation. Every step is the public API's; a request for an
e-mail always answers the same, whether the address or numbers are known or not.

Links from e-mails land on a page with a button rather than acting on the GET:
mail scanners open links, and a single-use token must not be spent by them."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.i18n import _
from web.pages.access import start_session
from web.pages.account_common import FORM_STATUSES, api_errors, password_errors, reason_text
from web.pages.context import Ctx, page

TOKEN_INVALID = "TOKEN_INVALID_OR_EXPIRED"  # noqa: S105 - an error reason


def _query(ctx: Ctx, name: str) -> str:
    return ctx.request.query_params.get(name, "").strip()


def _refused(ctx: Ctx, template: str, error: ApiError, values: dict, **context: object) -> Response:
    """The form again with the API's refusal: its field problems next to their
    fields, anything else at the top; what was typed is kept."""
    if error.status not in FORM_STATUSES:
        raise error
    return ctx.render(
        template,
        status=400,
        values=values,
        errors=api_errors(error),
        error=reason_text(error),
        expired=error.reason == TOKEN_INVALID,
        **context,
    )


# ---- activation --------------------------------------------------------------------
@page(signed_in=False)
async def activate_form(ctx: Ctx) -> Response:
    token = _query(ctx, "token")
    if token:
        return ctx.render("account/activate.html", token=token, values={}, errors={})
    return ctx.render("account/activation_request.html", values={}, errors={})


@page(signed_in=False)
async def activate(ctx: Ctx) -> Response:
    token = (await ctx.field("token")).strip()
    values = {
        "clientNumber": (await ctx.field("clientNumber")).strip(),
        "contractNumber": (await ctx.field("contractNumber")).strip(),
    }
    if not token:
        return await _request_activation(ctx, values)
    password = await ctx.field("password")
    errors = password_errors(
        password,
        await ctx.field("passwordConfirm"),
        field="password",
        confirm_field="passwordConfirm",
    )
    if errors:
        return ctx.render(
            "account/activate.html", status=400, token=token, values=values, errors=errors
        )
    try:
        tokens = await ctx.api(
            "POST",
            "/v1/auth/activation:confirm",
            json={**values, "token": token, "password": password},
        )
    except ApiError as error:
        if error.reason == "ACTIVATION_MISMATCH":
            check = _("Check this number: it is in the activation e-mail.")
            error.violations = {"clientNumber": [check], "contractNumber": [check]}
        return _refused(ctx, "account/activate.html", error, values, token=token)
    await start_session(ctx, tokens)
    ctx.session.flash(_("Your account is activated. Welcome to your customer area!"), "success")
    return ctx.redirect("/")


async def _request_activation(ctx: Ctx, values: dict) -> Response:
    try:
        await ctx.api("POST", "/v1/auth/activation:request", json=values)
    except ApiError as error:
        return _refused(ctx, "account/activation_request.html", error, values)
    ctx.session.flash(
        _(
            "If these numbers match an account waiting for its activation, its manager "
            "will receive the activation e-mail in a few minutes. The link is valid 48 hours."
        ),
        "info",
    )
    return ctx.redirect("/login")


# ---- first login with a temporary password (or after a first-connection link) ------
@page(signed_in=False)
async def first_login_form(ctx: Ctx) -> Response:
    if not ctx.session.first_login_token:
        ctx.session.flash(_("Sign in with your identifier and temporary password first."), "info")
        return ctx.redirect("/login")
    return ctx.render(
        "account/first_login.html", by_link=_query(ctx, "by") == "link", values={}, errors={}
    )


@page(signed_in=False)
async def first_login(ctx: Ctx) -> Response:
    restricted = ctx.session.first_login_token
    if not restricted:
        await ctx.form()
        ctx.session.flash(_("Sign in with your identifier and temporary password first."), "info")
        return ctx.redirect("/login")
    by_link = await ctx.field("by") == "link"
    values = {
        "primaryEmail": (await ctx.field("primaryEmail")).strip(),
        "secondaryEmail": (await ctx.field("secondaryEmail")).strip(),
        "paperlessConsent": await ctx.field("paperlessConsent") == "yes",
    }
    password = await ctx.field("newPassword")
    errors = password_errors(
        password,
        await ctx.field("passwordConfirm"),
        field="newPassword",
        confirm_field="passwordConfirm",
    )
    if errors:
        return ctx.render(
            "account/first_login.html", status=400, by_link=by_link, values=values, errors=errors
        )
    body: dict = {
        "newPassword": password,
        "primaryEmail": values["primaryEmail"],
        "secondaryEmail": values["secondaryEmail"],
    }
    # Unticked leaves the account's choice as it is (another manager may have
    # given it); withdrawing is done on the account page.
    if values["paperlessConsent"]:
        body["paperlessConsent"] = True
    try:
        tokens = await ctx.api("POST", "/v1/auth/first-login", json=body, token=restricted)
    except ApiError as error:
        if error.status == 401:  # the restricted token expired or was used
            ctx.session.first_login_token = ""
            ctx.session.flash(reason_text(error), "error")
            return ctx.redirect("/login")
        return _refused(ctx, "account/first_login.html", error, values, by_link=by_link)
    await start_session(ctx, tokens)
    ctx.session.flash(_("Your password is set. Welcome to your customer area!"), "success")
    return ctx.redirect("/")


# ---- sign-in links ---------------------------------------------------------------------
@page(signed_in=False)
async def magic_link_form(ctx: Ctx) -> Response:
    token = _query(ctx, "token")
    if token:
        return ctx.render("account/magic_link_landing.html", token=token, values={}, errors={})
    return ctx.render("account/magic_link_request.html", values={}, errors={})


@page(signed_in=False)
async def magic_link(ctx: Ctx) -> Response:
    token = (await ctx.field("token")).strip()
    if token:
        return await _redeem_magic_link(ctx, token)
    values = {"email": (await ctx.field("email")).strip()}
    try:
        await ctx.api("POST", "/v1/auth/magic-link:request", json=values)
    except ApiError as error:
        return _refused(ctx, "account/magic_link_request.html", error, values)
    ctx.session.flash(
        _(
            "If this address belongs to an active access, a sign-in link is on its way. "
            "It can be used once, within 30 days."
        ),
        "info",
    )
    return ctx.redirect("/login")


async def _redeem_magic_link(ctx: Ctx, token: str) -> Response:
    try:
        tokens = await ctx.api("POST", "/v1/auth/magic-link:redeem", json={"token": token})
    except ApiError as error:
        return _refused(ctx, "account/magic_link_landing.html", error, {}, token=token)
    if tokens.get("passwordChangeRequired"):
        # A first connection by link: a password of their own comes first.
        ctx.session.sign_out()
        ctx.session.first_login_token = tokens.get("accessToken", "")
        return ctx.redirect("/first-login?by=link")
    await start_session(ctx, tokens)
    return ctx.redirect("/")


# ---- forgotten password ------------------------------------------------------------------
@page(signed_in=False)
async def forgot_password_form(ctx: Ctx) -> Response:
    return ctx.render("account/forgot_password.html", values={}, errors={})


@page(signed_in=False)
async def forgot_password(ctx: Ctx) -> Response:
    values = {"email": (await ctx.field("email")).strip()}
    try:
        await ctx.api("POST", "/v1/auth/password-reset:request", json=values)
    except ApiError as error:
        return _refused(ctx, "account/forgot_password.html", error, values)
    ctx.session.flash(
        _(
            "If this address belongs to an active access, you will receive an e-mail "
            "explaining what to do. The link in it is valid one hour."
        ),
        "info",
    )
    return ctx.redirect("/login")


@page(signed_in=False)
async def reset_password_form(ctx: Ctx) -> Response:
    token = _query(ctx, "token")
    if not token:
        return ctx.redirect("/forgot-password")
    return ctx.render("account/reset_password.html", token=token, values={}, errors={})


@page(signed_in=False)
async def reset_password(ctx: Ctx) -> Response:
    return await _set_password_with_link(
        ctx,
        "account/reset_password.html",
        _("Your password is changed. Sign in with it."),
    )


async def _set_password_with_link(ctx: Ctx, template: str, done: str) -> Response:
    """A password set with an e-mailed token (reset or invitation); the person
    then signs in with it (the API answers no session here)."""
    token = (await ctx.field("token")).strip()
    password = await ctx.field("newPassword")
    errors = password_errors(
        password,
        await ctx.field("passwordConfirm"),
        field="newPassword",
        confirm_field="passwordConfirm",
    )
    if errors:
        return ctx.render(template, status=400, token=token, values={}, errors=errors)
    try:
        await ctx.api(
            "POST",
            "/v1/auth/password-reset:confirm",
            json={"token": token, "newPassword": password},
        )
    except ApiError as error:
        return _refused(ctx, template, error, {}, token=token)
    ctx.session.sign_out()
    ctx.session.flash(done, "success")
    return ctx.redirect("/login")


# ---- forgotten identifier ------------------------------------------------------------------
@page(signed_in=False)
async def forgot_identifier_form(ctx: Ctx) -> Response:
    return ctx.render("account/forgot_identifier.html", values={}, errors={})


@page(signed_in=False)
async def forgot_identifier(ctx: Ctx) -> Response:
    values = {"email": (await ctx.field("email")).strip()}
    try:
        await ctx.api("POST", "/v1/auth/identifier:request", json=values)
    except ApiError as error:
        return _refused(ctx, "account/forgot_identifier.html", error, values)
    ctx.session.flash(
        _(
            "If this address is known, we have sent it your identifiers: the address "
            "itself and the client numbers of the accounts you hold."
        ),
        "info",
    )
    return ctx.redirect("/login")


# ---- invitation -----------------------------------------------------------------------------
@page(signed_in=False)
async def accept_invitation_form(ctx: Ctx) -> Response:
    token = _query(ctx, "token")
    if not token:
        return ctx.redirect("/login")
    return ctx.render("account/accept_invitation.html", token=token, values={}, errors={})


@page(signed_in=False)
async def accept_invitation(ctx: Ctx) -> Response:
    return await _set_password_with_link(
        ctx,
        "account/accept_invitation.html",
        _("Your access is ready. Sign in with your e-mail address and your new password."),
    )


routes = [
    Route("/activate", activate_form, methods=["GET"]),
    Route("/activate", activate, methods=["POST"]),
    Route("/first-login", first_login_form, methods=["GET"]),
    Route("/first-login", first_login, methods=["POST"]),
    Route("/magic-link", magic_link_form, methods=["GET"]),
    Route("/magic-link", magic_link, methods=["POST"]),
    Route("/forgot-password", forgot_password_form, methods=["GET"]),
    Route("/forgot-password", forgot_password, methods=["POST"]),
    Route("/reset-password", reset_password_form, methods=["GET"]),
    Route("/reset-password", reset_password, methods=["POST"]),
    Route("/forgot-identifier", forgot_identifier_form, methods=["GET"]),
    Route("/forgot-identifier", forgot_identifier, methods=["POST"]),
    Route("/accept-invitation", accept_invitation_form, methods=["GET"]),
    Route("/accept-invitation", accept_invitation, methods=["POST"]),
]
