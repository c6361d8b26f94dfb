"""Protobuf <-> use-case data, for the servicers."""

from __future__ import annotations

from sqlalchemy import Row

from portal.common.v1 import types_pb2
from portal.ordering.v1 import ordering_pb2 as pb
from portal_runtime.protos import money, to_timestamp
from services.ordering.usecases.beneficiaries import BeneficiaryInput, DeliveryPointInput
from services.ordering.usecases.orders import LineInput, OrderData
from services.ordering.usecases.production import LoadOutcome

STATUS = {
    "DRAFT": pb.ORDER_STATUS_DRAFT,
    "AWAITING_PAYMENT": pb.ORDER_STATUS_AWAITING_PAYMENT,
    "PAID": pb.ORDER_STATUS_PAID,
    "IN_PRODUCTION": pb.ORDER_STATUS_IN_PRODUCTION,
    "SHIPPED": pb.ORDER_STATUS_SHIPPED,
    "DELIVERED": pb.ORDER_STATUS_DELIVERED,
    "CANCELLED": pb.ORDER_STATUS_CANCELLED,
}
STATUS_NAME = {number: name for name, number in STATUS.items()}
LOAD_STATUS = {
    "PENDING": pb.LOAD_STATUS_PENDING,
    "LOADED": pb.LOAD_STATUS_LOADED,
    "FAILED": pb.LOAD_STATUS_FAILED,
}
IMPORT_STATE = {
    "RUNNING": pb.ORDER_IMPORT_STATE_RUNNING,
    "SUCCEEDED": pb.ORDER_IMPORT_STATE_SUCCEEDED,
    "FAILED": pb.ORDER_IMPORT_STATE_FAILED,
}


def beneficiary(row: Row) -> pb.Beneficiary:
    return pb.Beneficiary(
        id=row.id,
        employee_number=row.employee_number,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        birth_date=row.birth_date,
        hire_date=row.hire_date,
        default_delivery_point_id=row.default_delivery_point_id,
        created_at=to_timestamp(row.created_at),
        updated_at=to_timestamp(row.updated_at),
        has_card=bool(row.has_card),
    )


def beneficiary_input(message: pb.Beneficiary) -> BeneficiaryInput:
    return BeneficiaryInput(
        employee_number=message.employee_number,
        first_name=message.first_name,
        last_name=message.last_name,
        email=message.email,
        birth_date=message.birth_date,
        hire_date=message.hire_date,
        default_delivery_point_id=message.default_delivery_point_id,
    )


def delivery_point(row: Row) -> pb.DeliveryPoint:
    return pb.DeliveryPoint(
        id=row.id,
        name=row.name,
        code=row.code,
        address=types_pb2.Address(
            line1=row.line1,
            line2=row.line2,
            postal_code=row.postal_code,
            city=row.city,
            country=row.country,
        ),
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
        created_at=to_timestamp(row.created_at),
    )


def delivery_point_input(message: pb.DeliveryPoint) -> DeliveryPointInput:
    a = message.address
    return DeliveryPointInput(
        name=message.name,
        code=message.code,
        line1=a.line1,
        line2=a.line2,
        postal_code=a.postal_code,
        city=a.city,
        country=a.country,
        contact_name=message.contact_name,
        contact_phone=message.contact_phone,
    )


def line_inputs(lines) -> list[LineInput]:
    return [LineInput(x.beneficiary_id, x.new_card, x.load_amount_cents) for x in lines]


def load_outcomes(outcomes) -> list[LoadOutcome]:
    return [LoadOutcome(x.line_id, x.loaded, x.error) for x in outcomes]


def order(data: OrderData) -> pb.Order:
    row = data.row
    message = pb.Order(
        id=row.id,
        number=row.number,
        status=STATUS[row.status],
        delivery_point_id=row.delivery_point_id,
        lines=[
            pb.OrderLine(
                id=line.id,
                beneficiary_id=line.beneficiary_id,
                employee_number=line.employee_number,
                beneficiary_name=line.beneficiary_name,
                new_card=line.new_card,
                load_amount_cents=line.load_amount_cents,
                load_status=LOAD_STATUS[line.load_status],
                load_error=line.load_error,
            )
            for line in data.lines
        ],
        total=money(row.total_cents),
        payment_method=row.payment_method,
        payment_id=row.payment_id,
        history=[
            pb.StatusChange(status=STATUS[h.status], at=to_timestamp(h.at)) for h in data.history
        ],
        delivery_stages=[
            pb.DeliveryStage(label=d.label, at=to_timestamp(d.at), location=d.location)
            for d in data.stages
        ],
        carrier=row.carrier,
        tracking_url=row.tracking_url,
        created_at=to_timestamp(row.created_at),
        source=row.source,
        lines_loaded=sum(1 for line in data.lines if line.load_status == "LOADED"),
        lines_failed=sum(1 for line in data.lines if line.load_status == "FAILED"),
    )
    if row.transfer_reference:
        message.transfer.CopyFrom(
            pb.TransferInstructions(
                iban=row.transfer_iban,
                bic=row.transfer_bic,
                holder=row.transfer_holder,
                reference=row.transfer_reference,
                amount=money(row.total_cents),
            )
        )
    return message


def order_import(row: Row) -> pb.OrderImport:
    return pb.OrderImport(
        id=row.id,
        state=IMPORT_STATE[row.state],
        lines_total=row.lines_total,
        lines_done=row.lines_done,
        order_id=row.order_id,
        errors=[pb.LineError(field=e["field"], description=e["description"]) for e in row.errors],
        created_at=to_timestamp(row.created_at),
        finished_at=to_timestamp(row.finished_at),
    )
