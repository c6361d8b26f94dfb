"""The account pages: the company, its contracts and contacts, the paperless
consent, changing one's password and choosing the account one acts for (a
user may manage several). Accesses and profiles are in `account_users.py`."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.i18n import _
from web.pages.access import start_session
from web.pages.account_common import FORM_STATUSES, api_errors, password_errors, reason_text
from web.pages.context import Ctx, page

CONTACT_KINDS = ("billing", "delivery", "manager")
CONTACT_PARTS = ("name", "email", "phone")


@page()
async def overview(ctx: Ctx) -> Response:
    account = await ctx.api("GET", "/v1/account")
    me = await ctx.api("GET", "/v1/me")
    return ctx.render("account/overview.html", account=account, me=me)


# ---- contacts ----------------------------------------------------------------------
def _contact_values(account: dict) -> dict[str, str]:
    """The form's values (`billing.email`...), the API's field names."""
    contacts = account.get("contacts") or {}
    return {
        f"{kind}.{part}": (contacts.get(kind) or {}).get(part, "")
        for kind in CONTACT_KINDS
        for part in CONTACT_PARTS
    }


@page()
async def contacts_form(ctx: Ctx) -> Response:
    account = await ctx.api("GET", "/v1/account")
    return ctx.render(
        "account/contacts.html", kinds=CONTACT_KINDS, values=_contact_values(account), errors={}
    )


@page()
async def save_contacts(ctx: Ctx) -> Response:
    values = {
        f"{kind}.{part}": (await ctx.field(f"{kind}.{part}")).strip()
        for kind in CONTACT_KINDS
        for part in CONTACT_PARTS
    }
    body = {
        kind: {part: values[f"{kind}.{part}"] for part in CONTACT_PARTS} for kind in CONTACT_KINDS
    }
    try:
        await ctx.api("PATCH", "/v1/account/contacts", json=body)
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        return ctx.render(
            "account/contacts.html",
            status=400,
            kinds=CONTACT_KINDS,
            values=values,
            errors=api_errors(error),
            error=reason_text(error),
        )
    ctx.session.flash(_("The contacts are saved."), "success")
    return ctx.redirect("/account")


@page()
async def paperless_consent(ctx: Ctx) -> Response:
    consent = await ctx.field("paperlessConsent") == "yes"
    await ctx.api("PATCH", "/v1/account/paperless-consent", json={"paperlessConsent": consent})
    ctx.session.flash(
        _("Your documents will now be sent by e-mail.")
        if consent
        else _("Your consent is withdrawn: your documents will be sent by post."),
        "success",
    )
    return ctx.redirect("/account")


# ---- password ----------------------------------------------------------------------
@page()
async def password_form(ctx: Ctx) -> Response:
    return ctx.render("account/password.html", errors={})


@page()
async def change_password(ctx: Ctx) -> Response:
    current = await ctx.field("currentPassword")
    new = await ctx.field("newPassword")
    confirmation = await ctx.field("passwordConfirm")
    errors = password_errors(
        new, confirmation, field="newPassword", confirm_field="passwordConfirm"
    )
    if not current:
        errors["currentPassword"] = _("is required")
    if errors:
        return ctx.render("account/password.html", status=400, errors=errors)
    try:
        tokens = await ctx.api(
            "POST", "/v1/me/password", json={"currentPassword": current, "newPassword": new}
        )
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        return ctx.render(
            "account/password.html",
            status=400,
            errors=api_errors(error),
            error=reason_text(error),
        )
    # Every other session of the user has ended; this one goes on with the new tokens.
    await start_session(ctx, tokens)
    ctx.session.flash(_("Your password is changed."), "success")
    return ctx.redirect("/account")


# ---- the account one acts for ------------------------------------------------------
@page()
async def entity_form(ctx: Ctx) -> Response:
    me = await ctx.api("GET", "/v1/me")
    return ctx.render("account/entity.html", me=me)


@page()
async def switch_entity(ctx: Ctx) -> Response:
    entity_id = (await ctx.field("entityId")).strip()
    try:
        tokens = await ctx.api("POST", "/v1/me/entity:switch", json={"entityId": entity_id})
    except ApiError as error:
        # An account that is not one of the user's answers 404: the not-found page.
        if error.status not in FORM_STATUSES:
            raise
        me = await ctx.api("GET", "/v1/me")
        return ctx.render("account/entity.html", status=400, me=me, error=reason_text(error))
    await start_session(ctx, tokens)
    ctx.session.flash(
        _("You are now acting for %(name)s.") % {"name": ctx.session.entity_name}, "success"
    )
    return ctx.redirect("/")


routes = [
    Route("/account", overview, methods=["GET"]),
    Route("/account/contacts", contacts_form, methods=["GET"]),
    Route("/account/contacts", save_contacts, methods=["POST"]),
    Route("/account/paperless-consent", paperless_consent, methods=["POST"]),
    Route("/account/password", password_form, methods=["GET"]),
    Route("/account/password", change_password, methods=["POST"]),
    Route("/account/entity", entity_form, methods=["GET"]),
    Route("/account/entity", switch_entity, methods=["POST"]),
]
