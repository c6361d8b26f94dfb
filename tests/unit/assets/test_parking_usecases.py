"""Parking use cases on a real database: contracts put by operators and read by
their entity only, a month's exits imported whole or not at all, the month
closed once with its low-usage statements, the statement's PDF."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pypdf
import pytest
from sqlalchemy import func, select

from portal.assets.v1 import events_pb2
from portal_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from services.assets.domain.accounts import Account
from services.assets.domain.parking import ContractTerms, ContractType
from services.assets.store.parking_tables import parking_exits
from services.assets.usecases import parking
from tests.support.outbox import outbox_events

from .conftest import World

EXITS = (
    "Badge;Exit;Car park\r\n"
    "B-101;2026-02-02 08:00;Cardinet\r\n"
    "B-101;2026-02-03 08:00;Cardinet\r\n"
    "B-101;03/02/2026 18:30;Cardinet\r\n"
    "B-102;2026-02-10T07:45:00;Cardinet\r\n"
    "B-201;2026-02-11 09:00;Opéra\r\n"
    "B-301;2026-02-12 09:00;Cardinet\r\n"
)


def terms(entity_id: str = "ent-acme", **changes) -> ContractTerms:
    values = {
        "entity_id": entity_id,
        "car_park": "Cardinet",
        "type": ContractType.LOW_USAGE_RESIDENT,
        "start_date": "2026-01-01",
        "plates": ["AA-111-AA"],
        "badges": [],
        "monthly_price_cents": 6_000,
        "included_exits": 2,
        "extra_exit_price_cents": 300,
        "vat_rate_bp": 2000,
    }
    return ContractTerms(**(values | changes))


async def put_contracts(world: World) -> None:
    """acme: two low-usage contracts and a resident one; globex: a low-usage one."""
    put = parking.put_contract
    await put(world.deps, world.operator, "CT-LU-1", terms(badges=["b 101", "B-102"]))
    await put(world.deps, world.operator, "CT-LU-2", terms(badges=["B-103"], included_exits=5))
    await put(
        world.deps, world.operator, "CT-RES", terms(
            type=ContractType.RESIDENT, badges=["B-301"], included_exits=0,
            extra_exit_price_cents=0,
        ),
    )  # fmt: skip
    await put(
        world.deps, world.operator, "CT-GLX", terms("ent-globex", car_park="Opéra",
                                                     badges=["B-201"], included_exits=0),
    )  # fmt: skip


async def import_exits(world: World, text: str = EXITS, month: str = "2026-02"):
    return await parking.import_exits(world.deps, world.operator, text.encode(), month)


async def exits_stored(world: World) -> int:
    async with world.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(parking_exits)) or 0)


async def test_contracts_are_put_by_number_and_read_by_their_entity(world: World) -> None:
    await put_contracts(world)
    mine = await parking.list_contracts(world.deps, world.acme)
    assert [c.number for c in mine] == ["CT-LU-1", "CT-LU-2", "CT-RES"]
    first = mine[0]
    assert (first.plates, first.badges) == (("AA111AA",), ("B101", "B102"))
    assert (await parking.get_contract(world.deps, world.acme, first.id)).number == "CT-LU-1"
    with pytest.raises(NotFound):
        await parking.get_contract(world.deps, world.globex, first.id)

    # Putting the number again replaces the contract, same id.
    replaced = await parking.put_contract(
        world.deps, world.operator, "CT-LU-1", terms(plates=["ZZ-999-ZZ"], badges=["B-101"])
    )
    assert replaced.id == first.id
    assert (replaced.plates, replaced.badges) == (("ZZ999ZZ",), ("B101",))
    # B-102 was freed: another contract may take it.
    await parking.put_contract(world.deps, world.operator, "CT-LU-2", terms(badges=["B102"]))


async def test_a_badge_of_another_contract_is_refused_naming_it(world: World) -> None:
    await put_contracts(world)
    with pytest.raises(InvalidArgument) as refused:
        await parking.put_contract(
            world.deps, world.operator, "CT-NEW", terms("ent-globex", badges=["B9", "b-201"])
        )
    assert refused.value.reason == "BADGE_ON_ANOTHER_CONTRACT"
    assert [(v.field, v.description) for v in refused.value.violations] == [
        ("contract.badges[1]", "B201 is on contract CT-GLX")
    ]
    assert [c.number for c in await parking.list_contracts(world.deps, world.globex)] == ["CT-GLX"]


async def test_only_operators_put_contracts_and_import(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await parking.put_contract(world.deps, world.acme, "CT-1", terms())
    with pytest.raises(PermissionDenied):
        await parking.import_exits(world.deps, world.acme, EXITS.encode(), "2026-02")


async def test_a_bad_file_writes_nothing_and_names_every_line(world: World) -> None:
    await put_contracts(world)
    bad = EXITS + "B-999;2026-02-13 08:00;Cardinet\r\nB-101;2026-03-01 08:00;Cardinet\r\n"
    with pytest.raises(InvalidArgument) as refused:
        await import_exits(world, bad)
    assert {v.field for v in refused.value.violations} == {"line 8: badge", "line 9: exit"}
    assert await exits_stored(world) == 0
    assert await parking.list_statements(world.deps, world.acme) == ([], "")
    assert await outbox_events(world.db, events_pb2, "ParkingMonthClosed") == []


async def test_month_is_required_and_not_in_the_future(world: World) -> None:
    for month, problem in (("", "is required"), ("2026-4", "must be a month YYYY-MM"),
                           ("2026-04", "must not be in the future")):  # fmt: skip
        with pytest.raises(InvalidArgument) as refused:
            await import_exits(world, month=month)
        assert refused.value.violations[0].field == "month"
        assert refused.value.violations[0].description == problem


async def test_closing_a_month_makes_the_low_usage_statements_once(world: World) -> None:
    await put_contracts(world)
    done = await import_exits(world)
    # acme: CT-LU-1 (4 exits, 2 included), CT-LU-2 (none); globex: CT-GLX (1, 0 included).
    assert (done.exits, done.statements, done.already_closed) == (6, 3, False)
    statements, _ = await parking.list_statements(world.deps, world.acme, "2026-02")
    assert [
        (s.contract_number, s.exits, s.included_exits, s.extra_exits, s.amount_excl_cents)
        for s in statements
    ] == [("CT-LU-1", 4, 2, 2, 600), ("CT-LU-2", 0, 5, 0, 0)]
    theirs, _ = await parking.list_statements(world.deps, world.globex)
    assert [(s.contract_number, s.extra_exits, s.amount_excl_cents) for s in theirs] == [
        ("CT-GLX", 1, 300)
    ]
    # One event per account, each with that account's statements only.
    closed = await outbox_events(world.db, events_pb2, "ParkingMonthClosed")
    assert sorted(event.entity_id for event in closed) == ["ent-acme", "ent-globex"]
    assert {event.month for event in closed} == {"2026-02"}
    assert sorted((line.contract_number, line.amount_excl_tax_cents, line.entity_id)
                  for event in closed for line in event.statements
                  if line.entity_id == event.entity_id) == [
        ("CT-GLX", 300, "ent-globex"), ("CT-LU-1", 600, "ent-acme"), ("CT-LU-2", 0, "ent-acme"),
    ]  # fmt: skip

    # The month closes once: the same file or another changes nothing.
    for text in (EXITS, "Badge;Exit;Car park\r\nB-103;2026-02-20 08:00;Cardinet\r\n"):
        again = await import_exits(world, text)
        assert (again.exits, again.statements, again.already_closed) == (0, 0, True)
    assert await exits_stored(world) == 6
    assert (await parking.list_statements(world.deps, world.acme))[0] == statements
    # Closed once: one event for each of the two accounts.
    assert len(await outbox_events(world.db, events_pb2, "ParkingMonthClosed")) == 2


async def test_two_imports_at_once_close_the_month_once(world: World) -> None:
    await put_contracts(world)
    results = await asyncio.gather(import_exits(world), import_exits(world))
    assert sorted(r.already_closed for r in results) == [False, True]
    assert await exits_stored(world) == 6
    # Closed once: one event for each of the two accounts.
    assert len(await outbox_events(world.db, events_pb2, "ParkingMonthClosed")) == 2


async def test_the_closed_month_row_stops_a_closing_that_missed_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports that both read "not closed" before either wrote: the unique
    row of the closed month lets only the first one close it."""
    await put_contracts(world)
    assert not (await import_exits(world)).already_closed

    real = world.deps.repo.parking.closed_month
    missed: list[str] = []

    async def missed_twice(s, month):
        # The early check and the one in the transaction both miss the closing.
        if len(missed) < 2:
            missed.append(month)
            return None
        return await real(s, month)

    monkeypatch.setattr(world.deps.repo.parking, "closed_month", missed_twice)
    late = await import_exits(world)
    assert len(missed) == 2
    assert (late.exits, late.statements, late.already_closed) == (0, 0, True)
    assert await exits_stored(world) == 6
    # Closed once: one event for each of the two accounts.
    assert len(await outbox_events(world.db, events_pb2, "ParkingMonthClosed")) == 2


async def test_contracts_started_after_the_month_get_no_statement(world: World) -> None:
    await put_contracts(world)
    await parking.put_contract(
        world.deps, world.operator, "CT-LU-LATE", terms(badges=["B-104"], start_date="2026-03-01")
    )
    await parking.put_contract(
        world.deps, world.operator, "CT-LU-LAST", terms(badges=["B-105"], start_date="2026-02-28")
    )
    await import_exits(world)
    statements, _ = await parking.list_statements(world.deps, world.acme)
    assert [s.contract_number for s in statements] == ["CT-LU-1", "CT-LU-2", "CT-LU-LAST"]


async def test_statements_list_newest_month_first_with_pages(world: World) -> None:
    await put_contracts(world)
    await import_exits(
        world, "Badge;Exit;Car park\r\nB-101;2026-01-05 08:00;Cardinet\r\n", "2026-01"
    )
    await import_exits(world)
    page, token = await parking.list_statements(world.deps, world.acme, page_size=3)
    assert [(s.month, s.contract_number) for s in page] == [
        ("2026-02", "CT-LU-1"), ("2026-02", "CT-LU-2"), ("2026-01", "CT-LU-1"),
    ]  # fmt: skip
    rest, last = await parking.list_statements(
        world.deps, world.acme, page_size=3, page_token=token
    )
    assert [(s.month, s.contract_number) for s in rest] == [("2026-01", "CT-LU-2")]
    assert last == ""
    with pytest.raises(InvalidArgument):
        await parking.list_statements(world.deps, world.acme, "02/2026")


async def test_statement_is_read_by_its_entity_only(world: World) -> None:
    await put_contracts(world)
    await import_exits(world)
    [statement, _] = (await parking.list_statements(world.deps, world.acme))[0]
    assert (await parking.get_statement(world.deps, world.acme, statement.id)) == statement
    with pytest.raises(NotFound):
        await parking.get_statement(world.deps, world.globex, statement.id)
    with pytest.raises(NotFound):
        await parking.statement_pdf(world.deps, world.globex, statement.id)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


async def test_statement_pdf_lists_the_exits_in_the_accounts_language(world: World) -> None:
    await put_contracts(world)
    await import_exits(world)
    [statement, _] = (await parking.list_statements(world.deps, world.acme))[0]
    french = _pdf_text(await parking.statement_pdf(world.deps, world.acme, statement.id))
    assert "Décompte petit rouleur" in french
    for expected in ("CT-LU-1", "Cardinet", "02/2026", "02/02/2026 08:00", "03/02/2026 18:30",
                     "10/02/2026 07:45", "6,00 €", "7,20 €"):  # fmt: skip
        assert expected in french
    async with world.db.transaction() as s:
        await world.deps.repo.accounts.save(
            s,
            Account("ent-acme", "Acme SA", "CLT013261", "en", ("1 rue de la Paix", "75008 Paris"),
                    datetime(2026, 3, 1, tzinfo=UTC)),
        )  # fmt: skip
    english = _pdf_text(await parking.statement_pdf(world.deps, world.acme, statement.id))
    for expected in ("Low-usage statement", "Acme SA", "CLT013261", "2026-02-03 18:30",
                     "€6.00", "€7.20"):  # fmt: skip
        assert expected in english
