"""Accesses to the account (managers invited with a profile, their profile
changed, their access disabled) and the permission profiles (built-in ones
and the account's own). Both wait for delegation to be unlocked (the
account's first order, or an operator): until then the page says so, and an
attempt shows the API's refusal."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _
from web.pages.account_common import (
    FORM_STATUSES,
    api_errors,
    ordered_permissions,
    profile_label,
    reason_text,
)
from web.pages.context import Ctx, page

USERS_PAGE_SIZE = 100
_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def _path_id(ctx: Ctx) -> str | None:
    """The id in the page's path, when it can be one (anything else: not found)."""
    value = str(ctx.request.path_params.get("id", ""))
    return value if _ID.match(value) else None


def _not_found(ctx: Ctx) -> Response:
    return ctx.render("errors/not_found.html", status=404)


async def _profiles(ctx: Ctx) -> list[dict]:
    profiles = await ctx.api_all("/v1/profiles", "profiles")
    return [{**p, "label": profile_label(p)} for p in profiles]


def _permission_choices(profiles: list[dict]) -> list[tuple[str, str]]:
    """Every permission the API knows of: the built-in profiles hold them all."""
    known = {p for profile in profiles if profile.get("builtIn") for p in profile["permissions"]}
    return ordered_permissions(known)


# ---- accesses ----------------------------------------------------------------------
async def _users_page(ctx: Ctx, *, status: int = 200, **context: Any) -> Response:
    page_token = ctx.request.query_params.get("pageToken", "")
    users = await ctx.api(
        "GET", "/v1/users", params={"pageSize": USERS_PAGE_SIZE, "pageToken": page_token}
    )
    account = await ctx.api("GET", "/v1/account")
    me = await ctx.api("GET", "/v1/me")
    context.setdefault("values", {"language": ctx.session.language or "fr"})
    context.setdefault("errors", {})
    every_profile = await _profiles(ctx)
    return ctx.render(
        "account/users.html",
        status=status,
        users=users.get("users") or [],
        next_page=users.get("nextPageToken", ""),
        profiles=every_profile,
        profile_choices=[(p["id"], p["label"]) for p in every_profile],
        profile_labels={p["id"]: p["label"] for p in every_profile},
        unlocked=bool(account.get("delegationUnlocked")),
        me=me,
        key=new_idempotency_key(),
        **context,
    )


@page()
async def users(ctx: Ctx) -> Response:
    return await _users_page(ctx)


@page()
async def invite_user(ctx: Ctx) -> Response:
    values = {
        name: (await ctx.field(name)).strip()
        for name in ("email", "firstName", "lastName", "profileId", "language")
    }
    try:
        await ctx.api(
            "POST", "/v1/users", json=values, headers=await posted_idempotency_header(ctx)
        )
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = api_errors(error)
        if error.reason in ("USER_ALREADY_MEMBER", "USER_EXISTS"):
            errors["email"] = reason_text(error)
        return await _users_page(
            ctx, status=400, values=values, errors=errors, error=reason_text(error)
        )
    invited = _("%(email)s is invited: an e-mail tells them how to sign in.")
    ctx.session.flash(invited % {"email": values["email"]}, "success")
    return ctx.redirect("/account/users")


@page()
async def change_user_profile(ctx: Ctx) -> Response:
    user_id = _path_id(ctx)
    profile_id = (await ctx.field("profileId")).strip()
    if user_id is None:
        return _not_found(ctx)
    try:
        await ctx.api("PATCH", f"/v1/users/{user_id}", json={"profileId": profile_id})
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        return await _users_page(ctx, status=400, error=reason_text(error))
    ctx.session.flash(_("The profile is changed."), "success")
    return ctx.redirect("/account/users")


@page()
async def disable_user(ctx: Ctx) -> Response:
    await ctx.form()
    user_id = _path_id(ctx)
    if user_id is None:
        return _not_found(ctx)
    try:
        await ctx.api("DELETE", f"/v1/users/{user_id}")
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        return await _users_page(ctx, status=400, error=reason_text(error))
    ctx.session.flash(_("The access is disabled and its sessions are ended."), "success")
    return ctx.redirect("/account/users")


# ---- profiles ------------------------------------------------------------------------
async def _profiles_page(ctx: Ctx, *, status: int = 200, **context: Any) -> Response:
    profiles = await _profiles(ctx)
    account = await ctx.api("GET", "/v1/account")
    context.setdefault("values", {"name": "", "permissions": []})
    context.setdefault("errors", {})
    return ctx.render(
        "account/profiles.html",
        status=status,
        profiles=profiles,
        choices=_permission_choices(profiles),
        unlocked=bool(account.get("delegationUnlocked")),
        key=new_idempotency_key(),
        **context,
    )


async def _profile_values(ctx: Ctx) -> dict:
    form = await ctx.form()
    return {
        "name": (await ctx.field("name")).strip(),
        "permissions": [str(p) for p in form.getlist("permissions")],
    }


@page()
async def profiles(ctx: Ctx) -> Response:
    return await _profiles_page(ctx)


@page()
async def create_profile(ctx: Ctx) -> Response:
    values = await _profile_values(ctx)
    try:
        await ctx.api(
            "POST", "/v1/profiles", json=values, headers=await posted_idempotency_header(ctx)
        )
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = api_errors(error)
        if error.reason == "PROFILE_NAME_TAKEN":
            errors["name"] = reason_text(error)
        return await _profiles_page(
            ctx, status=400, values=values, errors=errors, error=reason_text(error)
        )
    ctx.session.flash(_("The profile %(name)s is created.") % {"name": values["name"]}, "success")
    return ctx.redirect("/account/profiles")


async def _one_profile(ctx: Ctx, profile_id: str) -> tuple[dict | None, list[dict]]:
    every = await _profiles(ctx)
    return next((p for p in every if p.get("id") == profile_id), None), every


@page()
async def profile_form(ctx: Ctx) -> Response:
    profile_id = _path_id(ctx)
    profile, every = await _one_profile(ctx, profile_id) if profile_id else (None, [])
    if profile is None:  # another account's profile is not in this account's list
        return _not_found(ctx)
    return ctx.render(
        "account/profile.html",
        profile=profile,
        choices=_permission_choices(every),
        values={"name": profile["name"], "permissions": profile.get("permissions") or []},
        errors={},
    )


@page()
async def update_profile(ctx: Ctx) -> Response:
    profile_id = _path_id(ctx)
    values = await _profile_values(ctx)
    if profile_id is None:
        return _not_found(ctx)

    async def again(errors: dict[str, str], error: str = "") -> Response:
        profile, every = await _one_profile(ctx, profile_id)
        if profile is None:
            return _not_found(ctx)
        return ctx.render(
            "account/profile.html",
            status=400,
            profile=profile,
            choices=_permission_choices(every),
            values=values,
            errors=errors,
            error=error,
        )

    # The API keeps the permissions when none are sent: unticking every box
    # would silently change nothing, so it is said here.
    if not values["permissions"]:
        return await again({"permissions": _("Tick at least one permission.")})
    try:
        await ctx.api("PATCH", f"/v1/profiles/{profile_id}", json=values)
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = api_errors(error)
        if error.reason == "PROFILE_NAME_TAKEN":
            errors["name"] = reason_text(error)
        return await again(errors, reason_text(error))
    ctx.session.flash(_("The profile %(name)s is saved.") % {"name": values["name"]}, "success")
    return ctx.redirect("/account/profiles")


@page()
async def delete_profile(ctx: Ctx) -> Response:
    await ctx.form()
    profile_id = _path_id(ctx)
    if profile_id is None:
        return _not_found(ctx)
    try:
        await ctx.api("DELETE", f"/v1/profiles/{profile_id}")
    except ApiError as error:
        if error.status not in FORM_STATUSES:
            raise
        return await _profiles_page(ctx, status=400, error=reason_text(error))
    ctx.session.flash(_("The profile is deleted."), "success")
    return ctx.redirect("/account/profiles")


routes = [
    Route("/account/users", users, methods=["GET"]),
    Route("/account/users", invite_user, methods=["POST"]),
    Route("/account/users/{id}/profile", change_user_profile, methods=["POST"]),
    Route("/account/users/{id}/disable", disable_user, methods=["POST"]),
    Route("/account/profiles", profiles, methods=["GET"]),
    Route("/account/profiles", create_profile, methods=["POST"]),
    Route("/account/profiles/{id}", profile_form, methods=["GET"]),
    Route("/account/profiles/{id}", update_profile, methods=["POST"]),
    Route("/account/profiles/{id}/delete", delete_profile, methods=["POST"]),
]
