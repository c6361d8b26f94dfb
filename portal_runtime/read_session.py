"""Reads on SQLite without the async driver's thread hop.

aiosqlite runs every statement on a worker thread and hands the result back
through the event loop: each statement costs two thread switches, a future and
a trip through the loop, and under load the worker and the loop fight over the
GIL (a profile of identity's GetMe showed ~7 ms of CPU per call, most of it
there). A SQLite read of a few indexed rows takes microseconds, so doing it
right on the loop's thread is cheaper than any hand-off, and in WAL mode a
reader never waits for the writer (no lock to block the loop on).

`SyncReadSession` offers the subset of `AsyncSession` the repositories use
(`execute`, `scalar`, `scalars`, `stream`) over a synchronous SQLAlchemy
connection, so the same repository code serves both paths. Writes keep the
async engine (they wait for SQLite's one write lock, which must not block the
loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import Result


class SyncReadSession:
    """An `AsyncSession` look-alike for read-only transactions whose statements
    run synchronously on the calling thread (the event loop's)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # As on AsyncSession: the engine (its dialect) and a per-transaction dict.
        self.bind = conn.engine
        self.info: dict[Any, Any] = {}

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Result[Any]:
        return self._conn.execute(statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self._conn.scalar(statement, params, **kw)

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self._conn.scalars(statement, params, **kw)

    async def stream(self, statement: Any, params: Any = None, **kw: Any) -> _RowStream:
        return _RowStream(self._conn.execute(statement, params, **kw))


class _RowStream:
    """`AsyncResult`'s iteration over a synchronous result."""

    def __init__(self, result: Result[Any]) -> None:
        self._result = result

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        for row in self._result:
            yield row


def sqlite_read_engine(url: str) -> Engine:
    """A synchronous engine on the same file whose connections can only read
    (query_only) and open deferred transactions: in WAL mode they neither take
    nor wait for the write lock."""
    engine = create_engine(
        url,
        # Connections are used on the event loop's thread, but a pool shared by
        # a test's successive loops may hand one over to another thread.
        connect_args={"check_same_thread": False, "timeout": 5},
        pool_size=4,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # BEGIN emitted below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA query_only=1")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Straight to the driver: a statement through SQLAlchemy costs ~10x more.
        conn.connection.dbapi_connection.execute("BEGIN")

    return engine


@contextmanager
def read_transaction(engine: Engine) -> Iterator[SyncReadSession]:
    with engine.connect() as conn, conn.begin():
        yield SyncReadSession(conn)
