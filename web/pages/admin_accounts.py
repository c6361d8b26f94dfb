"""Back office: customer accounts (search, opening one with its contract and
first manager), an account's page (its first access: activation e-mail, welcome
letter, delegation; its contracts, settings and users), and the e-mails sent
to a recipient."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import IDEMPOTENCY_FIELD, idempotency_header, new_idempotency_key
from web.i18n import _
from web.pages.admin_common import (
    form_error,
    page_params,
    render,
    require_operator,
)
from web.pages.context import Ctx, field_errors, page

ACCOUNT_FIELDS = (
    "name",
    "clientNumber",
    "contractNumber",
    "contractLabel",
    "language",
    "unlockRule",
    "managerEmail",
    "managerFirstName",
    "managerLastName",
)
# The API's field names -> the account form's.
ACCOUNT_FIELD_NAMES = {
    "manager.email": "managerEmail",
    "manager.firstName": "managerFirstName",
    "manager.lastName": "managerLastName",
    "manager": "managerEmail",
}
INVITE_FIELD_NAMES = {
    "email": "inviteEmail",
    "firstName": "inviteFirstName",
    "lastName": "inviteLastName",
    "language": "inviteLanguage",
}
CONTRACT_FIELD_NAMES = {"number": "newContractNumber", "label": "newContractLabel"}


def _languages() -> list[tuple[str, str]]:
    return [("fr", _("French")), ("en", _("English"))]


def _unlock_rules(keep: bool = False) -> list[tuple[str, str]]:
    first = ("", _("Keep the current rule")) if keep else ("", _("The usual rule"))
    return [
        first,
        ("UNLOCK_RULE_FIRST_ORDER", _("At the first order")),
        ("UNLOCK_RULE_UNLOCKED", _("Unlocked from the start")),
    ]


# ---- the list ---------------------------------------------------------------------


@page()
async def accounts(ctx: Ctx) -> Response:
    require_operator(ctx)
    q = ctx.request.query_params.get("q", "").strip()
    answer = await ctx.api("GET", "/v1/admin/accounts", params=page_params(ctx, q=q))
    return render(
        ctx,
        "admin/accounts.html",
        q=q,
        accounts=answer.get("accounts") or [],
        next_token=answer.get("nextPageToken", ""),
        filters={"q": q} if q else {},
    )


# ---- opening an account ---------------------------------------------------------------


def _new_form(
    ctx: Ctx,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return render(
        ctx,
        "admin/account_new.html",
        status=status,
        values=values or {"language": "fr"},
        errors=errors or {},
        error=error,
        idempotency_key=new_idempotency_key(),
        languages=_languages(),
        unlock_rules=_unlock_rules(),
    )


@page()
async def account_new(ctx: Ctx) -> Response:
    require_operator(ctx)
    return _new_form(ctx)


@page()
async def account_create(ctx: Ctx) -> Response:
    require_operator(ctx)
    form = await ctx.form()
    values = {name: str(form.get(name, "")).strip() for name in ACCOUNT_FIELDS}
    values["paperlessConsentRequired"] = "1" if form.get("paperlessConsentRequired") else ""
    body: dict = {
        "name": values["name"],
        "clientNumber": values["clientNumber"],
        "contractNumber": values["contractNumber"],
        "contractLabel": values["contractLabel"],
        "language": values["language"],
        "paperlessConsentRequired": bool(values["paperlessConsentRequired"]),
        "manager": {
            "email": values["managerEmail"],
            "firstName": values["managerFirstName"],
            "lastName": values["managerLastName"],
        },
    }
    if values["unlockRule"]:
        body["unlockRule"] = values["unlockRule"]
    try:
        account = await ctx.api(
            "POST",
            "/v1/admin/accounts",
            json=body,
            headers=idempotency_header(str(form.get(IDEMPOTENCY_FIELD, ""))),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error, ACCOUNT_FIELD_NAMES)
        if error.reason == "CLIENT_NUMBER_TAKEN":
            errors["clientNumber"] = _("Another account already has this client number.")
        return _new_form(
            ctx, values=values, errors=errors, error=form_error(error, errors), status=400
        )
    ctx.session.flash(
        _(
            "Account %(name)s opened (client number %(number)s): "
            "its activation e-mail is on its way to %(email)s."
        )
        % {
            "name": account.get("name", ""),
            "number": account.get("clientNumber", ""),
            "email": values["managerEmail"],
        },
        "success",
    )
    return ctx.redirect(f"/admin/accounts/{account['id']}")


# ---- an account's page ------------------------------------------------------------------


async def _account_page(ctx: Ctx, account_id: str, *, status: int = 200, **extra) -> Response:
    account = await ctx.api("GET", f"/v1/admin/accounts/{quote(account_id, safe='')}")
    contracts = account.get("contracts") or []
    contacts = account.get("contacts") or {}
    emails = list(
        dict.fromkeys(
            (contacts.get(kind) or {}).get("email", "")
            for kind in ("manager", "billing", "delivery")
            if (contacts.get(kind) or {}).get("email")
        )
    )
    context = {
        "invite_values": {"inviteLanguage": account.get("language", "fr")},
        "invite_errors": {},
        "contract_values": {},
        "contract_errors": {},
        "settings_errors": {},
        "error": "",
        **extra,
    }
    return render(
        ctx,
        "admin/account.html",
        status=status,
        account=account,
        active_contracts=[c for c in contracts if c.get("status") == "CONTRACT_STATUS_ACTIVE"],
        contracts=contracts,
        contacts=contacts,
        emails=emails,
        languages=_languages(),
        unlock_rules=_unlock_rules(keep=True),
        idempotency_key=new_idempotency_key(),
        **context,
    )


@page()
async def account(ctx: Ctx) -> Response:
    require_operator(ctx)
    return await _account_page(ctx, ctx.request.path_params["id"])


def _back(account_id: str) -> str:
    return f"/admin/accounts/{quote(account_id, safe='')}"


@page()
async def send_activation(ctx: Ctx) -> Response:
    """Sends the activation e-mail again (the customers' own route: it answers
    the same whatever the account, and sends only while the manager has not
    activated)."""
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    contract_number = await ctx.field("contractNumber")
    account = await ctx.api("GET", f"/v1/admin/accounts/{quote(account_id, safe='')}")
    numbers = {c.get("number") for c in account.get("contracts") or []}
    if contract_number not in numbers:
        ctx.session.flash(_("Choose one of the account's contracts."), "error")
        return ctx.redirect(_back(account_id))
    try:
        await ctx.api(
            "POST",
            "/v1/auth/activation:request",
            json={"clientNumber": account["clientNumber"], "contractNumber": contract_number},
        )
    except ApiError as error:
        if error.status not in (400, 409, 429):
            raise
        ctx.session.flash(error.message or _("The request was refused."), "error")
        return ctx.redirect(_back(account_id))
    ctx.session.flash(
        _(
            "Activation e-mail requested: the manager receives it if they have not "
            "activated the account yet (see the messages sent)."
        ),
        "success",
    )
    return ctx.redirect(_back(account_id))


@page()
async def welcome_letter(ctx: Ctx) -> Response:
    """The manager's welcome letter (PDF) with a new temporary password."""
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    await ctx.form()
    account = await ctx.api("GET", f"/v1/admin/accounts/{quote(account_id, safe='')}")
    user_id = account.get("managerUserId", "")
    if not user_id:
        ctx.session.flash(_("This account has no manager to write to."), "error")
        return ctx.redirect(_back(account_id))
    filename = f"welcome-{account.get('clientNumber', 'letter')}.pdf"
    try:
        return await ctx.download(
            f"/v1/admin/users/{quote(user_id, safe='')}:welcomeLetter",
            filename,
            method="POST",
            json={"entityId": account_id},
            media_type="application/pdf",
        )
    except ApiError as error:
        if error.status not in (400, 404, 409):
            raise
        ctx.session.flash(error.message or _("The request was refused."), "error")
        return ctx.redirect(_back(account_id))


@page()
async def unlock_delegation(ctx: Ctx) -> Response:
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    await ctx.form()
    try:
        await ctx.api("POST", f"/v1/admin/accounts/{quote(account_id, safe='')}:unlockDelegation")
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        ctx.session.flash(error.message or _("The request was refused."), "error")
        return ctx.redirect(_back(account_id))
    ctx.session.flash(
        _("Delegation unlocked: the account's managers may invite users now."), "success"
    )
    return ctx.redirect(_back(account_id))


@page()
async def update_settings(ctx: Ctx) -> Response:
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    form = await ctx.form()
    body: dict = {"paperlessConsentRequired": bool(form.get("paperlessConsentRequired"))}
    rule = str(form.get("unlockRule", ""))
    if rule:
        body["unlockRule"] = rule
    try:
        await ctx.api(
            "PATCH", f"/v1/admin/accounts/{quote(account_id, safe='')}/settings", json=body
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error)
        return await _account_page(
            ctx,
            account_id,
            status=400,
            settings_errors=errors,
            error=form_error(error, errors),
        )
    ctx.session.flash(_("Settings saved."), "success")
    return ctx.redirect(_back(account_id))


@page()
async def add_contract(ctx: Ctx) -> Response:
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    form = await ctx.form()
    values = {
        "newContractNumber": str(form.get("newContractNumber", "")).strip(),
        "newContractLabel": str(form.get("newContractLabel", "")).strip(),
    }
    try:
        await ctx.api(
            "POST",
            f"/v1/admin/accounts/{quote(account_id, safe='')}/contracts",
            json={"number": values["newContractNumber"], "label": values["newContractLabel"]},
            headers=idempotency_header(str(form.get(IDEMPOTENCY_FIELD, ""))),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error, CONTRACT_FIELD_NAMES)
        if error.status == 409 and not errors:
            errors["newContractNumber"] = error.message
        return await _account_page(
            ctx,
            account_id,
            status=400,
            contract_values=values,
            contract_errors=errors,
            error=form_error(error, errors),
        )
    ctx.session.flash(
        _("Contract %(number)s added.") % {"number": values["newContractNumber"]}, "success"
    )
    return ctx.redirect(_back(account_id))


@page()
async def end_contract(ctx: Ctx) -> Response:
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    number = ctx.request.path_params["number"]
    await ctx.form()
    try:
        await ctx.api(
            "POST",
            f"/v1/admin/accounts/{quote(account_id, safe='')}/contracts/"
            f"{quote(number, safe='')}:end",
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        ctx.session.flash(error.message or _("The request was refused."), "error")
        return ctx.redirect(_back(account_id))
    ctx.session.flash(_("Contract %(number)s ended.") % {"number": number}, "success")
    return ctx.redirect(_back(account_id))


@page()
async def invite_user(ctx: Ctx) -> Response:
    """A new user of the account, e-mailed a first-connection link."""
    require_operator(ctx)
    account_id = ctx.request.path_params["id"]
    form = await ctx.form()
    values = {name: str(form.get(name, "")).strip() for name in INVITE_FIELD_NAMES.values()}
    try:
        user = await ctx.api(
            "POST",
            "/v1/admin/users:invite",
            json={
                "entityId": account_id,
                "email": values["inviteEmail"],
                "firstName": values["inviteFirstName"],
                "lastName": values["inviteLastName"],
                "language": values["inviteLanguage"],
            },
            headers=idempotency_header(str(form.get(IDEMPOTENCY_FIELD, ""))),
        )
    except ApiError as error:
        if error.status not in (400, 409):
            raise
        errors = field_errors(error, INVITE_FIELD_NAMES)
        if error.reason == "USER_EXISTS":
            errors["inviteEmail"] = _("A user with this e-mail already exists.")
        return await _account_page(
            ctx,
            account_id,
            status=400,
            invite_values=values,
            invite_errors=errors,
            error=form_error(error, errors),
        )
    ctx.session.flash(
        _("%(email)s is invited: their first-connection link is on its way.")
        % {"email": user.get("email", values["inviteEmail"])},
        "success",
    )
    return ctx.redirect(_back(account_id))


# ---- messages sent ---------------------------------------------------------------------


@page()
async def messages(ctx: Ctx) -> Response:
    require_operator(ctx)
    recipient = ctx.request.query_params.get("recipient", "").strip()
    found: list[dict] = []
    next_token = ""
    errors: dict[str, str] = {}
    status = 200
    if recipient:
        try:
            answer = await ctx.api(
                "GET", "/v1/admin/messages", params=page_params(ctx, recipient=recipient)
            )
        except ApiError as error:
            if error.status != 400:
                raise
            errors = field_errors(error) or {"recipient": error.message}
            status = 400
        else:
            found = answer.get("messages") or []
            next_token = answer.get("nextPageToken", "")
    return render(
        ctx,
        "admin/messages.html",
        status=status,
        recipient=recipient,
        messages=found,
        next_token=next_token,
        errors=errors,
        filters={"recipient": recipient} if recipient else {},
    )


routes = [
    Route("/admin/accounts", accounts, methods=["GET"]),
    Route("/admin/accounts", account_create, methods=["POST"]),
    Route("/admin/accounts/new", account_new, methods=["GET"]),
    Route("/admin/accounts/{id}", account, methods=["GET"]),
    Route("/admin/accounts/{id}/activation", send_activation, methods=["POST"]),
    Route("/admin/accounts/{id}/welcome-letter", welcome_letter, methods=["POST"]),
    Route("/admin/accounts/{id}/unlock", unlock_delegation, methods=["POST"]),
    Route("/admin/accounts/{id}/settings", update_settings, methods=["POST"]),
    Route("/admin/accounts/{id}/contracts", add_contract, methods=["POST"]),
    Route("/admin/accounts/{id}/contracts/{number}/end", end_contract, methods=["POST"]),
    Route("/admin/accounts/{id}/users", invite_user, methods=["POST"]),
    Route("/admin/messages", messages, methods=["GET"]),
]
