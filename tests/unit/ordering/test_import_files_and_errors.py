"""A background import keeps its file only while it needs it, and a failed one
every problem: the first 1,000 shown with the total, all of them on demand."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text

from portal_runtime.migrations import alembic_config
from services.ordering import convert
from services.ordering.__main__ import MIGRATIONS, build_deps
from services.ordering.store.tables import metadata, order_imports, orders
from services.ordering.usecases import imports

from .conftest import World, make_settings
from .helpers import file_row, order_file, point


async def _file_kept(world: World, import_id: str) -> bool:
    async with world.db.transaction() as s:
        query = select(order_imports.c.file.is_not(None)).where(order_imports.c.id == import_id)
        return bool(await s.scalar(query))


async def _queued(world: World, rows: list[str]):
    world.deps.sync_import_max_lines = 2
    order, job = await imports.import_order(world.deps, world.acme, order_file(rows))
    assert order is None and job is not None
    return job


async def test_a_failed_import_shows_the_first_1000_problems_and_counts_them_all(
    world: World,
) -> None:
    await point(world)
    rows = [file_row(f"E-{i}").replace("@example.com", "@") for i in range(3_000)]
    job = await _queued(world, rows)
    await imports.process_import(world.deps, job.id)
    shown = await imports.get_import(world.deps, world.acme, job.id)
    assert (shown.state, len(shown.errors), shown.errors_total) == ("FAILED", 1_000, 3_000)
    assert shown.errors[0].field == "line 2: email"
    assert shown.errors[-1].field == "line 1001: email"
    message = convert.order_import(shown)
    assert (len(message.errors), message.errors_total) == (1_000, 3_000)
    every = await imports.get_import(world.deps, world.acme, job.id, errors_limit=None)
    assert len(every.errors) == 3_000 and every.errors[-1].field == "line 3001: email"
    assert not await _file_kept(world, job.id)


async def test_the_file_is_deleted_as_the_import_succeeds(world: World) -> None:
    await point(world)
    job = await _queued(world, [file_row(f"E-{i}") for i in range(5)])
    assert await _file_kept(world, job.id)
    await imports.process_import(world.deps, job.id)
    done = await imports.get_import(world.deps, world.acme, job.id)
    assert done.state == "SUCCEEDED" and done.errors_total == 0
    assert not await _file_kept(world, job.id)


async def test_a_running_import_keeps_its_file_and_resumes_from_it(world: World) -> None:
    await point(world)
    job = await _queued(world, [file_row(f"E-{i}") for i in range(5)])
    # The purge does not touch an import left RUNNING (e.g. by a crash).
    assert await imports.drop_expired_files(world.deps) == 0
    assert await _file_kept(world, job.id)
    assert await imports.process_pending_imports(world.deps) == 1
    done = await imports.get_import(world.deps, world.acme, job.id)
    assert done.state == "SUCCEEDED" and not await _file_kept(world, job.id)


async def test_with_a_retention_the_file_goes_once_it_is_over(world: World) -> None:
    world.deps.import_file_retention = timedelta(hours=2)
    await point(world)
    job = await _queued(world, [file_row(f"E-{i}") for i in range(5)])
    await imports.process_import(world.deps, job.id)
    assert await _file_kept(world, job.id)
    world.clock.advance(timedelta(hours=1, minutes=59))
    assert await imports.drop_expired_files(world.deps) == 0
    world.clock.advance(timedelta(minutes=1))
    assert await imports.drop_expired_files(world.deps) == 1
    assert not await _file_kept(world, job.id)
    async with world.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(orders)) == 1


def test_the_retention_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PORTAL_ORDERING_IMPORT_FILE_RETENTION_HOURS="36")
    assert build_deps(settings, None).import_file_retention == timedelta(hours=36)  # type: ignore[arg-type]
    assert build_deps(make_settings(tmp_path), None).import_file_retention == timedelta(0)  # type: ignore[arg-type]


def test_migration_0004_moves_the_problems_of_past_imports_to_rows(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/migrated.db")
    with engine.begin() as conn:
        command.upgrade(alembic_config(MIGRATIONS, conn), "0003")
        conn.execute(
            text(
                "INSERT INTO order_imports (id, entity_id, user_id, state, file, lines_total,"
                " lines_done, errors, order_id, created_at) VALUES ('j1', 'ent', '', 'FAILED',"
                " x'00', 2, 2, :errors, '', '2026-01-01 00:00:00')"
            ),
            {"errors": '[{"field": "line 2: email", "description": "bad"},'
                       ' {"field": "line 3", "description": "worse"}]'},
        )  # fmt: skip
        command.upgrade(alembic_config(MIGRATIONS, conn), "head")
        rows = conn.execute(
            text("SELECT position, field, description FROM order_import_errors ORDER BY position")
        ).all()
        assert [tuple(r) for r in rows] == [(0, "line 2: email", "bad"), (1, "line 3", "worse")]
        assert conn.execute(text("SELECT errors_total FROM order_imports")).scalar() == 2
        # The schema at head is what the tables say.
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
