"""`bootstrap(settings)` wires a working billing service: migrations, the
servicers behind the runtime's interceptor (the webhook public, the rest
token-checked), the consumers, and the provider closed at shutdown (NATS
unreachable: events wait in the outbox)."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.api import httpbody_pb2

from portal.billing.v1 import billing_pb2 as pb
from portal.billing.v1 import billing_pb2_grpc as rpc
from portal.common.v1 import types_pb2
from portal.ordering.v1 import events_pb2 as ordering_events
from services.billing.__main__ import bootstrap
from services.billing.handlers import order_submitted_handler
from tests.support.services import make_tokens, offline_settings

from .conftest import IBAN_KEY, FakeProvider

PERMS = ["billing.read", "billing.pay"]


async def test_bootstrap_serves_billing(tmp_path: Path) -> None:
    tokens = make_tokens(tmp_path)
    acme, globex = tokens.customer("ent-acme", PERMS), tokens.customer("ent-globex", PERMS)
    ops = tokens.operator()
    settings = offline_settings(
        "billing",
        tmp_path,
        PORTAL_WEB_URL="https://portal.test",
        PORTAL_BILLING_IBAN_KEYS=IBAN_KEY,
    )
    provider = FakeProvider()
    app = bootstrap(settings, provider=provider)
    await app.start()
    try:
        async with app.db.transaction() as s:
            await order_submitted_handler(app.deps)(
                s,
                ordering_events.OrderSubmitted(
                    event_id="e1",
                    entity_id="ent-acme",
                    order_id="o-1",
                    order_number="CMD-1",
                    amount=types_pb2.Money(amount_cents=10_600, currency="EUR"),
                    payment_method="TRANSFER",
                    transfer_reference="RF18CMD1",
                    loads_cents=10_000,
                    new_cards=1,
                    card_fee_cents=500,
                    card_fee_vat_bp=2000,
                ),
            )
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            billing = rpc.BillingServiceStub(channel)
            admin = rpc.BillingAdminServiceStub(channel)
            listed = await billing.ListDocuments(pb.ListDocumentsRequest(), metadata=acme)
            [invoice] = listed.documents
            assert invoice.number == "FAC-2026-000001" or invoice.number.startswith("FAC-")
            assert invoice.total_incl_tax.amount_cents == 10_600 and not invoice.paid
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await billing.GetDocument(pb.GetDocumentRequest(id=invoice.id), metadata=globex)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            pdf = await billing.GetDocumentPdf(
                pb.GetDocumentPdfRequest(id=invoice.id), metadata=acme
            )
            assert pdf.content_type == "application/pdf" and pdf.data.startswith(b"%PDF")
            payment = await billing.PayDocument(pb.PayDocumentRequest(id=invoice.id), metadata=acme)
            assert payment.state == pb.PAYMENT_STATE_PENDING and payment.redirect_url
            assert payment.order_id == "o-1"
            ref = f"ref_{payment.id}"
            assert provider.checkouts[ref]["return"] == f"https://portal.test/payments/{payment.id}"
            body, headers = provider.notification(ref, "SUCCEEDED", "evt-1")
            webhook = pb.ReceivePaymentWebhookRequest(
                payload=httpbody_pb2.HttpBody(content_type="application/json", data=body)
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await billing.ReceivePaymentWebhook(webhook)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
            signed = tuple(headers.items())
            assert (await billing.ReceivePaymentWebhook(webhook, metadata=signed)).applied
            assert not (await billing.ReceivePaymentWebhook(webhook, metadata=signed)).applied
            got = await billing.GetPayment(pb.GetPaymentRequest(id=payment.id), metadata=acme)
            assert got.state == pb.PAYMENT_STATE_SUCCEEDED
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await billing.PayDocument(pb.PayDocumentRequest(id=invoice.id), metadata=acme)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await admin.ListTransfers(pb.ListTransfersRequest(), metadata=acme)
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
            recorded = await admin.RecordTransfer(
                pb.RecordTransferRequest(
                    received_on="2026-11-20",
                    reference="RF00NOPE",
                    amount=types_pb2.Money(amount_cents=100, currency="EUR"),
                ),
                metadata=ops,
            )
            assert not recorded.matched
            unmatched = await admin.ListTransfers(
                pb.ListTransfersRequest(unmatched=True), metadata=ops
            )
            assert [t.id for t in unmatched.transfers] == [recorded.id]
            claim = await billing.CreateClaim(
                pb.CreateClaimRequest(document_id=invoice.id, reason="OTHER", message="?"),
                metadata=acme,
            )
            answered = await admin.AnswerClaim(
                pb.AnswerClaimRequest(id=claim.id, answer="ok", status=pb.CLAIM_STATUS_ACCEPTED),
                metadata=ops,
            )
            assert answered.status == pb.CLAIM_STATUS_ACCEPTED
            mandate = await billing.CreateMandate(
                pb.CreateMandateRequest(iban="FR7630006000011234567890189", holder="ACME"),
                metadata=acme,
            )
            assert mandate.status == "ACTIVE"
            balance = await billing.GetBalance(pb.GetBalanceRequest(), metadata=acme)
            assert balance.due.amount_cents == 0
    finally:
        await app.stop()
    assert provider.closed
