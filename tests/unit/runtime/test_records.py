"""Rows read as named tuples (portal_runtime.records): the same `row.name`
reads as SQLAlchemy's Row, for pages and exports."""

from __future__ import annotations

import asyncio

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from portal_runtime.read_session import RowStream
from portal_runtime.records import records, stream_records

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
)


def _engine():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(people), [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bob"}])
    return engine


def test_records_read_like_rows() -> None:
    with _engine().connect() as conn:
        rows = conn.execute(select(people).order_by(people.c.id)).all()
        found = records(conn.execute(select(people).order_by(people.c.id)))
    assert [(r.id, r.name) for r in found] == [(row.id, row.name) for row in rows]
    assert [r._asdict() for r in found] == [row._asdict() for row in rows]
    assert found[0] == (1, "Ada")


def test_labels_that_are_not_names_still_read_by_position() -> None:
    with _engine().connect() as conn:
        found = records(
            conn.execute(
                select(
                    people.c.name, people.c.name.label("not a name"), people.c.id.label("id")
                ).where(people.c.id == 2)
            )
        )
    assert found == [("Bob", "Bob", 2)]
    assert found[0].name == "Bob" and found[0].id == 2


def test_a_stream_gives_records_as_they_come() -> None:
    async def read() -> list[tuple[int, str]]:
        with _engine().connect() as conn:
            stream = RowStream(conn.execute(select(people).order_by(people.c.id)), yield_every=1)
            return [(r.id, r.name) async for r in stream_records(stream)]

    assert asyncio.run(read()) == [(1, "Ada"), (2, "Bob")]
