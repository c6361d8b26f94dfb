"""Long passes run a chunk at a time: the same result as in one go, the
generator's own errors, and a turn of the loop for other work between chunks
(none for a pass shorter than a chunk)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator, Iterator

import pytest

from portal_runtime.passes import collect, finish


async def _turns_taken_by_others(work: Awaitable[object]) -> tuple[object, int]:
    """What `work` (a coroutine) returns, and the turns another task got meanwhile."""
    task = asyncio.ensure_future(work)
    turns = 0
    while not task.done():
        await asyncio.sleep(0)
        turns += 1
    return await task, turns


@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 30, 35])
async def test_collect_makes_the_list_a_chunk_at_a_time(count: int) -> None:
    made, turns = await _turns_taken_by_others(collect((n * n for n in range(count)), chunk=10))
    assert made == [n * n for n in range(count)]
    # A turn after each full chunk (the last one if more may follow), besides
    # the one the task needs to finish.
    assert turns == count // 10 + 1


async def test_collect_raises_what_the_generator_raises() -> None:
    def lines() -> Iterator[int]:
        yield from range(25)
        raise ValueError("line 26: bad")

    with pytest.raises(ValueError, match="line 26"):
        await collect(lines(), chunk=10)


async def test_finish_runs_the_steps_and_returns_their_value() -> None:
    done: list[int] = []

    def steps(count: int) -> Generator[None, None, int]:
        for n in range(count):
            done.append(n)
            yield
        return sum(done)

    value, turns = await _turns_taken_by_others(finish(steps(25), chunk=10))
    assert (value, done, turns) == (sum(range(25)), list(range(25)), 25 // 10 + 1)
    done.clear()
    value, turns = await _turns_taken_by_others(finish(steps(3), chunk=10))
    assert (value, turns) == (3, 1)  # shorter than a chunk: in one go
