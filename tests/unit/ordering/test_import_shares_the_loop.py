"""A background import goes over a file's lines on the event loop's thread in
several passes (the beneficiaries to create, the order's lines, the domain's
check, the rows): each pass gives the loop back every few thousand lines, so
the process's other calls (reads) keep answering during a 100,000-line import.

Counted, not timed: every pass calls a function once per line, and a task
that takes a turn of the loop whenever it can sees how many of those calls ran
in one go. A pass made in one go again would run them all at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from portal_runtime import passes
from services.ordering.domain import beneficiaries as beneficiary_rules
from services.ordering.domain.order_file import FileLine
from services.ordering.domain.orders import LoadBounds
from services.ordering.store import beneficiaries as beneficiary_store
from services.ordering.store import bulk
from services.ordering.store import orders as order_store
from services.ordering.usecases import imports

from .conftest import World
from .helpers import file_row, order_file, point

LINES = 12_000  # several chunks of every pass; one pass in one go runs them all

# (owner, name): called once per line by one of the passes on the loop's thread.
PER_LINE = [
    (beneficiary_store, "full_name"),  # the entity's beneficiaries, read
    (FileLine, "new_beneficiary"),  # the file's new beneficiaries
    (beneficiary_rules, "full_name"),  # their references
    (imports, "draft_line"),  # the order's lines
    (LoadBounds, "problem"),  # the domain's check of the lines
    (beneficiary_store, "_to_row"),  # the beneficiaries' rows
    (order_store, "_line_row"),  # the lines' rows
]


class _Calls:
    """Calls of the PER_LINE functions made on the loop's thread (the parser,
    in its own thread, checks each distinct amount once too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.by_name: dict[str, int] = {}
        loop_thread = threading.get_ident()
        for owner, name in PER_LINE:
            real = getattr(owner, name)
            monkeypatch.setattr(owner, name, self._counted(real, name, loop_thread))

    def _counted(self, real: Callable[..., Any], name: str, loop_thread: int) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread:
                self.count += 1
                self.by_name[name] = self.by_name.get(name, 0) + 1
            return real(*args, **kwargs)

        return counted


async def _most_calls_in_one_go(calls: _Calls, work: asyncio.Task[Any]) -> int:
    """The most calls made between two turns of this task while `work` runs."""
    most = 0
    seen = calls.count
    while not work.done():
        await asyncio.sleep(0)
        most = max(most, calls.count - seen)
        seen = calls.count
    await work
    return most


async def _import(world: World) -> str:
    world.deps.sync_import_max_lines = 10
    data = order_file([file_row(f"E-{n}", "25") for n in range(LINES)])
    order, job = await imports.import_order(world.deps, world.acme, data)
    assert order is None and job is not None
    return job.id


async def test_a_large_import_gives_the_loop_back_during_each_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await point(world)
    calls = _Calls(monkeypatch)
    # One chunk of a pass, or the end of one and the start of the next, runs
    # in one go; never a whole pass.
    bound = 2 * max(passes.CHUNK, bulk.CHUNK_ROWS)
    assert bound < LINES

    # A first import creates every beneficiary; a second one finds them all.
    for created in (LINES, 0):
        job_id = await _import(world)
        calls.count, calls.by_name = 0, {}
        work = asyncio.create_task(imports.process_import(world.deps, job_id))
        most = await _most_calls_in_one_go(calls, work)
        done = await imports.get_import(world.deps, world.acme, job_id)
        assert done.state == "SUCCEEDED"
        # Every pass ran, over every line...
        expected = {
            "full_name": LINES,  # read, or made for a new beneficiary
            "draft_line": LINES,
            "problem": LINES,
            "_line_row": LINES,
        }
        if created:
            expected |= {"new_beneficiary": LINES, "_to_row": LINES}
        assert calls.by_name == expected
        # ...a chunk at a time, with the loop given back in between.
        assert most <= bound, (most, calls.by_name)
