"""What a cell of the order file may hold: RFC 4180 quoting, the empty cells
spreadsheets add after the last column, no control characters; and the full
list of a file's problems (`file_problems`, `problem_row`)."""

from __future__ import annotations

from datetime import date

import pytest

from portal_runtime.errors import FieldViolation, InvalidArgument
from services.ordering.domain.file_problems import problem_row
from services.ordering.domain.order_file import (
    CONTROL_CHARACTERS,
    count_order_lines,
    file_problems,
    parse_order_file,
)

TODAY = date(2026, 11, 23)
HEADER = (
    "Employee number;Last name;First name;Email;Birth date;Delivery point code;New card;Load amount"
)
ROW = "E1;Dupont;Élodie;elodie@example.com;1990-05-17;HQ;oui;50,00"


def _data(*lines: str, sep: str = ";") -> bytes:
    return ("\r\n".join(line.replace(";", sep) for line in lines) + "\r\n").encode()


def _parse(data: bytes):
    return parse_order_file(data, known_codes={"HQ"}, today=TODAY)


def _errors(data: bytes) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        _parse(data)
    return {v.field: v.description for v in caught.value.violations}


def test_a_quoted_decimal_comma_in_a_comma_separated_file_is_an_amount() -> None:
    data = _data(HEADER, 'E1,Dupont,Élodie,,,HQ,oui,"50,00"', 'E2,Martin,Paul,,,HQ,non,"1 000,5"')
    parsed = parse_order_file(data.replace(b";", b","), known_codes={"HQ"}, today=TODAY)
    assert parsed.separator == ","
    assert [line.load_amount_cents for line in parsed.lines] == [5_000, 100_050]


def test_a_quoted_separator_is_data_in_any_column() -> None:
    parsed = _parse(_data(HEADER, 'E1;"Dupont; Martin";"Élodie";;;HQ;"oui";"50,00"'))
    assert (parsed.lines[0].last_name, parsed.lines[0].load_amount_cents) == (
        "Dupont; Martin",
        5_000,
    )


def test_quoted_header_cells_are_read() -> None:
    header = ";".join(f'"{cell}"' for cell in HEADER.split(";"))
    assert len(_parse(_data(header, ROW)).lines) == 1


@pytest.mark.parametrize("sep", [";", ","])
def test_a_trailing_separator_on_every_line_is_accepted(sep: str) -> None:
    row = ROW.replace("50,00", "50") if sep == "," else ROW
    data = _data(HEADER + ";", row + ";", row.replace("E1", "E2") + ";", sep=sep)
    parsed = _parse(data)
    assert [line.employee_number for line in parsed.lines] == ["E1", "E2"]
    assert count_order_lines(data) == 2


def test_several_empty_trailing_cells_in_header_and_rows_are_accepted() -> None:
    parsed = _parse(_data(HEADER + ";;;", ROW + ";", ROW.replace("E1", "E2") + ";;;;  "))
    assert [line.line_number for line in parsed.lines] == [2, 3]


def test_a_value_beyond_the_header_columns_is_a_line_error() -> None:
    errors = _errors(_data(HEADER + ";", ROW + ";", ROW.replace("E1", "E2") + ";;extra;"))
    assert errors == {"line 3: columns": "has 10 columns; the header has 8"}


def test_an_unquoted_decimal_comma_in_a_comma_file_says_to_quote_it() -> None:
    data = _data(HEADER, "E1;Dupont;Élodie;;;HQ;oui;50;00", sep=",")
    errors = _errors(data)
    assert errors["line 2: columns"].startswith("has 9 columns; the header has 8")
    assert '"50,00"' in errors["line 2: columns"]


def test_an_empty_header_cell_before_the_last_column_is_still_unknown() -> None:
    header = HEADER.replace(";Load amount", ";;Load amount")
    errors = _errors(_data(header, ROW))
    assert errors == {"line 1: header": "unknown column ''"}


@pytest.mark.parametrize(
    ("cell", "column", "row"),
    [
        ("Du\x00pont", "lastName", "E2;{};Élodie;;;HQ;oui;10"),
        ("\x1b[31mÉlodie", "firstName", "E2;Dupont;{};;;HQ;oui;10"),
        ('"Du\tpont"', "lastName", "E2;{};Élodie;;;HQ;oui;10"),
        ('"Élo\r\ndie"', "firstName", "E2;Dupont;{};;;HQ;oui;10"),
        ('"a@b.fr\nx"', "email", "E2;Dupont;Élodie;{};;HQ;oui;10"),
        ("H\x7fQ", "deliveryPointCode", "E2;Dupont;Élodie;;;{};oui;10"),
        ("Du\u2028pont", "lastName", "E2;{};Élodie;;;HQ;oui;10"),
        ("Du\x85pont", "lastName", "E2;{};Élodie;;;HQ;oui;10"),
    ],
)
def test_a_control_character_in_a_cell_is_a_line_error(cell: str, column: str, row: str) -> None:
    errors = _errors(_data(HEADER, ROW, row.format(cell)))
    # The one problem of that cell, and nothing else on a line otherwise good.
    assert errors == {f"line 3: {column}": CONTROL_CHARACTERS}


def test_a_line_break_inside_quotes_keeps_the_next_lines_numbers() -> None:
    data = _data(HEADER, 'E1;"Du\npont";Élodie;;;HQ;oui;10', "E2;A;B;;;HQ;oui;abc")
    assert _errors(data) == {
        "line 2: lastName": CONTROL_CHARACTERS,
        "line 4: loadAmount": "is not a number (e.g. 50 or 50,00)",
    }


def test_a_control_character_is_reported_with_the_other_problems_of_its_line() -> None:
    errors = _errors(_data(HEADER, "E 1;Du\x00pont;;;;HQ;oui;x"))
    assert list(errors) == [
        "line 2: employeeNumber",
        "line 2: lastName",
        "line 2: firstName",
        "line 2: loadAmount",
    ]
    assert errors["line 2: lastName"] == CONTROL_CHARACTERS


def test_file_problems_lists_every_problem_and_none_for_a_good_file() -> None:
    rows = [f"E{i};A;B;bad-{i};;HQ;oui;10" for i in range(3_000)]
    problems = file_problems(_data(HEADER, *rows), known_codes={"HQ"}, today=TODAY)
    assert len(problems) == 3_000
    assert problems[0] == FieldViolation("line 2: email", "is not a valid e-mail address")
    assert problems[-1].field == "line 3001: email"
    assert file_problems(_data(HEADER, ROW), known_codes={"HQ"}, today=TODAY) == []
    assert file_problems(_data(HEADER), known_codes={"HQ"}, today=TODAY) == [
        FieldViolation("file", "has a header but no order line")
    ]


@pytest.mark.parametrize(
    ("field", "row"),
    [
        ("line 12: email", (12, "email", "bad")),
        ("line 3", (3, "", "bad")),
        ("line 1: header", (1, "header", "bad")),
        ("file", ("", "file", "bad")),
    ],
)
def test_a_problem_as_a_row(field: str, row: tuple) -> None:
    assert problem_row(FieldViolation(field, "bad")) == row
