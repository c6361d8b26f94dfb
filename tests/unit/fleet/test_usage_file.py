"""The operators' usage file: every bad line named, or the figures."""

from __future__ import annotations

import pytest

from portal_runtime.errors import InvalidArgument
from services.fleet.domain import usage_file
from services.fleet.domain.usage_file import (
    UsageLine,
    parse_euros_cents,
    parse_usage_file,
    usage_of_lines,
)
from services.fleet.numbers import parse_number

HEADER = ["Number", "Month", "Voice minutes", "SMS", "Data MB", "Out of bundle"]


def usage_csv(rows: list[list[str]], *, header: list[str] = HEADER, separator: str = ";") -> bytes:
    text = "\r\n".join(separator.join(row) for row in [header, *rows]) + "\r\n"
    return b"\xef\xbb\xbf" + text.encode()


def _problems(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


def test_a_good_file_gives_its_figures() -> None:
    data = usage_csv(
        [
            ["0470 12 34 56", "2026-02", "120", "35", "2048", "12,50"],
            ["+32 471 00 00 01", "01/2026", "1 250", "0", "0", "0"],
        ]
    )
    assert parse_usage_file(data, parse_number) == [
        UsageLine(2, "+32470123456", "2026-02", 120, 35, 2048, 1250),
        UsageLine(3, "+32471000001", "2026-01", 1250, 0, 0, 0),
    ]


def test_commas_french_headers_cp1252_and_blank_lines() -> None:
    header = "Numéro,Mois,Minutes d'appel,SMS,Données (Mo),Hors forfait (€)"
    text = header + '\n\n0470123456,2026-02,10,2,300,"7,05"\n , , \n'
    (line,) = parse_usage_file(text.encode("cp1252"), parse_number)
    assert (line.line_number, line.number, line.out_of_bundle_cents) == (3, "+32470123456", 705)
    assert (line.voice_minutes, line.sms, line.data_mb) == (10, 2, 300)


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("12,50", 1250), ("12.50", 1250), ("12.5", 1250), ("12", 1200), ("0,01", 1),
     ("1 234,56 €", 123456), ("0", 0)],
)  # fmt: skip
def test_euros_are_exact_cents(raw: str, cents: int) -> None:
    assert parse_euros_cents(raw) == (cents, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("12,505", "must have at most 2 decimals"),
        ("1.250", "must have at most 2 decimals"),
        ("-3,00", "must not be negative"),
        ("12,50 USD", "must be an amount in euros (e.g. 12,50)"),
        ("1e3", "must be an amount in euros (e.g. 12,50)"),
        ("", "is required"),
        ("100000000,01", "must be at most 100 000 000,00 €"),
    ],
)
def test_bad_amounts_say_why(raw: str, problem: str) -> None:
    assert parse_euros_cents(raw) == (None, problem)


def test_every_bad_line_is_named() -> None:
    data = usage_csv(
        [
            ["0470 12 34 56", "2026-02", "120", "35", "2048", "12,50"],
            ["12", "2026-13", "-5", "many", "1.5", "12,505"],
            ["0471 00 00 01", "02-2026", "10", "", "0", "-1"],
            ["+32470123456", "02/2026", "1", "1", "1", "1"],  # line 2's number and month
            ["0470 12 34 56", "2026-01", "1", "1", "1", "1"],  # another month: fine
            ["0472 00 00 02", "2026-02", "10000001", "0", "100000001", "0"],
        ]
    )
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(data, parse_number)
    assert error.value.reason == "USAGE_FILE_INVALID"
    assert _problems(error) == {
        "line 3: number": "must be a valid phone number",
        "line 3: month": "must be a month YYYY-MM (or MM/YYYY)",
        "line 3: voiceMinutes": "must not be negative",
        "line 3: sms": "must be a whole number (e.g. 120)",
        "line 3: dataMb": "must be a whole number (e.g. 120)",
        "line 3: outOfBundle": "must have at most 2 decimals",
        "line 4: month": "must be a month YYYY-MM (or MM/YYYY)",
        "line 4: sms": "is required",
        "line 4: outOfBundle": "must not be negative",
        "line 5: number": "2026-02 of this number is already on line 2",
        "line 7: voiceMinutes": "must be at most 10000000",
        "line 7: dataMb": "must be at most 100000000",
    }


def test_months_after_this_one_are_refused() -> None:
    data = usage_csv([["0470123456", "2026-04", "1", "1", "1", "1"]])
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(data, parse_number, this_month="2026-03")
    assert _problems(error) == {"line 2: month": "must not be in the future"}
    assert parse_usage_file(data, parse_number, this_month="2026-04")[0].month == "2026-04"


def test_missing_columns_are_named() -> None:
    data = b"Number;Month;SMS\n0470123456;2026-02;1\n"
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(data, parse_number)
    assert [v.description for v in error.value.violations] == [
        "needs a 'voiceMinutes' column",
        "needs a 'dataMb' column",
        "needs a 'outOfBundle' column",
    ]


@pytest.mark.parametrize("data", [b"", b" \r\n", usage_csv([]), usage_csv([[";;;;;"]])])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(data, parse_number)
    assert list(_problems(error)) == ["file"]
    assert error.value.reason == "USAGE_FILE_EMPTY"


def test_a_file_over_the_limits_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usage_file, "MAX_LINES", 2)
    rows = [[f"047000000{n}", "2026-02", "1", "1", "1", "1"] for n in range(3)]
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(usage_csv(rows), parse_number)
    assert _problems(error) == {"file": "has more than 2 lines: split it"}
    assert parse_usage_file(usage_csv(rows[:2]), parse_number)
    monkeypatch.setattr(usage_file, "MAX_BYTES", 10)
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(usage_csv(rows[:1]), parse_number)
    assert error.value.reason == "USAGE_FILE_TOO_LARGE"


def test_an_unreadable_row_is_named_not_a_crash() -> None:
    data = usage_csv([["0470123456", "2026-02", "1", "1", "1", '"' + "x" * 200_000]])
    with pytest.raises(InvalidArgument) as error:
        parse_usage_file(data, parse_number)
    assert list(_problems(error)) == ["line 2"]


def test_numbers_must_be_lines_of_the_fleet() -> None:
    lines = [
        UsageLine(2, "+32470123456", "2026-02", 1, 2, 3, 4),
        UsageLine(3, "+32471000001", "2026-02", 0, 0, 0, 0),
        UsageLine(5, "+32479999999", "2026-02", 0, 0, 0, 0),
    ]
    with pytest.raises(InvalidArgument) as error:
        usage_of_lines("ent-acme", lines, {"+32470123456": "line-1"})
    assert _problems(error) == {
        "line 3: number": "no such line in this account's fleet",
        "line 5: number": "no such line in this account's fleet",
    }
    known = {"+32470123456": "line-1", "+32471000001": "line-2", "+32479999999": "line-3"}
    usage = usage_of_lines("ent-acme", lines, known)
    assert [(u.line_id, u.entity_id, u.data_mb, u.out_of_bundle_cents) for u in usage] == [
        ("line-1", "ent-acme", 3, 4),
        ("line-2", "ent-acme", 0, 0),
        ("line-3", "ent-acme", 0, 0),
    ]
