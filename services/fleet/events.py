"""Fleet's integration events: each domain fact as its `events_pb2` message
(`portal/fleet/v1/events.proto`), ready for the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from portal.fleet.v1 import events_pb2
from portal_runtime.outbox import new_event
from services.fleet.domain.catalogue import Catalogue
from services.fleet.domain.requests import (
    FleetRequest,
    ItemState,
    RequestItem,
    SimSwapped,
    StatusChanged,
)
from services.fleet.domain.sims import SimOrder


def change_requested(request: FleetRequest) -> events_pb2.ChangeRequested:
    return new_event(
        events_pb2.ChangeRequested,
        entity_id=request.entity_id,
        request_id=request.id,
        kind=request.kind.value,
        user_id=request.user_id,
        lines=request.lines_total,
    )


def change_completed(
    request: FleetRequest, listed: Sequence[RequestItem], catalogue: Catalogue
) -> events_pb2.ChangeCompleted:
    plan = catalogue.plans.get(request.plan)
    return new_event(
        events_pb2.ChangeCompleted,
        entity_id=request.entity_id,
        request_id=request.id,
        kind=request.kind.value,
        user_id=request.user_id,
        activate=list(request.activate),
        deactivate=list(request.deactivate),
        activate_names=[catalogue.name_of(code) for code in request.activate],
        deactivate_names=[catalogue.name_of(code) for code in request.deactivate],
        suspension_reason=request.suspension_reason.value if request.suspension_reason else "",
        plan=request.plan,
        plan_name=plan.name if plan else request.plan,
        iccid=request.iccid,
        lines=[
            events_pb2.LineOutcome(
                line_id=item.line_id,
                number=item.number,
                national_number=item.national_number,
                user_name=item.user_name,
                succeeded=item.state is ItemState.DONE,
                failure_reason=item.failure_reason,
            )
            for item in listed
        ],
        charges=[
            events_pb2.OneOffCharge(
                option_code=charge.price.option_code,
                option_name=charge.price.option_name,
                unit_amount_cents=charge.price.unit_cents,
                vat_bp=charge.price.vat_bp,
                quantity=charge.quantity,
            )
            for charge in request.charges()
        ],
        lines_total=request.lines_total,
        lines_done=request.lines_done,
        lines_failed=request.lines_failed,
    )


def line_status_changed(fact: StatusChanged) -> events_pb2.LineStatusChanged:
    return new_event(
        events_pb2.LineStatusChanged,
        entity_id=fact.line.entity_id,
        line_id=fact.line.id,
        number=fact.line.number.e164,
        previous_status=fact.previous.value,
        status=fact.line.status.value,
        reason=fact.reason,
        request_id=fact.request_id,
    )


def sim_activated(fact: SimSwapped) -> events_pb2.SimActivated:
    return new_event(
        events_pb2.SimActivated,
        entity_id=fact.line.entity_id,
        line_id=fact.line.id,
        number=fact.line.number.e164,
        iccid=fact.iccid,
        previous_iccid=fact.previous_iccid,
        request_id=fact.request_id,
    )


def sim_ordered(order: SimOrder) -> events_pb2.SimOrdered:
    return new_event(
        events_pb2.SimOrdered,
        entity_id=order.entity_id,
        sim_order_id=order.id,
        reference=order.reference,
        quantity=order.quantity,
        esim=order.esim,
        user_id=order.user_id,
        recipient=order.recipient,
        address_lines=list(order.address.lines),
    )
