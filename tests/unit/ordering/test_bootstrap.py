"""`bootstrap(settings)` wires a working service: migrations, the three
servicers behind the runtime's interceptor, the InvoiceSettled consumer and
the import task (NATS unreachable: events wait in the outbox)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
import pytest
from google.api import httpbody_pb2

from portal.billing.v1 import events_pb2 as billing_events
from portal.common.v1 import types_pb2
from portal.ordering.v1 import ordering_pb2 as pb
from portal.ordering.v1 import ordering_pb2_grpc as rpc
from services.ordering.__main__ import bootstrap
from services.ordering.handlers import invoice_settled_handler
from tests.support.services import make_tokens, offline_settings

from .helpers import file_row, order_file

PERMS = ["orders.read", "orders.write"]


async def test_bootstrap_serves_ordering(tmp_path: Path) -> None:
    tokens = make_tokens(tmp_path)
    acme, globex = tokens.customer("ent-acme", PERMS), tokens.customer("ent-globex", PERMS)
    ops = tokens.operator()
    settings = offline_settings(
        "ordering",
        tmp_path,
        PORTAL_ORDERING_TRANSFER_HOLDER="ACME Cards",
        PORTAL_ORDERING_SYNC_IMPORT_MAX_LINES="1",
    )
    app = bootstrap(settings)
    await app.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            ordering = rpc.OrderingServiceStub(channel)
            admin = rpc.OrderingAdminServiceStub(channel)
            stats = rpc.StatisticsServiceStub(channel)
            address = types_pb2.Address(
                line1="1 rue X", postal_code="75001", city="Paris", country="FR"
            )
            await ordering.CreateDeliveryPoint(
                pb.CreateDeliveryPointRequest(
                    delivery_point=pb.DeliveryPoint(name="HQ", code="HQ", address=address)
                ),
                metadata=acme,
            )
            template = await ordering.GetOrderTemplate(pb.GetOrderTemplateRequest(), metadata=acme)
            assert template.content_type.startswith("text/csv") and template.data
            body = httpbody_pb2.HttpBody(
                content_type="text/csv", data=order_file([file_row("E-1", "40")])
            )
            imported = await ordering.ImportOrder(pb.ImportOrderRequest(file=body), metadata=acme)
            order = imported.order
            assert order.source == "FILE" and order.status == pb.ORDER_STATUS_DRAFT
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await ordering.GetOrder(pb.GetOrderRequest(id=order.id), metadata=globex)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await ordering.SubmitOrder(
                    pb.SubmitOrderRequest(id=order.id, payment_method="CHEQUE"), metadata=acme
                )
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            submitted = await ordering.SubmitOrder(
                pb.SubmitOrderRequest(id=order.id, payment_method="TRANSFER"), metadata=acme
            )
            assert submitted.transfer.holder == "ACME Cards"
            assert submitted.transfer.amount.amount_cents == 4600  # fee VAT included
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await admin.StartProduction(pb.StartProductionRequest(id=order.id), metadata=acme)
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
            async with app.db.transaction() as s:
                await invoice_settled_handler(app.deps)(
                    s,
                    billing_events.InvoiceSettled(
                        event_id="e1",
                        entity_id="ent-acme",
                        order_id=order.id,
                        document_id="inv-1",
                        total_incl_tax=types_pb2.Money(amount_cents=4600, currency="EUR"),
                    ),
                )
            started = await admin.StartProduction(
                pb.StartProductionRequest(id=order.id), metadata=ops
            )
            assert started.status == pb.ORDER_STATUS_IN_PRODUCTION
            loaded = await admin.RecordLoads(
                pb.RecordLoadsRequest(
                    id=order.id, outcomes=[pb.LoadOutcome(line_id=started.lines[0].id, loaded=True)]
                ),
                metadata=ops,
            )
            assert loaded.lines_loaded == 1
            as_json = await stats.GetLoadStatistics(pb.GetLoadStatisticsRequest(), metadata=acme)
            assert as_json.content_type == "application/json"
            assert json.loads(as_json.data)["months"][0]["amountCents"] == "4000"
            as_csv = await stats.GetLoadStatistics(
                pb.GetLoadStatisticsRequest(), metadata=(*acme, ("accept", "text/csv"))
            )
            assert as_csv.content_type == "text/csv; charset=utf-8" and b"E-1" in as_csv.data
            big = httpbody_pb2.HttpBody(data=order_file([file_row("E-2"), file_row("E-3")]))
            job = (await ordering.ImportOrder(pb.ImportOrderRequest(file=big), metadata=acme)).job
            assert job.state == pb.ORDER_IMPORT_STATE_RUNNING and job.lines_total == 2
            for _ in range(100):  # the import task is woken at once
                job = await ordering.GetOrderImport(
                    pb.GetOrderImportRequest(id=job.id), metadata=acme
                )
                if job.state != pb.ORDER_IMPORT_STATE_RUNNING:
                    break
                await asyncio.sleep(0.02)
            assert job.state == pb.ORDER_IMPORT_STATE_SUCCEEDED and job.order_id
            listed = await ordering.ListOrders(
                pb.ListOrdersRequest(status=pb.ORDER_STATUS_IN_PRODUCTION), metadata=acme
            )
            assert [o.id for o in listed.orders] == [order.id]
    finally:
        await app.stop()
