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

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

# In a read session's `info`: nothing read there will be saved, so repositories
# need not keep what they read for a later save (ordering's `tracking`).
READ_ONLY = "portal.read_only"


class SyncSession:
    """The `AsyncSession` methods the repositories use, run synchronously on the
    calling thread (the event loop's) by `runner`: a Connection (reads) or an
    ORM Session on one (writes, portal_runtime.sqlite_writes)."""

    # Rows a stream reads before it lets the loop run other work (0: never).
    stream_yield_every = 0

    def __init__(self, runner: Connection | Session, engine: Engine, info: dict[Any, Any]) -> None:
        self._runner = runner
        # As on AsyncSession: the engine (its dialect) and a per-transaction dict.
        self.bind = engine
        self.info = info

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Result[Any]:
        return self._runner.execute(statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self._runner.scalar(statement, params, **kw)

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self._runner.scalars(statement, params, **kw)

    async def stream(self, statement: Any, params: Any = None, **kw: Any) -> RowStream:
        result = self._runner.execute(statement, params, **kw)
        return RowStream(result, self.stream_yield_every)


class SyncReadSession(SyncSession):
    """A read-only transaction's session."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, conn.engine, {READ_ONLY: True})


class RowStream:
    """`AsyncResult`'s iteration over a synchronous result; every `yield_every`
    rows (when given) it lets the loop run other work."""

    def __init__(self, result: Result[Any], yield_every: int = 0) -> None:
        self._result = result
        self._yield_every = yield_every

    def keys(self) -> Any:
        return self._result.keys()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        every = self._yield_every
        for n, row in enumerate(self._result, 1):
            yield row
            if every and n % every == 0:
                await asyncio.sleep(0)


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


class SqliteReads:
    """Read transactions on a file's read-only connections.

    A connection stays open between transactions (up to `KEEP_IDLE` of them):
    checking one out of the pool and wrapping it again costs more than the
    indexed reads of a whole GetMe. Each transaction still starts its own
    snapshot (the deferred BEGIN at its first statement) and ends with a
    rollback, so nothing is kept between two of them but the open file."""

    KEEP_IDLE = 4

    def __init__(self, url: str) -> None:
        self.engine = sqlite_read_engine(url)
        self._idle: list[Connection] = []

    @contextmanager
    def transaction(self) -> Iterator[SyncReadSession]:
        conn = self._idle.pop() if self._idle else self.engine.connect()
        try:
            yield SyncReadSession(conn)
        finally:
            try:
                conn.rollback()  # a read has nothing to commit
            except BaseException:
                conn.close()
                raise
            if conn.invalidated or len(self._idle) >= self.KEEP_IDLE:
                conn.close()
            else:
                self._idle.append(conn)

    def dispose(self) -> None:
        while self._idle:
            self._idle.pop().close()
        self.engine.dispose()
