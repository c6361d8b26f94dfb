"""Billing's use cases on a real SQLite database: invoicing orders from events,
numbering, card payments and the provider's webhooks, transfers, credit notes,
claims, mandates, entity scoping and the PDF."""

from __future__ import annotations

import time

import pytest

from portal.identity.v1 import events_pb2 as identity_events
from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
)
from services.billing.domain.claims import ClaimStatus
from services.billing.domain.documents import DocumentType, Line
from services.billing.handlers import account_updated_handler, order_cancelled_handler
from services.billing.providers import ProviderUnavailable
from services.billing.usecases import accounts, documents, payments, transfers

from .conftest import World


async def _docs(world: World, who=None, **filters):
    views, _ = await documents.list_documents(
        world.deps,
        who or world.acme,
        doc_type=filters.get("doc_type"),
        date_from=filters.get("date_from", ""),
        date_to=filters.get("date_to", ""),
        unpaid=filters.get("unpaid", False),
        page_size=0,
        page_token="",
    )
    return [v.document for v in views]


async def _webhook(world: World, body: bytes, headers: dict) -> bool:
    return await payments.receive_webhook(world.deps, body, headers, time.time())


async def test_order_submitted_twice_issues_one_invoice_with_its_lines(world: World):
    await world.handle(
        account_updated_handler,
        identity_events.AccountUpdated(
            event_id="a1", entity_id="ent-acme", name="ACME", client_number="C1",
            language="en", contract_numbers=["CTR-1", "CTR-2"],
        ),
    )  # fmt: skip
    await world.submit("o-1", cards=2)
    await world.submit("o-1", cards=2)
    [invoice] = await _docs(world)
    assert invoice.order_id == "o-1" and invoice.number == "FAC-2026-000001"
    assert invoice.contract_number == "CTR-1"
    assert [(x.quantity, x.unit_price_cents, x.vat_rate_bp) for x in invoice.lines] == [
        (1, 10_000, 0),
        (2, 500, 2000),
    ]
    assert invoice.totals.incl_cents == 10_000 + 1_000 + 200
    assert [e.number for e in await world.events("DocumentIssued")] == ["FAC-2026-000001"]


async def test_unknown_entity_is_invoiced_and_no_fee_line_without_new_cards(world: World):
    await world.submit("o-9", entity="ent-new", cards=0)
    views, _ = await documents.list_documents(
        world.deps, world.acme.__class__("u", "ent-new", world.acme.permissions),
        doc_type=None, date_from="", date_to="", unpaid=False, page_size=0, page_token="",
    )  # fmt: skip
    [view] = views
    assert len(view.document.lines) == 1 and view.document.contract_number == ""


async def test_numbers_are_gapless_per_type_across_customers(world: World):
    await world.submit("o-1")
    await world.submit("o-2")
    await world.handle(
        order_cancelled_handler,
        ordering_events.OrderCancelled(event_id="c1", entity_id="ent-acme", order_id="o-1"),
    )
    await world.submit("o-3")
    numbers = sorted(d.number for d in await _docs(world))
    assert numbers == ["AV-2026-000001", "FAC-2026-000001", "FAC-2026-000002", "FAC-2026-000003"]
    other = await documents.issue_by_operator(
        world.deps, entity_id="ent-globex", doc_type=DocumentType.INVOICE,
        lines=[Line("Parking", 1, 1000, 2000)], contract_number="", period_start="",
        period_end="", credits_document_id="",
    )  # fmt: skip
    # One sequence for the issuer: another customer's invoice takes the next number.
    assert other.document.number == "FAC-2026-000004"


async def test_list_filters_and_dates(world: World):
    await world.submit("o-1")
    with pytest.raises(InvalidArgument) as err:
        await _docs(world, date_from="2026-13-01", date_to="nope")
    assert {v.field for v in err.value.violations} == {"from", "to"}
    assert await _docs(world, date_from="2026-03-11") == []
    assert len(await _docs(world, date_from="2026-03-10", date_to="2026-03-10")) == 1
    assert len(await _docs(world, unpaid=True)) == 1
    assert await _docs(world, doc_type=DocumentType.CREDIT_NOTE) == []


async def test_card_payment_webhook_applies_once_in_order(world: World):
    await world.submit("o-1")
    [invoice] = await _docs(world)
    view = await payments.pay_document(world.deps, world.acme, invoice.id)
    assert view.payment.state.value == "PENDING" and view.redirect_url
    ref = f"ref_{view.payment.id}"
    assert world.provider.checkouts[ref]["return"].endswith(f"/payments/{view.payment.id}")

    body, headers = world.provider.notification(ref, "SUCCEEDED", "evt-1")
    assert await _webhook(world, body, headers) is True
    assert await _webhook(world, body, headers) is False  # replay
    late, late_headers = world.provider.notification(ref, "ACTION_REQUIRED", "evt-0")
    assert await _webhook(world, late, late_headers) is False  # out of order

    paid = (await documents.get_document(world.deps, world.acme, invoice.id)).document
    assert paid.paid and paid.remaining_cents == 0
    [event] = await world.events("PaymentSucceeded")
    assert event.order_id == "o-1" and list(event.document_ids) == [invoice.id]
    assert event.method == "CARD" and event.amount.amount_cents == invoice.totals.incl_cents
    got = await payments.get_payment(world.deps, world.acme, view.payment.id)
    assert got.payment.state.value == "SUCCEEDED" and got.payment.completed_at
    with pytest.raises(FailedPrecondition) as err:
        await payments.pay_document(world.deps, world.acme, invoice.id)
    assert err.value.reason == "DOCUMENT_ALREADY_PAID"


async def test_bad_signature_and_declined_card(world: World):
    await world.submit("o-1")
    [invoice] = await _docs(world)
    view = await payments.pay_document(world.deps, world.acme, invoice.id)
    ref = f"ref_{view.payment.id}"
    forged, headers = world.provider.notification(ref, "SUCCEEDED", "evt-x", secret="wrong")
    with pytest.raises(Unauthenticated):
        await _webhook(world, forged, headers)
    with pytest.raises(Unauthenticated):
        await _webhook(world, forged, {})
    body, headers = world.provider.notification(ref, "FAILED", "evt-2", reason="CARD_DECLINED")
    assert await _webhook(world, body, headers) is True
    failed = await payments.get_payment(world.deps, world.acme, view.payment.id)
    assert failed.payment.failure_reason == "CARD_DECLINED"
    [event] = await world.events("PaymentFailed")
    assert event.reason == "CARD_DECLINED" and event.order_id == "o-1"
    assert not (await documents.get_document(world.deps, world.acme, invoice.id)).document.paid


async def test_provider_down_marks_the_payment_failed_and_answers_unavailable(world: World):
    await world.submit("o-1")
    world.provider.fail_with = ProviderUnavailable("down")
    with pytest.raises(ProviderUnavailable):
        await payments.pay_balance(world.deps, world.acme, None)
    [failed], _ = await payments.list_payments(world.deps, world.acme, 0, "")
    assert failed.payment.state.value == "FAILED"
    assert failed.payment.failure_reason == "PAYMENT_PROVIDER_UNAVAILABLE"


async def test_balance_pays_oldest_first(world: World):
    await world.submit("o-1", loads=1000, cards=0)
    await world.submit("o-2", loads=2000, cards=0)
    due, unpaid = await documents.balance(world.deps, world.acme)
    assert due == 3000 and [v.document.order_id for v in unpaid] == ["o-1", "o-2"]
    view = await payments.pay_balance(world.deps, world.acme, 1500)
    assert [(a.amount_cents) for a in view.payment.allocations] == [1000, 500]
    assert view.payment.order_id == ""


async def test_transfer_matched_pays_and_unmatched_is_kept(world: World):
    await world.submit("o-1", method="TRANSFER", reference="RF18 ABC 123")
    [invoice] = await _docs(world)
    unknown = transfers.transfer_input("2026-03-11", 999, "RF00NOPE", "X")
    kept = await transfers.record_transfer(world.deps, unknown)
    assert kept.matched is False
    given = transfers.transfer_input("2026-03-12", invoice.totals.incl_cents, "rf18abc123", "ACME")
    matched = await transfers.record_transfer(world.deps, given)
    assert matched.matched and matched.order_id == "o-1" and matched.payment_id
    assert (await documents.get_document(world.deps, world.acme, invoice.id)).document.paid
    [event] = await world.events("PaymentSucceeded")
    assert event.order_id == "o-1" and event.method == "TRANSFER"
    rows, _ = await transfers.list_transfers(world.deps, True, 0, "")
    assert [r.id for r in rows] == [kept.id]
    with pytest.raises(InvalidArgument):
        await transfers.import_statement(world.deps, b"date;amount;reference;payer\nx;y;;z\n")
    imported = await transfers.import_statement(
        world.deps, b"date;amount;reference;payer\n2026-03-13;12,50;RF99;ACME\n"
    )
    assert [r.amount_cents for r in imported] == [1250] and not imported[0].matched


async def test_cancelled_order_gets_a_credit_note_once(world: World):
    await world.submit("o-1")
    cancelled = ordering_events.OrderCancelled(event_id="c1", entity_id="ent-acme", order_id="o-1")
    await world.handle(order_cancelled_handler, cancelled)
    await world.handle(order_cancelled_handler, cancelled)
    [note] = await _docs(world, doc_type=DocumentType.CREDIT_NOTE)
    [invoice] = await _docs(world, doc_type=DocumentType.INVOICE)
    assert note.credits_document_id == invoice.id and note.number.startswith("AV-")
    assert invoice.credited and await _docs(world, unpaid=True) == []
    assert (await documents.balance(world.deps, world.acme))[0] == 0
    assert [e.type for e in await world.events("DocumentIssued")] == ["INVOICE", "CREDIT_NOTE"]


async def test_claims_one_open_per_document_and_answered(world: World):
    await world.submit("o-1")
    [invoice] = await _docs(world)
    claim = await accounts.create_claim(
        world.deps, world.acme, document_id=invoice.id, reason="wrong_amount", message="Fee?"
    )
    with pytest.raises(AlreadyExists):
        await accounts.create_claim(
            world.deps, world.acme, document_id=invoice.id, reason="OTHER", message="again"
        )
    answered = await accounts.answer(
        world.deps, claim.id, status=ClaimStatus.REJECTED, answer_text="Right fee."
    )
    assert answered.status is ClaimStatus.REJECTED
    again = await accounts.create_claim(
        world.deps, world.acme, document_id=invoice.id, reason="OTHER", message="Still?"
    )
    assert again.id != claim.id
    assert len(await world.events("ClaimOpened")) == 2
    assert (await world.events("ClaimAnswered"))[0].status == "REJECTED"


async def test_another_entitys_resources_are_not_found(world: World):
    await world.submit("o-1")
    [invoice] = await _docs(world)
    for call in (
        documents.get_document(world.deps, world.globex, invoice.id),
        documents.document_pdf(world.deps, world.globex, invoice.id),
        payments.pay_document(world.deps, world.globex, invoice.id),
        accounts.create_claim(
            world.deps, world.globex, document_id=invoice.id, reason="OTHER", message="x"
        ),
    ):
        with pytest.raises(NotFound):
            await call
    mandate = await accounts.create_mandate(
        world.deps, world.acme, iban="FR76 3000 6000 0112 3456 7890 189", bic="", holder="ACME"
    )
    assert mandate.iban_masked.replace(" ", "").endswith("0189")
    assert "30006000011234567890" not in mandate.iban_masked.replace(" ", "")
    with pytest.raises(NotFound):
        await accounts.revoke_mandate(world.deps, world.globex, mandate.id)
    assert (await accounts.revoke_mandate(world.deps, world.acme, mandate.id)).status == "REVOKED"
    with pytest.raises(FailedPrecondition):
        await accounts.revoke_mandate(world.deps, world.acme, mandate.id)
    with pytest.raises(InvalidArgument) as err:
        await accounts.create_mandate(
            world.deps, world.acme, iban="FR7630006000011234567890188", bic="", holder="ACME"
        )
    assert [v.field for v in err.value.violations] == ["iban"]


async def test_pdf_shows_the_number_and_the_account(world: World):
    await world.handle(
        account_updated_handler,
        identity_events.AccountUpdated(
            event_id="a1", entity_id="ent-acme", name="ACME Corp", client_number="C-77"
        ),
    )
    await world.submit("o-1")
    [invoice] = await _docs(world)
    pdf = await documents.document_pdf(world.deps, world.acme, invoice.id)
    assert pdf.startswith(b"%PDF")


async def test_order_cancelled_before_billing_saw_it_submitted(world: World):
    cancelled = ordering_events.OrderCancelled(event_id="c1", entity_id="ent-acme", order_id="o-1")
    await world.handle(order_cancelled_handler, cancelled)
    await world.submit("o-1", method="TRANSFER", reference="RF1")
    [note] = await _docs(world, doc_type=DocumentType.CREDIT_NOTE)
    assert note.order_id == "o-1" and (await documents.balance(world.deps, world.acme))[0] == 0


async def test_a_transfer_received_before_its_order_is_announced_pays_it_once(world: World):
    # 100.00 loaded + one card (5.00 + 20 % VAT) = 106.00
    early = transfers.transfer_input("2026-03-10", 10_600, "RF18 EARLY 1", "ACME")
    kept = await transfers.record_transfer(world.deps, early)
    assert kept.matched is False
    await world.submit("o-1", method="TRANSFER", reference="rf18early1")
    [invoice] = await _docs(world)
    assert (await documents.get_document(world.deps, world.acme, invoice.id)).document.paid
    [settled] = await world.events("InvoiceSettled")
    assert (settled.order_id, settled.document_id) == ("o-1", invoice.id)
    rows, _ = await transfers.list_transfers(world.deps, False, 0, "")
    [now] = [r for r in rows if r.id == kept.id]
    assert now.matched and now.order_id == "o-1" and now.payment_id
    # An operator's rematch (or a redelivered event) applies nothing twice.
    applied, unmatched = await transfers.rematch_transfers(world.deps)
    assert applied == [] and unmatched == 0
    assert len(await world.events("PaymentSucceeded")) == 1


async def test_operators_rematch_what_became_expected(world: World):
    await world.submit("o-1", method="TRANSFER", reference="RF18 LATE 2")
    [invoice] = await _docs(world)
    other = transfers.transfer_input("2026-03-10", 500, "RF00 UNKNOWN", "X")
    await transfers.record_transfer(world.deps, other)
    applied, unmatched = await transfers.rematch_transfers(world.deps)
    assert applied == [] and unmatched == 1
    assert not (await documents.get_document(world.deps, world.acme, invoice.id)).document.paid


def test_amounts_beyond_one_operation_are_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        transfers.transfer_input("2026-03-10", 2**63 - 1, "RF18", "X")
    assert [v.field for v in caught.value.violations] == ["amount"]
    with pytest.raises(InvalidArgument) as caught:
        transfers.transfer_input("2026-03-10", 100, "RF18", "X", currency="USD")
    assert [v.field for v in caught.value.violations] == ["amount.currency"]
