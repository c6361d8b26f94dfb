"""The template in the account's language: French or English headers and
example row, and either imports back unchanged."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from portal_runtime.errors import InvalidArgument
from services.ordering.domain.order_file import parse_order_file
from services.ordering.domain.order_template import BOM, template, template_language

TODAY = date(2026, 11, 23)


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode()), delimiter=";"))


def test_the_french_template() -> None:
    header, example = _rows(template("fr"))
    assert header == [
        "Matricule", "Nom", "Prénom", "E-mail", "Date de naissance", "Code point de livraison",
        "Nouvelle carte", "Montant",
    ]  # fmt: skip
    assert example[4:] == ["17/05/1990", "HQ", "oui", "50,00"]


def test_the_english_template() -> None:
    header, example = _rows(template("en"))
    assert header == [
        "Employee number", "Last name", "First name", "Email", "Birth date",
        "Delivery point code", "New card", "Load amount",
    ]  # fmt: skip
    assert example[4:] == ["1990-05-17", "HQ", "yes", "50.00"]


def test_french_is_the_default() -> None:
    assert template() == template("fr") == template("de")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_template_imports_back_unchanged(language: str) -> None:
    parsed = parse_order_file(template(language), known_codes={"HQ"}, today=TODAY)
    (line,) = parsed.lines
    assert (line.line_number, line.employee_number) == (2, "E-0001")
    assert line.email.endswith("@example.com")
    assert (line.birth_date, line.delivery_point_code, line.new_card, line.load_amount_cents) == (
        "1990-05-17", "HQ", True, 5_000,
    )  # fmt: skip


def test_a_language_asked_for() -> None:
    assert template_language(" EN ") == "en"
    with pytest.raises(InvalidArgument) as caught:
        template_language("de")
    assert caught.value.violations[0].field == "language"
