"""Direct debits' rules: which invoices a batch collects, under which mandate and
sequence type, the pre-notification period, settlement, returns reopening exact
amounts, the returns file, and the creditor identifier."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.billing.domain.creditor import creditor_id_problem, validate_creditor
from services.billing.domain.debit_returns import apply_return, check_known, parse_returns
from services.billing.domain.direct_debits import (
    CANCELLED_CREDITED,
    DebitStatus,
    SequenceType,
    applied_cents,
    collecting_mandates,
    collection_date_for,
    end_to_end_id,
    plan_batch,
    plan_settlement,
)
from services.billing.domain.documents import DocumentType, Line, record_payment
from services.billing.domain.mandates import Mandate, MandateStatus
from services.billing.domain.payments import DIRECT_DEBIT, Payment, PaymentState
from services.billing.ibans import check_account

from .helpers import invoice

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TODAY = AT.date()
COLLECT_ON = date(2026, 3, 24)  # today + 14 days
CREDITOR = "FR72ZZZ123456"


def mandate(
    mandate_id: str = "m-1",
    entity: str = "ent-1",
    *,
    created: datetime = AT,
    status: MandateStatus = MandateStatus.ACTIVE,
    secret: str = "s-1",
) -> Mandate:
    return Mandate(
        id=mandate_id,
        entity_id=entity,
        reference=f"PTL-{entity.upper().replace('-', '')}-000001",
        holder="ACME SAS",
        iban_masked="FR76 **** **** **** **** ***0 189",
        bic="AGRIFRPPXXX",
        status=status,
        created_at=created,
        iban_secret_id=secret,
    )


def due_invoice(number: str, *, entity: str = "ent-1", issued: date = date(2026, 2, 1), **kw):
    doc = invoice(number, issued=issued, **kw)  # due 30 days after issue
    return dataclasses.replace(doc, entity_id=entity)


def ids():
    counter = iter(range(1, 1000))
    return lambda: f"{next(counter):032x}"


def plan(invoices, mandates, *, presented=(), pending=(), day=COLLECT_ON):
    return plan_batch(
        batch_id="b" * 32,
        collection_date=day,
        creditor_id=CREDITOR,
        invoices=invoices,
        mandates=collecting_mandates(mandates),
        presented_mandates=set(presented),
        pending_documents=set(pending),
        new_id=ids(),
        at=AT,
    )


# ---- the collection date ------------------------------------------------------------
def test_collection_date_respects_the_notice_period() -> None:
    assert collection_date_for(COLLECT_ON, today=TODAY, min_notice_days=14) == COLLECT_ON
    with pytest.raises(InvalidArgument) as early:
        collection_date_for(date(2026, 3, 23), today=TODAY, min_notice_days=14)
    assert early.value.violations[0].field == "collectionDate"
    assert "2026-03-24" in early.value.violations[0].description
    with pytest.raises(InvalidArgument) as missing:
        collection_date_for(None, today=TODAY, min_notice_days=14)
    assert missing.value.violations[0].field == "collectionDate"
    # A shorter agreed period is a setting.
    assert collection_date_for(date(2026, 3, 12), today=TODAY, min_notice_days=2)


# ---- which invoices, which mandate ---------------------------------------------------
def test_batch_takes_due_unpaid_uncredited_unheld_invoices_for_what_remains() -> None:
    lines = (Line("Cartes", 1, 10_000, 2000),)  # 120.00 incl. VAT
    partly = due_invoice("FAC-2026-000001", lines=lines, paid_cents=2_001)
    unpaid = due_invoice("FAC-2026-000002")
    paid = due_invoice("FAC-2026-000003", paid_cents=12_000)
    credited = dataclasses.replace(due_invoice("FAC-2026-000004"), credited_by_id="cn-1")
    not_due_yet = due_invoice("FAC-2026-000005", issued=date(2026, 3, 1))  # due 31/03
    held = due_invoice("FAC-2026-000006")
    note = dataclasses.replace(due_invoice("AV-2026-000001"), type=DocumentType.CREDIT_NOTE)
    other_entity = due_invoice("FAC-2026-000007", entity="ent-2")  # no mandate
    batch, scheduled = plan(
        [partly, unpaid, paid, credited, not_due_yet, held, note, other_entity],
        [mandate()],
        pending=[held.id],
    )
    assert [d.document_number for d in batch.debits] == ["FAC-2026-000001", "FAC-2026-000002"]
    assert [d.amount_cents for d in batch.debits] == [9_999, 12_000]
    assert batch.total_cents == 21_999
    assert all(d.status is DebitStatus.PENDING and d.mandate_id == "m-1" for d in batch.debits)
    assert [f.document_number for f in scheduled] == ["FAC-2026-000001", "FAC-2026-000002"]
    fact = scheduled[0]
    assert fact.amount_cents == 9_999 and fact.collection_date == COLLECT_ON
    assert fact.mandate_reference == "PTL-ENT1-000001" and fact.creditor_id == CREDITOR
    assert fact.iban_masked.endswith("0 189") and "3000" not in fact.iban_masked


def test_an_invoice_due_on_the_collection_date_is_taken() -> None:
    due = due_invoice("FAC-2026-000001", issued=date(2026, 2, 22))  # due 24/03
    batch, _ = plan([due], [mandate()])
    assert len(batch.debits) == 1
    with pytest.raises(FailedPrecondition) as nothing:
        plan([due], [mandate()], day=date(2026, 3, 23))
    assert nothing.value.reason == "NOTHING_TO_COLLECT"


def test_only_active_mandates_with_a_kept_iban_collect_the_newest_wins() -> None:
    older = mandate("m-old", created=datetime(2026, 1, 1, tzinfo=UTC))
    newer = mandate("m-new", created=datetime(2026, 2, 1, tzinfo=UTC))
    revoked = mandate("m-rev", created=datetime(2026, 3, 1, tzinfo=UTC))
    revoked = dataclasses.replace(revoked, status=MandateStatus.REVOKED)
    legacy = mandate("m-legacy", entity="ent-2", secret="")  # only the masked IBAN
    chosen = collecting_mandates([older, newer, revoked, legacy])
    assert {e: m.id for e, m in chosen.items()} == {"ent-1": "m-new"}
    with pytest.raises(FailedPrecondition) as nothing:
        plan([due_invoice("FAC-2026-000009", entity="ent-2")], [legacy])
    assert nothing.value.reason == "NOTHING_TO_COLLECT"


def test_first_collection_is_frst_then_rcur() -> None:
    a, b = due_invoice("FAC-2026-000001"), due_invoice("FAC-2026-000002")
    first, _ = plan([a, b], [mandate()])
    assert {d.sequence_type for d in first.debits} == {SequenceType.FIRST}
    later, scheduled = plan([a], [mandate()], presented=["m-1"])
    assert later.debits[0].sequence_type is SequenceType.RECURRING
    assert scheduled[0].sequence_type is SequenceType.RECURRING


def test_ids_fit_the_sepa_rules() -> None:
    batch, _ = plan([due_invoice("FAC-2026-000001")], [mandate()])
    [debit] = batch.debits
    assert len(debit.end_to_end_id) <= 35 and debit.end_to_end_id.startswith("FAC-2026-000001-")
    assert len(batch.message_id) <= 35 and batch.message_id.startswith("PTL-20260324-")
    assert end_to_end_id("FAC-2026-000001", "ab" * 16) != end_to_end_id("FAC-2026-000001", "c" * 32)


# ---- settling ----------------------------------------------------------------------
def test_settlement_collects_pending_debits_and_cancels_credited_invoices() -> None:
    a, b = due_invoice("FAC-2026-000001"), due_invoice("FAC-2026-000002")
    batch, _ = plan([a, b], [mandate()])
    credited_b = dataclasses.replace(b, credited_by_id="cn-9")
    settlement = plan_settlement(batch, [a, credited_b])
    assert [(d.document_id, doc.id) for d, doc in settlement.collect] == [(a.id, a.id)]
    [cancelled] = settlement.cancelled
    assert cancelled.status is DebitStatus.CANCELLED and cancelled.reason == CANCELLED_CREDITED
    debit = settlement.collect[0][0]
    collected = debit.collected("pay-1", applied_cents(a, [record_payment(a, 12_000)]))
    assert collected.applied_cents == 12_000 and collected.status is DebitStatus.COLLECTED
    settled = batch.settle([collected, cancelled], at=AT)
    assert settled.settled and [d.status for d in settled.debits] == [
        DebitStatus.COLLECTED,
        DebitStatus.CANCELLED,
    ]
    with pytest.raises(FailedPrecondition):
        plan_settlement(settled, [a, b])
    with pytest.raises(FailedPrecondition):
        collected.collected("pay-2", 1)


# ---- returns -------------------------------------------------------------------------
def _collected(paid_before: int = 0):
    doc = due_invoice("FAC-2026-000001", paid_cents=paid_before)
    batch, _ = plan([doc], [mandate()])
    [debit] = batch.debits
    after = record_payment(doc, doc.remaining_cents)
    debit = debit.collected("pay-1", applied_cents(doc, [after]))
    payment = Payment(
        id="pay-1",
        entity_id="ent-1",
        amount_cents=debit.amount_cents,
        method=DIRECT_DEBIT,
        state=PaymentState.SUCCEEDED,
    )
    return debit, after, payment


def test_a_collected_debit_returned_reopens_exactly_what_it_paid() -> None:
    debit, paid_invoice, payment = _collected(paid_before=3_333)
    assert paid_invoice.remaining_cents == 0 and debit.applied_cents == 12_000 - 3_333
    applied = apply_return(
        debit,
        reason_code="AM04",
        returned_on=date(2026, 3, 27),
        document=paid_invoice,
        payment=payment,
    )
    assert applied is not None
    assert applied.document.paid_cents == 3_333  # the card's part stays paid
    assert applied.document.remaining_cents == 8_667
    assert applied.payment.state is PaymentState.RETURNED
    assert applied.payment.failure_reason == "AM04"
    assert applied.debit.status is DebitStatus.RETURNED and applied.debit.reason == "AM04"
    assert applied.fact.reopened and applied.fact.reason_code == "AM04"
    assert applied.fact.returned_on == date(2026, 3, 27)
    # The same return again changes nothing.
    assert apply_return(applied.debit, reason_code="AM04", returned_on=TODAY) is None


def test_a_pending_debit_returned_is_only_rejected() -> None:
    batch, _ = plan([due_invoice("FAC-2026-000001")], [mandate()])
    applied = apply_return(batch.debits[0], reason_code="AC04", returned_on=TODAY)
    assert applied is not None and applied.document is None and applied.payment is None
    assert applied.debit.status is DebitStatus.REJECTED and not applied.fact.reopened
    assert apply_return(applied.debit, reason_code="AC04", returned_on=TODAY) is None
    cancelled = batch.debits[0].cancelled(CANCELLED_CREDITED)
    assert apply_return(cancelled, reason_code="AC04", returned_on=TODAY) is None


def test_a_collected_return_needs_its_invoice_and_payment() -> None:
    debit, _, _ = _collected()
    with pytest.raises(FailedPrecondition):
        apply_return(debit, reason_code="AM04", returned_on=TODAY)


def test_returns_file_header_separators_and_dates() -> None:
    data = (
        "\ufeffend_to_end_id;reason_code;date\r\n"
        "FAC-2026-000001-ABC;am04;27/03/2026\r\n"
        "\r\n"
        "FAC-2026-000002-DEF;MD06\r\n"
    ).encode()
    first, second = parse_returns(data)
    assert (first.line_number, first.end_to_end_id, first.reason_code) == (
        2,
        "FAC-2026-000001-ABC",
        "AM04",
    )
    assert first.returned_on == date(2026, 3, 27) and second.returned_on is None
    [only] = parse_returns(b"X-1,AC01,2026-03-27\n")
    assert only.end_to_end_id == "X-1" and only.returned_on == date(2026, 3, 27)


def test_returns_file_names_every_bad_line() -> None:
    data = b"E2E-1;XX99\n;AM04\nE2E-3;AM04;31/02/2026\nE2E-4\n" + b"E" * 36 + b";AM04\n"
    with pytest.raises(InvalidArgument) as caught:
        parse_returns(data)
    fields = [v.field for v in caught.value.violations]
    assert fields == [
        "line 1: reason_code",
        "line 2: end_to_end_id",
        "line 3: date",
        "line 4",
        "line 5: end_to_end_id",
    ]
    assert caught.value.reason == "INVALID_RETURNS_FILE"
    with pytest.raises(InvalidArgument) as empty:
        parse_returns(b"\n \n")
    assert empty.value.reason == "EMPTY_FILE"
    with pytest.raises(InvalidArgument) as unknown:
        check_known(parse_returns(b"E2E-1;AM04\nE2E-2;AM04\n"), {"E2E-1"})
    assert [v.field for v in unknown.value.violations] == ["line 2: end_to_end_id"]


# ---- the creditor --------------------------------------------------------------------
def test_creditor_identifier_check_digits() -> None:
    assert creditor_id_problem("FR72ZZZ123456") is None
    assert creditor_id_problem("DE98ZZZ09999999999") is None  # the Bundesbank's test id
    assert creditor_id_problem("FR73ZZZ123456") == "has wrong check digits"
    assert creditor_id_problem("nonsense") is not None


def test_creditor_settings_are_checked_and_named() -> None:
    creditor = validate_creditor(
        identifier="fr72 zzz 123456",
        name="Portail",
        iban="FR76 3000 6000 0112 3456 7890 189",
        bic="AGRIFRPP",
        check=check_account,
    )
    assert creditor.identifier == "FR72ZZZ123456"
    assert creditor.iban == "FR7630006000011234567890189" and creditor.bic == "AGRIFRPP"
    with pytest.raises(InvalidArgument) as caught:
        validate_creditor(identifier="X", name=" ", iban="FR00", bic="NOPE", check=check_account)
    assert {v.field for v in caught.value.violations} == {
        "PORTAL_SEPA_CREDITOR_ID",
        "PORTAL_SEPA_CREDITOR_NAME",
        "PORTAL_SEPA_CREDITOR_IBAN",
        "PORTAL_SEPA_CREDITOR_BIC",
    }
