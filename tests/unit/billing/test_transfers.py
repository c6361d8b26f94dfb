from __future__ import annotations

from datetime import date

import pytest

from portal_runtime.errors import InvalidArgument
from services.billing.domain.transfers import (
    Expected,
    match_transfer,
    normalise_reference,
    parse_bank_statement,
)

EXPECTED = [
    Expected("RF18 2026 000123", 12_000, "ent-1", order_id="o-1"),
    Expected("FAC-2026-000004", 5_000, "ent-2", document_id="d-4"),
]


def test_references_compare_without_spaces_and_case() -> None:
    assert normalise_reference(" rf18 2026\u00a0000123 ") == "RF182026000123"


def test_exact_amount_pays() -> None:
    match = match_transfer("rf182026000123", 12_000, EXPECTED)
    assert match.matched and not match.partial
    assert match.expected is not None and match.expected.order_id == "o-1"
    assert (match.applied_cents, match.surplus_cents, match.shortfall_cents) == (12_000, 0, 0)


def test_more_than_expected_records_the_surplus() -> None:
    match = match_transfer(" fac-2026- 000004 ", 5_150, EXPECTED)
    assert match.matched and not match.partial
    assert (match.applied_cents, match.surplus_cents) == (5_000, 150)


def test_less_than_expected_is_partial() -> None:
    match = match_transfer("fac-2026-000004", 2_000, EXPECTED)
    assert match.matched and match.partial
    assert (match.applied_cents, match.shortfall_cents) == (2_000, 3_000)


def test_unknown_reference_is_unmatched() -> None:
    match = match_transfer("whatever", 100, EXPECTED)
    assert not match.matched and match.applied_cents == 0
    assert not match_transfer("  ", 100, [Expected("", 100, "e")]).matched
    with pytest.raises(InvalidArgument):
        match_transfer("RF182026000123", 0, EXPECTED)


def test_statement_semicolons_with_header_and_bom() -> None:
    data = (
        "\ufeffdate;amount;reference;payer\n"
        "2026-03-02;120,00;RF18 2026 000123;ACME SAS\n"
        "\n"
        "03/03/2026;1 234.5;FAC-2026-000004;Société Générale\n"
    ).encode()
    lines = parse_bank_statement(data)
    assert [(ln.line_number, ln.received_on, ln.amount_cents) for ln in lines] == [
        (2, date(2026, 3, 2), 12_000),
        (4, date(2026, 3, 3), 123_450),
    ]
    assert lines[1].payer == "Société Générale"
    assert lines[0].reference == "RF18 2026 000123"


def test_statement_commas_latin1_without_header() -> None:
    data = '2026-03-02,"12,34",ref-1,Crédit Agricole\n2026-03-04,7,REF-2\n'.encode("latin-1")
    lines = parse_bank_statement(data)
    assert [ln.amount_cents for ln in lines] == [1_234, 700]
    assert lines[0].payer == "Crédit Agricole"
    assert lines[1].payer == ""


def test_statement_lists_every_bad_line_and_records_nothing() -> None:
    data = (
        b"date;amount;reference;payer\n"
        b"2026-03-02;120,00;RF1;A\n"
        b"2026-02-30;abc;;B\n"
        b"32/01/2026;-5;X;C\n"
        b"only;two\n"
        b"2026-03-02;1,234;X;D\n"
    )
    with pytest.raises(InvalidArgument) as caught:
        parse_bank_statement(data)
    assert [v.field for v in caught.value.violations] == [
        "line 3: date",
        "line 3: amount",
        "line 3: reference",
        "line 4: date",
        "line 4: amount",
        "line 5",
        "line 6: amount",
    ]
    assert caught.value.reason == "INVALID_BANK_STATEMENT"


def test_empty_statement() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_bank_statement(b"\n\n")
    assert caught.value.reason == "EMPTY_FILE"
