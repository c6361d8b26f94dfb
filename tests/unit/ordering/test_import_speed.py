"""What makes a 100,000-line import fast keeps it right: the parser reports its
progress in one pass, the quick line count agrees with the csv module's, ids
made in bulk are uuid4s in order, the cycle collector comes back, and a
background import records its progress while it checks the file."""

from __future__ import annotations

import gc
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, text

from services.ordering.domain import order_file, values
from services.ordering.domain.order_file import count_order_lines, parse_order_file
from services.ordering.domain.values import email_problem
from services.ordering.store.bulk import insert_rows
from services.ordering.store.tables import beneficiaries
from services.ordering.usecases import imports
from services.ordering.usecases.common import collector_paused, sorted_ids

from .conftest import World
from .helpers import HEADER, file_row, point
from .helpers import order_file as make_file


def _csv_count(data: bytes) -> int:
    """The line count as the csv module reads the rows (the parser's way)."""
    text, _ = order_file.decode(data)
    separator = order_file.detect_separator(text.split("\n", 1)[0].rstrip("\r"))
    rows = order_file.read_rows(text, separator, order_file.Violations())
    return max(sum(1 for _, row in rows if "".join(row).strip()) - 1, 0)


def test_the_parser_reports_its_progress_every_so_many_lines() -> None:
    data = make_file([file_row(f"E-{n}") for n in range(10)])
    seen: list[int] = []
    parsed = parse_order_file(
        data, known_codes={"HQ"}, today=date(2026, 1, 1), progress=seen.append, progress_every=4
    )
    assert len(parsed.lines) == 10 and seen == [4, 8]


@pytest.mark.parametrize(
    "body",
    [
        "E-1;A;B;;;HQ;oui;10\n\nE-2;A;B;;;HQ;oui;10\n",  # a blank line
        "E-1;A;B;;;HQ;oui;10\r\n;;;;;;;\r\nE-2;A;B;;;HQ;oui;10",  # Excel's empty row, no last break
        "E-1;A;B;;;HQ;oui;10\rE-2;A;B;;;HQ;oui;10\r",  # old Mac line breaks
        "E-1;A;B;;;HQ;oui;10\n  ;\t; \nE-2;A;B;;;HQ;oui;10\n",  # blanks between separators
        'E-1;"A\nB";C;;;HQ;oui;10\nE-2;A;B;;;HQ;oui;10\n',  # a line break inside quotes
        "E-1;A\x0bB;C;;;HQ;oui;10\nE-2;A\x1cB;C;;;HQ;oui;10\n",  # not line breaks for csv
        "E-1;A;B;;;HQ;oui;10\u2028E-2;A;B;;;HQ;oui;10\n",  # not one either
    ],
)
def test_the_quick_count_agrees_with_the_csv_module(body: str) -> None:
    data = f"{HEADER}\n{body}".encode()
    assert count_order_lines(data) == _csv_count(data)


TRICKY_ADDRESSES = [
    "a@b.co", "a.b-c@x-y.example.org", "x@y.xn--p1ai", "a@b.xn--p1a-", "a" * 64 + "@b.co",
    "a" * 65 + "@b.co", "a@" + "b" * 63 + ".co", "a@" + "b" * 64 + ".co", "a..b@c.co",
    ".a@b.co", "a@-b.co", "a@b-.co", "a@b", "a@b.c", "a@b.c1", "a@@b.co", "a@b..co",
    "abc\n@x.co", "é@b.co", "a@b.co" + "m" * 250,
]  # fmt: skip


def test_the_quick_email_check_agrees_with_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = [email_problem(address) for address in TRICKY_ADDRESSES]
    monkeypatch.setattr(values, "_VALID", re.compile(r"(?!)"))  # the rules alone
    assert quick == [email_problem(address) for address in TRICKY_ADDRESSES]
    assert quick[:3] == [None, None, None] and quick[3] == "is not a valid e-mail address"


async def test_ids_made_in_bulk_are_distinct_uuid4s_in_order() -> None:
    ids = await sorted_ids(10_000)
    assert ids == sorted(ids) and len(set(ids)) == 10_000
    for made in [*ids[:100], (await sorted_ids(1))[0]]:
        parsed = uuid.UUID(made)
        assert (parsed.hex, parsed.version, parsed.variant) == (made, 4, uuid.RFC_4122)
    assert await sorted_ids(0) == []


def test_the_cycle_collector_comes_back_after_the_last_bulk_step() -> None:
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


async def test_a_background_import_records_its_progress_while_it_checks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.deps.sync_import_max_lines = 2
    world.deps.import_chunk_lines = 4
    await point(world)
    _, job = await imports.import_order(
        world.deps, world.acme, make_file([file_row(f"E-{n}") for n in range(10)])
    )
    real_parse = imports.parse

    def slow_parse(deps, data, codes, today, progress):
        def slowly(done: int) -> None:
            progress(done)
            time.sleep(0.3)  # time for the progress to be written

        return real_parse(deps, data, codes, today, slowly)

    recorded: list[int] = []
    save_progress = world.deps.repo.imports.save_progress

    async def spy(s, job):
        recorded.append(job.lines_done)
        await save_progress(s, job)

    monkeypatch.setattr(imports, "parse", slow_parse)
    monkeypatch.setattr(imports, "PROGRESS_SECONDS", 0.05)
    monkeypatch.setattr(world.deps.repo.imports, "save_progress", spy)
    await imports.process_import(world.deps, job.id)
    assert recorded == [4, 8]
    done = await imports.get_import(world.deps, world.acme, job.id)
    assert (done.state, done.lines_done) == ("SUCCEEDED", 10)


async def test_bulk_inserts_store_what_sqlalchemys_inserts_store(world: World) -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    rows = [
        {"id": f"{kind}-{n}", "entity_id": "ent", "employee_number": f"{kind}-{n}",
         "first_name": "Ada", "last_name": "Lovelace", "email": "", "birth_date": "",
         "hire_date": "", "default_delivery_point_id": "", "has_card": n % 2 == 0,
         "created_at": when, "updated_at": when, "deleted_at": None}
        for kind in ("bulk", "orm")
        for n, when in enumerate([summer, summer.astimezone(UTC), summer])
    ]  # fmt: skip
    async with world.db.transaction() as s:
        await insert_rows(s, beneficiaries, rows[:3])
        await s.execute(insert(beneficiaries), rows[3:])
    # Stored as SQLAlchemy stores them (datetimes as text, in their own zone).
    async with world.db.read() as s:
        stored = (await s.execute(text("SELECT * FROM beneficiaries ORDER BY id"))).mappings()
        by_kind: dict[str, list[dict]] = {"bulk": [], "orm": []}
        for row in stored:
            kind = row["id"].split("-")[0]
            by_kind[kind].append(
                {k: v for k, v in row.items() if k not in ("id", "employee_number")}
            )
    assert len(by_kind["bulk"]) == 3 and by_kind["bulk"] == by_kind["orm"]
    assert by_kind["bulk"][0]["created_at"] == "2026-07-01 12:00:00.000000"
    assert by_kind["bulk"][1]["created_at"] == "2026-07-01 10:00:00.000000"
