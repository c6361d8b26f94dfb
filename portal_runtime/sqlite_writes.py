"""SQLite write transactions on the event loop's thread.

A process's writers already queue on `Database`'s lock, one at a time, so the
async driver's worker thread buys nothing: it costs each statement two thread
switches, a future and a greenlet switch (a profile of `POST /v1/beneficiaries`
showed most of ordering's CPU there). Statements of a few rows take
microseconds; the transaction runs them synchronously on the loop's thread, and
the long ones give the loop back between chunks (`exec_driver_sql`, `stream`).

The write lock of the file is taken with `BEGIN IMMEDIATE` without SQLite's busy
handler (it would sleep on the loop's thread): while another process holds it,
the transaction retries with asyncio sleeps, up to `LOCK_WAIT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Dialect, create_engine, event
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session, SessionTransaction

from portal_runtime.read_session import SyncSession

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 30.0
_FIRST_RETRY_SECONDS = 0.001
_MAX_RETRY_SECONDS = 0.05
# Rows a stream reads before it lets the loop run other work.
STREAM_YIELD_EVERY = 500


def prepare_writer(dbapi_connection: Any, *, busy_timeout_ms: int) -> None:
    """A new writer connection to a SQLite file: transactions begun by the
    caller (BEGIN IMMEDIATE), WAL, foreign keys, and WAL + NORMAL: a commit no
    longer waits for an fsync (only checkpoints do); the database stays
    consistent, and an OS crash (not a process crash) may lose the last commits."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SyncWriteSession(SyncSession):
    """A write transaction's session: a synchronous ORM session bound to the
    transaction's connection (its `info` and events, such as the outbox's, work
    as on an AsyncSession's `sync_session`)."""

    stream_yield_every = STREAM_YIELD_EVERY

    def __init__(self, session: Session, conn: Connection) -> None:
        super().__init__(session, conn.engine, session.info)
        self.sync_session = session
        self._conn = conn

    async def connection(self) -> _LoopConnection:
        return _LoopConnection(self._conn)

    async def begin_nested(self) -> _Savepoint:
        return _Savepoint(self.sync_session.begin_nested())


class _Savepoint:
    """`AsyncSessionTransaction` for a savepoint: awaited, or used with `async with`."""

    def __init__(self, transaction: SessionTransaction) -> None:
        self._transaction = transaction

    async def commit(self) -> None:
        self._transaction.commit()

    async def rollback(self) -> None:
        self._transaction.rollback()

    async def __aenter__(self) -> _Savepoint:
        return self

    async def __aexit__(self, exc_type: object, _exc: object, _tb: object) -> None:
        if not self._transaction.is_active:
            return
        if exc_type is None:
            self._transaction.commit()
        else:
            self._transaction.rollback()


class _LoopConnection:
    """`AsyncConnection`'s `dialect` and `exec_driver_sql` (bulk inserts): each
    call runs at once, then lets the loop run what waited meanwhile."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect: Dialect = conn.dialect

    async def exec_driver_sql(self, statement: str, params: Any = None) -> Result[Any]:
        result = self._conn.exec_driver_sql(statement, params)
        await asyncio.sleep(0)
        return result


class SqliteWrites:
    """The file's one write connection, kept open, used a transaction at a time
    (the caller holds `Database`'s writer lock)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(
            url,
            # Used on the loop's thread, which a test's successive loops may change.
            connect_args={"check_same_thread": False, "timeout": 0},
            pool_size=1,
            max_overflow=0,
        )

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            prepare_writer(dbapi_connection, busy_timeout_ms=5000)  # for the pragmas only
            # From here on a locked file answers at once (see _take_lock).
            dbapi_connection.execute("PRAGMA busy_timeout=0")

        self._conn: Connection | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SyncWriteSession]:
        conn = self._conn if self._conn is not None else self.engine.connect()
        self._conn = None
        try:
            await _take_lock(conn)
            transaction = conn.begin()  # SQLAlchemy's view of it: no statement sent
            session = Session(bind=conn, join_transaction_mode="rollback_only")
            try:
                yield SyncWriteSession(session, conn)
            except BaseException:
                transaction.rollback()
                raise
            else:
                transaction.commit()
            finally:
                session.close()
        finally:
            # Statements run synchronously, so a cancellation or a refusal leaves
            # the connection between statements: rolled back, it serves the next
            # transaction; one still in a transaction (a failed rollback) does not.
            raw = conn.connection.dbapi_connection if not conn.closed else None
            if raw is None or conn.invalidated or raw.in_transaction:
                _discard(conn)
            else:
                self._conn = conn

    def dispose(self) -> None:
        if self._conn is not None:
            _discard(self._conn)
            self._conn = None
        self.engine.dispose()


async def _take_lock(conn: Connection) -> None:
    """BEGIN IMMEDIATE; while another process holds the file's write lock,
    retried with growing asyncio sleeps (never a sleep on the loop's thread)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = _FIRST_RETRY_SECONDS
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _MAX_RETRY_SECONDS)


def _discard(conn: Connection) -> None:
    try:
        raw = conn.connection.dbapi_connection
        if raw is not None and raw.in_transaction:
            raw.rollback()
    except Exception:  # closing it ends the transaction anyway
        log.warning("rollback of a discarded SQLite connection failed", exc_info=True)
    conn.close()
