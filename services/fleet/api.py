"""gRPC servicers of the fleet service: protobuf -> use case -> protobuf."""

from __future__ import annotations

from portal.fleet.v1 import fleet_pb2 as pb
from portal.fleet.v1 import fleet_pb2_grpc
from portal_runtime.auth import current_principal
from services.fleet import convert
from services.fleet.usecases import lines
from services.fleet.usecases.common import Deps


class FleetApi(fleet_pb2_grpc.FleetServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ListLines(self, request: pb.ListLinesRequest, context):
        found, token = await lines.list_lines(
            self.deps,
            current_principal(),
            q=request.q,
            status=convert.status_from_proto(request.status),
            plan=request.plan,
            customer_number=request.customer_number,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListLinesResponse(
            lines=[convert.line(line) for line in found], next_page_token=token
        )

    async def GetLine(self, request: pb.GetLineRequest, context):
        return convert.line(await lines.get_line(self.deps, current_principal(), request.id))


class FleetAdminApi(fleet_pb2_grpc.FleetAdminServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ImportLines(self, request: pb.ImportLinesRequest, context):
        result = await lines.import_lines(
            self.deps, current_principal(), request.file.data, request.entity_id
        )
        return pb.ImportLinesResponse(
            lines=result.lines, created=result.created, updated=result.updated
        )
