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
from services.ordering.usecases import (
    beneficiaries,
    card_usage,
    delivery_points,
    imports,
    order_files,
    orders,
    production,
    statistics,
)
from services.ordering.usecases.common import Deps

EMPTY = empty_pb2.Empty()


class OrderingApi(ordering_pb2_grpc.OrderingServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # ---- beneficiaries -------------------------------------------------------------
    async def ListBeneficiaries(self, request: pb.ListBeneficiariesRequest, context):
        found, token = await beneficiaries.list_beneficiaries(
            self.deps, current_principal(), request.q, request.page_size, request.page_token
        )
        answer = pb.ListBeneficiariesResponse(next_page_token=token)
        for person in found:
            convert.fill_beneficiary(answer.beneficiaries.add(), person)
        return answer

    async def GetBeneficiary(self, request: pb.GetBeneficiaryRequest, context):
        person = await beneficiaries.get_beneficiary(self.deps, current_principal(), request.id)
        return convert.beneficiary(person)

    async def CreateBeneficiary(self, request: pb.CreateBeneficiaryRequest, context):
        given = convert.beneficiary_input(request.beneficiary)
        person = await beneficiaries.create_beneficiary(self.deps, current_principal(), given)
        return convert.beneficiary(person)

    async def UpdateBeneficiary(self, request: pb.UpdateBeneficiaryRequest, context):
        given = convert.beneficiary_input(request.beneficiary)
        person = await beneficiaries.update_beneficiary(
            self.deps, current_principal(), request.id, given
        )
        return convert.beneficiary(person)

    async def DeleteBeneficiary(self, request: pb.DeleteBeneficiaryRequest, context):
        await beneficiaries.delete_beneficiary(self.deps, current_principal(), request.id)
        return EMPTY

    # ---- delivery points -------------------------------------------------------------
    async def ListDeliveryPoints(self, request: pb.ListDeliveryPointsRequest, context):
        found, token = await delivery_points.list_delivery_points(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListDeliveryPointsResponse(
            delivery_points=[convert.delivery_point(p) for p in found], next_page_token=token
        )

    async def CreateDeliveryPoint(self, request: pb.CreateDeliveryPointRequest, context):
        given = convert.delivery_point_input(request.delivery_point)
        point = await delivery_points.create_delivery_point(self.deps, current_principal(), given)
        return convert.delivery_point(point)

    async def UpdateDeliveryPoint(self, request: pb.UpdateDeliveryPointRequest, context):
        given = convert.delivery_point_input(request.delivery_point)
        point = await delivery_points.update_delivery_point(
            self.deps, current_principal(), request.id, given
        )
        return convert.delivery_point(point)

    async def DeleteDeliveryPoint(self, request: pb.DeleteDeliveryPointRequest, context):
        await delivery_points.delete_delivery_point(self.deps, current_principal(), request.id)
        return EMPTY

    # ---- orders ------------------------------------------------------------------------
    async def GetOrderTemplate(self, request: pb.GetOrderTemplateRequest, context):
        data = await order_files.order_template(self.deps, current_principal(), request.language)
        return httpbody_pb2.HttpBody(content_type=convert.CSV_TYPE, data=data)

    async def CheckOrderFile(self, request: pb.CheckOrderFileRequest, context):
        problems = await order_files.check_order_file(
            self.deps, current_principal(), request.file.data
        )
        return convert.problems_body(problems)

    async def ImportOrder(self, request: pb.ImportOrderRequest, context):
        order, job = await imports.import_order(self.deps, current_principal(), request.file.data)
        if job is not None:
            return pb.ImportOrderResponse(job=convert.order_import(job))
        return pb.ImportOrderResponse(order=convert.order(order))

    async def GetOrderImport(self, request: pb.GetOrderImportRequest, context):
        job = await imports.get_import(self.deps, current_principal(), request.id)
        return convert.order_import(job)

    async def GetOrderImportErrors(self, request: pb.GetOrderImportErrorsRequest, context):
        job = await imports.get_import(
            self.deps, current_principal(), request.id, errors_limit=None
        )
        return convert.problems_body(job.errors)

    async def CreateOrder(self, request: pb.CreateOrderRequest, context):
        order = await orders.create_order(
            self.deps,
            current_principal(),
            request.delivery_point_id,
            convert.line_inputs(request.lines),
        )
        return convert.order(order)

    async def DuplicateOrder(self, request: pb.DuplicateOrderRequest, context):
        return convert.order(
            await orders.duplicate_order(self.deps, current_principal(), request.id)
        )

    async def SubmitOrder(self, request: pb.SubmitOrderRequest, context):
        order = await orders.submit_order(
            self.deps, current_principal(), request.id, request.payment_method
        )
        return convert.order(order)

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
        answer = pb.ListOrdersResponse(next_page_token=token)
        for view in found:
            convert.fill_order(answer.orders.add(), view)
        return answer

    async def GetOrder(self, request: pb.GetOrderRequest, context):
        return convert.order(await orders.get_order(self.deps, current_principal(), request.id))

    async def ListOrderLines(self, request: pb.ListOrderLinesRequest, context):
        lines, token = await orders.list_order_lines(
            self.deps, current_principal(), request.id, request.page_size, request.page_token
        )
        return pb.ListOrderLinesResponse(
            lines=[convert.order_line(line) for line in lines], next_page_token=token
        )


class OrderingAdminApi(ordering_pb2_grpc.OrderingAdminServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ListOrders(self, request: pb.AdminListOrdersRequest, context):
        found, token = await production.list_any_orders(
            self.deps,
            current_principal(),
            status=convert.STATUS_NAME.get(request.status, ""),
            entity_id=request.entity_id,
            q=request.q,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        answer = pb.ListOrdersResponse(next_page_token=token)
        for view in found:
            convert.fill_order(answer.orders.add(), view)
        return answer

    async def GetOrder(self, request: pb.AdminGetOrderRequest, context):
        order = await production.get_any_order(self.deps, current_principal(), request.id)
        return convert.order(order)

    async def ListOrderLines(self, request: pb.ListOrderLinesRequest, context):
        lines, token = await orders.list_order_lines(
            self.deps,
            current_principal(),
            request.id,
            request.page_size,
            request.page_token,
            any_entity=True,
        )
        return pb.ListOrderLinesResponse(
            lines=[convert.order_line(line) for line in lines], next_page_token=token
        )

    async def StartProduction(self, request: pb.StartProductionRequest, context):
        order = await production.start_production(self.deps, current_principal(), request.id)
        return convert.order(order)

    async def ShipOrder(self, request: pb.ShipOrderRequest, context):
        order = await production.ship_order(
            self.deps, current_principal(), request.id, request.carrier, request.tracking_url
        )
        return convert.order(order)

    async def AddDeliveryStage(self, request: pb.AddDeliveryStageRequest, context):
        order = await production.add_delivery_stage(
            self.deps, current_principal(), request.id, request.label, request.location
        )
        return convert.order(order)

    async def DeliverOrder(self, request: pb.DeliverOrderRequest, context):
        order = await production.deliver_order(self.deps, current_principal(), request.id)
        return convert.order(order)

    async def RecordLoads(self, request: pb.RecordLoadsRequest, context):
        order = await production.record_loads(
            self.deps, current_principal(), request.id, convert.load_outcomes(request.outcomes)
        )
        return convert.order(order)

    async def ImportCardUsage(self, request: pb.ImportCardUsageRequest, context):
        lines, months = await card_usage.import_card_usage(
            self.deps, current_principal(), request.file.data, request.entity_id
        )
        return pb.ImportCardUsageResponse(
            lines=lines, months=[convert.card_usage_month(m) for m in months]
        )


class StatisticsApi(ordering_pb2_grpc.StatisticsServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def GetLoadStatistics(self, request: pb.GetLoadStatisticsRequest, context):
        stats = await statistics.load_statistics(
            self.deps, current_principal(), getattr(request, "from"), request.to
        )
        accept = request_metadata().get("accept", "")
        content_type, body = convert.load_statistics_body(stats, accept)
        return httpbody_pb2.HttpBody(content_type=content_type, data=body)
