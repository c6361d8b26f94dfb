"""Parking rules: plates and badges in one spelling, contract terms, the
low-usage statement's arithmetic, a month closed once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.assets.domain.parking import (
    ClosedMonth,
    ContractTerms,
    ContractType,
    Exit,
    ParkingContract,
    car_park_key,
    check_badges_free,
    check_number,
    check_terms,
    close_month,
    last_day_of,
    new_contract,
    normalise_badge,
    normalise_plate,
    statement_of,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def terms(**changes) -> ContractTerms:
    values = {
        "entity_id": "ent-acme",
        "car_park": "Cardinet",
        "type": ContractType.LOW_USAGE_RESIDENT,
        "start_date": "2026-01-01",
        "plates": ["ab-123-cd"],
        "badges": ["B 0001"],
        "monthly_price_cents": 9_000,
        "included_exits": 10,
        "extra_exit_price_cents": 250,
        "vat_rate_bp": 2000,
    }
    return ContractTerms(**(values | changes))


def contract(number: str = "15CTCARD125", **changes) -> ParkingContract:
    return new_contract(f"id-{number}", number, check_terms(terms(**changes), number), NOW)


def violations(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab-123-cd", "AB123CD"),
        (" AB 123 CD ", "AB123CD"),
        ("ab\u2011123\u00a0cd", "AB123CD"),  # non-breaking hyphen and space
        ("75 ABC 92", "75ABC92"),
        ("A1", "A1"),
        ("A", None),
        ("AB-123-CD-1234567", None),  # 15 characters
        ("AB_123", None),
        ("", None),
    ],
)
def test_plates_are_compared_in_one_spelling(raw: str, expected: str | None) -> None:
    assert normalise_plate(raw) == expected


def test_badges_are_normalised_like_plates_up_to_32_characters() -> None:
    assert normalise_badge("b 0001-42") == "B000142"
    assert normalise_badge("7") == "7"
    assert normalise_badge("X" * 33) is None
    assert normalise_badge("B#1") is None


def test_car_parks_compare_case_accents_and_spacing_aside() -> None:
    assert car_park_key("  Saint-Lazare   Gare ") == car_park_key("SAINT-LAZARE gare")
    assert car_park_key("Opéra") == car_park_key("OPERA")
    assert car_park_key("Opéra") != car_park_key("Cardinet")


def test_terms_are_normalised() -> None:
    checked = check_terms(terms(plates=["ab-123-cd", "EF 456 GH"], badges=["b-01"]), "N1")
    assert checked.plates == ["AB123CD", "EF456GH"]
    assert checked.badges == ["B01"]
    assert checked.start_date == date(2026, 1, 1)


def test_every_bad_term_is_named() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_terms(
            terms(
                entity_id=" ",
                car_park="",
                start_date="2026-02-30",
                plates=["AB-123-CD", "ab 123 cd", "?"],
                badges=["B1", ""],
                included_exits=-1,
                extra_exit_price_cents=0,
                vat_rate_bp=1900,
                monthly_price_currency="USD",
            ),
            "N1",
        )
    found = violations(refused)
    assert set(found) == {
        "contract.entityId",
        "contract.carPark",
        "contract.startDate",
        "contract.plates[1]",
        "contract.plates[2]",
        "contract.badges[1]",
        "contract.monthlyPrice.currency",
        "contract.includedExits",
        "contract.extraExitPrice",
        "contract.vatRateBp",
    }
    assert found["contract.plates[1]"] == "AB123CD is listed twice"
    assert "licence plate" in found["contract.plates[2]"]
    assert "badge number" in found["contract.badges[1]"]
    assert found["contract.extraExitPrice"] == "must be greater than 0 cents"
    assert "2000" in found["contract.vatRateBp"]


def test_exit_terms_are_only_for_low_usage_contracts() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_terms(terms(type=ContractType.RESIDENT), "N1")
    assert set(violations(refused)) == {"contract.includedExits", "contract.extraExitPrice"}
    resident = check_terms(
        terms(type=ContractType.RESIDENT, included_exits=0, extra_exit_price_cents=0), "N1"
    )
    assert resident.type is ContractType.RESIDENT


def test_type_is_required_and_body_number_must_match_the_path() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_terms(terms(type=None, number="OTHER"), "N1")
    assert set(violations(refused)) == {"contract.type", "contract.number"}
    assert check_terms(terms(number="N1"), "N1").number == "N1"


def test_contract_number_is_checked() -> None:
    assert check_number(" 15CTCARD125 ") == "15CTCARD125"
    for bad in ("", "15 CT", "x" * 41, "-15", "15/CT"):
        with pytest.raises(InvalidArgument):
            check_number(bad)


def test_a_badge_on_another_contract_is_refused_naming_it() -> None:
    other = contract("15CTCARD126", badges=["B7"])
    with pytest.raises(InvalidArgument) as refused:
        check_badges_free(["B1", "B7"], {"B7": other}, "15CTCARD125")
    assert refused.value.reason == "BADGE_ON_ANOTHER_CONTRACT"
    assert violations(refused) == {"contract.badges[1]": "B7 is on contract 15CTCARD126"}
    # The contract's own badge, put again, is no conflict.
    check_badges_free(["B7"], {"B7": other}, "15CTCARD126")


@pytest.mark.parametrize(
    ("exits", "included", "extra", "amount"),
    [(0, 10, 0, 0), (7, 10, 0, 0), (10, 10, 0, 0), (11, 10, 1, 250), (23, 10, 13, 3250),
     (5, 0, 5, 1250)],
)  # fmt: skip
def test_statement_bills_each_exit_beyond_the_included_ones(
    exits: int, included: int, extra: int, amount: int
) -> None:
    statement = statement_of(contract(included_exits=included), "2026-10", exits, "st-1", NOW)
    assert (statement.exits, statement.included_exits) == (exits, included)
    assert statement.extra_exits == extra
    assert statement.amount_excl_cents == amount
    assert (statement.extra_exit_price_cents, statement.vat_rate_bp) == (250, 2000)


def test_last_day_of_month() -> None:
    assert last_day_of("2026-02") == date(2026, 2, 28)
    assert last_day_of("2028-02") == date(2028, 2, 29)
    assert last_day_of("2026-12") == date(2026, 12, 31)


def _exit(found: ParkingContract, day: int) -> Exit:
    return Exit(
        badge=found.badges[0],
        exited_at=datetime(2026, 10, day, 8, 15),
        car_park=found.car_park,
        contract_id=found.id,
        entity_id=found.entity_id,
    )


def test_closing_a_month_gives_each_active_low_usage_contract_its_statement() -> None:
    busy = contract("A-BUSY", badges=["B1"], included_exits=1)
    idle = contract("B-IDLE", badges=["B2"])
    resident = contract(
        "C-RES", type=ContractType.RESIDENT, badges=["B3"], included_exits=0,
        extra_exit_price_cents=0,
    )  # fmt: skip
    later = contract("D-LATER", badges=["B4"], start_date="2026-11-01")
    last_day = contract("E-LASTDAY", badges=["B5"], start_date="2026-10-31")
    exits = [_exit(busy, 1), _exit(busy, 2), _exit(busy, 3), _exit(resident, 4)]
    ids = count(1)
    closing = close_month(
        "2026-10",
        None,
        exits,
        [later, resident, idle, busy, last_day],
        NOW,
        lambda: f"s{next(ids)}",
    )
    assert closing is not None
    assert closing.closed == ClosedMonth("2026-10", NOW, exits=4, statements=3)
    assert len(closing.exits) == 4
    by_number = {st.contract_number: st for st in closing.statements}
    assert set(by_number) == {"A-BUSY", "B-IDLE", "E-LASTDAY"}
    assert (by_number["A-BUSY"].exits, by_number["A-BUSY"].extra_exits) == (3, 2)
    assert by_number["A-BUSY"].amount_excl_cents == 500
    assert (by_number["B-IDLE"].exits, by_number["B-IDLE"].amount_excl_cents) == (0, 0)


def test_a_month_closes_once() -> None:
    closed = ClosedMonth("2026-10", NOW, exits=4, statements=3)
    busy = contract("A-BUSY")
    assert close_month("2026-10", closed, [_exit(busy, 1)], [busy], NOW, lambda: "x") is None


def test_plate_replaced_where_it_stood() -> None:
    found = contract(plates=["AA111AA", "BB222BB"])
    found.replace_plate("AA111AA", "CC333CC", NOW)
    assert found.plates == ("CC333CC", "BB222BB")
    with pytest.raises(FailedPrecondition) as refused:
        found.replace_plate("AA111AA", "DD444DD", NOW)
    assert refused.value.reason == "PLATE_NOT_ON_CONTRACT"
    assert "AA111AA" in refused.value.message
