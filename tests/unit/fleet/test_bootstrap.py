"""`bootstrap(settings)` wires a working service behind the runtime's interceptor."""

from __future__ import annotations

from pathlib import Path

import grpc
from google.api import httpbody_pb2
from google.protobuf import json_format

from portal.fleet.v1 import fleet_pb2 as pb
from portal.fleet.v1 import fleet_pb2_grpc as rpc
from services.fleet.__main__ import bootstrap
from tests.support.services import make_tokens, offline_settings

from .helpers import OPTIONS, PLANS, line_file, line_row


async def test_bootstrap_serves_fleet(tmp_path: Path) -> None:
    tokens = make_tokens(tmp_path)
    acme = tokens.customer("ent-acme", ["fleet.read"])
    globex = tokens.customer("ent-globex", ["fleet.read"])
    app = bootstrap(offline_settings("fleet", tmp_path))
    await app.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            fleet, admin = rpc.FleetServiceStub(channel), rpc.FleetAdminServiceStub(channel)
            for plan in PLANS:
                await admin.PutPlan(
                    pb.PutPlanRequest(
                        code=plan["code"], plan=json_format.ParseDict(plan, pb.Plan())
                    ),
                    metadata=tokens.operator(),
                )
            for option in OPTIONS:
                given = json_format.ParseDict(option, pb.Option())
                await admin.PutOption(
                    pb.PutOptionRequest(code=option["code"], option=given),
                    metadata=tokens.operator(),
                )
            body = httpbody_pb2.HttpBody(
                content_type="text/csv", data=line_file([line_row("0470123456", 1)])
            )
            request = pb.ImportLinesRequest(file=body, entity_id="ent-acme")
            with_key = [*tokens.operator(), ("idempotency-key", "k-1")]
            imported = await admin.ImportLines(request, metadata=with_key)
            assert imported.created == 1
            listed = await fleet.ListLines(pb.ListLinesRequest(q="0470 12"), metadata=acme)
            (line,) = listed.lines
            assert line.national_number == "0470 12 34 56"
            assert line.status == pb.LINE_STATUS_ACTIVE
            got = await fleet.GetLine(pb.GetLineRequest(id=line.id), metadata=acme)
            assert got.number == "+32470123456"
            try:
                await fleet.GetLine(pb.GetLineRequest(id=line.id), metadata=globex)
                raise AssertionError("another entity read the line")
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
            try:
                await admin.ImportLines(request, metadata=acme)
                raise AssertionError("a customer imported lines")
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        await app.stop()
