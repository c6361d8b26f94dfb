"""The runtime's Database on real databases: reads that neither wait for nor
take SQLite's write lock, and server connections cut while idle in the pool."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal_runtime import db as db_module
from portal_runtime.db import Database, ReadOnlyViolation
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("n", Integer, nullable=False),
)


async def _database(url: str) -> Database:
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return database


@pytest.fixture()
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A Database on a fresh SQLite file (its path: `make_url(db.url).database`)."""
    database = await _database(f"sqlite:///{tmp_path / 'test.db'}")
    try:
        yield database
    finally:
        await database.dispose()


async def test_sqlite_reads_run_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    database = await _database(f"sqlite:///{tmp_path / 'reads.db'}")
    try:
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="a", n=1))
        writer_holds_lock = asyncio.Event()
        release = asyncio.Event()

        async def writer() -> None:
            async with database.transaction() as s:  # BEGIN IMMEDIATE: the write lock
                await s.execute(insert(things).values(id="b", n=2))
                writer_holds_lock.set()
                await release.wait()

        task = asyncio.create_task(writer())
        await writer_holds_lock.wait()
        # The read answers at once, from the last committed state.
        async with database.read() as s:
            rows = (await s.execute(select(things.c.id).order_by(things.c.id))).all()
        assert [r.id for r in rows] == ["a"]
        release.set()
        await task
        async with database.read() as s:
            assert (await s.scalar(select(things.c.n).where(things.c.id == "b"))) == 2
    finally:
        await database.dispose()


async def test_sqlite_read_transaction_refuses_writes(tmp_path: Path) -> None:
    database = await _database(f"sqlite:///{tmp_path / 'ro.db'}")
    try:
        with pytest.raises(OperationalError, match="attempt to write a readonly database"):
            async with database.read() as s:
                await s.execute(insert(things).values(id="x", n=1))
        async with database.read() as s:
            assert (await s.execute(select(things))).all() == []
    finally:
        await database.dispose()


async def test_sqlite_writers_of_a_process_queue_in_arrival_order(sqlite_db: Database) -> None:
    database = sqlite_db
    committed: list[int] = []

    async def write(n: int) -> None:
        async with database.transaction() as s:
            await s.execute(insert(things).values(id=f"w{n}", n=n))
            await asyncio.sleep(0)  # the others arrive meanwhile
        committed.append(n)

    await asyncio.gather(*(write(n) for n in range(50)))
    # Left to SQLite's busy polling they finished in any order (and the
    # unlucky ones waited for sleeps of up to 100 ms each).
    assert committed == list(range(50))
    async with database.read() as s:
        assert (await s.scalar(select(func.count()).select_from(things))) == 50


async def test_a_sqlite_write_transaction_inside_another_is_refused_not_deadlocked(
    sqlite_db: Database,
) -> None:
    database = sqlite_db
    async with database.transaction() as s:
        await s.execute(insert(things).values(id="outer", n=1))
        with pytest.raises(RuntimeError, match="inside another"):
            async with database.transaction():
                pass
    async with database.read() as s:
        assert (await s.scalar(select(things.c.n).where(things.c.id == "outer"))) == 1


def _loop_ticks(every: float) -> tuple[list[int], asyncio.Task[None]]:
    """A task counting how often the event loop runs it (every `every` s)."""
    ticks = [0]

    async def ticking() -> None:
        while True:
            ticks[0] += 1
            await asyncio.sleep(every)

    return ticks, asyncio.create_task(ticking())


async def test_a_sqlite_writer_waits_for_another_process_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    database = await _database(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO things (id, n) VALUES ('other', 1)")
        ticks, ticker = _loop_ticks(every=0.01)

        async def write() -> None:
            async with database.transaction() as s:
                await s.execute(insert(things).values(id="ours", n=2))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writing.done()  # waiting for the lock...
        assert ticks[0] >= 10  # ...while the loop runs everything else
        other.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=5)
        ticker.cancel()
        async with database.read() as s:
            rows = (await s.execute(select(things.c.id).order_by(things.c.id))).all()
        assert [r.id for r in rows] == ["other", "ours"]
    finally:
        other.close()
        await database.dispose()


async def test_a_refused_sqlite_write_changes_nothing_and_the_next_one_commits(
    sqlite_db: Database,
) -> None:
    database = sqlite_db
    async with database.transaction() as s:
        await s.execute(insert(things).values(id="a", n=1))
    with pytest.raises(IntegrityError):
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="b", n=2))
            await s.execute(insert(things).values(id="a", n=3))  # duplicate key
    with pytest.raises(asyncio.CancelledError):
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="c", n=4))
            raise asyncio.CancelledError  # the caller went away mid-transaction
    async with database.transaction() as s:
        await s.execute(insert(things).values(id="d", n=5))
    async with database.read() as s:
        rows = (await s.execute(select(things.c.id).order_by(things.c.id))).all()
    assert [r.id for r in rows] == ["a", "d"]


async def test_a_long_sqlite_stream_lets_the_loop_run(sqlite_db: Database) -> None:
    database = sqlite_db
    async with database.transaction() as s:
        await s.execute(insert(things), [{"id": f"t{n:05d}", "n": n} for n in range(5000)])
    ticks, ticker = _loop_ticks(every=0)
    await asyncio.sleep(0)
    seen = 0
    async with database.transaction() as s:
        async for _ in await s.stream(select(things).execution_options(yield_per=100)):
            seen += 1
    ticker.cancel()
    assert seen == 5000
    assert ticks[0] >= 5000 // 500  # the loop ran between chunks of rows


@pytest.mark.skipif(postgres_admin_url() is None, reason="no PostgreSQL server to cut")
async def test_postgres_connection_cut_while_idle_is_replaced(monkeypatch) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.2)
    url = create_postgres_database("portail_runtime_db")
    database = await _database(url)
    try:
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="a", n=1))
        # The server ends every session of this database (a restart, a failover).
        admin = postgres_admin_url()
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
            ended = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            ).fetchone()
        assert ended is not None and ended[0] >= 1
        await asyncio.sleep(0.3)  # idle longer than the ping threshold
        async with database.read() as s:
            assert (await s.scalar(select(things.c.n).where(things.c.id == "a"))) == 1
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="b", n=2))
    finally:
        await database.dispose()
        drop_postgres_database(url)


@pytest.mark.skipif(postgres_admin_url() is None, reason="no PostgreSQL server")
async def test_postgres_reads_see_each_commit_and_refuse_writes() -> None:
    url = create_postgres_database("portail_runtime_reads")
    database = await _database(url)
    try:
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="a", n=1))
        async with database.read() as s:
            assert (await s.scalar(select(things.c.n).where(things.c.id == "a"))) == 1
            # Reads run in autocommit (no BEGIN/COMMIT round trips): a write
            # there would be final at once, so it is refused before it is sent.
            with pytest.raises(ReadOnlyViolation):
                await s.execute(insert(things).values(id="x", n=9))
        async with database.transaction() as s:
            await s.execute(insert(things).values(id="b", n=2))
        async with database.read() as s:
            rows = (await s.execute(select(things.c.id).order_by(things.c.id))).all()
        assert [r.id for r in rows] == ["a", "b"]
    finally:
        await database.dispose()
        drop_postgres_database(url)
