"""Which requests on lines may be made: several lines only when alike, the
status each action needs, plan moves within the product, one change at a time
per line, another entity's lines not found; what a processed line becomes;
what a request charges once; how long a line waits after an outage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from services.fleet.domain.catalogue import OptionType, PriceKind
from services.fleet.domain.lines import LineStatus
from services.fleet.domain.requests import (
    Change,
    Charge,
    FleetRequest,
    ItemState,
    OneOffPrice,
    RequestKind,
    RequestState,
    RetryPolicy,
    SimSwapped,
    StatusChanged,
    SuspensionReason,
    apply_change,
    line_problems,
    parse_reason,
    release_line,
)
from services.fleet.usecases import catalogue as catalogue_usecases
from services.fleet.usecases import requests

from .conftest import World
from .fakes import (
    a_line,
    import_lines,
    line_of,
    rows,
    sample_catalogue,
    shipped_sims,
    stored_request,
)
from .helpers import OPTIONS, iccid, line_row

CATALOGUE = sample_catalogue()
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
NEW_SIM = iccid("893204999900000001")


def violations(error: InvalidArgument | FailedPrecondition) -> list[tuple[str, str]]:
    return [(v.field, v.description) for v in error.violations]


# ---- several lines ------------------------------------------------------------------


async def test_several_lines_of_the_same_plan_and_status_make_one_request(world: World) -> None:
    lines = await import_lines(world, rows(3))
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["sms_100"], []
    )
    assert (request.kind, request.state, request.lines_total) == (
        RequestKind.OPTIONS,
        RequestState.IN_PROGRESS,
        3,
    )
    assert request.activate == ("SMS_100",)
    stored = await stored_request(world, request.id)
    assert [item.line_id for item in stored.items] == [line.id for line in lines]
    assert {item.state for item in stored.items} == {ItemState.PENDING}
    for line in lines:
        assert (await line_of(world, line)).pending_request_id == request.id


async def test_lines_that_differ_from_the_first_are_each_named_with_how(world: World) -> None:
    reference, other_plan, other_status, both, same = await import_lines(
        world,
        [
            line_row("0470 00 00 01", 1, plan="Business M"),
            line_row("0470 00 00 02", 2, plan="Business L"),
            line_row("0470 00 00 03", 3, plan="Business M", status="PREPAID"),
            line_row("0470 00 00 04", 4, plan="Business L", status="SUSPENDED"),
            line_row("0470 00 00 05", 5, plan="Business M"),
        ],
    )
    ids = [reference.id, other_plan.id, other_status.id, both.id, same.id]
    with pytest.raises(InvalidArgument) as refused:
        await requests.suspend_lines(world.deps, world.acme, ids, "LOSS")
    assert refused.value.reason == "LINES_NOT_ALIKE"
    alike = ": select lines of the same plan and status"
    assert violations(refused.value) == [
        ("lineIds[1]", "line 0470 00 00 02 has plan BUS_L (the first line's: BUS_M)" + alike),
        ("lineIds[2]", "line 0470 00 00 03 has status PREPAID (the first line's: ACTIVE)" + alike),
        (
            "lineIds[3]",
            "line 0470 00 00 04 has plan BUS_L (the first line's: BUS_M) "
            "and status SUSPENDED (the first line's: ACTIVE)" + alike,
        ),
    ]
    # Nothing was accepted: the lines are free.
    for line in (reference, same):
        assert (await line_of(world, line)).pending_request_id == ""


async def test_a_line_selected_twice_is_refused_by_its_index(world: World) -> None:
    first, second = await import_lines(
        world,
        [
            line_row("0470 00 00 01", 1, plan="Business M"),
            line_row("0470 00 00 02", 2, plan="Business L"),
        ],
    )
    with pytest.raises(InvalidArgument) as refused:
        await requests.suspend_lines(
            world.deps, world.acme, [first.id, first.id, second.id], "LOSS"
        )
    # Named by its index in the request (every later error is too: nothing is dropped).
    assert refused.value.reason == "LINES_REQUIRED"
    assert violations(refused.value) == [("lineIds[1]", "is already selected (lineIds[0])")]


async def test_line_ids_are_required(world: World) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await requests.reactivate_lines(world.deps, world.acme, [])
    assert refused.value.reason == "LINES_REQUIRED"
    assert [name for name, _ in violations(refused.value)] == ["lineIds"]
    with pytest.raises(InvalidArgument) as refused:
        await requests.reactivate_lines(world.deps, world.acme, ["some-id", "  "])
    assert violations(refused.value) == [("lineIds[1]", "is empty")]


# ---- the status each action needs ------------------------------------------------------

CHANGES = {
    RequestKind.OPTIONS: Change(RequestKind.OPTIONS, activate=("SMS_100",)),
    RequestKind.SUSPEND: Change(RequestKind.SUSPEND, suspension_reason=SuspensionReason.LOSS),
    RequestKind.REACTIVATE: Change(RequestKind.REACTIVATE),
    RequestKind.SWITCH_TO_PREPAID: Change(RequestKind.SWITCH_TO_PREPAID),
    RequestKind.CHANGE_PLAN: Change(RequestKind.CHANGE_PLAN, plan="BUS_L"),
    RequestKind.ACTIVATE_SIM: Change(RequestKind.ACTIVATE_SIM, iccid=NEW_SIM),
}
S = LineStatus
ALLOWED = {
    RequestKind.OPTIONS: {S.ACTIVE, S.PREPAID},
    RequestKind.SUSPEND: {S.ACTIVE, S.PREPAID},
    RequestKind.CHANGE_PLAN: {S.ACTIVE, S.PREPAID},
    RequestKind.REACTIVATE: {S.SUSPENDED},
    RequestKind.SWITCH_TO_PREPAID: {S.ACTIVE},
    RequestKind.ACTIVATE_SIM: {S.ACTIVE, S.PREPAID, S.SUSPENDED, S.PENDING_ACTIVATION},
}


@pytest.mark.parametrize("status", list(LineStatus))
@pytest.mark.parametrize("kind", list(RequestKind))
def test_each_action_needs_its_statuses(kind: RequestKind, status: LineStatus) -> None:
    found = line_problems(CATALOGUE, a_line(status=status), CHANGES[kind])
    if status in ALLOWED[kind]:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(f"the line is {status.value}; this needs ")


async def test_a_line_of_the_wrong_status_is_named(world: World) -> None:
    active, suspended = await import_lines(
        world,
        [line_row("0470 00 00 01", 1), line_row("0470 00 00 02", 2, status="SUSPENDED")],
    )
    with pytest.raises(InvalidArgument) as refused:
        await requests.switch_to_prepaid(world.deps, world.acme, [suspended.id])
    assert refused.value.reason == "LINE_CHANGE_REFUSED"
    assert violations(refused.value) == [
        ("lineIds[0]", "line 0470 00 00 02: the line is SUSPENDED; this needs ACTIVE")
    ]
    with pytest.raises(InvalidArgument) as refused:
        await requests.reactivate_lines(world.deps, world.acme, [active.id])
    assert violations(refused.value) == [
        ("lineIds[0]", "line 0470 00 00 01: the line is ACTIVE; this needs SUSPENDED")
    ]


# ---- plan moves ---------------------------------------------------------------------------


async def test_a_line_moves_to_another_plan_of_its_product(world: World) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1, plan="Business M")])
    request = await requests.change_plan(world.deps, world.acme, [line.id], " bus_l ")
    assert (request.kind, request.plan) == (RequestKind.CHANGE_PLAN, "BUS_L")


async def test_a_plan_of_another_product_or_the_same_plan_is_refused(world: World) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1, plan="Business M")])
    with pytest.raises(InvalidArgument) as refused:
        await requests.change_plan(world.deps, world.acme, [line.id], "DATA_ONLY")
    assert violations(refused.value) == [
        (
            "lineIds[0]",
            "line 0470 00 00 01: plan DATA_ONLY is not a plan of the line's product Mobile "
            "(its plans: BUS_L, BUS_M)",
        )
    ]
    with pytest.raises(InvalidArgument) as refused:
        await requests.change_plan(world.deps, world.acme, [line.id], "BUS_M")
    assert violations(refused.value) == [
        ("lineIds[0]", "line 0470 00 00 01: the line is already on plan BUS_M")
    ]


async def test_an_unknown_or_missing_plan_names_the_field(world: World) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1)])
    with pytest.raises(InvalidArgument) as refused:
        await requests.change_plan(world.deps, world.acme, [line.id], "GOLD")
    assert refused.value.reason == "PLAN_UNKNOWN"
    assert [name for name, _ in violations(refused.value)] == ["plan"]
    with pytest.raises(InvalidArgument) as refused:
        await requests.change_plan(world.deps, world.acme, [line.id], " ")
    assert [name for name, _ in violations(refused.value)] == ["plan"]


async def test_a_plan_that_does_not_take_the_lines_options_is_refused(world: World) -> None:
    (line,) = await import_lines(
        world, [line_row("0470 00 00 01", 1, plan="Business L", options="DATA_20GB|SMS_100")]
    )
    with pytest.raises(InvalidArgument) as refused:
        await requests.change_plan(world.deps, world.acme, [line.id], "BUS_M")
    assert violations(refused.value) == [
        ("lineIds[0]", "line 0470 00 00 01: plan BUS_M does not take DATA_20GB: remove it first")
    ]


# ---- one change at a time; the entity's own lines ------------------------------------------


async def test_a_line_with_a_change_in_progress_takes_no_second_one(world: World) -> None:
    first, second, third = await import_lines(world, rows(3))
    busy = await requests.create_option_change(
        world.deps, world.acme, [first.id, second.id], ["SMS_100"], []
    )
    with pytest.raises(FailedPrecondition) as refused:
        await requests.suspend_lines(world.deps, world.acme, [third.id, second.id], "THEFT")
    assert refused.value.reason == "LINE_CHANGE_IN_PROGRESS"
    ((name, description),) = violations(refused.value)
    assert name == "lineIds[1]"
    assert "0470 00 00 02" in description and busy.id in description
    # The free line was not taken either.
    assert (await line_of(world, third)).pending_request_id == ""
    listed, _ = await requests.list_requests(world.deps, world.acme)
    assert [r.id for r in listed] == [busy.id]


async def test_another_entitys_lines_are_not_found(world: World) -> None:
    (acme_line,) = await import_lines(world, [line_row("0470 00 00 01", 1)])
    (globex_line,) = await import_lines(world, [line_row("0470 00 00 09", 9)], world.globex)
    with pytest.raises(NotFound) as refused:
        await requests.suspend_lines(
            world.deps, world.globex, [globex_line.id, acme_line.id], "LOSS"
        )
    assert refused.value.reason == "LINE_NOT_FOUND"
    assert acme_line.id in refused.value.message and globex_line.id not in refused.value.message
    with pytest.raises(NotFound):
        await requests.preview_option_change(
            world.deps, world.globex, [acme_line.id], ["SMS_100"], []
        )
    assert (await line_of(world, globex_line)).pending_request_id == ""
    # Nor are its requests.
    request = await requests.suspend_lines(world.deps, world.acme, [acme_line.id], "LOSS")
    with pytest.raises(NotFound):
        await requests.get_request(world.deps, world.globex, request.id)


def test_a_suspension_needs_a_known_reason() -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_reason("holiday")
    assert parse_reason(" suspension_reason_theft ") is SuspensionReason.THEFT
    assert [name for name, _ in violations(refused.value)] == ["reason"]


# ---- SIM activation --------------------------------------------------------------------------


async def test_a_sim_is_activated_on_any_line_but_a_terminated_one(world: World) -> None:
    pending, terminated, other = await import_lines(
        world,
        [
            line_row("0470 00 00 01", 1, status="PENDING_ACTIVATION"),
            line_row("0470 00 00 02", 2, status="TERMINATED"),
            line_row("0470 00 00 03", 3),
        ],
    )
    card, _ = await shipped_sims(world)
    with pytest.raises(InvalidArgument) as refused:
        await requests.activate_sim(world.deps, world.acme, terminated.id, card)
    assert violations(refused.value) == [
        (
            "lineIds[0]",
            "line 0470 00 00 02: the line is TERMINATED; this needs ACTIVE or "
            "PENDING_ACTIVATION or PREPAID or SUSPENDED",
        )
    ]
    # The refusal reserved nothing: the card goes on another line.
    request = await requests.activate_sim(world.deps, world.acme, pending.id, card)
    assert (request.kind, request.iccid) == (RequestKind.ACTIVATE_SIM, card)
    # Once reserved for a line, the card is not activated on a second one.
    with pytest.raises(FailedPrecondition) as twice:
        await requests.activate_sim(world.deps, world.acme, other.id, card)
    assert twice.value.reason == "SIM_ALREADY_ACTIVATED"


async def test_only_a_card_shipped_to_the_entity_is_activated(world: World) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1)])
    (globex_line,) = await import_lines(world, [line_row("0470 00 00 09", 9)], world.globex)
    card, _ = await shipped_sims(world)
    with pytest.raises(FailedPrecondition) as unknown:
        await requests.activate_sim(world.deps, world.acme, line.id, NEW_SIM)
    assert unknown.value.reason == "SIM_UNKNOWN"
    with pytest.raises(FailedPrecondition) as not_theirs:
        await requests.activate_sim(world.deps, world.globex, globex_line.id, card)
    assert not_theirs.value.reason == "SIM_UNKNOWN"
    with pytest.raises(InvalidArgument) as bad:
        await requests.activate_sim(world.deps, world.acme, line.id, card[:-1] + "x")
    assert [name for name, _ in violations(bad.value)] == ["iccid"]


# ---- what a processed line becomes ----------------------------------------------------------


def test_a_suspension_keeps_the_status_before_and_the_reason() -> None:
    line = a_line(status=LineStatus.PREPAID)
    line.pending_request_id = "req-1"
    change = Change(RequestKind.SUSPEND, suspension_reason=SuspensionReason.THEFT)
    facts = apply_change(line, change, "req-1", NOW)
    assert line.status is LineStatus.SUSPENDED
    assert line.status_before_suspension is LineStatus.PREPAID
    assert line.suspension_reason == "THEFT"
    assert line.pending_request_id == "" and line.updated_at == NOW
    assert facts == [StatusChanged(line, LineStatus.PREPAID, "THEFT", "req-1")]


@pytest.mark.parametrize("before", [LineStatus.ACTIVE, LineStatus.PREPAID])
def test_reactivation_gives_back_the_status_before_the_suspension(before: LineStatus) -> None:
    line = a_line(status=before)
    suspend = Change(RequestKind.SUSPEND, suspension_reason=SuspensionReason.TEMPORARY)
    apply_change(line, suspend, "req-1", NOW)
    facts = apply_change(line, Change(RequestKind.REACTIVATE), "req-2", NOW)
    assert line.status is before
    assert (line.status_before_suspension, line.suspension_reason) == (None, "")
    assert facts == [StatusChanged(line, LineStatus.SUSPENDED, "", "req-2")]


def test_a_sim_activation_swaps_the_card_and_activates_a_pending_line() -> None:
    line = a_line(status=LineStatus.PENDING_ACTIVATION, iccid="8932040000000000018")
    facts = apply_change(line, Change(RequestKind.ACTIVATE_SIM, iccid=NEW_SIM), "req-1", NOW)
    assert (line.iccid, line.status) == (NEW_SIM, LineStatus.ACTIVE)
    assert facts == [
        SimSwapped(line, NEW_SIM, "8932040000000000018", "req-1"),
        StatusChanged(line, LineStatus.PENDING_ACTIVATION, "", "req-1"),
    ]


def test_a_sim_activation_on_an_active_line_changes_only_the_card() -> None:
    line = a_line(status=LineStatus.SUSPENDED, iccid="8932040000000000018")
    facts = apply_change(line, Change(RequestKind.ACTIVATE_SIM, iccid=NEW_SIM), "req-1", NOW)
    assert (line.iccid, line.status) == (NEW_SIM, LineStatus.SUSPENDED)
    assert facts == [SimSwapped(line, NEW_SIM, "8932040000000000018", "req-1")]


def test_options_plan_and_prepaid_changes_say_nothing_of_status_unless_it_changes() -> None:
    line = a_line(options=("ROAMING", "DATA_5GB"))
    change = Change(RequestKind.OPTIONS, activate=("ROAM_EU", "SMS_100"), deactivate=("ROAMING",))
    assert apply_change(line, change, "req-1", NOW) == []
    assert line.options == ("DATA_5GB", "ROAM_EU", "SMS_100")
    assert apply_change(line, Change(RequestKind.CHANGE_PLAN, plan="BUS_L"), "req-2", NOW) == []
    assert line.plan == "BUS_L"
    facts = apply_change(line, Change(RequestKind.SWITCH_TO_PREPAID), "req-3", NOW)
    assert line.status is LineStatus.PREPAID
    assert facts == [StatusChanged(line, LineStatus.ACTIVE, "", "req-3")]


def test_a_failed_line_stays_as_it_was_and_is_freed() -> None:
    line = a_line(options=("DATA_5GB",))
    line.pending_request_id = "req-1"
    before = replace(line)
    release_line(line, NOW)
    assert line.pending_request_id == ""
    assert (line.status, line.options, line.plan) == (before.status, before.options, before.plan)


# ---- one-off charges -------------------------------------------------------------------------


ROAM_EU = next(o for o in OPTIONS if o["code"] == "ROAM_EU")


async def test_the_one_off_price_is_the_one_shown_when_asking(world: World) -> None:
    lines = await import_lines(world, rows(3))  # with DATA_5GB: ROAM_EU may be taken
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["ROAM_EU", "SMS_100"], []
    )
    asked = OneOffPrice("ROAM_EU", "Roaming pass EU", ROAM_EU["priceCents"], ROAM_EU["vatBp"])
    assert request.one_off_prices == (asked,)  # SMS_100 is monthly: no one-off charge
    # The operator changes the price (and the name) afterwards.
    await catalogue_usecases.put_option(
        world.deps,
        world.operator,
        "ROAM_EU",
        type=OptionType.ROAMING,
        name="Roaming pass Europe",
        description="",
        price_cents=9_900,
        price_kind=PriceKind.ONE_OFF,
        vat_bp=ROAM_EU["vatBp"],
        plans=[],
        excludes=[],
        requires_one_of=["DATA_5GB", "DATA_20GB"],
    )
    stored = await stored_request(world, request.id)
    assert stored.one_off_prices == (asked,)
    # Owed once complete, for the lines done only.
    assert stored.charges() == []
    assert stored.record(2, 0, NOW) is False
    assert stored.charges() == []
    assert stored.record(0, 1, NOW) is True
    assert stored.state is RequestState.COMPLETED and stored.completed_at == NOW
    assert stored.charges() == [Charge(asked, 2)]


def test_a_request_whose_lines_all_failed_charges_nothing() -> None:
    price = OneOffPrice("ROAM_EU", "Roaming pass EU", 1500, 2000)
    request = FleetRequest(
        "req-1", "ent-acme", "u-acme", RequestKind.OPTIONS, NOW, lines_total=2,
        one_off_prices=(price,),
    )  # fmt: skip
    assert request.record(0, 2, NOW) is True
    assert request.charges() == []


# ---- retries -------------------------------------------------------------------------------


def test_retries_wait_twice_as_long_each_time_up_to_the_longest() -> None:
    policy = RetryPolicy(
        first=timedelta(seconds=2), longest=timedelta(seconds=30), give_up_after=timedelta(hours=1)
    )
    waits = [(policy.next_attempt(n, NOW) - NOW).total_seconds() for n in range(1, 7)]
    assert waits == [2, 4, 8, 16, 30, 30]


def test_retries_give_up_after_the_time_given_since_the_request() -> None:
    policy = RetryPolicy(give_up_after=timedelta(hours=24))
    assert not policy.gives_up(NOW, NOW + timedelta(hours=23, minutes=59))
    assert policy.gives_up(NOW, NOW + timedelta(hours=24))
    assert policy.gives_up(NOW, NOW + timedelta(days=3))
