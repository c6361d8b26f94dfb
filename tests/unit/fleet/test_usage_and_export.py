"""Operators import usage, customers read it; customers export their lines."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from portal_runtime.db import new_id
from portal_runtime.errors import InvalidArgument, PermissionDenied
from services.fleet.domain.line_file import parse_line_file
from services.fleet.domain.lines import Line, LineStatus
from services.fleet.domain.usage import UsageFilter
from services.fleet.usecases import export, usage

from .conftest import World
from .helpers import line_file, line_row
from .test_usage_file import usage_csv

FORMULA = '=HYPERLINK("http://evil.example","Click")'
LINES = [
    line_row("0470 12 34 56", 1, "Ada Lovelace"),
    line_row("0471 00 00 01", 2, "Bob Martin", plan="Business L", status="SUSPENDED"),
    line_row("0472 99 88 77", 3, FORMULA, customer="C-200", options=""),
]
USAGE = [
    # number, month, voice minutes, SMS, data MB, out of bundle
    ["0470 12 34 56", "2026-02", "120", "10", "500", "0"],
    ["0471 00 00 01", "2026-02", "900", "0", "100", "2,50"],
    ["0472 99 88 77", "2026-02", "5", "0", "9000", "0"],
    ["0470 12 34 56", "2026-01", "30", "1", "50", "45,10"],
]


async def _with_lines(world: World, entity: str = "ent-acme") -> None:
    """The lines, written as an import would (without its catalogue checks,
    which are the line import's tests')."""
    now = world.deps.clock()
    file_lines = parse_line_file(line_file(LINES), world.deps.parse_number)
    new = [Line.new(new_id(), entity, line.fields, now) for line in file_lines]
    async with world.db.transaction() as s:
        await world.deps.repo.lines.add_all(s, new)


async def _import(world: World, rows: list[list[str]], entity: str = "ent-acme"):
    return await usage.import_usage(world.deps, world.operator, usage_csv(rows), entity)


async def _listed(world: World, principal=None, **criteria) -> list[tuple]:
    found, _ = await usage.list_usage(
        world.deps, principal or world.acme, UsageFilter(**criteria), page_size=100
    )
    return [
        (u.month, u.number, u.voice_minutes, u.sms, u.data_mb, u.out_of_bundle_cents) for u in found
    ]


async def test_import_then_list_newest_month_first(world: World) -> None:
    await _with_lines(world)
    result = await _import(world, USAGE)
    assert (result.lines, result.replaced) == (4, 0)
    assert await _listed(world) == [
        ("2026-02", "+32470123456", 120, 10, 500, 0),
        ("2026-02", "+32471000001", 900, 0, 100, 250),
        ("2026-02", "+32472998877", 5, 0, 9000, 0),
        ("2026-01", "+32470123456", 30, 1, 50, 4510),
    ]
    found, _ = await usage.list_usage(world.deps, world.acme, UsageFilter(month="2026-01"))
    (row,) = found
    assert (row.national_number, row.user_name, row.entity_id) == (
        "0470 12 34 56",
        "Ada Lovelace",
        "ent-acme",
    )
    assert await _listed(world, line_id=row.line_id) == [
        ("2026-02", "+32470123456", 120, 10, 500, 0),
        ("2026-01", "+32470123456", 30, 1, 50, 4510),
    ]


async def test_importing_a_month_again_replaces_its_figures(world: World) -> None:
    await _with_lines(world)
    await _import(world, USAGE)
    again = [
        ["+32470123456", "02/2026", "121", "11", "501", "1,00"],
        ["0472 99 88 77", "2025-12", "1", "1", "1", "0"],
    ]
    result = await _import(world, again)
    assert (result.lines, result.replaced) == (2, 1)
    assert await _listed(world, month="2026-02") == [
        ("2026-02", "+32470123456", 121, 11, 501, 100),
        ("2026-02", "+32471000001", 900, 0, 100, 250),
        ("2026-02", "+32472998877", 5, 0, 9000, 0),
    ]
    assert len(await _listed(world)) == 5


async def test_an_unknown_number_refuses_the_file(world: World) -> None:
    await _with_lines(world)
    rows = [USAGE[0], ["0499 99 99 99", "2026-02", "1", "1", "1", "1"], USAGE[1]]
    rows.append(["0498 00 00 00", "2026-02", "1", "1", "1", "1"])
    with pytest.raises(InvalidArgument) as error:
        await _import(world, rows)
    assert {v.field: v.description for v in error.value.violations} == {
        "line 3: number": "no such line in this account's fleet",
        "line 5: number": "no such line in this account's fleet",
    }
    assert await _listed(world) == []


async def test_a_threshold_reached_shows_the_line_month(world: World) -> None:
    await _with_lines(world)
    await _import(world, USAGE)

    async def numbers(**criteria) -> list[tuple[str, str]]:
        return [(month, number) for month, number, *_ in await _listed(world, **criteria)]

    assert await numbers(min_out_of_bundle_cents=250) == [
        ("2026-02", "+32471000001"),
        ("2026-01", "+32470123456"),
    ]
    assert await numbers(min_data_mb=9000) == [("2026-02", "+32472998877")]
    # Any threshold reached is enough.
    assert await numbers(min_data_mb=9000, min_voice_minutes=900, month="2026-02") == [
        ("2026-02", "+32471000001"),
        ("2026-02", "+32472998877"),
    ]
    assert await numbers(min_voice_minutes=901) == []


async def test_pages(world: World) -> None:
    await _with_lines(world)
    await _import(world, USAGE)
    first, token = await usage.list_usage(world.deps, world.acme, UsageFilter(), page_size=3)
    rest, last = await usage.list_usage(
        world.deps, world.acme, UsageFilter(), page_size=3, page_token=token
    )
    assert (len(first), len(rest), last) == (3, 1, "")
    assert rest[0].month == "2026-01"


async def test_another_entity_sees_nothing(world: World) -> None:
    await _with_lines(world)
    await _import(world, USAGE)
    assert await _listed(world, world.globex) == []
    # Its own line with the same number does not show acme's figures, and acme's
    # line ids name nothing in its fleet.
    await _with_lines(world, "ent-globex")
    assert await _listed(world, world.globex) == []
    found, _ = await usage.list_usage(world.deps, world.acme, UsageFilter())
    assert await _listed(world, world.globex, line_id=found[0].line_id) == []
    # A file for globex writes globex's figures only.
    await _import(world, USAGE[:1], entity="ent-globex")
    assert len(await _listed(world, world.globex)) == 1
    assert len(await _listed(world)) == 4


async def test_the_figures_go_to_the_entity_named(world: World) -> None:
    await _with_lines(world)
    with pytest.raises(InvalidArgument) as error:
        await _import(world, USAGE[:1], entity="ent-globex")
    assert [v.field for v in error.value.violations] == ["line 2: number"]


async def test_import_is_for_operators_with_an_entity_and_a_file(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await usage.import_usage(world.deps, world.acme, usage_csv(USAGE), "ent-acme")
    with pytest.raises(InvalidArgument) as error:
        await usage.import_usage(world.deps, world.operator, usage_csv(USAGE), " ")
    assert error.value.violations[0].field == "entityId"
    with pytest.raises(InvalidArgument) as error:
        await usage.import_usage(world.deps, world.operator, b"", "ent-acme")
    assert error.value.violations[0].field == "file"


async def test_bad_criteria_are_named(world: World) -> None:
    criteria = UsageFilter(
        month="2026-2", min_out_of_bundle_cents=-1, min_data_mb=-1, min_voice_minutes=-1
    )
    with pytest.raises(InvalidArgument) as error:
        await usage.list_usage(world.deps, world.acme, criteria)
    assert {v.field for v in error.value.violations} == {
        "month",
        "minOutOfBundleCents",
        "minDataMb",
        "minVoiceMinutes",
    }
    with pytest.raises(PermissionDenied):
        await usage.list_usage(world.deps, world.operator, UsageFilter())


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_csv_export_has_the_screens_columns(world: World) -> None:
    await _with_lines(world)
    file = await export.export_lines(world.deps, world.acme)
    assert file.content_type == "text/csv; charset=utf-8"
    header, ada, bob, formula = _csv_rows(file.data)
    assert header == [
        "Number",
        "International number",
        "SIM",
        "User",
        "Customer number",
        "Product",
        "Plan",
        "Status",
        "Options",
        "Updated",
    ]
    # A cell starting with `+` is one a spreadsheet reads as a formula: E.164
    # numbers are neutralised like any other such cell.
    assert ada == [
        "0470 12 34 56",
        "'+32470123456",
        LINES[0][1],
        "Ada Lovelace",
        "C-100",
        "Mobile",
        "Business M",
        "ACTIVE",
        "ROAMING, DATA 5GB",
        "2026-03-10T09:00:00+00:00",
    ]
    assert bob[7] == "SUSPENDED"
    assert formula[3] == "'" + FORMULA and formula[8] == ""


async def test_export_follows_the_list_criteria(world: World) -> None:
    await _with_lines(world)
    file = await export.export_lines(world.deps, world.acme, q="0471", file_format="CSV")
    assert [row[0] for row in _csv_rows(file.data)[1:]] == ["0471 00 00 01"]
    file = await export.export_lines(
        world.deps, world.acme, status=LineStatus.ACTIVE, plan="business m"
    )
    assert [row[0] for row in _csv_rows(file.data)[1:]] == ["0470 12 34 56", "0472 99 88 77"]
    file = await export.export_lines(world.deps, world.globex)
    assert len(_csv_rows(file.data)) == 1


async def test_xlsx_export_holds_text_cells_only(world: World) -> None:
    await _with_lines(world)
    file = await export.export_lines(world.deps, world.acme, file_format="xlsx")
    assert file.content_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(file.data))
    sheet = book.active
    # An empty cell reads back as None.
    values = [[v or "" for v in row] for row in sheet.iter_rows(values_only=True)]
    csv_file = await export.export_lines(world.deps, world.acme)
    assert values == _csv_rows(csv_file.data)
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    formula_cell = sheet.cell(row=4, column=4)
    assert formula_cell.value == "'" + FORMULA
    assert formula_cell.data_type == "s"
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)


async def test_an_unknown_format_is_refused(world: World) -> None:
    with pytest.raises(InvalidArgument) as error:
        await export.export_lines(world.deps, world.acme, file_format="pdf")
    assert error.value.violations[0].field == "format"
