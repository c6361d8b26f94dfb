"""The order file routes over gRPC, as the gateway calls them: the template in
a language, a file with 3,000 bad e-mails refused with the first 1,000 listed
and the total (INVALID_ARGUMENT, never RESOURCE_EXHAUSTED), the check and a
failed import's errors listing all of them as CSV."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from google.api import httpbody_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from portal.ordering.v1 import ordering_pb2 as pb
from portal.ordering.v1 import ordering_pb2_grpc as rpc
from portal_runtime.error_mapping import METADATA_SIZE_OPTIONS
from services.ordering.__main__ import bootstrap
from tests.support.services import make_tokens, offline_settings

from .helpers import file_row, order_file

PERMS = ["orders.read", "orders.write"]


def _bad_emails(count: int) -> bytes:
    return order_file([file_row(f"E-{i}").replace("@example.com", "@") for i in range(count)])


def _details(error: grpc.aio.AioRpcError):
    status = rpc_status.from_call(error)
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details:
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(bad.DESCRIPTOR):
            detail.Unpack(bad)
    return info, bad


async def test_order_file_routes(tmp_path: Path) -> None:
    tokens = make_tokens(tmp_path)
    acme = tokens.customer("ent-acme", PERMS)
    settings = offline_settings("ordering", tmp_path, PORTAL_ORDERING_SYNC_IMPORT_MAX_LINES="5000")
    app = bootstrap(settings)
    await app.start()
    try:
        target = f"127.0.0.1:{app.port}"
        async with grpc.aio.insecure_channel(target, options=METADATA_SIZE_OPTIONS) as channel:
            ordering = rpc.OrderingServiceStub(channel)
            await ordering.CreateDeliveryPoint(
                pb.CreateDeliveryPointRequest(
                    delivery_point=pb.DeliveryPoint(
                        name="HQ",
                        code="HQ",
                        address={"line1": "1 rue X", "postal_code": "75001", "city": "Paris",
                                 "country": "FR"},
                    )
                ),
                metadata=acme,
            )  # fmt: skip
            english = await ordering.GetOrderTemplate(
                pb.GetOrderTemplateRequest(language="en"), metadata=acme
            )
            assert english.data.decode("utf-8-sig").startswith("Employee number;")
            french = await ordering.GetOrderTemplate(pb.GetOrderTemplateRequest(), metadata=acme)
            assert french.data.decode("utf-8-sig").startswith("Matricule;Nom;Prénom;E-mail;")

            body = httpbody_pb2.HttpBody(content_type="text/csv", data=_bad_emails(3_000))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await ordering.ImportOrder(pb.ImportOrderRequest(file=body), metadata=acme)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            info, bad = _details(caught.value)
            assert info.metadata["violationsTotal"] == "3000"
            assert len(bad.field_violations) == 1_000
            checked = await ordering.CheckOrderFile(
                pb.CheckOrderFileRequest(file=body), metadata=acme
            )
            assert checked.content_type.startswith("text/csv")
            lines = checked.data.decode("utf-8-sig").splitlines()
            assert lines[0] == "line;column;problem" and len(lines) == 3_001
            assert lines[-1] == "3001;email;is not a valid e-mail address"

            big = httpbody_pb2.HttpBody(content_type="text/csv", data=_bad_emails(6_000))
            job = (await ordering.ImportOrder(pb.ImportOrderRequest(file=big), metadata=acme)).job
            for _ in range(500):
                job = await ordering.GetOrderImport(
                    pb.GetOrderImportRequest(id=job.id), metadata=acme
                )
                if job.state != pb.ORDER_IMPORT_STATE_RUNNING:
                    break
                await asyncio.sleep(0.05)
            assert job.state == pb.ORDER_IMPORT_STATE_FAILED
            assert (len(job.errors), job.errors_total) == (1_000, 6_000)
            errors = await ordering.GetOrderImportErrors(
                pb.GetOrderImportErrorsRequest(id=job.id), metadata=acme
            )
            assert len(errors.data.decode("utf-8-sig").splitlines()) == 6_001
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await ordering.GetOrderImportErrors(
                    pb.GetOrderImportErrorsRequest(id=job.id),
                    metadata=tokens.customer("ent-globex", PERMS),
                )
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await app.stop()
