"""gRPC servicers of the fleet service: protobuf -> use case -> protobuf."""

from __future__ import annotations

from google.api import httpbody_pb2

from portal.fleet.v1 import fleet_pb2 as pb
from portal.fleet.v1 import fleet_pb2_grpc
from portal_runtime.auth import current_principal
from portal_runtime.protos import to_timestamp
from services.fleet import convert
from services.fleet.domain.usage import UsageFilter
from services.fleet.usecases import (
    catalogue,
    export,
    history,
    lines,
    requests,
    sims,
    usage,
)
from services.fleet.usecases.common import Deps


class FleetApi(fleet_pb2_grpc.FleetServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ListLines(self, request: pb.ListLinesRequest, context):
        page = await lines.list_lines(
            self.deps,
            current_principal(),
            q=request.q,
            status=convert.status_from_proto(request.status),
            plan=request.plan,
            customer_number=request.customer_number,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        answer = pb.ListLinesResponse(next_page_token=page.next_page_token)
        for line in page.lines:
            convert.fill_line(answer.lines.add(), line)
        if page.data_updated_at is not None:
            answer.data_updated_at.CopyFrom(to_timestamp(page.data_updated_at))
        return answer

    async def GetLine(self, request: pb.GetLineRequest, context):
        return convert.line(await lines.get_line(self.deps, current_principal(), request.id))

    async def ListLineHistory(self, request: pb.ListLineHistoryRequest, context):
        entries, token = await history.line_history(
            self.deps, current_principal(), request.line_id, request.page_size, request.page_token
        )
        return pb.ListLineHistoryResponse(
            entries=[convert.history_entry(e) for e in entries], next_page_token=token
        )

    async def ExportLines(self, request: pb.ExportLinesRequest, context):
        exported = await export.export_lines(
            self.deps,
            current_principal(),
            q=request.q,
            status=convert.status_from_proto(request.status),
            plan=request.plan,
            customer_number=request.customer_number,
            file_format=request.format,
        )
        return httpbody_pb2.HttpBody(content_type=exported.content_type, data=exported.data)

    async def ListPlans(self, request: pb.ListPlansRequest, context):
        found = await catalogue.list_plans(self.deps, current_principal(), request.product)
        return pb.ListPlansResponse(plans=[convert.plan(p) for p in found])

    async def ListOptions(self, request: pb.ListOptionsRequest, context):
        found = await catalogue.list_options(
            self.deps,
            current_principal(),
            convert.option_type_from_proto(request.type),
            request.line_id,
        )
        with_line = bool(request.line_id.strip())
        return pb.ListOptionsResponse(
            options=[convert.option(o.option, o if with_line else None) for o in found]
        )

    async def PreviewOptionChange(self, request: pb.OptionChangeRequest, context):
        found = await requests.preview_option_change(
            self.deps,
            current_principal(),
            list(request.line_ids),
            list(request.activate),
            list(request.deactivate),
        )
        return convert.preview(found)

    async def CreateOptionChange(self, request: pb.OptionChangeRequest, context):
        created = await requests.create_option_change(
            self.deps,
            current_principal(),
            list(request.line_ids),
            list(request.activate),
            list(request.deactivate),
        )
        return convert.request(created)

    async def GetRequest(self, request: pb.GetRequestRequest, context):
        return convert.request(
            await requests.get_request(self.deps, current_principal(), request.id)
        )

    async def ListRequests(self, request: pb.ListRequestsRequest, context):
        found, token = await requests.list_requests(
            self.deps,
            current_principal(),
            kind=convert.kind_from_proto(request.kind),
            state=convert.request_state_from_proto(request.state),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListRequestsResponse(
            requests=[convert.request(r, with_lines=False) for r in found], next_page_token=token
        )

    async def SuspendLines(self, request: pb.SuspendLinesRequest, context):
        created = await requests.suspend_lines(
            self.deps,
            current_principal(),
            list(request.line_ids),
            convert.reason_from_proto(request.reason),
        )
        return convert.request(created)

    async def ReactivateLines(self, request: pb.LineActionRequest, context):
        created = await requests.reactivate_lines(
            self.deps, current_principal(), list(request.line_ids)
        )
        return convert.request(created)

    async def SwitchToPrepaid(self, request: pb.LineActionRequest, context):
        created = await requests.switch_to_prepaid(
            self.deps, current_principal(), list(request.line_ids)
        )
        return convert.request(created)

    async def ChangePlan(self, request: pb.ChangePlanRequest, context):
        created = await requests.change_plan(
            self.deps, current_principal(), list(request.line_ids), request.plan
        )
        return convert.request(created)

    async def CreateSimOrder(self, request: pb.CreateSimOrderRequest, context):
        created = await sims.create_sim_order(
            self.deps,
            current_principal(),
            quantity=request.quantity,
            esim=request.esim,
            recipient=request.recipient,
            address=convert.address_from_proto(request.delivery_address),
        )
        return convert.sim_order(created)

    async def ListSimOrders(self, request: pb.ListSimOrdersRequest, context):
        found, token = await sims.list_sim_orders(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListSimOrdersResponse(
            sim_orders=[convert.sim_order(o) for o in found], next_page_token=token
        )

    async def GetSimOrder(self, request: pb.GetSimOrderRequest, context):
        return convert.sim_order(
            await sims.get_sim_order(self.deps, current_principal(), request.id)
        )

    async def ActivateSim(self, request: pb.ActivateSimRequest, context):
        created = await requests.activate_sim(
            self.deps, current_principal(), request.line_id, request.iccid
        )
        return convert.request(created)

    async def ListUsage(self, request: pb.ListUsageRequest, context):
        criteria = UsageFilter(
            month=request.month,
            line_id=request.line_id,
            min_out_of_bundle_cents=request.min_out_of_bundle_cents,
            min_data_mb=request.min_data_mb,
            min_voice_minutes=request.min_voice_minutes,
        )
        found, token = await usage.list_usage(
            self.deps,
            current_principal(),
            criteria,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListUsageResponse(usage=[convert.usage(u) for u in found], next_page_token=token)


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

    async def PutPlan(self, request: pb.PutPlanRequest, context):
        given = request.plan
        saved = await catalogue.put_plan(
            self.deps,
            current_principal(),
            request.code,
            name=given.name,
            product=given.product,
            monthly_cents=given.monthly_cents,
            vat_bp=given.vat_bp,
        )
        return convert.plan(saved)

    async def PutOption(self, request: pb.PutOptionRequest, context):
        given = request.option
        saved = await catalogue.put_option(
            self.deps,
            current_principal(),
            request.code,
            type=convert.option_type_from_proto(given.type),
            name=given.name,
            description=given.description,
            price_cents=given.price_cents,
            price_kind=convert.price_kind_from_proto(given.price_kind),
            vat_bp=given.vat_bp,
            plans=list(given.plans),
            excludes=list(given.excludes),
            requires_one_of=list(given.requires_one_of),
        )
        return convert.option(saved)

    async def ImportUsage(self, request: pb.ImportUsageRequest, context):
        result = await usage.import_usage(
            self.deps, current_principal(), request.file.data, request.entity_id
        )
        return pb.ImportUsageResponse(lines=result.lines, replaced=result.replaced)

    async def ListSimOrders(self, request: pb.AdminListSimOrdersRequest, context):
        found, token = await sims.list_all_sim_orders(
            self.deps,
            current_principal(),
            convert.sim_status_from_proto(request.status),
            request.page_size,
            request.page_token,
        )
        return pb.ListSimOrdersResponse(
            sim_orders=[convert.sim_order(o, with_entity=True) for o in found],
            next_page_token=token,
        )

    async def ShipSimOrder(self, request: pb.ShipSimOrderRequest, context):
        shipped = await sims.ship_sim_order(
            self.deps,
            current_principal(),
            request.id,
            list(request.iccids),
            request.carrier,
            request.tracking_url,
        )
        return convert.sim_order(shipped, with_entity=True)
