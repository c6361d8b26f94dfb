"""Rows as named tuples, for the pages and exports that turn many rows into
domain objects.

Reading a column by name on SQLAlchemy's `Row` (`row.first_name`) misses the
normal attribute lookup and falls back to a Python `__getattr__`: about 0.3 µs
per column read. A page of 50 records of 13 to 35 columns spent more in those
reads than in running its query. A named tuple answers the same `row.name`
in a few tens of nanoseconds, so a repository's `_from_row` works unchanged on
either.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

from sqlalchemy import Result


@cache
def _record_type(keys: tuple[str, ...]) -> Any:
    # rename: a key that is not an identifier (or repeated) gets a positional
    # name instead of refusing the row; `row.key` could not read it either.
    return namedtuple("Record", keys, rename=True)


def records(result: Result[Any]) -> list[Any]:
    """Every row of `result` as a named tuple with the result's column names."""
    make = _record_type(tuple(result.keys()))._make
    return [make(row) for row in result]


async def stream_records(result: Any) -> AsyncIterator[Any]:
    """A streamed result's rows (`AsyncResult`, `RowStream`) as named tuples,
    as they come."""
    make = _record_type(tuple(result.keys()))._make
    async for row in result:
        yield make(row)
