"""Long passes over many items on the event loop's thread (a file's 100,000
lines), run a chunk at a time with the loop given back in between.

A pass over 100,000 lines takes a few hundred milliseconds in one go, during
which every other call of the process waits (SQLite reads run on the loop's
thread too). The rules stay plain Python: a use case writes the pass as a
generator (a generator expression over the lines, or a domain generator that
takes one step per line) and runs it here. `CHUNK` items take a few
milliseconds, and a pause between two chunks costs a few microseconds.

    created = await collect(line.new_beneficiary(...) for line in missing)
    order = await finish(new_order_steps(...))     # the order the generator returns
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Items per chunk: a few milliseconds of work on most passes.
CHUNK = 2_000


async def collect(items: Iterable[T], chunk: int = CHUNK) -> list[T]:
    """`list(items)`, letting the loop run other work after every `chunk`
    items (none for fewer). An exception of the generator is raised here.
    `chunk` counts the items made: a generator that keeps few of what it goes
    through (a filter) goes through more of it at once."""
    iterator = iter(items)
    out: list[T] = []
    while True:
        before = len(out)
        out.extend(islice(iterator, chunk))
        if len(out) - before < chunk:  # a short chunk: the items ran out
            return out
        await asyncio.sleep(0)


async def finish(steps: Generator[Any, None, R], chunk: int = CHUNK) -> R:
    """The value generator `steps` returns, letting the loop run other work
    after every `chunk` steps (none for fewer)."""
    while True:
        try:
            for _ in range(chunk):
                next(steps)
        except StopIteration as end:
            return end.value
        await asyncio.sleep(0)
