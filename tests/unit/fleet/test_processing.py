"""The background processing of requests, one pass at a time, against an
in-memory provisioning system: every line applied once and recorded once,
refusals, outages with backoff and giving up, a dead worker's lines taken over
(asked before being re-sent), a lost lease, a stop, and fairness between
requests."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from services.fleet.domain.catalogue import OptionType, PriceKind
from services.fleet.domain.lines import LineStatus
from services.fleet.domain.requests import ItemState, RequestState, RetryPolicy
from services.fleet.provisioning.base import Outcome
from services.fleet.usecases import catalogue as catalogue_usecases
from services.fleet.usecases import history, requests
from services.fleet.usecases.processing import RequestWorker, WorkerSettings

from .conftest import World
from .fakes import (
    Clock,
    FakeProvisioning,
    events,
    import_lines,
    items_by_line,
    line_of,
    rows,
    shipped_sims,
    stored_request,
)
from .helpers import line_row

LEASE = timedelta(seconds=15)


@pytest.fixture
def clock(world: World) -> Clock:
    clock = Clock(world.deps.clock())
    world.deps.clock = clock
    return clock


@pytest.fixture
def fake(world: World) -> FakeProvisioning:
    fake = FakeProvisioning()
    world.deps.provisioning = fake
    return fake


def worker_for(world: World, provisioning: FakeProvisioning, **settings) -> RequestWorker:
    return RequestWorker(world.deps, provisioning, WorkerSettings(lease=LEASE, **settings))


async def until_idle(worker: RequestWorker) -> list[int]:
    """Passes until one claims nothing; how many lines each claimed."""
    claimed = []
    while n := await worker.process_due():
        claimed.append(n)
        assert len(claimed) < 50
    return claimed


def keys_of(request_id: str, lines) -> list[str]:
    return [f"{request_id}:{line.id}" for line in lines]


async def history_of(world: World, line) -> list:
    entries, _ = await history.line_history(world.deps, world.acme, line.id)
    return entries


async def claimed_by_a_worker_that_dies(world: World, clock: Clock, per_request: int = 64) -> int:
    """Items claimed (SENT, leased) by a worker that then stops renewing."""
    async with world.db.transaction() as s:
        claimed = await world.deps.repo.requests.claim_due(
            s,
            claim="dead-worker",
            now=clock(),
            lease_until=clock() + LEASE,
            requests_at_once=8,
            per_request=per_request,
        )
    return len(claimed)


# ---- the ordinary run ---------------------------------------------------------------


async def test_every_line_is_applied_once_and_recorded(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    lines = await import_lines(world, rows(5))  # each with ROAMING and DATA_5GB
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["ROAM_EU"], ["ROAMING"]
    )
    (asked,) = await events(world, "ChangeRequested")
    assert (asked.request_id, asked.kind, asked.lines, asked.user_id) == (
        request.id,
        "OPTIONS",
        5,
        "u-acme",
    )

    worker = worker_for(world, fake, per_request=2, chunk=1)
    assert await worker.process_due() == 2
    halfway = await stored_request(world, request.id)
    assert (halfway.state, halfway.lines_done) == (RequestState.IN_PROGRESS, 2)
    assert await events(world, "ChangeCompleted") == []
    assert await until_idle(worker) == [2, 1]

    keys = keys_of(request.id, lines)
    assert Counter(fake.applied_keys) == Counter(keys)  # each once
    assert fake.lookups == []  # nothing to recover
    by_key = {op.key: op for op in fake.applied}
    for line, key in zip(lines, keys, strict=True):
        op = by_key[key]
        assert (op.kind, op.number, op.iccid) == ("OPTIONS", line.number.e164, line.iccid)
        assert (op.activate, op.deactivate) == (("ROAM_EU",), ("ROAMING",))

    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done, done.lines_failed) == (RequestState.COMPLETED, 5, 0)
    assert done.completed_at == clock.now
    assert {(i.state, i.attempts, i.failure_reason) for i in done.items} == {
        (ItemState.DONE, 1, "")
    }
    for line in lines:
        stored = await line_of(world, line)
        assert stored.options == ("DATA_5GB", "ROAM_EU")
        assert stored.pending_request_id == ""
        (entry,) = await history_of(world, line)
        assert (entry.kind, entry.description, entry.succeeded, entry.request_id) == (
            "OPTIONS",
            "+ROAM_EU -ROAMING",
            True,
            request.id,
        )

    (completed,) = await events(world, "ChangeCompleted")
    assert (completed.lines_total, completed.lines_done, completed.lines_failed) == (5, 5, 0)
    assert list(completed.activate_names) == ["Roaming pass EU"]
    assert [o.line_id for o in completed.lines] == [line.id for line in lines]
    assert all(o.succeeded for o in completed.lines)
    assert [
        (c.option_code, c.unit_amount_cents, c.vat_bp, c.quantity) for c in completed.charges
    ] == [("ROAM_EU", 1500, 2000, 5)]
    assert await events(world, "LineStatusChanged") == []  # options change no status


async def test_a_refused_line_fails_with_the_reason_and_is_freed(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    first, refused, third = await import_lines(world, rows(3))
    fake.refuse[refused.number.e164] = "number ported to another operator"
    request = await requests.suspend_lines(
        world.deps, world.acme, [first.id, refused.id, third.id], "THEFT"
    )
    await until_idle(worker_for(world, fake))

    items = await items_by_line(world, request.id)
    assert (items[refused.id].state, items[refused.id].failure_reason) == (
        ItemState.FAILED,
        "number ported to another operator",
    )
    for line in (first, third):
        assert (items[line.id].state, items[line.id].failure_reason) == (ItemState.DONE, "")
        stored = await line_of(world, line)
        assert (stored.status, stored.suspension_reason, stored.status_before_suspension) == (
            LineStatus.SUSPENDED,
            "THEFT",
            LineStatus.ACTIVE,
        )
        assert stored.pending_request_id == ""
    kept = await line_of(world, refused)
    assert (kept.status, kept.suspension_reason, kept.pending_request_id) == (
        LineStatus.ACTIVE,
        "",
        "",
    )
    (entry,) = await history_of(world, refused)
    assert (entry.succeeded, entry.failure_reason) == (False, "number ported to another operator")

    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done, done.lines_failed) == (RequestState.COMPLETED, 2, 1)
    (completed,) = await events(world, "ChangeCompleted")
    assert completed.suspension_reason == "THEFT"
    # The failed line first, then the others by position.
    assert [(o.line_id, o.succeeded, o.failure_reason) for o in completed.lines] == [
        (refused.id, False, "number ported to another operator"),
        (first.id, True, ""),
        (third.id, True, ""),
    ]
    changed = await events(world, "LineStatusChanged")
    assert sorted(
        (e.line_id, e.previous_status, e.status, e.reason, e.request_id) for e in changed
    ) == sorted((line.id, "ACTIVE", "SUSPENDED", "THEFT", request.id) for line in (first, third))
    # The freed line takes its next request.
    again = await requests.suspend_lines(world.deps, world.acme, [refused.id], "LOSS")
    assert again.state is RequestState.IN_PROGRESS


async def test_one_off_charges_are_the_prices_when_asked_times_the_lines_done(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    lines = await import_lines(world, rows(3))
    fake.refuse[lines[2].number.e164] = "no roaming on this number"
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["ROAM_EU"], []
    )
    # The operator raises the price while the request waits.
    await catalogue_usecases.put_option(
        world.deps,
        world.operator,
        "ROAM_EU",
        type=OptionType.ROAMING,
        name="Roaming pass Europe",
        description="",
        price_cents=9_900,
        price_kind=PriceKind.ONE_OFF,
        vat_bp=2000,
        plans=[],
        excludes=[],
        requires_one_of=["DATA_5GB", "DATA_20GB"],
    )
    await until_idle(worker_for(world, fake))
    (completed,) = await events(world, "ChangeCompleted")
    assert completed.request_id == request.id
    assert [
        (c.option_code, c.option_name, c.unit_amount_cents, c.vat_bp, c.quantity)
        for c in completed.charges
    ] == [("ROAM_EU", "Roaming pass EU", 1500, 2000, 2)]


async def test_a_prepaid_line_suspended_then_reactivated_is_prepaid_again(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    (line,) = await import_lines(world, rows(1, status="PREPAID"))
    worker = worker_for(world, fake)
    await requests.suspend_lines(world.deps, world.acme, [line.id], "TEMPORARY")
    await until_idle(worker)
    assert (await line_of(world, line)).status is LineStatus.SUSPENDED
    await requests.reactivate_lines(world.deps, world.acme, [line.id])
    await until_idle(worker)
    stored = await line_of(world, line)
    assert (stored.status, stored.suspension_reason, stored.status_before_suspension) == (
        LineStatus.PREPAID,
        "",
        None,
    )
    changed = await events(world, "LineStatusChanged")
    assert [(e.previous_status, e.status, e.reason) for e in changed] == [
        ("PREPAID", "SUSPENDED", "TEMPORARY"),
        ("SUSPENDED", "PREPAID", ""),
    ]


async def test_a_sim_activation_swaps_the_card_and_activates_the_line(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1, status="PENDING_ACTIVATION")])
    card, _ = await shipped_sims(world)
    request = await requests.activate_sim(world.deps, world.acme, line.id, card)
    await until_idle(worker_for(world, fake))

    (op,) = fake.applied
    assert (op.kind, op.iccid, op.new_iccid) == ("ACTIVATE_SIM", line.iccid, card)
    stored = await line_of(world, line)
    assert (stored.iccid, stored.status, stored.pending_request_id) == (card, LineStatus.ACTIVE, "")
    (activated,) = await events(world, "SimActivated")
    assert (activated.line_id, activated.iccid, activated.previous_iccid, activated.request_id) == (
        line.id,
        card,
        line.iccid,
        request.id,
    )
    (changed,) = await events(world, "LineStatusChanged")
    assert (changed.previous_status, changed.status) == ("PENDING_ACTIVATION", "ACTIVE")


async def test_a_refused_sim_activation_frees_the_card(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1)])
    card, _ = await shipped_sims(world)
    fake.refuse[line.number.e164] = "card blocked"
    await requests.activate_sim(world.deps, world.acme, line.id, card)
    await until_idle(worker_for(world, fake))
    assert (await line_of(world, line)).iccid == line.iccid
    assert await events(world, "SimActivated") == []
    # Line and card are both free again: the same activation may be asked anew.
    fake.refuse.clear()
    again = await requests.activate_sim(world.deps, world.acme, line.id, card)
    await until_idle(worker_for(world, fake))
    assert (await stored_request(world, again.id)).lines_done == 1
    assert (await line_of(world, line)).iccid == card


# ---- outages ---------------------------------------------------------------------------


async def test_an_unreachable_system_is_retried_with_a_doubling_wait(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    world.deps.retry = RetryPolicy(
        first=timedelta(seconds=2), longest=timedelta(seconds=5), give_up_after=timedelta(hours=1)
    )
    lines = await import_lines(world, rows(2, status="SUSPENDED"))
    request = await requests.reactivate_lines(world.deps, world.acme, [line.id for line in lines])
    worker = worker_for(world, fake)
    fake.unavailable = True

    for attempt, wait in ((1, 2), (2, 4), (3, 5)):  # the third wait is capped
        assert await worker.process_due() == 2
        items = await items_by_line(world, request.id)
        for item in items.values():
            # Still SENT: the call may have got through, its outcome is asked first.
            assert (item.state, item.attempts) == (ItemState.SENT, attempt)
            assert item.next_attempt_at == clock.now + timedelta(seconds=wait)
            assert "connection refused" in item.failure_reason
        waiting = await stored_request(world, request.id)
        assert (waiting.state, waiting.lines_done, waiting.lines_failed) == (
            RequestState.IN_PROGRESS,
            0,
            0,
        )
        for line in lines:  # still taken by the request
            assert (await line_of(world, line)).pending_request_id == request.id
        clock.advance(seconds=wait - 1)
        assert await worker.process_due() == 0  # not due yet
        clock.advance(seconds=1)

    fake.unavailable = False
    assert await worker.process_due() == 2
    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done) == (RequestState.COMPLETED, 2)
    assert {(i.state, i.attempts, i.failure_reason) for i in done.items} == {
        (ItemState.DONE, 4, "")
    }
    assert fake.effects == Counter(keys_of(request.id, lines))
    for line in lines:
        assert (await line_of(world, line)).status is LineStatus.ACTIVE
    assert len(await events(world, "ChangeCompleted")) == 1


async def test_after_give_up_after_the_lines_fail_saying_why(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    world.deps.retry = RetryPolicy(
        first=timedelta(seconds=2), longest=timedelta(minutes=5), give_up_after=timedelta(hours=1)
    )
    lines = await import_lines(world, rows(2))
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["SMS_100"], []
    )
    worker = worker_for(world, fake)
    fake.unavailable = True
    assert await worker.process_due() == 2
    clock.advance(minutes=59)
    assert await worker.process_due() == 2
    waiting = await stored_request(world, request.id)
    assert waiting.state is RequestState.IN_PROGRESS
    assert {(i.state, i.attempts) for i in waiting.items} == {(ItemState.SENT, 2)}
    clock.advance(minutes=1)  # an hour since the request
    assert await worker.process_due() == 2

    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done, done.lines_failed) == (RequestState.COMPLETED, 0, 2)
    for item in done.items:
        assert item.state is ItemState.FAILED
        assert "provisioning system" in item.failure_reason
        assert "connection refused" in item.failure_reason
    for line in lines:
        stored = await line_of(world, line)
        assert (stored.options, stored.pending_request_id) == (line.options, "")
    (completed,) = await events(world, "ChangeCompleted")
    assert [o.succeeded for o in completed.lines] == [False, False]
    assert list(completed.charges) == []
    assert await worker.process_due() == 0


# ---- a dead worker, a lost lease, a stop -----------------------------------------------


async def test_a_dead_workers_lines_are_asked_about_before_being_sent_again(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    lines = await import_lines(world, rows(4))
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["SMS_100"], []
    )
    keys = keys_of(request.id, lines)
    assert await claimed_by_a_worker_that_dies(world, clock) == 4
    # Its calls for the first two lines reached the system before it died.
    fake.known = {keys[0]: Outcome(True), keys[1]: Outcome(False, "SIM blocked")}
    worker = worker_for(world, fake)
    assert await worker.process_due() == 0  # its lease still runs
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await worker.process_due() == 4

    assert sorted(fake.lookups) == sorted(keys)
    assert sorted(fake.applied_keys) == sorted(keys[2:])  # the known ones are not re-sent
    items = await items_by_line(world, request.id)
    assert [(items[line.id].state, items[line.id].attempts) for line in lines] == [
        (ItemState.DONE, 2),
        (ItemState.FAILED, 2),
        (ItemState.DONE, 2),
        (ItemState.DONE, 2),
    ]
    assert items[lines[1].id].failure_reason == "SIM blocked"
    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done, done.lines_failed) == (RequestState.COMPLETED, 3, 1)
    for index, line in enumerate(lines):
        stored = await line_of(world, line)
        expected = line.options if index == 1 else (*line.options, "SMS_100")
        assert stored.options == expected
        assert len(await history_of(world, line)) == 1  # recorded once
    assert len(await events(world, "ChangeCompleted")) == 1


async def test_a_taken_over_line_whose_lookup_fails_waits_and_is_recorded_once(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    lines = await import_lines(world, rows(1))
    request = await requests.create_option_change(
        world.deps, world.acme, [lines[0].id], ["SMS_100"], []
    )
    (key,) = keys_of(request.id, lines)
    world.deps.retry = RetryPolicy(first=timedelta(seconds=2))
    assert await claimed_by_a_worker_that_dies(world, clock) == 1
    fake.known[key] = Outcome(True)  # the dead worker's call got through
    fake.effects[key] = 1
    clock.advance(seconds=LEASE.total_seconds() + 1)
    fake.unavailable = True
    worker = worker_for(world, fake)
    assert await worker.process_due() == 1
    assert (fake.lookups, fake.applied) == ([key], [])
    (item,) = (await stored_request(world, request.id)).items
    assert (item.state, item.attempts) == (ItemState.SENT, 2)
    assert item.next_attempt_at == clock.now + timedelta(seconds=4)  # second attempt: 2 x 2 s

    fake.unavailable = False
    clock.advance(minutes=10)
    assert await worker.process_due() == 1
    # Asked again, not sent: the system had it.
    assert (fake.lookups, fake.applied) == ([key, key], [])
    assert fake.effects == Counter({key: 1})
    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done) == (RequestState.COMPLETED, 1)
    assert (await line_of(world, lines[0])).options == (*lines[0].options, "SMS_100")
    assert len(await history_of(world, lines[0])) == 1


async def test_a_pass_that_lost_its_lease_does_not_write_over_the_new_holder(
    world: World, clock: Clock
) -> None:
    lines = await import_lines(world, rows(3))
    request = await requests.suspend_lines(
        world.deps, world.acme, [line.id for line in lines], "LOSS"
    )
    keys = keys_of(request.id, lines)
    # While the slow pass is sending, its lease runs out and another worker
    # takes the lines over and records them; the slow pass's answers (refusals
    # here, to tell them apart) come after.
    taker = FakeProvisioning()
    other = worker_for(world, taker)
    took: list[int] = []

    async def lease_runs_out(_operation) -> None:
        if not took:
            clock.advance(seconds=LEASE.total_seconds() + 1)
            took.append(await other.process_due())

    slow_system = FakeProvisioning(
        refuse={line.number.e164: "late answer" for line in lines}, on_apply=lease_runs_out
    )
    slow = worker_for(world, slow_system, concurrency=1)
    assert await slow.process_due() == 3
    assert took == [3]
    assert sorted(taker.lookups) == sorted(keys)  # taken over: asked first

    items = await items_by_line(world, request.id)
    assert {(i.state, i.failure_reason) for i in items.values()} == {(ItemState.DONE, "")}
    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done, done.lines_failed) == (RequestState.COMPLETED, 3, 0)
    for line in lines:
        stored = await line_of(world, line)
        assert (stored.status, stored.suspension_reason) == (LineStatus.SUSPENDED, "LOSS")
        (entry,) = await history_of(world, line)
        assert entry.succeeded
    (completed,) = await events(world, "ChangeCompleted")
    assert (completed.lines_done, completed.lines_failed) == (3, 0)
    assert len(await events(world, "LineStatusChanged")) == 3


async def test_a_stopping_pass_releases_what_it_claimed(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    lines = await import_lines(world, rows(4))
    request = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in lines], ["SMS_100"], []
    )
    keys = keys_of(request.id, lines)
    assert await claimed_by_a_worker_that_dies(world, clock, per_request=2) == 2
    clock.advance(seconds=LEASE.total_seconds() + 1)
    worker = worker_for(world, fake)
    stop = asyncio.Event()
    stop.set()
    assert await worker.process_due(stop) == 4  # two taken over, two fresh
    assert (fake.applied, fake.lookups) == ([], [])

    items = await items_by_line(world, request.id)
    # Taken over: still SENT (its outcome must still be asked); fresh: PENDING.
    # Neither counts the attempt that was not made.
    assert [(items[line.id].state, items[line.id].attempts) for line in lines] == [
        (ItemState.SENT, 1),
        (ItemState.SENT, 1),
        (ItemState.PENDING, 0),
        (ItemState.PENDING, 0),
    ]
    assert (await stored_request(world, request.id)).state is RequestState.IN_PROGRESS
    assert (await line_of(world, lines[0])).pending_request_id == request.id

    clock.advance(seconds=1)
    assert await worker.process_due() == 4
    assert sorted(fake.lookups) == sorted(keys[:2])
    assert sorted(fake.applied_keys) == sorted(keys)
    done = await stored_request(world, request.id)
    assert (done.state, done.lines_done) == (RequestState.COMPLETED, 4)


# ---- fairness ----------------------------------------------------------------------------


async def test_a_small_request_progresses_beside_a_big_one(
    world: World, clock: Clock, fake: FakeProvisioning
) -> None:
    lines = await import_lines(world, rows(6) + rows(1, first=100))
    big_lines, small_line = lines[:6], lines[6]
    big = await requests.create_option_change(
        world.deps, world.acme, [line.id for line in big_lines], ["SMS_100"], []
    )
    clock.advance(seconds=1)
    small = await requests.suspend_lines(world.deps, world.acme, [small_line.id], "LOSS")
    worker = worker_for(world, fake, per_request=2)
    assert await worker.process_due() == 3
    assert (await stored_request(world, small.id)).state is RequestState.COMPLETED
    halfway = await stored_request(world, big.id)
    assert (halfway.state, halfway.lines_done) == (RequestState.IN_PROGRESS, 2)
