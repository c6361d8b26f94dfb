from __future__ import annotations

from datetime import date

import pytest

from portal_runtime.errors import InvalidArgument
from services.ordering.domain.order_file import parse_amount_cents, parse_order_file
from services.ordering.domain.order_template import BOM, template
from services.ordering.domain.orders import LoadBounds

TODAY = date(2026, 11, 23)
CODES = {"HQ", "plant-2"}
HEADER = (
    "Employee number;Last name;First name;Email;Birth date;Delivery point code;New card;Load amount"
)
ROW1 = "E1;Dupont;Élodie;elodie@example.com;1990-05-17;HQ;oui;50,00"
ROW2 = "E2;Martin;Paul;;;hq;;12.5"


def _parse(text: str, encoding: str = "utf-8", **kwargs):
    kwargs.setdefault("known_codes", CODES)
    kwargs.setdefault("today", TODAY)
    return parse_order_file(text.encode(encoding), **kwargs)


def _errors(text: str | bytes, **kwargs) -> dict[str, str]:
    kwargs.setdefault("known_codes", CODES)
    kwargs.setdefault("today", TODAY)
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvalidArgument) as excinfo:
        parse_order_file(data, **kwargs)
    return {v.field: v.description for v in excinfo.value.violations}


def _file(*rows: str, header: str = HEADER, sep: str = ";") -> str:
    lines = [header, *rows]
    return "\r\n".join(line.replace(";", sep) for line in lines) + "\r\n"


def test_a_valid_file() -> None:
    parsed = _parse(_file(ROW1, ROW2))
    assert parsed.separator == ";"
    assert parsed.delivery_point_code == "HQ"
    first, second = parsed.lines
    assert first.line_number == 2
    assert (first.employee_number, first.last_name, first.first_name) == ("E1", "Dupont", "Élodie")
    assert (first.email, first.birth_date, first.new_card, first.load_amount_cents) == (
        "elodie@example.com",
        "1990-05-17",
        True,
        5_000,
    )
    assert (second.line_number, second.new_card, second.load_amount_cents) == (3, False, 1_250)
    assert (second.email, second.birth_date, second.delivery_point_code) == ("", "", "HQ")


def test_template_is_excel_friendly_and_parses() -> None:
    data = template()
    assert data.startswith(BOM)
    text = data[3:].decode()
    header, example = text.strip().split("\r\n")
    assert header.count(";") == 7 and example.count(";") == 7
    parsed = parse_order_file(data, known_codes={"HQ"}, today=TODAY)
    assert parsed.encoding == "utf-8-sig"
    assert parsed.lines[0].load_amount_cents == 5_000


def test_utf8_with_bom() -> None:
    parsed = parse_order_file(BOM + _file(ROW1).encode(), known_codes=CODES, today=TODAY)
    assert parsed.encoding == "utf-8-sig"
    assert parsed.lines[0].first_name == "Élodie"


def test_latin1_file_is_tolerated() -> None:
    parsed = _parse(_file(ROW1, "E2;Lefèvre;Hélène;;;HQ;non;20"), encoding="latin-1")
    assert parsed.encoding in {"cp1252", "latin-1"}
    assert [line.first_name for line in parsed.lines] == ["Élodie", "Hélène"]
    assert parsed.lines[1].last_name == "Lefèvre"


def test_comma_separated_file_with_dot_decimals() -> None:
    parsed = _parse(_file("E1;Dupont;Élodie;;1990-05-17;HQ;yes;50.50", sep=","))
    assert parsed.separator == ","
    assert parsed.lines[0].load_amount_cents == 5_050


def test_comma_file_with_quoted_decimal_comma_is_read_as_rfc_4180_says() -> None:
    # Point A of the issue: a quoted separator is data (this test used to
    # expect "contains the separator").
    parsed = _parse(_file('E1;Dupont;Élodie;;;HQ;yes;"50,50"', sep=","))
    assert parsed.lines[0].load_amount_cents == 5_050


def test_header_names_ignore_case_accents_and_spaces() -> None:
    header = (
        "MATRICULE;nom;Prénom;E-mail;Date de naissance;"
        "Code point de livraison;Nouvelle carte;Montant"
    )
    parsed = _parse(_file(ROW1, header=header))
    assert parsed.lines[0].employee_number == "E1"


def test_columns_may_come_in_any_order() -> None:
    header = (
        "Load amount;Employee number;Last name;First name;Email;"
        "Birth date;Delivery point code;New card"
    )
    parsed = _parse(_file("7;E1;Dupont;Élodie;;;HQ;0", header=header))
    assert parsed.lines[0].load_amount_cents == 700


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("50", 5_000), ("50,00", 5_000), ("50.5", 5_050), ("0,01", 1), ("1 000,00 €", 100_000),
     ("2000", 200_000), ("19.99", 1_999)],
)  # fmt: skip
def test_amounts_in_exact_cents(raw: str, cents: int) -> None:
    assert parse_amount_cents(raw) == (cents, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("abc", "is not a number"), ("50,001", "has more than 2 decimals"), ("", "is required"),
     ("1e3", "is not a number"), ("50,00,0", "is not a number")],
)  # fmt: skip
def test_bad_amounts(raw: str, problem: str) -> None:
    cents, description = parse_amount_cents(raw)
    assert cents is None and description is not None and description.startswith(problem)


def test_amount_bounds_and_sign() -> None:
    errors = _errors(
        _file(
            "E1;A;B;;;HQ;;0",
            "E2;A;B;;;HQ;;-5",
            "E3;A;B;;;HQ;;0,99",
            "E4;A;B;;;HQ;;2000,01",
            "E5;A;B;;;HQ;;1",
            "E6;A;B;;;HQ;;2000",
        )
    )
    assert set(errors) == {f"line {n}: loadAmount" for n in (2, 3, 4, 5)}
    assert errors["line 2: loadAmount"] == "must be positive"
    assert errors["line 3: loadAmount"] == "must be positive"
    assert errors["line 5: loadAmount"].startswith("must be between")


def test_contract_bounds_are_passed_in() -> None:
    errors = _errors(_file("E1;A;B;;;HQ;;20"), bounds=LoadBounds(min_cents=5_000, max_cents=9_000))
    assert list(errors) == ["line 2: loadAmount"]


def test_every_problem_of_every_line_is_reported() -> None:
    errors = _errors(
        _file(
            ROW1,
            "E 2;;Paul;not-mail;1990-02-30;HQ;maybe;x",
            "E1;Durand;Jean;;31/12/2030;NOPE;;10",
        )
    )
    assert errors == {
        "line 3: employeeNumber": "may contain only letters, digits, '-' and '_'",
        "line 3: lastName": "is required",
        "line 3: email": "is not a valid e-mail address",
        "line 3: birthDate": "must be a valid date YYYY-MM-DD",
        "line 3: newCard": "must be yes/no, oui/non, 1/0 or true/false",
        "line 3: loadAmount": "is not a number (e.g. 50 or 50,00)",
        "line 4: employeeNumber": "'E1' is already on line 2",
        "line 4: birthDate": "must be in the past",
        "line 4: deliveryPointCode": "unknown delivery point code 'NOPE'",
    }


def test_french_dates_are_accepted() -> None:
    parsed = _parse(_file("E1;A;B;;17/05/1990;HQ;;10"))
    assert parsed.lines[0].birth_date == "1990-05-17"


def test_missing_required_fields() -> None:
    errors = _errors(_file(";;;;;;;10"))
    assert set(errors) == {
        "line 2: employeeNumber",
        "line 2: lastName",
        "line 2: firstName",
        "line 2: deliveryPointCode",
    }


def test_one_delivery_point_per_file() -> None:
    errors = _errors(_file(ROW1, "E2;A;B;;;PLANT-2;;10", "E3;A;B;;;hq;;10"))
    assert list(errors) == ["line 3: deliveryPointCode"]
    assert "one order goes to one delivery point" in errors["line 3: deliveryPointCode"]


def test_quoted_separator_is_data() -> None:
    # Point A of the issue: RFC 4180 quoting (this test used to expect
    # "contains the separator ';'" on lastName).
    parsed = _parse(_file('E1;"Dupont; Jr";Élodie;;;HQ;;10'))
    assert parsed.lines[0].last_name == "Dupont; Jr"


def test_wrong_column_count() -> None:
    errors = _errors(_file("E1;Dupont;Élodie;;;HQ;;10;extra", "E2;Dupont"))
    assert errors == {
        "line 2: columns": "has 9 columns; the header has 8",
        "line 3: columns": "has 2 columns; the header has 8",
    }


def test_blank_lines_are_skipped_but_counted() -> None:
    parsed = _parse(_file(ROW1, "", ";;;;;;;", ROW2))
    assert [line.line_number for line in parsed.lines] == [2, 5]


def test_header_missing_a_column() -> None:
    header = HEADER.replace(";Load amount", "")
    errors = _errors(_file("E1;A;B;;;HQ;", header=header))
    assert errors == {"line 1: header": "column 'Load amount' is missing"}


def test_header_with_unknown_and_duplicate_columns() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _parse(_file(ROW1, header=HEADER + ";Nom;Shoe size"))
    descriptions = [v.description for v in excinfo.value.violations]
    assert descriptions == ["column 'Nom' appears twice", "unknown column 'Shoe size'"]


@pytest.mark.parametrize("data", [b"", BOM, b"  \r\n\r\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        parse_order_file(data, known_codes=CODES, today=TODAY)
    assert excinfo.value.reason == "ORDER_FILE_EMPTY"


def test_header_only_file() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _parse(_file())
    assert excinfo.value.reason == "ORDER_FILE_EMPTY"


def test_too_many_lines() -> None:
    rows = [f"E{i};A;B;;;HQ;;10" for i in range(4)]
    assert len(_parse(_file(*rows), max_lines=4).lines) == 4
    with pytest.raises(InvalidArgument) as excinfo:
        _parse(_file(*rows, "E9;A;B;;;HQ;;10"), max_lines=4)
    assert excinfo.value.reason == "ORDER_FILE_TOO_MANY_LINES"
    assert "more than 4 order lines" in excinfo.value.violations[0].description


def test_too_many_bytes() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        _parse(_file(ROW1), max_bytes=50)
    assert excinfo.value.reason == "ORDER_FILE_TOO_LARGE"


def test_a_100000_line_file_parses_correctly() -> None:
    rows = [
        f"E{i:06d};Nom{i};Prénom;e{i}@example.com;1985-01-{i % 28 + 1:02d};HQ;"
        f"{'oui' if i % 2 else 'non'};{i % 1000 + 1},{i % 100:02d}"
        for i in range(100_000)
    ]
    data = BOM + _file(*rows).encode()
    parsed = parse_order_file(data, known_codes=CODES, today=TODAY)
    assert len(parsed.lines) == 100_000
    last = parsed.lines[-1]
    assert last.line_number == 100_001
    assert last.employee_number == "E099999"
    assert last.load_amount_cents == 100_099
    assert sum(line.new_card for line in parsed.lines) == 50_000


def test_a_field_beyond_the_csv_limit_is_a_line_error_not_a_crash():
    from services.ordering.domain.order_file import count_order_lines

    header = (
        "Employee number;Last name;First name;Email;Birth date;Delivery point code;"
        "New card;Load amount"
    )
    data = (header + "\r\nE-1;" + "x" * 200_000 + ";Jean;;;HQ;non;10\r\n").encode()
    with pytest.raises(InvalidArgument) as caught:
        parse_order_file(data, known_codes={"HQ"}, today=date(2026, 1, 1))
    assert [v.field for v in caught.value.violations] == ["line 2"]
    with pytest.raises(InvalidArgument):
        count_order_lines(data)
