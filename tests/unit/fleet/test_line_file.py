"""The operators' line file: every bad line named, or the lines."""

from __future__ import annotations

import pytest

from portal_runtime.errors import InvalidArgument
from services.fleet.domain.line_file import parse_line_file
from services.fleet.domain.lines import LineStatus
from services.fleet.numbers import parse_number

from .helpers import line_file, line_row


def _problems(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


def test_a_good_file_gives_its_lines() -> None:
    data = line_file(
        [line_row("0470 12 34 56", 1), line_row("+32 471 00 00 01", 2, "Bob", status="prepaid")]
    )
    lines = parse_line_file(data, parse_number)
    assert [line.line_number for line in lines] == [2, 3]
    first = lines[0].fields
    assert first.number.e164 == "+32470123456"
    assert first.user_name == "Ada Lovelace" and first.customer_number == "C-100"
    assert first.options == ("ROAMING", "DATA 5GB")
    assert lines[1].fields.status is LineStatus.PREPAID


def test_commas_and_no_options_column() -> None:
    rows = [[cell for cell in line_row("0470123456", 1)[:7]]]
    header = "Number,ICCID,User name,Customer number,Product,Plan,Status"
    data = (header + "\n" + ",".join(rows[0]) + "\n\n").encode()
    (line,) = parse_line_file(data, parse_number)
    assert line.fields.options == ()


def test_every_bad_line_is_named() -> None:
    bad_sim = line_row("0470 12 34 57", 2)
    bad_sim[1] = bad_sim[1][:-1] + str((int(bad_sim[1][-1]) + 1) % 10)
    no_user = line_row("0470 12 34 58", 3, "")
    data = line_file(
        [
            line_row("0470 12 34 56", 1),
            line_row("12", 4, status="gone"),
            bad_sim,
            no_user,
            line_row("+32470123456", 5),  # the first line's number again
        ]
    )
    with pytest.raises(InvalidArgument) as error:
        parse_line_file(data, parse_number)
    assert _problems(error) == {
        "line 3: number": "must be a valid phone number",
        "line 3: status": "must be ACTIVE, SUSPENDED, PREPAID, PENDING_ACTIVATION or TERMINATED",
        "line 4: iccid": "must be a SIM ICCID: 19 or 20 digits ending with a valid check digit",
        "line 5: userName": "is required",
        "line 6: number": "is already on line 2",
    }


def test_a_missing_column_is_named() -> None:
    data = b"Number;ICCID\n0470123456;8932040000000000011\n"
    with pytest.raises(InvalidArgument) as error:
        parse_line_file(data, parse_number)
    assert "line 1: header" in _problems(error)


@pytest.mark.parametrize(
    "data", [b"", b"  \n", b"Number;ICCID;User name;Customer number;Product;Plan;Status\n"]
)
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidArgument) as error:
        parse_line_file(data, parse_number)
    assert "file" in _problems(error)


def test_french_headers_with_accents_are_read() -> None:
    header = "Numéro;ICCID;Utilisateur;Numéro client;Produit;Forfait;Statut\r\n"
    row = line_row("0470 12 34 56", 1)[:7]
    data = (header + ";".join(row) + "\r\n").encode()
    (line,) = parse_line_file(data, parse_number)
    assert line.fields.number.e164 == "+32470123456"
    assert line.fields.customer_number == "C-100"


def test_an_unreadable_row_is_named_not_crashed_on() -> None:
    huge = '"' + "x" * (200 * 1024) + '"'
    rows = [line_row("0470 12 34 56", 1), [huge, *line_row("0470 12 34 57", 2)[1:]]]
    with pytest.raises(InvalidArgument) as raised:
        parse_line_file(line_file(rows), parse_number)
    (violation,) = raised.value.violations
    assert violation.field == "line 3"
    assert violation.description.startswith("cannot be read as CSV")
