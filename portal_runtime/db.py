"""One database per service: an async SQLAlchemy engine on SQLite (default) or
PostgreSQL, transactions, and the runtime's own tables."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    make_url,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from portal_runtime.config import DEFAULT_DB_POOL_SIZE, ServiceSettings
from portal_runtime.read_session import READ_ONLY, SqliteReads
from portal_runtime.sqlite_writes import SqliteWrites, prepare_writer

log = logging.getLogger(__name__)

# Every service's tables: the same constraint and index names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_TYPE = String(32)  # new_id(): uuid4().hex


def new_metadata() -> MetaData:
    """A service's MetaData, with the shared naming convention."""
    return MetaData(naming_convention=dict(NAMING_CONVENTION))


def timestamp_column(name: str, nullable: bool = True, **kw: object) -> Column:
    """A timezone-aware timestamp column (nullable unless told)."""
    return Column(name, DateTime(timezone=True), nullable=nullable, **kw)


def new_id() -> str:
    """A new row id: 32 lower-case hex characters (uuid4)."""
    return uuid.uuid4().hex


# Any constant shared by every replica of a service; each service has its own DB.
MIGRATION_LOCK_ID = 7_464_617

# The runtime's tables live in every service's schema (copied into the service's
# MetaData by add_runtime_tables, so its migrations create them); runtime code
# queries them through these Table objects.
RUNTIME_METADATA = MetaData()

outbox_table = Table(
    "outbox",
    RUNTIME_METADATA,
    Column("id", String(64), primary_key=True),  # the event id, also Nats-Msg-Id
    Column("subject", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),  # JSON object
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)

inbox_table = Table(
    "inbox",
    RUNTIME_METADATA,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

dead_letters_table = Table(
    "dead_letters",
    RUNTIME_METADATA,
    Column("id", String(64), primary_key=True),
    Column("consumer", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("deliveries", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

idempotency_table = Table(
    "idempotency_keys",
    RUNTIME_METADATA,
    Column("scope", String(300), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # IN_FLIGHT | DONE
    Column("response", LargeBinary, nullable=True),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)


def add_runtime_tables(metadata: MetaData) -> None:
    """Adds the outbox, inbox, dead-letter and idempotency tables to a service's
    schema so that its migrations own them like any other table."""
    for table in RUNTIME_METADATA.tables.values():
        if table.name not in metadata.tables:
            table.to_metadata(metadata)


def async_url(url: str) -> str:
    """`sqlite:///x.db` / `postgresql://...` -> the async driver's URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False))
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme: {parsed.drivername}")


# How many PostgreSQL connections a process may open for a burst beyond the
# ones it keeps (PORTAL_DB_POOL_SIZE).
POOL_OVERFLOW = 10


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = DEFAULT_DB_POOL_SIZE
    ) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        # A server connection can die (restart, failover): one that sat idle in
        # the pool is pinged before use (_ping_idle_connections). A SQLite
        # file cannot die that way.
        kwargs: dict = {"echo": echo}
        if self.dialect == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # Connections kept open: beyond them, each burst opened (and then
            # closed) server connections, a backend started per request under
            # load (a POST cost 15 % more CPU at the default pool of 5).
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = POOL_OVERFLOW
        self.engine: AsyncEngine = create_async_engine(async_url(url), **kwargs)
        if self.dialect == "sqlite":
            _serialize_sqlite_writers(self.engine)
        else:
            _ping_idle_connections(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL reads run without BEGIN/COMMIT: at READ COMMITTED each
        # statement takes its own snapshot inside a transaction too, so the two
        # round trips bought nothing (GetMe: three round trips -> one).
        self._pg_reads: async_sessionmaker[AsyncSession] | None = None
        if self.dialect == "postgresql":
            reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            _refuse_writes(reads)
            self._pg_reads = async_sessionmaker(reads, expire_on_commit=False)
        # SQLite reads have their own read-only connections, used on the loop's
        # thread (portal_runtime.read_session); an in-memory database (one per
        # connection) has no file to share, its reads go through transactions.
        on_file = self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:")
        self._sqlite_reads = SqliteReads(url) if on_file else None
        # Likewise its writes (portal_runtime.sqlite_writes), one at a time.
        self._sqlite_writes = SqliteWrites(url) if on_file else None
        self._after_commit: list[Callable[[AsyncSession], None]] = []
        # SQLite has one writer. Left to SQLite, waiting writers poll the lock
        # with sleeps of up to 100 ms (busy_timeout), out of order: under 50
        # concurrent writes p99 passed a second. Writers of this process queue
        # here instead, in arrival order, and hold no connection while they wait;
        # busy_timeout still covers other processes on the same file.
        self._writer = asyncio.Lock() if self.dialect == "sqlite" else None
        self._writer_task: asyncio.Task[object] | None = None

    @classmethod
    def of(cls, settings: ServiceSettings) -> Database:
        """The service's database as its settings configure it."""
        return cls(settings.database_url, pool_size=settings.db_pool_size)

    def on_commit(self, callback: Callable[[AsyncSession], None]) -> None:
        """Called after each committed transaction (e.g. to wake the relay)."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        if self._writer is None:
            async with self._transaction() as session:
                yield session
            return
        task = asyncio.current_task()
        if task is not None and task is self._writer_task:
            # It would wait for itself: SQLite's write lock is already its own.
            raise RuntimeError("a SQLite write transaction opened inside another one")
        async with self._writer:
            self._writer_task = task
            try:
                async with self._transaction() as session:
                    yield session
            finally:
                self._writer_task = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        if self._sqlite_writes is not None:
            async with self._sqlite_writes.transaction() as sync_session:
                yield sync_session  # type: ignore[misc]
            for callback in self._after_commit:
                callback(sync_session)  # type: ignore[arg-type]
            return
        async with self._sessions() as session:
            async with session.begin():
                yield session
            for callback in self._after_commit:
                callback(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads (a page, a record). On SQLite it starts
        with a deferred BEGIN: in WAL mode readers neither wait for the one
        writer nor for each other, where `transaction()`'s BEGIN IMMEDIATE
        queues every call behind the write lock. A write attempted inside fails
        at once (query_only) instead of silently taking the lock late.

        On SQLite the statements run synchronously on the calling thread (see
        portal_runtime.read_session): keep such reads bounded (a page, a
        record); a long export streams through `transaction()` or its own
        chunks."""
        if self._sqlite_reads is not None:
            with self._sqlite_reads.transaction() as sync_session:
                yield sync_session  # type: ignore[misc]
            return
        if self._pg_reads is not None:
            async with self._pg_reads() as session:
                session.info[READ_ONLY] = True
                yield session
            return
        async with self._sessions() as session, session.begin():
            yield session

    async def migrate(self, script_location: Path) -> None:
        from portal_runtime.migrations import upgrade_head

        async with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                # Replicas starting together must not run the same migration
                # twice: the first takes the lock, the others wait, then find
                # the schema at head.
                await conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
            try:
                await conn.run_sync(upgrade_head, script_location)
                await conn.commit()
            finally:
                if self.dialect == "postgresql":
                    await conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
                    await conn.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sqlite_reads is not None:
            self._sqlite_reads.dispose()
        if self._sqlite_writes is not None:
            self._sqlite_writes.dispose()


# A pooled server connection unused for longer than this is pinged before use.
IDLE_PING_SECONDS = 5.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    # pool_pre_ping pings on every checkout: one more round trip and ~25 % more
    # Python work per transaction. A connection in constant use proves itself
    # alive; one that sat idle (when a restart or failover could have cut it)
    # is pinged, and a dead one is replaced before the transaction starts
    # (DisconnectionError makes the pool retry with a fresh connection).
    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or just used
        try:
            engine.sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection lost: {exc}") from exc


def _refuse_writes(engine: AsyncEngine) -> None:
    # Autocommit would make each write of a read() final at once; like SQLite's
    # query_only connections, refuse it instead (this engine's events only).
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(_conn, _cursor, statement, _params, context, _many) -> None:  # type: ignore[no-untyped-def]
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            raise ReadOnlyViolation(f"a write inside Database.read(): {statement[:80]}")


class ReadOnlyViolation(RuntimeError):
    """A statement that writes, run inside `Database.read()` on PostgreSQL."""


def _serialize_sqlite_writers(engine: AsyncEngine) -> None:
    # SQLite allows one writer; a deferred transaction that later wants to write
    # fails at once with SQLITE_BUSY instead of waiting. BEGIN IMMEDIATE takes
    # the write lock up front, so the busy timeout applies and callers queue.
    # Only migrations and in-memory databases write through this engine: a file's
    # transactions use portal_runtime.sqlite_writes, its reads read_session.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        prepare_writer(dbapi_connection, busy_timeout_ms=30000)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
