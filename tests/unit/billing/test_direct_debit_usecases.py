"""Direct debits end to end on a real database: the IBAN encrypted at rest,
operators listing mandates, collecting (pre-notifications), the pain.008 file
checked against the official schema, settling once, returns applied once and
exactly, a bad returns file changing nothing, a credited invoice not collected."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from sqlalchemy import select, text

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.billing.domain.direct_debits import BatchStatus, DebitStatus, SequenceType
from services.billing.domain.payments import PaymentState
from services.billing.store.tables import bank_account_secrets, mandates
from services.billing.usecases import accounts, direct_debits, documents, payments
from services.billing.usecases.orders import credit_cancelled_order

from .conftest import World

IBAN = "FR7630006000011234567890189"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
DUE = "2026-04-09"  # an order's invoice issued on 2026-03-10 falls due 30 days later


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


async def _mandate(world: World, principal=None):
    return await accounts.create_mandate(
        world.deps, principal or world.acme, iban=IBAN, bic="", holder="ACME SAS"
    )


async def _invoice(world: World, order_id: str):
    async with world.db.transaction() as s:
        return await world.deps.repo.documents.invoice_of_order(s, order_id)


async def test_the_full_iban_is_kept_only_encrypted(world: World) -> None:
    mandate = await _mandate(world)
    assert mandate.iban_masked == "FR76 **** **** **** **** ***0 189"
    async with world.db.transaction() as s:
        rows = [
            *(await s.execute(select(mandates))).all(),
            *(await s.execute(select(bank_account_secrets))).all(),
        ]
        dump = (await s.execute(text("SELECT * FROM mandates, bank_account_secrets"))).all()
    stored = " ".join(str(value) for row in [*rows, *dump] for value in row)
    assert IBAN not in stored and "30006000011234567890" not in stored
    [secret] = [row for row in rows if hasattr(row, "ciphertext")]
    assert secret.id == mandate.iban_secret_id
    assert world.deps.ibans.open(secret.ciphertext) == IBAN
    listed, _ = await accounts.list_mandates(world.deps, world.acme, 50, "")
    assert [m.iban_masked for m in listed] == [mandate.iban_masked]


async def test_operators_list_every_mandate_filtered(world: World) -> None:
    acme = await _mandate(world)
    globex = await _mandate(world, world.globex)
    await accounts.revoke_mandate(world.deps, world.globex, globex.id)
    every, _ = await accounts.list_mandates(world.deps, None, 50, "", every_entity=True)
    assert {m.id for m in every} == {acme.id, globex.id}
    only_acme, _ = await accounts.list_mandates(
        world.deps, None, 50, "", every_entity=True, entity_id="ent-acme"
    )
    assert [m.id for m in only_acme] == [acme.id]
    revoked, _ = await accounts.list_mandates(
        world.deps, None, 50, "", every_entity=True, status="revoked"
    )
    assert [m.id for m in revoked] == [globex.id]
    paged, token = await accounts.list_mandates(world.deps, None, 1, "", every_entity=True)
    assert len(paged) == 1 and token
    with pytest.raises(InvalidArgument) as bad:
        await accounts.list_mandates(world.deps, None, 50, "", every_entity=True, status="GONE")
    assert bad.value.violations[0].field == "status"
    # Customers see their own only.
    mine, _ = await accounts.list_mandates(world.deps, world.acme, 50, "")
    assert [m.id for m in mine] == [acme.id]


async def test_collect_file_settle_return(world: World) -> None:
    mandate = await _mandate(world)
    await world.submit("o-1", method="TRANSFER", reference="RF18CMD1")
    await world.submit("o-2", method="CARD", entity="ent-globex")  # no mandate
    invoice = await _invoice(world, "o-1")
    total = invoice.totals.incl_cents

    with pytest.raises(InvalidArgument) as early:
        await direct_debits.collect(world.deps, "2026-03-23")
    assert early.value.violations[0].field == "collectionDate"
    with pytest.raises(InvalidArgument):
        await direct_debits.collect(world.deps, "24/03/2026")
    with pytest.raises(FailedPrecondition) as not_due:
        await direct_debits.collect(world.deps, "2026-04-08")
    assert not_due.value.reason == "NOTHING_TO_COLLECT"

    batch = await direct_debits.collect(world.deps, DUE)
    [debit] = batch.debits
    assert (debit.document_id, debit.amount_cents, debit.mandate_id) == (
        invoice.id,
        total,
        mandate.id,
    )
    assert debit.sequence_type is SequenceType.FIRST and debit.order_id == "o-1"
    [scheduled] = await world.events("DirectDebitScheduled")
    assert scheduled.entity_id == "ent-acme" and scheduled.document_number == invoice.number
    assert scheduled.amount.amount_cents == total and scheduled.collection_date == DUE
    assert scheduled.mandate_reference == mandate.reference
    assert scheduled.creditor_id == world.deps.creditor.identifier
    assert IBAN not in str(scheduled)
    with pytest.raises(FailedPrecondition):  # one debit per invoice at a time
        await direct_debits.collect(world.deps, DUE)

    xml = await direct_debits.batch_file(world.deps, batch.id)
    xmlschema.XMLSchema(str(XSD)).validate(xml.decode())
    root = ET.fromstring(xml)  # noqa: S314 - the file billing just built
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == euros(total)
    assert root.findtext(".//p:PmtTpInf/p:SeqTp", namespaces=NS) == "FRST"
    assert root.findtext(".//p:ReqdColltnDt", namespaces=NS) == DUE
    creditor_id = ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id"
    assert root.findtext(creditor_id, namespaces=NS) == "FR72ZZZ123456"
    tx = root.find(".//p:DrctDbtTxInf", NS)
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == debit.end_to_end_id
    assert tx.findtext("p:InstdAmt", namespaces=NS) == euros(total)
    assert tx.findtext(".//p:MndtId", namespaces=NS) == mandate.reference
    assert tx.findtext(".//p:DtOfSgntr", namespaces=NS) == "2026-03-10"
    assert tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
    assert tx.findtext("p:Dbtr/p:Nm", namespaces=NS) == "ACME SAS"

    settled = await direct_debits.settle_batch(world.deps, batch.id)
    assert settled.status is BatchStatus.SETTLED
    [collected] = settled.debits
    assert collected.status is DebitStatus.COLLECTED and collected.applied_cents == total
    assert (await _invoice(world, "o-1")).paid
    [settled_event] = await world.events("InvoiceSettled")
    assert settled_event.order_id == "o-1" and settled_event.document_id == invoice.id
    [succeeded] = await world.events("PaymentSucceeded")
    assert succeeded.method == "DIRECT_DEBIT" and succeeded.amount.amount_cents == total
    again = await direct_debits.settle_batch(world.deps, batch.id)  # once only
    assert again == settled
    assert len(await world.events("PaymentSucceeded")) == 1
    assert len(await world.events("InvoiceSettled")) == 1

    returns = f"end_to_end_id;reason_code;date\n{debit.end_to_end_id};AM04;2026-04-14\n".encode()
    done = await direct_debits.import_returns(world.deps, returns)
    assert [d.status for d in done.returned] == [DebitStatus.RETURNED] and not done.rejected
    reopened = await _invoice(world, "o-1")
    assert reopened.remaining_cents == total and reopened.paid_cents == 0
    view = await payments.get_payment(world.deps, world.acme, collected.payment_id)
    assert view.payment.state is PaymentState.RETURNED and view.payment.failure_reason == "AM04"
    [returned] = await world.events("DirectDebitReturned")
    assert returned.reopened and returned.reason_code == "AM04"
    assert returned.returned_on == "2026-04-14" and returned.amount.amount_cents == total
    twice = await direct_debits.import_returns(world.deps, returns)
    assert [d.id for d in twice.unchanged] == [debit.id] and not twice.returned
    assert (await _invoice(world, "o-1")).remaining_cents == total
    assert len(await world.events("DirectDebitReturned")) == 1

    # Due again: the next collection is recurring (the bank has had one).
    world.clock.now += timedelta(days=20)
    later = await direct_debits.collect(world.deps, "2026-04-20")
    [again_debit] = later.debits
    assert again_debit.sequence_type is SequenceType.RECURRING
    assert again_debit.amount_cents == total
    batches, _ = await direct_debits.list_batches(world.deps, 50, "")
    assert [b.id for b in batches] == [later.id, batch.id]


async def test_a_bad_returns_file_changes_nothing(world: World) -> None:
    await _mandate(world)
    await world.submit("o-1")
    batch = await direct_debits.collect(world.deps, DUE)
    [debit] = batch.debits
    bad = f"{debit.end_to_end_id};AC04\nNO-SUCH-DEBIT;AC04\n".encode()
    with pytest.raises(InvalidArgument) as caught:
        await direct_debits.import_returns(world.deps, bad)
    assert [v.field for v in caught.value.violations] == ["line 2: end_to_end_id"]
    assert (await direct_debits.get_batch(world.deps, batch.id)).debits == batch.debits
    assert await world.events("DirectDebitReturned") == []

    # A pending debit returned is rejected: the invoice can be collected again.
    done = await direct_debits.import_returns(world.deps, f"{debit.end_to_end_id};AC04\n".encode())
    assert [d.status for d in done.rejected] == [DebitStatus.REJECTED]
    [event] = await world.events("DirectDebitReturned")
    assert not event.reopened
    settled = await direct_debits.settle_batch(world.deps, batch.id)
    assert [d.status for d in settled.debits] == [DebitStatus.REJECTED]
    assert not (await _invoice(world, "o-1")).paid
    retry = await direct_debits.collect(world.deps, DUE)
    assert retry.debits[0].sequence_type is SequenceType.FIRST  # the bank had none


async def test_an_invoice_credited_after_collection_is_not_collected(world: World) -> None:
    await _mandate(world)
    await world.submit("o-1")
    await world.submit("o-2", loads=5_000)
    batch = await direct_debits.collect(world.deps, DUE)
    async with world.db.transaction() as s:
        await credit_cancelled_order(world.deps, s, order_id="o-2", entity_id="ent-acme")
    settled = await direct_debits.settle_batch(world.deps, batch.id)
    status = {d.order_id: (d.status, d.reason) for d in settled.debits}
    assert status == {
        "o-1": (DebitStatus.COLLECTED, ""),
        "o-2": (DebitStatus.CANCELLED, "INVOICE_CREDITED"),
    }
    assert [e.order_id for e in await world.events("InvoiceSettled")] == ["o-1"]
    due, _ = await documents.balance(world.deps, world.acme)
    assert due == 0
    xml = await direct_debits.batch_file(world.deps, batch.id)  # what was collected
    assert xml.count(b"<DrctDbtTxInf>") == 1
