"""Service requests' RPCs (protobuf -> use case -> protobuf) and their
conversions."""

from __future__ import annotations

from google.api import httpbody_pb2

from portal.assets.v1 import assets_pb2 as pb
from portal_runtime.auth import current_principal
from portal_runtime.protos import to_timestamp
from services.assets.domain.attachments import Attachment
from services.assets.domain.service_requests import (
    InterventionType,
    RequestKind,
    RequestStatus,
    Urgency,
)
from services.assets.usecases import service_requests as usecases
from services.assets.usecases.common import Deps
from services.assets.usecases.service_requests import RequestView

_KIND = "SERVICE_REQUEST_KIND_"
_STATUS = "SERVICE_REQUEST_STATUS_"
_TYPE = "INTERVENTION_TYPE_"
_URGENCY = "URGENCY_"


def kind_from_proto(value: int) -> RequestKind | None:
    """None for UNSPECIFIED (no filter, or not given)."""
    return RequestKind(pb.ServiceRequestKind.Name(value).removeprefix(_KIND)) if value else None


def status_from_proto(value: int) -> RequestStatus | None:
    if not value:
        return None
    return RequestStatus(pb.ServiceRequestStatus.Name(value).removeprefix(_STATUS))


def _type_from_proto(value: int) -> InterventionType | None:
    return InterventionType(pb.InterventionType.Name(value).removeprefix(_TYPE)) if value else None


def _urgency_from_proto(value: int) -> Urgency | None:
    return Urgency(pb.Urgency.Name(value).removeprefix(_URGENCY)) if value else None


def attachment(found: Attachment) -> pb.Attachment:
    return pb.Attachment(
        id=found.id,
        filename=found.filename,
        content_type=found.content_type,
        size=found.size,
        created_at=to_timestamp(found.created_at),
    )


def service_request(view: RequestView, *, with_entity: bool = False) -> pb.ServiceRequest:
    request = view.request
    return pb.ServiceRequest(
        id=request.id,
        reference=request.reference,
        kind=pb.ServiceRequestKind.Value(_KIND + request.kind.value),
        status=pb.ServiceRequestStatus.Value(_STATUS + request.status.value),
        equipment_ids=list(request.equipment_ids),
        message=request.message,
        intervention_type=(
            pb.InterventionType.Value(_TYPE + request.intervention_type.value)
            if request.intervention_type
            else 0
        ),
        urgency=pb.Urgency.Value(_URGENCY + request.urgency.value) if request.urgency else 0,
        wished_dates=[day.isoformat() for day in request.wished_dates],
        parts=[
            pb.PartQuantity(
                part_code=part.part_code,
                quantity=part.quantity,
                label=part.label,
                equipment_id=part.equipment_id,
            )
            for part in request.parts
        ],
        attachments=[attachment(a) for a in view.attachments],
        comment=request.comment,
        planned_for=request.planned_for.isoformat() if request.planned_for else "",
        history=[
            pb.StatusChange(
                status=pb.ServiceRequestStatus.Value(_STATUS + change.status.value),
                at=to_timestamp(change.at),
                comment=change.comment,
                planned_for=change.planned_for.isoformat() if change.planned_for else "",
            )
            for change in request.history
        ],
        created_at=to_timestamp(request.created_at),
        updated_at=to_timestamp(request.updated_at),
        entity_id=request.entity_id if with_entity else "",
    )


class ServiceRequestRpcs:
    deps: Deps

    async def CreateServiceRequest(self, request: pb.CreateServiceRequestRequest, context):
        created = await usecases.create_service_request(
            self.deps,
            current_principal(),
            equipment_ids=list(request.equipment_ids),
            kind=kind_from_proto(request.kind),
            message=request.message,
            intervention_type=_type_from_proto(request.intervention_type),
            urgency=_urgency_from_proto(request.urgency),
            wished_dates=list(request.wished_dates),
            parts=[(p.part_code, p.quantity, p.equipment_id) for p in request.parts],
        )
        return service_request(created)

    async def ListServiceRequests(self, request: pb.ListServiceRequestsRequest, context):
        found, token = await usecases.list_service_requests(
            self.deps,
            current_principal(),
            status=status_from_proto(request.status),
            kind=kind_from_proto(request.kind),
            equipment_id=request.equipment_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListServiceRequestsResponse(
            service_requests=[service_request(v) for v in found], next_page_token=token
        )

    async def GetServiceRequest(self, request: pb.GetServiceRequestRequest, context):
        return service_request(
            await usecases.get_service_request(self.deps, current_principal(), request.id)
        )

    async def AddServiceRequestAttachment(self, request: pb.AddAttachmentRequest, context):
        added = await usecases.add_service_request_attachment(
            self.deps, current_principal(), request.parent_id, request.file.data, request.filename
        )
        return attachment(added)

    async def GetServiceRequestAttachment(self, request: pb.GetAttachmentRequest, context):
        found, data = await usecases.get_service_request_attachment(
            self.deps, current_principal(), request.parent_id, request.id
        )
        return httpbody_pb2.HttpBody(content_type=found.content_type, data=data)

    async def CancelServiceRequest(self, request: pb.CancelServiceRequestRequest, context):
        cancelled = await usecases.cancel_service_request(
            self.deps, current_principal(), request.id, request.reason
        )
        return service_request(cancelled)


class ServiceRequestAdminRpcs:
    deps: Deps

    async def ListServiceRequests(self, request: pb.AdminListServiceRequestsRequest, context):
        found, token = await usecases.admin_list_service_requests(
            self.deps,
            current_principal(),
            status=status_from_proto(request.status),
            kind=kind_from_proto(request.kind),
            entity_id=request.entity_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListServiceRequestsResponse(
            service_requests=[service_request(v, with_entity=True) for v in found],
            next_page_token=token,
        )

    async def UpdateServiceRequest(self, request: pb.UpdateServiceRequestRequest, context):
        moved = await usecases.update_service_request(
            self.deps,
            current_principal(),
            request.id,
            status=status_from_proto(request.status),
            comment=request.comment,
            planned_for=request.planned_for,
        )
        return service_request(moved, with_entity=True)
