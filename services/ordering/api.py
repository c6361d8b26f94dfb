"""The gRPC servicers: protobuf -> use case -> protobuf, nothing else.

The runtime's interceptor has already enforced each method's declared policy;
the caller comes from `current_principal()`. Use cases raise domain errors,
which the runtime maps to gRPC statuses.
"""

from __future__ import annotations

from google.api import httpbody_pb2
from google.protobuf import empty_pb2

from portal.ordering.v1 import ordering_pb2 as pb
from portal.ordering.v1 import ordering_pb2_grpc
from portal_runtime.auth import current_principal, request_metadata
from services.ordering import convert
from services.ordering.domain.order_file import template
from services.ordering.usecases import beneficiaries, imports, orders, production, statistics
from services.ordering.usecases.common import Deps

EMPTY = empty_pb2.Empty()
TEMPLATE_TYPE = "text/csv; charset=utf-8"


class OrderingApi(ordering_pb2_grpc.OrderingServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # ---- beneficiaries -------------------------------------------------------------
    async def ListBeneficiaries(self, request: pb.ListBeneficiariesRequest, context):
        rows, token = await beneficiaries.list_beneficiaries(
            self.deps, current_principal(), request.q, request.page_size, request.page_token
        )
        return pb.ListBeneficiariesResponse(
            beneficiaries=[convert.beneficiary(r) for r in rows], next_page_token=token
        )

    async def GetBeneficiary(self, request: pb.GetBeneficiaryRequest, context):
        row = await beneficiaries.get_beneficiary(self.deps, current_principal(), request.id)
        return convert.beneficiary(row)

    async def CreateBeneficiary(self, request: pb.CreateBeneficiaryRequest, context):
        given = convert.beneficiary_input(request.beneficiary)
        row = await beneficiaries.create_beneficiary(self.deps, current_principal(), given)
        return convert.beneficiary(row)

    async def UpdateBeneficiary(self, request: pb.UpdateBeneficiaryRequest, context):
        given = convert.beneficiary_input(request.beneficiary)
        row = await beneficiaries.update_beneficiary(
            self.deps, current_principal(), request.id, given
        )
        return convert.beneficiary(row)

    async def DeleteBeneficiary(self, request: pb.DeleteBeneficiaryRequest, context):
        await beneficiaries.delete_beneficiary(self.deps, current_principal(), request.id)
        return EMPTY

    # ---- delivery points -------------------------------------------------------------
    async def ListDeliveryPoints(self, request: pb.ListDeliveryPointsRequest, context):
        rows, token = await beneficiaries.list_delivery_points(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListDeliveryPointsResponse(
            delivery_points=[convert.delivery_point(r) for r in rows], next_page_token=token
        )

    async def CreateDeliveryPoint(self, request: pb.CreateDeliveryPointRequest, context):
        given = convert.delivery_point_input(request.delivery_point)
        row = await beneficiaries.create_delivery_point(self.deps, current_principal(), given)
        return convert.delivery_point(row)

    async def UpdateDeliveryPoint(self, request: pb.UpdateDeliveryPointRequest, context):
        given = convert.delivery_point_input(request.delivery_point)
        row = await beneficiaries.update_delivery_point(
            self.deps, current_principal(), request.id, given
        )
        return convert.delivery_point(row)

    async def DeleteDeliveryPoint(self, request: pb.DeleteDeliveryPointRequest, context):
        await beneficiaries.delete_delivery_point(self.deps, current_principal(), request.id)
        return EMPTY

    # ---- orders ------------------------------------------------------------------------
    async def GetOrderTemplate(self, request: pb.GetOrderTemplateRequest, context):
        return httpbody_pb2.HttpBody(content_type=TEMPLATE_TYPE, data=template())

    async def ImportOrder(self, request: pb.ImportOrderRequest, context):
        data, job = await imports.import_order(self.deps, current_principal(), request.file.data)
        if job is not None:
            return pb.ImportOrderResponse(job=convert.order_import(job))
        return pb.ImportOrderResponse(order=convert.order(data))

    async def GetOrderImport(self, request: pb.GetOrderImportRequest, context):
        row = await imports.get_import(self.deps, current_principal(), request.id)
        return convert.order_import(row)

    async def CreateOrder(self, request: pb.CreateOrderRequest, context):
        data = await orders.create_order(
            self.deps,
            current_principal(),
            request.delivery_point_id,
            convert.line_inputs(request.lines),
        )
        return convert.order(data)

    async def DuplicateOrder(self, request: pb.DuplicateOrderRequest, context):
        return convert.order(
            await orders.duplicate_order(self.deps, current_principal(), request.id)
        )

    async def SubmitOrder(self, request: pb.SubmitOrderRequest, context):
        data = await orders.submit_order(
            self.deps, current_principal(), request.id, request.payment_method
        )
        return convert.order(data)

    async def CancelOrder(self, request: pb.CancelOrderRequest, context):
        return convert.order(await orders.cancel_order(self.deps, current_principal(), request.id))

    async def ListOrders(self, request: pb.ListOrdersRequest, context):
        found, token = await orders.list_orders(
            self.deps,
            current_principal(),
            status=convert.STATUS_NAME.get(request.status, ""),
            date_from=getattr(request, "from"),
            date_to=request.to,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListOrdersResponse(
            orders=[convert.order(d) for d in found], next_page_token=token
        )

    async def GetOrder(self, request: pb.GetOrderRequest, context):
        return convert.order(await orders.get_order(self.deps, current_principal(), request.id))


class OrderingAdminApi(ordering_pb2_grpc.OrderingAdminServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def StartProduction(self, request: pb.StartProductionRequest, context):
        data = await production.start_production(self.deps, current_principal(), request.id)
        return convert.order(data)

    async def ShipOrder(self, request: pb.ShipOrderRequest, context):
        data = await production.ship_order(
            self.deps, current_principal(), request.id, request.carrier, request.tracking_url
        )
        return convert.order(data)

    async def AddDeliveryStage(self, request: pb.AddDeliveryStageRequest, context):
        data = await production.add_delivery_stage(
            self.deps, current_principal(), request.id, request.label, request.location
        )
        return convert.order(data)

    async def DeliverOrder(self, request: pb.DeliverOrderRequest, context):
        data = await production.deliver_order(self.deps, current_principal(), request.id)
        return convert.order(data)

    async def RecordLoads(self, request: pb.RecordLoadsRequest, context):
        data = await production.record_loads(
            self.deps, current_principal(), request.id, convert.load_outcomes(request.outcomes)
        )
        return convert.order(data)


class StatisticsApi(ordering_pb2_grpc.StatisticsServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def GetLoadStatistics(self, request: pb.GetLoadStatisticsRequest, context):
        data = await statistics.load_statistics(
            self.deps, current_principal(), getattr(request, "from"), request.to
        )
        content_type, body = statistics.render(data, request_metadata().get("accept", ""))
        return httpbody_pb2.HttpBody(content_type=content_type, data=body)
