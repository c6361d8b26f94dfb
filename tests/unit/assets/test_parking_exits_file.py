"""The exits file: its spellings (headers, separators, encodings, date
formats) and every bad line named, nothing kept then."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from portal_runtime.errors import InvalidArgument
from services.assets.domain.exits_file import (
    MAX_LINES,
    assign_exits,
    parse_exit_time,
    read_exits_file,
)
from services.assets.domain.parking import ContractTerms, ContractType, check_terms, new_contract

PARIS = ZoneInfo("Europe/Paris")
NOW_LOCAL = datetime(2026, 11, 2, 10, 0)


def contract(number: str, badges: list[str], car_park: str = "Cardinet", start: str = "2026-01-01"):
    terms = ContractTerms(
        entity_id="ent-acme", car_park=car_park, type=ContractType.LOW_USAGE_RESIDENT,
        start_date=start, plates=["AB123CD"], badges=badges, monthly_price_cents=9000,
        included_exits=10, extra_exit_price_cents=250, vat_rate_bp=2000,
    )  # fmt: skip
    return new_contract(f"id-{number}", number, check_terms(terms, number), datetime.now(UTC))


CARDINET = contract("CT-1", ["B1", "B2"])
OPERA = contract("CT-2", ["B3"], car_park="Opéra")
LATER = contract("CT-3", ["B4"], start="2026-11-01")
HOLDERS = {"B1": CARDINET, "B2": CARDINET, "B3": OPERA, "B4": LATER}


def read(text: str, month: str = "2026-10", encoding: str = "utf-8"):
    return read_exits_file(text.encode(encoding), month, NOW_LOCAL, PARIS)


def problems(text: str, month: str = "2026-10") -> dict[str, str]:
    with pytest.raises(InvalidArgument) as refused:
        assign_exits(read(text, month), HOLDERS)
    assert refused.value.reason == "EXITS_FILE_INVALID"
    return {v.field: v.description for v in refused.value.violations}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-10-03 08:15", datetime(2026, 10, 3, 8, 15)),
        ("2026-10-03T08:15:30", datetime(2026, 10, 3, 8, 15, 30)),
        ("2026-10-03T08:15:30.250", datetime(2026, 10, 3, 8, 15, 30)),
        # An offset is converted to the car park's time (Paris is UTC+2 in October).
        ("2026-10-03T06:15:00Z", datetime(2026, 10, 3, 8, 15)),
        ("2026-10-03T08:15:00+02:00", datetime(2026, 10, 3, 8, 15)),
        ("03/10/2026 08:15", datetime(2026, 10, 3, 8, 15)),
        ("3/10/2026 8:15:05", datetime(2026, 10, 3, 8, 15, 5)),
        ("2026-10-03", None),
        ("10/03/2026", None),
        ("31/02/2026 08:15", None),
        ("2026-13-03 08:15", None),
        ("yesterday", None),
    ],
)
def test_exit_times_in_the_three_spellings(raw: str, expected: datetime | None) -> None:
    assert parse_exit_time(raw, PARIS) == expected


def test_a_good_file_in_french_spelling() -> None:
    text = (
        "\ufeffNuméro de badge;Date de sortie;Parc\r\n"
        "b-1;03/10/2026 08:15;CARDINET\r\n"
        ";;\r\n"
        "B1;2026-10-04 18:00;cardinet\r\n"
        "B3;2026-10-05T07:00:00;Opera\r\n"
    )
    exits = assign_exits(read(text), HOLDERS)
    assert [(e.badge, e.exited_at, e.contract_id, e.car_park) for e in exits] == [
        ("B1", datetime(2026, 10, 3, 8, 15), "id-CT-1", "Cardinet"),
        ("B1", datetime(2026, 10, 4, 18, 0), "id-CT-1", "Cardinet"),
        ("B3", datetime(2026, 10, 5, 7, 0), "id-CT-2", "Opéra"),
    ]


def test_comma_separated_windows_1252_file() -> None:
    text = "Badge,Exit,Car park\r\nB3,2026-10-05 07:00,Opéra\r\n"
    exits = assign_exits(read(text, encoding="cp1252"), HOLDERS)
    assert [e.contract_id for e in exits] == ["id-CT-2"]


def test_every_bad_line_is_named() -> None:
    text = (
        "Badge;Exit;Car park\n"
        "B1;2026-10-03 08:15;Cardinet\n"  # 2: good
        "B9;2026-10-03 08:15;Cardinet\n"  # 3: unknown badge
        "B1;2026-09-30 23:59;Cardinet\n"  # 4: outside the month
        "B1;2026-10-03 08:15;Cardinet\n"  # 5: same as line 2
        "B3;2026-10-06 09:00;Cardinet\n"  # 6: not its contract's car park
        "B1;;\n"  # 7: no exit, no car park
        "B#;03/10/2026 25:00;Cardinet\n"  # 8: bad badge, bad time
        "B4;2026-10-07 10:00;Cardinet\n"  # 9: contract starts later
    )
    found = problems(text)
    assert set(found) == {
        "line 3: badge",
        "line 4: exit",
        "line 5: exit",
        "line 6: carPark",
        "line 7: exit",
        "line 7: carPark",
        "line 8: badge",
        "line 8: exit",
        "line 9: badge",
    }
    assert found["line 3: badge"] == "no contract has this badge"
    assert found["line 4: exit"] == "is not in 2026-10, the month of this file"
    assert found["line 5: exit"] == "this badge's exit at this time is on line 2"
    assert "CT-2 (Opéra)" in found["line 6: carPark"]
    assert "2026-11-01" in found["line 9: badge"]


def test_exits_after_now_are_refused() -> None:
    text = "Badge;Exit;Car park\nB1;2026-11-02 10:30;Cardinet\nB1;2026-11-02 09:30;Cardinet\n"
    assert problems(text, "2026-11") == {"line 2: exit": "must not be in the future"}


def test_missing_columns_are_named_at_once() -> None:
    with pytest.raises(InvalidArgument) as refused:
        read("Badge;When\nB1;2026-10-03 08:15\n")
    assert [(v.field, v.description) for v in refused.value.violations] == [
        ("line 1: header", "needs a 'exit' column"),
        ("line 1: header", "needs a 'carPark' column"),
    ]


@pytest.mark.parametrize("text", ["", "  \n", "Badge;Exit;Car park\n", "Badge;Exit;Car park\n;;\n"])
def test_a_file_without_lines_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        read(text)
    assert refused.value.reason == "EXITS_FILE_EMPTY"


def test_too_many_lines_are_refused() -> None:
    text = "Badge;Exit;Car park\n" + "B1;2026-10-03 08:15;Cardinet\n" * (MAX_LINES + 1)
    with pytest.raises(InvalidArgument) as refused:
        read(text)
    assert refused.value.reason == "EXITS_FILE_TOO_LARGE"


def test_a_row_the_csv_reader_cannot_read_is_named() -> None:
    # A cell over the csv module's 128 KiB limit.
    huge = "x" * 140_000
    text = f'Badge;Exit;Car park\nB1;2026-10-03 08:15;Cardinet\nB1;"{huge}";x\n'
    found = problems(text)
    assert list(found) == ["line 3"] and "cannot be read as CSV" in found["line 3"]
