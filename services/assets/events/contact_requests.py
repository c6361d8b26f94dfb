"""Change requests' integration events."""

from __future__ import annotations

from portal.assets.v1 import events_pb2
from portal_runtime.outbox import new_event
from services.assets.domain.contact_requests import ContactRequest


def change_request_created(
    request: ContactRequest, department_email: str
) -> events_pb2.ChangeRequestCreated:
    return new_event(
        events_pb2.ChangeRequestCreated,
        entity_id=request.entity_id,
        contact_request_id=request.id,
        reference=request.reference,
        topic=request.topic.value,
        message=request.message,
        department_email=department_email,
        details=request.details(),
    )


def change_request_answered(request: ContactRequest) -> events_pb2.ChangeRequestAnswered:
    return new_event(
        events_pb2.ChangeRequestAnswered,
        entity_id=request.entity_id,
        contact_request_id=request.id,
        reference=request.reference,
        topic=request.topic.value,
        status=request.status.value,
        answer=request.answer,
    )
