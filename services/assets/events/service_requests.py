"""Service requests' integration events: a request reached its department,
a request changed status."""

from __future__ import annotations

from portal.assets.v1 import events_pb2
from portal_runtime.outbox import new_event
from services.assets.domain.service_request_intake import RequestOpened
from services.assets.domain.service_requests import StatusMoved


def service_request_created(
    opened: RequestOpened, department_email: str, attachments: int = 0
) -> events_pb2.ServiceRequestCreated:
    request = opened.request
    return new_event(
        events_pb2.ServiceRequestCreated,
        entity_id=request.entity_id,
        service_request_id=request.id,
        reference=request.reference,
        kind=request.kind.value,
        department_email=department_email,
        equipment=list(opened.equipment),
        message=request.message,
        intervention_type=request.intervention_type.value if request.intervention_type else "",
        urgency=request.urgency.value if request.urgency else "",
        wished_dates=[day.isoformat() for day in request.wished_dates],
        parts=list(opened.parts),
        attachments=attachments,
    )


def service_request_status_changed(moved: StatusMoved) -> events_pb2.ServiceRequestStatusChanged:
    return new_event(
        events_pb2.ServiceRequestStatusChanged,
        entity_id=moved.entity_id,
        service_request_id=moved.request_id,
        reference=moved.reference,
        kind=moved.kind.value,
        previous_status=moved.previous.value,
        status=moved.status.value,
        comment=moved.comment,
        planned_for=moved.planned_for.isoformat() if moved.planned_for else "",
    )
