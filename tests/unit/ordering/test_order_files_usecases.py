"""The order file outside any import: the template in the account's language
(identity's AccountUpdated, newest snapshot wins) and the check that lists
every problem, creating nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, select

from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.errors import FieldViolation, InvalidArgument
from services.ordering import convert
from services.ordering.handlers import account_updated_handler
from services.ordering.store.tables import beneficiaries, orders
from services.ordering.usecases import imports, order_files

from .conftest import World
from .helpers import HEADER, file_row, order_file, point

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def _account_updated(world: World, language: str, at: datetime, entity: str = "ent-acme"):
    occurred = Timestamp()
    occurred.FromDatetime(at)
    event = identity_events.AccountUpdated(
        event_id=f"e-{language}-{at.timestamp()}",
        occurred_at=occurred,
        entity_id=entity,
        language=language,
    )
    async with world.db.transaction() as s:
        await account_updated_handler(world.deps)(s, event)


async def _header(world: World, language: str = "") -> str:
    data = await order_files.order_template(world.deps, world.acme, language)
    return data.decode("utf-8-sig").split("\r\n")[0]


async def test_the_template_is_french_until_the_account_says_otherwise(world: World) -> None:
    assert (await _header(world)).startswith("Matricule;Nom;")
    await _account_updated(world, "en", T0)
    assert (await _header(world)).startswith("Employee number;Last name;")
    # Another account's language is its own.
    other = await order_files.order_template(world.deps, world.globex, "")
    assert other.decode("utf-8-sig").startswith("Matricule")


async def test_the_newest_snapshot_wins_whatever_the_order_of_arrival(world: World) -> None:
    await _account_updated(world, "en", T0 + timedelta(hours=1))
    await _account_updated(world, "fr", T0)  # older, arrives late
    assert (await _header(world)).startswith("Employee number")
    await _account_updated(world, "fr", T0 + timedelta(hours=2))
    assert (await _header(world)).startswith("Matricule")


async def test_a_language_asked_for_overrides_the_account(world: World) -> None:
    await _account_updated(world, "en", T0)
    assert (await _header(world, "fr")).startswith("Matricule")
    assert (await _header(world, "EN")).startswith("Employee number")
    with pytest.raises(InvalidArgument) as caught:
        await _header(world, "es")
    assert caught.value.violations[0].field == "language"


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_template_imports_back_unchanged(world: World, language: str) -> None:
    await point(world, code="HQ")
    data = await order_files.order_template(world.deps, world.acme, language)
    assert await order_files.check_order_file(world.deps, world.acme, data) == []
    order, _ = await imports.import_order(world.deps, world.acme, data)
    assert [line.load_amount_cents for line in order.lines] == [5_000]


async def _count(world: World, table) -> int:
    async with world.db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def test_the_check_lists_every_problem_and_creates_nothing(world: World) -> None:
    await point(world)
    rows = [file_row(f"E-{i}").replace("@example.com", "@") for i in range(3_000)]
    problems = await order_files.check_order_file(world.deps, world.acme, order_file(rows))
    assert len(problems) == 3_000
    assert {p.field.split(": ")[1] for p in problems} == {"email"}
    assert await _count(world, beneficiaries) == 0 and await _count(world, orders) == 0
    table = list(
        csv.reader(io.StringIO(convert.problems_csv(problems).decode("utf-8-sig")), delimiter=";")
    )
    assert table[0] == ["line", "column", "problem"] and len(table) == 3_001
    assert table[1] == ["2", "email", "is not a valid e-mail address"]


async def test_the_check_of_a_good_file_is_empty_and_of_no_file_an_error(world: World) -> None:
    await point(world)
    good = order_file([file_row("E-1"), file_row("E-2")])
    assert await order_files.check_order_file(world.deps, world.acme, good) == []
    assert convert.problems_csv([]) == "\ufeffline;column;problem\r\n".encode()
    header_only = await order_files.check_order_file(
        world.deps, world.acme, (HEADER + "\n").encode()
    )
    assert [(p.field, p.description) for p in header_only] == [
        ("file", "has a header but no order line")
    ]
    with pytest.raises(InvalidArgument):
        await order_files.check_order_file(world.deps, world.acme, b"")


def test_problem_cells_that_look_like_formulas_are_neutralised() -> None:
    problem = FieldViolation("line 2: lastName", "=cmd|' /C calc'!A0")
    body = convert.problems_csv([problem]).decode("utf-8-sig")
    assert body.splitlines()[1] == "2;lastName;'=cmd|' /C calc'!A0"
