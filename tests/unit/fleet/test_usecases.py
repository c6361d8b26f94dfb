"""Operators import lines; customers list, search, filter and read theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_runtime.config import load_settings
from portal_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from services.fleet.__main__ import build_deps
from services.fleet.domain.lines import LineStatus
from services.fleet.usecases import lines

from .conftest import World
from .helpers import line_file, line_row

ROWS = [
    line_row("0470 12 34 56", 1, "Ada Lovelace", plan="Business M"),
    line_row("0471 00 00 01", 2, "Bob Martin", plan="Business L", status="SUSPENDED"),
    line_row("0472 99 88 77", 3, "Carla Diaz", customer="C-200", plan="Business M"),
]


async def _imported(world: World, rows: list[list[str]] = ROWS, entity: str = "ent-acme"):
    return await lines.import_lines(world.deps, world.operator, line_file(rows), entity)


async def _numbers(world: World, **criteria) -> list[str]:
    found = (await lines.list_lines(world.deps, world.acme, **criteria)).lines
    return [line.number.e164 for line in found]


async def test_import_then_search(world: World) -> None:
    result = await _imported(world)
    assert (result.lines, result.created, result.updated) == (3, 3, 0)
    assert await _numbers(world) == ["+32470123456", "+32471000001", "+32472998877"]
    for q in ("0470 12 34 56", "+32470123456", "0032470123456", "1234", "ada", "LOVELACE"):
        assert await _numbers(world, q=q) == ["+32470123456"], q
    assert await _numbers(world, q="C-200") == ["+32472998877"]
    sim = ROWS[1][1]
    assert await _numbers(world, q=sim[-8:]) == ["+32471000001"]
    assert await _numbers(world, status=LineStatus.SUSPENDED) == ["+32471000001"]
    assert await _numbers(world, plan="bus_m") == ["+32470123456", "+32472998877"]
    assert await _numbers(world, customer_number="C-200") == ["+32472998877"]
    assert await _numbers(world, q="nobody") == []


async def test_pages(world: World) -> None:
    await _imported(world)
    page = await lines.list_lines(world.deps, world.acme, page_size=2)
    first, token = page.lines, page.next_page_token
    assert len(first) == 2 and token
    page = await lines.list_lines(world.deps, world.acme, page_size=2, page_token=token)
    rest, token = page.lines, page.next_page_token
    assert len(rest) == 1 and token == ""


async def test_a_known_number_updates_its_line(world: World) -> None:
    await _imported(world)
    (before,) = (await lines.list_lines(world.deps, world.acme, q="0470123456")).lines
    again = [line_row("+32470123456", 9, "Ada King", status="terminated", options="")]
    result = await _imported(world, again)
    assert (result.created, result.updated) == (0, 1)
    after = await lines.get_line(world.deps, world.acme, before.id)
    assert (after.user_name, after.status, after.options) == ("Ada King", LineStatus.TERMINATED, ())
    assert after.iccid == again[0][1] and after.created_at == before.created_at


async def test_another_entity_does_not_see_the_lines(world: World) -> None:
    await _imported(world)
    found = (await lines.list_lines(world.deps, world.acme)).lines
    assert (await lines.list_lines(world.deps, world.globex)).lines == []
    with pytest.raises(NotFound):
        await lines.get_line(world.deps, world.globex, found[0].id)
    # The same number for another entity is another line.
    result = await _imported(world, ROWS[:1], entity="ent-globex")
    assert result.created == 1


async def test_a_bad_file_writes_nothing(world: World) -> None:
    with pytest.raises(InvalidArgument):
        await _imported(world, [ROWS[0], line_row("12", 5)])
    assert await _numbers(world) == []


async def test_only_operators_import(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await lines.import_lines(world.deps, world.acme, line_file(ROWS), "ent-acme")
    with pytest.raises(InvalidArgument):
        await lines.import_lines(world.deps, world.operator, line_file(ROWS), " ")


async def test_the_default_region_is_configurable(tmp_path: Path) -> None:
    settings = load_settings(
        "fleet", {"PORTAL_VAR_DIR": str(tmp_path), "PORTAL_FLEET_DEFAULT_REGION": "fr"}
    )
    deps = build_deps(settings, None)  # type: ignore[arg-type]  # no database needed
    number = deps.parse_number("06 12 34 56 78")
    assert number is not None and number.e164 == "+33612345678"
