"""Changes on selected lines: options (pick, review with the API's preview,
confirm) and the line actions (suspend, reactivate, switch to prepaid, change
plan). The selection travels in the address (`?line=...`); every change is
accepted at once by the API and followed on its request page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from web.api import ApiError
from web.forms import new_idempotency_key, posted_idempotency_header
from web.i18n import _, money
from web.pages.context import Ctx, page
from web.pages.fleet_common import (
    ACCEPTED,
    MAX_SELECTION,
    N_,
    OPTION_TYPES,
    SUSPENSION_REASONS,
    Refusal,
    catalogue,
    distinct,
    label,
    load_lines,
    names,
    plans,
    query,
    refusal,
    template_helpers,
)


@dataclass(frozen=True)
class Action:
    api_path: str
    title: str
    intro: str
    button: str


ACTIONS: dict[str, Action] = {
    "suspend": Action(
        "/v1/fleet/lines:suspend",
        N_("Suspend lines"),
        N_("The lines stop working until you reactivate them (loss, theft or a pause)."),
        N_("Suspend the lines"),
    ),
    "reactivate": Action(
        "/v1/fleet/lines:reactivate",
        N_("Reactivate lines"),
        N_("Suspended lines go back to the status they had before."),
        N_("Reactivate the lines"),
    ),
    "prepaid": Action(
        "/v1/fleet/lines:switch-to-prepaid",
        N_("Switch to prepaid"),
        N_("Active subscription lines become prepaid lines."),
        N_("Switch the lines to prepaid"),
    ),
    "change-plan": Action(
        "/v1/fleet/lines:change-plan",
        N_("Change plan"),
        N_(
            "The lines move to another plan of their product. Options the new plan "
            "does not take must be removed first."
        ),
        N_("Change the plan"),
    ),
}


def _strings(values: Iterable[object]) -> list[str]:
    return distinct(v for v in values if isinstance(v, str))


def _bad_selection(ctx: Ctx, ids: list[str]) -> Response | None:
    """Back to the list, saying why, when nothing or too much is selected."""
    if not ids:
        ctx.session.flash(_("Select at least one line."), "error")
    elif len(ids) > MAX_SELECTION:
        ctx.session.flash(
            _("Select at most %(count)s lines at a time.") % {"count": MAX_SELECTION}, "error"
        )
    else:
        return None
    return ctx.redirect("/fleet/lines")


# ---- options: pick, review, confirm --------------------------------------------------------


def _option_view(option: dict, *, note: str = "", refused: str = "") -> dict:
    """An option as the picker shows it: a remark on the selection (`note`),
    or why the API says the line may not take or drop it (`refused`)."""
    return {**option, "note": note, "refused": refused}


async def _render_picker(
    ctx: Ctx,
    ids: list[str],
    *,
    activate: list[str],
    deactivate: list[str],
    option_type: str = "",
    lines: list[dict] | None = None,
    found: Refusal | None = None,
    status: int = 200,
) -> Response:
    lines = lines if lines is not None else await load_lines(ctx, ids)
    # The first line's view of the catalogue: lines changed together share
    # plan and status, so what it may take is what they may take.
    options = await catalogue(ctx, lines[0]["id"])
    plan_list = await plans(ctx)
    held = [set(line.get("options", [])) for line in lines]
    on_every, on_some = set.intersection(*held), set.union(*held)
    single = len(lines) == 1
    removable, addable = [], []
    for option in options:
        code = option["code"]
        refused = "" if option.get("available") else option.get("unavailableReason", "")
        if code in on_some:
            if code in on_every:
                removable.append(_option_view(option, refused=refused if single else ""))
            else:
                note = _("Active on some of the selected lines only.")
                removable.append(_option_view(option, note=note))
        if code not in on_every:
            if code in on_some:
                note = _("Already active on some of the selected lines.")
                addable.append(_option_view(option, note=note))
            else:
                addable.append(_option_view(option, refused=refused))
    if option_type not in OPTION_TYPES:
        option_type = ""
    groups = [
        (kind, [o for o in addable if o.get("type") == kind])
        for kind in OPTION_TYPES
        if option_type in ("", kind)
    ]
    shown = {o["code"] for _kind, group in groups for o in group}
    refused_ids = {line["id"] for line in found.lines} if found else set()
    kept = [line_id for line_id in ids if line_id not in refused_ids]
    # The way on without the lines refused, when some are left.
    without_refused = (
        f"/fleet/option-changes/new?{query(line=kept, activate=activate, deactivate=deactivate)}"
        if refused_ids and kept
        else ""
    )
    return ctx.render(
        "fleet/options.html",
        status=status,
        lines=lines,
        ids=ids,
        removable=removable,
        groups=[(kind, group) for kind, group in groups if group],
        option_types=[k for k in OPTION_TYPES if any(o.get("type") == k for o in addable)],
        option_type=option_type,
        activate=activate,
        deactivate=deactivate,
        hidden_activate=[code for code in activate if code not in shown],
        plan_names=names(plan_list),
        found=found,
        without_refused=without_refused,
        **template_helpers(),
    )


@page()
async def pick_options(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    ids = _strings(params.getlist("line"))
    if (refused := _bad_selection(ctx, ids)) is not None:
        return refused
    return await _render_picker(
        ctx,
        ids,
        activate=_strings(params.getlist("activate")),
        deactivate=_strings(params.getlist("deactivate")),
        option_type=params.get("type", ""),
    )


@page()
async def review(ctx: Ctx) -> Response:
    """The API's preview of the change; dropping a line previews again."""
    params = ctx.request.query_params
    ids = _strings(params.getlist("line"))
    activate = _strings(params.getlist("activate"))
    deactivate = _strings(params.getlist("deactivate"))
    drop = params.get("drop", "")
    if drop:
        ids = [line_id for line_id in ids if line_id != drop]
        if not ids:
            ctx.session.flash(_("No line is left in the change."), "info")
            return ctx.redirect("/fleet/lines")
        target = query(line=ids, activate=activate, deactivate=deactivate)
        return ctx.redirect(f"/fleet/option-changes/review?{target}")
    if (refused := _bad_selection(ctx, ids)) is not None:
        return refused
    change = {"lineIds": ids, "activate": activate, "deactivate": deactivate}
    try:
        preview = await ctx.api("POST", "/v1/fleet/option-changes:preview", json=change)
    except ApiError as error:
        if error.status != 400:
            raise
        lines = await load_lines(ctx, ids)
        return await _render_picker(
            ctx,
            ids,
            activate=activate,
            deactivate=deactivate,
            lines=lines,
            found=refusal(error, lines),
            status=400,
        )
    options = await catalogue(ctx)
    return ctx.render(
        "fleet/review.html",
        preview=preview,
        ids=ids,
        activate=activate,
        deactivate=deactivate,
        option_names=names(options),
        options={o["code"]: o for o in options},
        key=new_idempotency_key(),
        **template_helpers(),
    )


@page()
async def confirm(ctx: Ctx) -> Response:
    form = await ctx.form()
    ids = _strings(form.getlist("line"))
    activate = _strings(form.getlist("activate"))
    deactivate = _strings(form.getlist("deactivate"))
    if (refused := _bad_selection(ctx, ids)) is not None:
        return refused
    change = {"lineIds": ids, "activate": activate, "deactivate": deactivate}
    try:
        request = await ctx.api(
            "POST",
            "/v1/fleet/option-changes",
            json=change,
            headers=await posted_idempotency_header(ctx),
        )
    except ApiError as error:
        if error.status != 400:
            raise
        # Refused now (a line changed meanwhile): the choice again, with why.
        lines = await load_lines(ctx, ids)
        return await _render_picker(
            ctx,
            ids,
            activate=activate,
            deactivate=deactivate,
            lines=lines,
            found=refusal(error, lines),
            status=400,
        )
    ctx.session.flash(_(ACCEPTED), "success")
    return ctx.redirect(f"/fleet/requests/{request['id']}")


# ---- line actions -----------------------------------------------------------------------


def _action(ctx: Ctx) -> tuple[str, Action]:
    name = ctx.request.path_params["action"]
    if name not in ACTIONS:
        raise ApiError(404, "NOT_FOUND", "no such action")
    return name, ACTIONS[name]


async def _render_action(
    ctx: Ctx,
    name: str,
    action: Action,
    ids: list[str],
    *,
    lines: list[dict] | None = None,
    values: dict[str, str] | None = None,
    found: Refusal | None = None,
    status: int = 200,
) -> Response:
    lines = lines if lines is not None else await load_lines(ctx, ids)
    plan_list = await plans(ctx)
    # A line moves only between plans of its product.
    products = {line.get("product", "") for line in lines}
    # The plan every selected line already has is no move.
    held = {line.get("plan", "") for line in lines}
    current = held.pop() if len(held) == 1 else ""
    plan_choices = [
        (
            p["code"],
            _("%(name)s (%(amount)s a month, excl. VAT)")
            % {"name": p.get("name") or p["code"], "amount": money(p.get("monthlyCents", 0))},
        )
        for p in plan_list
        if p.get("product", "") in products and p["code"] != current
    ]
    return ctx.render(
        "fleet/action.html",
        status=status,
        name=name,
        title=_(action.title),
        intro=_(action.intro),
        button=_(action.button),
        ids=ids,
        lines=lines,
        plan_choices=plan_choices,
        plan_names=names(plan_list),
        reason_choices=[(code, label(code)) for code in SUSPENSION_REASONS],
        values=values or {},
        errors=found.fields if found else {},
        found=found,
        key=new_idempotency_key(),
        **template_helpers(),
    )


@page()
async def action_form(ctx: Ctx) -> Response:
    name, action = _action(ctx)
    ids = _strings(ctx.request.query_params.getlist("line"))
    if (refused := _bad_selection(ctx, ids)) is not None:
        return refused
    return await _render_action(ctx, name, action, ids)


@page()
async def action_submit(ctx: Ctx) -> Response:
    name, action = _action(ctx)
    form = await ctx.form()
    ids = _strings(form.getlist("line"))
    if (refused := _bad_selection(ctx, ids)) is not None:
        return refused
    values = {"reason": await ctx.field("reason"), "plan": await ctx.field("plan")}
    body: dict[str, object] = {"lineIds": ids}
    if name == "suspend" and values["reason"]:
        body["reason"] = values["reason"]
    if name == "change-plan":
        body["plan"] = values["plan"]
    try:
        request = await ctx.api(
            "POST", action.api_path, json=body, headers=await posted_idempotency_header(ctx)
        )
    except ApiError as error:
        if error.status != 400:
            raise
        lines = await load_lines(ctx, ids)
        found = refusal(error, lines, {"reason": "reason", "plan": "plan"})
        return await _render_action(
            ctx, name, action, ids, lines=lines, values=values, found=found, status=400
        )
    ctx.session.flash(_(ACCEPTED), "success")
    return ctx.redirect(f"/fleet/requests/{request['id']}")


routes = [
    Route("/fleet/option-changes/new", pick_options, methods=["GET"]),
    Route("/fleet/option-changes/review", review, methods=["GET"]),
    Route("/fleet/option-changes", confirm, methods=["POST"]),
    Route("/fleet/actions/{action}", action_form, methods=["GET"]),
    Route("/fleet/actions/{action}", action_submit, methods=["POST"]),
]
