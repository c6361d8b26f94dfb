from __future__ import annotations

from datetime import date

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from portal_runtime.money import vat_cents
from services.billing.domain.documents import (
    DocumentType,
    Line,
    compute_totals,
    credit_note_for,
    document_number,
    due_date,
    ensure_payable,
    is_retained,
    issue_document,
    parse_document_number,
    record_payment,
    retention_until,
    validate_lines,
)
from services.billing.domain.order_invoices import lump_sum_lines, order_invoice_lines

from .helpers import invoice


def test_line_total_is_quantity_times_unit_price() -> None:
    assert Line("x", 3, 1_250, 2000).total_excl_cents == 3_750


def test_vat_is_grouped_by_rate_then_rounded() -> None:
    # per line: 200.6 -> 201, three times = 603; grouped: 3009 * 20 % = 601.8 -> 602
    lines = [Line(f"l{i}", 1, 1_003, 2000) for i in range(3)]
    totals = compute_totals(lines)
    assert totals.excl_cents == 3_009
    assert totals.tax_cents == 602
    assert totals.incl_cents == 3_611
    assert totals.tax_by_rate == ((2000, 602),)


def test_reduced_rate_and_several_rates() -> None:
    lines = [Line("repas", 1, 1_010, 550), Line("service", 2, 500, 2000), Line("exo", 1, 99, 0)]
    totals = compute_totals(lines)
    assert totals.tax_by_rate == ((0, 0), (550, 56), (2000, 200))  # 55.55 -> 56
    assert totals.base_by_rate == ((0, 99), (550, 1_010), (2000, 1_000))
    assert totals.excl_cents == 2_109
    assert totals.tax_cents == 256
    assert totals.incl_cents == 2_365


@pytest.mark.parametrize(
    ("base", "rate", "expected"),
    [(5, 1000, 1), (4, 1000, 0), (10, 550, 1), (9, 550, 0), (-5, 1000, -1), (1_000, 210, 21)],
)
def test_vat_rounds_half_up(base: int, rate: int, expected: int) -> None:
    assert vat_cents(base, rate) == expected


def test_numbers_per_type() -> None:
    assert document_number(DocumentType.INVOICE, 2026, 7) == "FAC-2026-000007"
    assert document_number(DocumentType.CREDIT_NOTE, 2026, 12) == "AV-2026-000012"
    assert document_number(DocumentType.STATEMENT, 2027, 999_999) == "REL-2027-999999"
    assert parse_document_number("av-2026-000012") == (DocumentType.CREDIT_NOTE, 2026, 12)
    assert parse_document_number("FAC-26-1") is None
    # One issuer-wide sequence outgrows six digits: numbers keep at least six.
    assert document_number(DocumentType.INVOICE, 2026, 1_000_000) == "FAC-2026-1000000"
    assert parse_document_number("FAC-2026-1000000") == (DocumentType.INVOICE, 2026, 1_000_000)
    with pytest.raises(InvalidArgument) as caught:
        document_number(DocumentType.INVOICE, 2026, 100_000_000)
    assert caught.value.reason == "DOCUMENT_SEQUENCE_EXHAUSTED"


def test_due_date_and_retention() -> None:
    assert due_date(date(2026, 1, 15)) == date(2026, 2, 14)
    assert due_date(date(2026, 1, 15), 45) == date(2026, 3, 1)
    assert retention_until(date(2026, 3, 10)) == date(2031, 3, 10)
    assert retention_until(date(2024, 2, 29)) == date(2029, 3, 1)
    assert is_retained(date(2021, 3, 10), today=date(2026, 3, 10))
    assert not is_retained(date(2021, 3, 9), today=date(2026, 3, 10))


def test_remaining_and_paid() -> None:
    doc = invoice()  # 100.00 + 20 % = 120.00
    assert doc.remaining_cents == 12_000 and not doc.paid
    part = record_payment(doc, 2_000)
    assert part.remaining_cents == 10_000
    full = record_payment(part, 10_000)
    assert full.remaining_cents == 0 and full.paid
    with pytest.raises(FailedPrecondition) as caught:
        record_payment(full, 1)
    assert caught.value.reason == "DOCUMENT_ALREADY_PAID"
    with pytest.raises(InvalidArgument):
        record_payment(part, 10_001)


def test_validation_lists_every_line_problem() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_lines(
            DocumentType.INVOICE,
            [
                Line("ok", 1, 100, 2000),
                Line("  ", 0, -1, 2000),
                Line("bad rate", 1, 100, 1960),
            ],
        )
    fields = {v.field for v in caught.value.violations}
    assert fields == {
        "lines[1].label",
        "lines[1].quantity",
        "lines[1].unitPriceExclTax",
        "lines[2].vatRateBp",
    }
    with pytest.raises(InvalidArgument) as empty:
        validate_lines(DocumentType.INVOICE, [])
    assert empty.value.violations[0].field == "lines"


def test_validation_tidies_labels_and_allows_negative_prices_off_invoices() -> None:
    lines = validate_lines(DocumentType.STATEMENT, [Line("  Remise   fidélité ", 1, -500, 0)])
    assert lines[0].label == "Remise fidélité"
    for rate in (0, 210, 550, 1000, 2000):
        validate_lines(DocumentType.INVOICE, [Line("x", 1, 0, rate)])


def test_credit_note_cancels_the_invoice() -> None:
    doc = record_payment(invoice(), 2_000)
    note, credited, _ = credit_note_for(
        doc, credit_note_id="cn-1", number="AV-2026-000001", issue_date=date(2026, 2, 1)
    )
    assert note.type is DocumentType.CREDIT_NOTE
    assert note.lines == doc.lines
    assert note.totals.incl_cents == 12_000 > 0
    assert note.credits_document_id == doc.id
    assert credited.credited and credited.remaining_cents == 0
    with pytest.raises(FailedPrecondition) as paying:
        ensure_payable(credited)
    assert paying.value.reason == "DOCUMENT_CREDITED"
    with pytest.raises(FailedPrecondition) as twice:
        credit_note_for(credited, credit_note_id="cn-2", number="AV-2026-000002",
                        issue_date=date(2026, 2, 2))  # fmt: skip
    assert twice.value.reason == "DOCUMENT_ALREADY_CREDITED"
    with pytest.raises(FailedPrecondition) as of_note:
        credit_note_for(note, credit_note_id="cn-3", number="AV-2026-000003",
                        issue_date=date(2026, 2, 2))  # fmt: skip
    assert of_note.value.reason == "DOCUMENT_NOT_CREDITABLE"


def test_only_invoices_are_payable() -> None:
    statement = invoice("REL-2026-000001", doc_type=DocumentType.STATEMENT)
    assert statement.remaining_cents == 0
    with pytest.raises(FailedPrecondition) as caught:
        ensure_payable(statement)
    assert caught.value.reason == "DOCUMENT_NOT_PAYABLE"


def test_an_order_invoice_bills_loads_without_vat_and_new_cards_fees() -> None:
    lines = order_invoice_lines(
        loads_cents=10_000, new_cards=2, card_fee_cents=500, card_fee_vat_bp=2000
    )
    assert [(x.quantity, x.unit_price_cents, x.vat_rate_bp) for x in lines] == [
        (1, 10_000, 0),
        (2, 500, 2000),
    ]
    assert compute_totals(lines).incl_cents == 11_200
    assert order_invoice_lines(loads_cents=0, new_cards=0, card_fee_cents=500,
                               card_fee_vat_bp=2000) == ()  # fmt: skip
    assert lump_sum_lines(order_number="CMD-1", amount_cents=0) == ()
    assert [x.unit_price_cents for x in lump_sum_lines(order_number="CMD-1", amount_cents=9)] == [9]


def test_issuing_a_document_states_it() -> None:
    doc, issued = issue_document(
        document_id="d1", entity_id="ent-1", doc_type=DocumentType.INVOICE,
        number="FAC-2026-000001", issue_date=date(2026, 1, 15),
        lines=[Line("Cartes", 1, 10_000, 2000)], order_id="o-1",
    )  # fmt: skip
    assert doc.due_date == due_date(date(2026, 1, 15))
    assert (issued.document_id, issued.number, issued.order_id) == (doc.id, doc.number, "o-1")
    assert issued.total_incl_cents == 12_000 and issued.due_date == doc.due_date
    note, _, note_issued = credit_note_for(
        doc, credit_note_id="cn-1", number="AV-2026-000001", issue_date=date(2026, 2, 1)
    )
    assert note_issued.type is DocumentType.CREDIT_NOTE and note_issued.document_id == note.id
