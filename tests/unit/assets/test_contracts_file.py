"""The parking contracts file: each line under PutParkingContract's rules
(named `line <n>: <jsonName>`), euros read exactly to the cent, VAT rates as
percentages, numbers and badges once in the file; its import creates and
replaces contracts whole or writes nothing, badges on no other contract."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

import pytest

from portal_runtime.errors import InvalidArgument, PermissionDenied
from services.assets.domain.contracts_file import (
    VAT_PROBLEM,
    parse_contracts_file,
    parse_euros_cents,
    parse_vat_rate_bp,
    plan_contracts,
)
from services.assets.domain.parking import (
    BADGE_PROBLEM,
    PLATE_PROBLEM,
    ContractTerms,
    ContractType,
    check_terms,
    new_contract,
)
from services.assets.usecases import parking

from .conftest import World

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
HEADER = (
    "Number;Car park;Type;Start date;Plates;Badges;Monthly price;Included exits;"
    "Extra exit price;VAT rate"
)
LINES = [
    "CT-LU-1;Cardinet;LOW_USAGE_RESIDENT;2026-01-01;aa-111-aa | BB 222 BB;b-101|B102;"
    "59,90;10;2.5;20",
    "CT-RES;Cardinet;resident;01/02/2026;CC-333-CC;B-301;120;;;20",
    "CT-MOTO;Opéra;MOTORCYCLE;2026-02-15;;;35.50 €;;;5,5",
]


def contracts_file(lines: list[str], header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode()


def problems(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


def stored(number: str, entity_id: str = "ent-acme", badges: tuple[str, ...] = ()):
    terms = ContractTerms(
        entity_id=entity_id, car_park="Cardinet", type=ContractType.RESIDENT,
        start_date="2025-01-01", plates=["ZZ-999-ZZ"], badges=list(badges),
        monthly_price_cents=10_000, vat_rate_bp=2000,
    )  # fmt: skip
    return new_contract(f"id-{number}", number, check_terms(terms, number), NOW)


def _ids():
    numbers = count(1)
    return lambda: f"new-{next(numbers)}"


# ---- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("59,90", 5990), ("59.9", 5990), ("60", 6000), ("1 250,05 €", 125005), ("0,01", 1),
     ("0", 0), ("-3,00", -300)],
)  # fmt: skip
def test_euros_are_read_exactly_to_the_cent(raw: str, cents: int) -> None:
    assert parse_euros_cents(raw) == (cents, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("1.250", "must have at most 2 decimals"), ("12,345", "must have at most 2 decimals"),
     ("12 euros", "must be an amount in euros (e.g. 59,90)"),
     ("1,2,3", "must be an amount in euros (e.g. 59,90)"),
     ("", "must be an amount in euros (e.g. 59,90)")],
)  # fmt: skip
def test_amounts_that_are_not_euros_are_refused(raw: str, problem: str) -> None:
    assert parse_euros_cents(raw) == (None, problem)


@pytest.mark.parametrize(
    ("raw", "rate_bp"),
    [("20", 2000), ("20 %", 2000), ("5,5", 550), ("2.1", 210), ("10,00", 1000), ("0", 0)],
)
def test_vat_rates_are_percentages_in_basis_points(raw: str, rate_bp: int) -> None:
    assert parse_vat_rate_bp(raw) == (rate_bp, None)


@pytest.mark.parametrize("raw", ["19,6", "0.2", "2000", "5.555", "vingt", "-20"])
def test_a_vat_rate_that_cannot_be_invoiced_is_refused(raw: str) -> None:
    assert parse_vat_rate_bp(raw) == (None, VAT_PROBLEM)
    assert VAT_PROBLEM == "must be one of 0, 2.1, 5.5, 10, 20 (a percentage)"


# ---- the lines ------------------------------------------------------------------------------


def test_lines_become_checked_contract_terms() -> None:
    first, resident, moto = parse_contracts_file(contracts_file(LINES), "ent-acme")
    assert (first.line_number, first.number) == (2, "CT-LU-1")
    terms = first.terms
    assert terms.entity_id == "ent-acme" and terms.type is ContractType.LOW_USAGE_RESIDENT
    assert (terms.start_date, terms.plates, terms.badges) == (
        date(2026, 1, 1), ["AA111AA", "BB222BB"], ["B101", "B102"],
    )  # fmt: skip
    assert (terms.monthly_price_cents, terms.included_exits, terms.extra_exit_price_cents) == (
        5990, 10, 250,
    )  # fmt: skip
    assert terms.vat_rate_bp == 2000
    assert (resident.terms.type, resident.terms.start_date) == (
        ContractType.RESIDENT, date(2026, 2, 1),
    )  # fmt: skip
    assert (resident.terms.included_exits, resident.terms.extra_exit_price_cents) == (0, 0)
    assert (moto.terms.car_park, moto.terms.monthly_price_cents, moto.terms.vat_rate_bp) == (
        "Opéra", 3550, 550,
    )  # fmt: skip
    assert (moto.terms.plates, moto.terms.badges) == ([], [])


def test_french_headers_and_commas_are_read() -> None:
    text = (
        "Numéro de contrat,Parking,Type de contrat,Date de début,Plaques,Badges,"
        "Prix mensuel (EUR),TVA (%)\r\n"
        'CT-9,Cardinet,BUSINESS,2026-03-01,AA-111-AA,B-9,"89,00",20\r\n'
    )
    (line,) = parse_contracts_file(text.encode("cp1252"), "ent-acme")
    assert (line.number, line.terms.type, line.terms.monthly_price_cents) == (
        "CT-9", ContractType.BUSINESS, 8900,
    )  # fmt: skip


def test_every_bad_line_is_named_with_the_contract_rules() -> None:
    data = contracts_file(
        [
            *LINES,
            # line 5: the contract rules (check_terms) on a readable line
            "CT-5;;;;A;B-1|!!|b1;10;3;1;20",
            # line 6: cells that cannot be read
            "CT 6;Cardinet;VELO;31/02/2026;;;dix;x;;19,6",
            # line 7: a low-usage contract without its extra exit price
            "CT-7;Cardinet;LOW_USAGE_RESIDENT;2026-01-01;;;60;10;;20",
            # line 8: blank required amounts, a price with 3 decimals
            "CT-8;Cardinet;RESIDENT;2026-01-01;;;;;1,234;",
            # line 9: the same number again
            "CT-RES;Cardinet;RESIDENT;2026-01-01;;;120;;;20",
        ]
    )
    with pytest.raises(InvalidArgument) as refused:
        parse_contracts_file(data, "ent-acme")
    assert refused.value.reason == "CONTRACTS_FILE_INVALID"
    assert problems(refused) == {
        "line 5: carPark": "is required",
        "line 5: type": "is required (RESIDENT, LOW_USAGE_RESIDENT, BUSINESS or MOTORCYCLE)",
        "line 5: startDate": "is required: a date YYYY-MM-DD",
        "line 5: plates[0]": PLATE_PROBLEM,
        "line 5: badges[1]": BADGE_PROBLEM,
        "line 5: badges[2]": "B1 is listed twice",
        "line 6: number": "must be 1 to 40 letters, digits, dots, dashes or underscores",
        "line 6: type": "must be RESIDENT, LOW_USAGE_RESIDENT, BUSINESS or MOTORCYCLE",
        "line 6: startDate": "must be a date YYYY-MM-DD (or DD/MM/YYYY)",
        "line 6: monthlyPrice": "must be an amount in euros (e.g. 59,90)",
        "line 6: includedExits": "must be a whole number (e.g. 10)",
        "line 6: vatRate": VAT_PROBLEM,
        "line 7: extraExitPrice": "must be greater than 0 cents",
        "line 8: monthlyPrice": "is required (0 when free)",
        "line 8: extraExitPrice": "must have at most 2 decimals",
        "line 8: vatRate": "is required: a percentage (e.g. 20)",
        "line 9: number": "is already on line 3",
    }


def test_exits_are_only_for_low_usage_contracts() -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_contracts_file(
            contracts_file(["CT-1;Cardinet;RESIDENT;2026-01-01;;;100;4;2,50;20"]), "ent-acme"
        )
    assert problems(refused) == {
        "line 2: includedExits": "is only for LOW_USAGE_RESIDENT contracts",
        "line 2: extraExitPrice": "is only for LOW_USAGE_RESIDENT contracts",
    }


def test_a_badge_is_on_one_line_of_the_file() -> None:
    data = contracts_file([*LINES, "CT-4;Opéra;MOTORCYCLE;2026-02-15;;B9|b 102;35;;;20"])
    with pytest.raises(InvalidArgument) as refused:
        parse_contracts_file(data, "ent-acme")
    assert problems(refused) == {"line 5: badges[1]": "B102 is on contract CT-LU-1 (line 2)"}


def test_the_file_needs_its_columns_and_lines() -> None:
    with pytest.raises(InvalidArgument) as no_columns:
        parse_contracts_file(contracts_file(["CT-1;Cardinet"], header="Number;Car park"), "e")
    assert {v.description for v in no_columns.value.violations} == {
        f"needs a '{name}' column" for name in ("type", "startDate", "monthlyPrice", "vatRate")
    }
    with pytest.raises(InvalidArgument) as empty:
        parse_contracts_file(contracts_file(["", ";;"]), "e")
    assert empty.value.reason == "CONTRACTS_FILE_EMPTY"


# ---- against the stored contracts -----------------------------------------------------------


def test_known_numbers_are_replaced_and_new_ones_created() -> None:
    lines = parse_contracts_file(contracts_file(LINES), "ent-acme")
    resident = stored("CT-RES", badges=("B-301", "B-302"))
    plan = plan_contracts(lines, {"CT-RES": resident}, {}, _ids(), NOW)
    assert [(c.id, c.number) for c in plan.new_contracts] == [
        ("new-1", "CT-LU-1"), ("new-2", "CT-MOTO"),
    ]  # fmt: skip
    (replaced,) = plan.updated_contracts
    assert replaced is resident and replaced.id == "id-CT-RES"
    assert (replaced.plates, replaced.badges, replaced.monthly_price_cents) == (
        ("CC333CC",), ("B301",), 12_000,
    )  # fmt: skip


def test_another_customers_contract_number_is_refused() -> None:
    lines = parse_contracts_file(contracts_file(LINES), "ent-acme")
    theirs = stored("CT-RES", "ent-globex")
    with pytest.raises(InvalidArgument) as refused:
        plan_contracts(lines, {"CT-RES": theirs}, {}, _ids(), NOW)
    (line,) = [line for line in lines if line.number == "CT-RES"]
    assert problems(refused) == {
        f"line {line.line_number}: number": "contract CT-RES belongs to another customer account"
    }
    assert theirs.entity_id == "ent-globex"  # untouched


def test_a_badge_of_a_contract_the_file_keeps_is_refused_naming_it() -> None:
    lines = parse_contracts_file(contracts_file(LINES), "ent-acme")
    other = stored("CT-OTHER", "ent-globex", badges=("B102",))
    with pytest.raises(InvalidArgument) as refused:
        plan_contracts(lines, {}, {"B102": other}, _ids(), NOW)
    assert refused.value.reason == "CONTRACTS_FILE_INVALID"
    assert problems(refused) == {"line 2: badges[1]": "B102 is on contract CT-OTHER"}


def test_a_badge_may_move_between_contracts_the_file_replaces() -> None:
    # CT-RES held B101; the file gives it to CT-LU-1 and CT-RES another badge.
    lines = parse_contracts_file(contracts_file(LINES), "ent-acme")
    resident = stored("CT-RES", badges=("B101",))
    plan = plan_contracts(lines, {"CT-RES": resident}, {"B101": resident}, _ids(), NOW)
    assert {c.number: c.badges for c in (*plan.new_contracts, *plan.updated_contracts)} == {
        "CT-LU-1": ("B101", "B102"),
        "CT-MOTO": (),
        "CT-RES": ("B301",),
    }


# ---- the import -----------------------------------------------------------------------------


async def test_an_import_creates_and_replaces_the_entitys_contracts(world: World) -> None:
    done = await parking.import_contracts(
        world.deps, world.operator, contracts_file(LINES), "ent-acme"
    )
    assert (done.lines, done.created, done.updated) == (3, 3, 0)
    mine = {c.number: c for c in await parking.list_contracts(world.deps, world.acme)}
    assert sorted(mine) == ["CT-LU-1", "CT-MOTO", "CT-RES"]
    assert mine["CT-LU-1"].badges == ("B101", "B102")
    assert await parking.list_contracts(world.deps, world.globex) == []

    # Again: CT-RES replaced (same id), its badge given to CT-LU-1, B102 freed.
    world.clock.advance(days=1)
    again = await parking.import_contracts(
        world.deps,
        world.operator,
        contracts_file([
            "CT-LU-1;Cardinet;LOW_USAGE_RESIDENT;2026-01-01;AA111AA;B101|B301;59,90;10;2,50;20",
            "CT-RES;Cardinet;RESIDENT;2026-02-01;CC333CC;B-303;125,00;;;20",
        ]),
        "ent-acme",
    )  # fmt: skip
    assert (again.lines, again.created, again.updated) == (2, 0, 2)
    after = {c.number: c for c in await parking.list_contracts(world.deps, world.acme)}
    assert after["CT-RES"].id == mine["CT-RES"].id
    assert (after["CT-RES"].badges, after["CT-RES"].monthly_price_cents) == (("B303",), 12_500)
    assert after["CT-LU-1"].badges == ("B101", "B301")
    assert after["CT-MOTO"] == mine["CT-MOTO"]
    # B102, freed, may go to another contract.
    taken = await parking.put_contract(
        world.deps, world.operator, "CT-GLX",
        ContractTerms(entity_id="ent-globex", car_park="Opéra", type=ContractType.RESIDENT,
                      start_date="2026-01-01", plates=[], badges=["B102"],
                      monthly_price_cents=100, vat_rate_bp=2000),
    )  # fmt: skip
    assert taken.badges == ("B102",)


async def test_a_badge_of_another_contract_refuses_the_file_and_writes_nothing(
    world: World,
) -> None:
    await parking.put_contract(
        world.deps, world.operator, "CT-GLX",
        ContractTerms(entity_id="ent-globex", car_park="Opéra", type=ContractType.RESIDENT,
                      start_date="2026-01-01", plates=[], badges=["B-301"],
                      monthly_price_cents=100, vat_rate_bp=2000),
    )  # fmt: skip
    with pytest.raises(InvalidArgument) as refused:
        await parking.import_contracts(
            world.deps, world.operator, contracts_file(LINES), "ent-acme"
        )
    assert problems(refused) == {"line 3: badges[0]": "B301 is on contract CT-GLX"}
    assert await parking.list_contracts(world.deps, world.acme) == []


async def test_only_operators_import_contracts_for_a_named_entity(world: World) -> None:
    data = contracts_file(LINES)
    with pytest.raises(PermissionDenied):
        await parking.import_contracts(world.deps, world.acme, data, "ent-acme")
    with pytest.raises(InvalidArgument) as no_entity:
        await parking.import_contracts(world.deps, world.operator, data, " ")
    assert problems(no_entity) == {"entityId": "is required"}
    with pytest.raises(InvalidArgument) as no_file:
        await parking.import_contracts(world.deps, world.operator, b"", "ent-acme")
    assert problems(no_file) == {"file": "is required"}
