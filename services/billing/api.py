"""The gRPC servicers: protobuf -> use case -> protobuf, nothing else.

The runtime's interceptor has already enforced each method's declared policy;
the caller comes from `current_principal()`. Use cases raise domain errors,
which the runtime maps to gRPC statuses.
"""

from __future__ import annotations

import time

from google.api import httpbody_pb2

from portal.billing.v1 import billing_pb2 as pb
from portal.billing.v1 import billing_pb2_grpc
from portal_runtime.auth import current_principal, request_metadata
from portal_runtime.protos import money
from services.billing import convert
from services.billing.sepa_file import CONTENT_TYPE as SEPA_FILE_TYPE
from services.billing.usecases import accounts, direct_debits, documents, payments, transfers
from services.billing.usecases.common import Deps

PDF_TYPE = "application/pdf"


class BillingApi(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # ---- documents -----------------------------------------------------------------
    async def ListDocuments(self, request: pb.ListDocumentsRequest, context):
        views, token = await documents.list_documents(
            self.deps,
            current_principal(),
            doc_type=convert.DOCUMENT_TYPE_OF.get(request.type),
            date_from=getattr(request, "from"),
            date_to=request.to,
            unpaid=request.unpaid,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        answer = pb.ListDocumentsResponse(next_page_token=token)
        for view in views:
            convert.fill_document(answer.documents.add(), view)
        return answer

    async def GetDocument(self, request: pb.GetDocumentRequest, context):
        return convert.document(
            await documents.get_document(self.deps, current_principal(), request.id)
        )

    async def GetDocumentPdf(self, request: pb.GetDocumentPdfRequest, context):
        data = await documents.document_pdf(self.deps, current_principal(), request.id)
        return httpbody_pb2.HttpBody(content_type=PDF_TYPE, data=data)

    async def GetBalance(self, request: pb.GetBalanceRequest, context):
        due, views = await documents.balance(self.deps, current_principal())
        return pb.Balance(due=money(due), unpaid_documents=[convert.document(v) for v in views])

    # ---- payments ------------------------------------------------------------------
    async def PayBalance(self, request: pb.PayBalanceRequest, context):
        amount = request.amount.amount_cents if request.HasField("amount") else None
        view = await payments.pay_balance(
            self.deps, current_principal(), amount, request.amount.currency
        )
        return convert.payment(view)

    async def PayDocument(self, request: pb.PayDocumentRequest, context):
        view = await payments.pay_document(self.deps, current_principal(), request.id)
        return convert.payment(view)

    async def ListPayments(self, request: pb.ListPaymentsRequest, context):
        views, token = await payments.list_payments(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListPaymentsResponse(
            payments=[convert.payment(v) for v in views], next_page_token=token
        )

    async def GetPayment(self, request: pb.GetPaymentRequest, context):
        return convert.payment(
            await payments.get_payment(self.deps, current_principal(), request.id)
        )

    async def ReceivePaymentWebhook(self, request: pb.ReceivePaymentWebhookRequest, context):
        applied = await payments.receive_webhook(
            self.deps, request.payload.data, request_metadata(), time.time()
        )
        return pb.ReceivePaymentWebhookResponse(applied=applied)

    # ---- mandates ------------------------------------------------------------------
    async def ListMandates(self, request: pb.ListMandatesRequest, context):
        found, token = await accounts.list_mandates(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListMandatesResponse(
            mandates=[convert.mandate(m) for m in found], next_page_token=token
        )

    async def CreateMandate(self, request: pb.CreateMandateRequest, context):
        mandate = await accounts.create_mandate(
            self.deps,
            current_principal(),
            iban=request.iban,
            bic=request.bic,
            holder=request.holder,
        )
        return convert.mandate(mandate)

    async def RevokeMandate(self, request: pb.RevokeMandateRequest, context):
        return convert.mandate(
            await accounts.revoke_mandate(self.deps, current_principal(), request.id)
        )

    # ---- claims --------------------------------------------------------------------
    async def CreateClaim(self, request: pb.CreateClaimRequest, context):
        claim = await accounts.create_claim(
            self.deps,
            current_principal(),
            document_id=request.document_id,
            reason=request.reason,
            message=request.message,
        )
        return convert.claim(claim)

    async def ListClaims(self, request: pb.ListClaimsRequest, context):
        found, token = await accounts.list_claims(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListClaimsResponse(
            claims=[convert.claim(c) for c in found], next_page_token=token
        )


class BillingAdminApi(billing_pb2_grpc.BillingAdminServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def IssueDocument(self, request: pb.IssueDocumentRequest, context):
        view = await documents.issue_by_operator(
            self.deps,
            entity_id=request.entity_id,
            doc_type=convert.DOCUMENT_TYPE_OF.get(request.type),
            lines=convert.lines_input(request.lines),
            contract_number=request.contract_number,
            period_start=request.period_start,
            period_end=request.period_end,
            credits_document_id=request.credits_document_id,
        )
        return convert.document(view)

    async def RecordTransfer(self, request: pb.RecordTransferRequest, context):
        given = transfers.transfer_input(
            request.received_on,
            request.amount.amount_cents,
            request.reference,
            request.payer,
            request.amount.currency,
        )
        return convert.transfer(await transfers.record_transfer(self.deps, given))

    async def ImportBankStatement(self, request: pb.ImportBankStatementRequest, context):
        received = await transfers.import_statement(self.deps, request.file.data)
        matched = sum(1 for t in received if t.matched)
        return pb.ImportBankStatementResponse(
            matched=matched,
            unmatched=len(received) - matched,
            transfers=[convert.transfer(t) for t in received],
        )

    async def RematchTransfers(self, request: pb.RematchTransfersRequest, context):
        applied, unmatched = await transfers.rematch_transfers(self.deps)
        return pb.RematchTransfersResponse(
            transfers=[convert.transfer(t) for t in applied], still_unmatched=unmatched
        )

    async def ListTransfers(self, request: pb.ListTransfersRequest, context):
        found, token = await transfers.list_transfers(
            self.deps, request.unmatched, request.page_size, request.page_token
        )
        return pb.ListTransfersResponse(
            transfers=[convert.transfer(t) for t in found], next_page_token=token
        )

    async def ListAllClaims(self, request: pb.ListAllClaimsRequest, context):
        found, token = await accounts.list_claims(
            self.deps,
            current_principal(),
            request.page_size,
            request.page_token,
            every_entity=True,
            status=convert.CLAIM_STATUS_OF.get(request.status),
        )
        return pb.ListClaimsResponse(
            claims=[convert.claim(c) for c in found], next_page_token=token
        )

    async def AnswerClaim(self, request: pb.AnswerClaimRequest, context):
        claim = await accounts.answer(
            self.deps,
            request.id,
            status=convert.CLAIM_STATUS_OF.get(request.status),
            answer_text=request.answer,
        )
        return convert.claim(claim)

    # ---- mandates and direct debits ----------------------------------------------------
    async def ListAllMandates(self, request: pb.ListAllMandatesRequest, context):
        found, token = await accounts.list_mandates(
            self.deps,
            current_principal(),
            request.page_size,
            request.page_token,
            every_entity=True,
            entity_id=request.entity_id,
            status=request.status,
        )
        return pb.ListMandatesResponse(
            mandates=[convert.mandate(m) for m in found], next_page_token=token
        )

    async def CollectDirectDebits(self, request: pb.CollectDirectDebitsRequest, context):
        return convert.debit_batch(await direct_debits.collect(self.deps, request.collection_date))

    async def ListDirectDebitBatches(self, request: pb.ListDirectDebitBatchesRequest, context):
        found, token = await direct_debits.list_batches(
            self.deps, request.page_size, request.page_token
        )
        return pb.ListDirectDebitBatchesResponse(
            batches=[convert.debit_batch(b) for b in found], next_page_token=token
        )

    async def GetDirectDebitBatch(self, request: pb.GetDirectDebitBatchRequest, context):
        return convert.debit_batch(await direct_debits.get_batch(self.deps, request.id))

    async def GetDirectDebitBatchFile(self, request: pb.GetDirectDebitBatchFileRequest, context):
        data = await direct_debits.batch_file(self.deps, request.id)
        return httpbody_pb2.HttpBody(content_type=SEPA_FILE_TYPE, data=data)

    async def SettleDirectDebitBatch(self, request: pb.SettleDirectDebitBatchRequest, context):
        return convert.debit_batch(await direct_debits.settle_batch(self.deps, request.id))

    async def ImportDirectDebitReturns(self, request: pb.ImportDirectDebitReturnsRequest, context):
        done = await direct_debits.import_returns(self.deps, request.file.data)
        return pb.ImportDirectDebitReturnsResponse(
            returned=len(done.returned),
            rejected=len(done.rejected),
            unchanged=len(done.unchanged),
            debits=[convert.direct_debit(d) for d in done.debits],
        )
