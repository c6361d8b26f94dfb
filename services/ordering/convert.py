"""Protobuf <-> use-case data, for the servicers: requests become use-case
inputs, domain objects become messages."""

from __future__ import annotations

from collections.abc import Iterable

from google.api import httpbody_pb2
from google.protobuf import json_format

from portal.common.v1 import types_pb2
from portal.ordering.v1 import ordering_pb2 as pb
from portal_runtime.csv_export import to_csv
from portal_runtime.errors import FieldViolation
from portal_runtime.money import format_amount
from portal_runtime.pagination import encode_token
from portal_runtime.protos import set_money, set_timestamp, to_timestamp
from services.ordering.domain.beneficiaries import Beneficiary
from services.ordering.domain.card_usage import ImportedMonth
from services.ordering.domain.delivery_points import DeliveryPoint
from services.ordering.domain.file_problems import PROBLEM_HEADER, problem_row
from services.ordering.domain.imports import ImportState, OrderImport
from services.ordering.domain.order_views import OrderView, view_of
from services.ordering.domain.orders import (
    LoadOutcome,
    LoadStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from services.ordering.domain.statistics import LoadStatistics
from services.ordering.usecases.beneficiaries import BeneficiaryInput
from services.ordering.usecases.delivery_points import DeliveryPointInput
from services.ordering.usecases.orders import LineInput

STATUS = {
    OrderStatus.DRAFT: pb.ORDER_STATUS_DRAFT,
    OrderStatus.AWAITING_PAYMENT: pb.ORDER_STATUS_AWAITING_PAYMENT,
    OrderStatus.PAID: pb.ORDER_STATUS_PAID,
    OrderStatus.IN_PRODUCTION: pb.ORDER_STATUS_IN_PRODUCTION,
    OrderStatus.SHIPPED: pb.ORDER_STATUS_SHIPPED,
    OrderStatus.DELIVERED: pb.ORDER_STATUS_DELIVERED,
    OrderStatus.CANCELLED: pb.ORDER_STATUS_CANCELLED,
}
STATUS_NAME = {number: status for status, number in STATUS.items()}
LOAD_STATUS = {
    LoadStatus.PENDING: pb.LOAD_STATUS_PENDING,
    LoadStatus.LOADED: pb.LOAD_STATUS_LOADED,
    LoadStatus.FAILED: pb.LOAD_STATUS_FAILED,
}
IMPORT_STATE = {
    ImportState.RUNNING: pb.ORDER_IMPORT_STATE_RUNNING,
    ImportState.SUCCEEDED: pb.ORDER_IMPORT_STATE_SUCCEEDED,
    ImportState.FAILED: pb.ORDER_IMPORT_STATE_FAILED,
}
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"


def beneficiary(person: Beneficiary) -> pb.Beneficiary:
    message = pb.Beneficiary()
    fill_beneficiary(message, person)
    return message


def fill_beneficiary(message: pb.Beneficiary, person: Beneficiary) -> None:
    """Writes the beneficiary into `message` (e.g. a list's `beneficiaries.add()`:
    no copy)."""
    message.id = person.id
    message.employee_number = person.employee_number
    message.first_name = person.first_name
    message.last_name = person.last_name
    message.email = person.email
    message.birth_date = person.birth_date
    message.hire_date = person.hire_date
    message.default_delivery_point_id = person.default_delivery_point_id
    set_timestamp(message.created_at, person.created_at)
    set_timestamp(message.updated_at, person.updated_at)
    message.has_card = person.has_card


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


def delivery_point(point: DeliveryPoint) -> pb.DeliveryPoint:
    a = point.address
    return pb.DeliveryPoint(
        id=point.id,
        name=point.name,
        code=point.code,
        address=types_pb2.Address(
            line1=a.line1, line2=a.line2, postal_code=a.postal_code, city=a.city, country=a.country
        ),
        contact_name=point.contact_name,
        contact_phone=point.contact_phone,
        created_at=to_timestamp(point.created_at),
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


def order_line(line: OrderLine) -> pb.OrderLine:
    message = pb.OrderLine()
    fill_order_line(message, line)
    return message


def fill_order_line(message: pb.OrderLine, line: OrderLine) -> None:
    """Writes the line into `message` (e.g. an order's `lines.add()`: no copy)."""
    message.id = line.id
    message.beneficiary_id = line.beneficiary_id
    message.employee_number = line.employee_number
    message.beneficiary_name = line.beneficiary_name
    message.new_card = line.new_card
    message.load_amount_cents = line.load_amount_cents
    message.load_status = LOAD_STATUS[line.load_status]
    message.load_error = line.load_error


def order(found: Order | OrderView) -> pb.Order:
    """The order with its first lines and its figures over all of them (a
    whole order, as a use case changed it, is shown the same way)."""
    message = pb.Order()
    fill_order(message, found)
    return message


def fill_order(message: pb.Order, found: Order | OrderView) -> None:
    """Writes the order into `message` (e.g. a page's `orders.add()`: no copy)."""
    view = found if isinstance(found, OrderView) else view_of(found)
    order, totals = view.order, view.totals
    total = view.total_cents
    message.id = order.id
    message.number = order.number
    message.status = STATUS[order.status]
    message.delivery_point_id = order.delivery_point_id
    add_line = message.lines.add
    for line in view.lines:
        fill_order_line(add_line(), line)
    message.line_count = totals.count
    # The lines' positions run from 0: the next page starts after those shown.
    message.next_lines_page_token = encode_token(len(view.lines)) if view.more_lines else ""
    message.new_cards = totals.new_cards
    set_money(message.loads, totals.loads_cents)
    set_money(message.total, total)
    message.payment_method = order.payment_method or ""
    message.payment_id = order.payment_id
    message.invoice_id = order.invoice_id
    message.entity_id = order.entity_id
    add_change = message.history.add
    for change in order.history:
        set_timestamp(add_change(status=STATUS[change.status]).at, change.at)
    add_stage = message.delivery_stages.add
    for stage in order.stages:
        set_timestamp(add_stage(label=stage.label, location=stage.location).at, stage.at)
    message.carrier = order.carrier
    message.tracking_url = order.tracking_url
    set_timestamp(message.created_at, order.created_at)
    message.source = order.source
    message.lines_loaded = totals.loaded
    message.lines_failed = totals.failed
    if order.transfer_reference:
        transfer = message.transfer
        transfer.iban = order.transfer_iban
        transfer.bic = order.transfer_bic
        transfer.holder = order.transfer_holder
        transfer.reference = order.transfer_reference
        set_money(transfer.amount, total)


def order_import(job: OrderImport) -> pb.OrderImport:
    return pb.OrderImport(
        id=job.id,
        state=IMPORT_STATE[job.state],
        lines_total=job.lines_total,
        lines_done=job.lines_done,
        order_id=job.order_id,
        errors=[pb.LineError(field=e.field, description=e.description) for e in job.errors],
        errors_total=job.errors_total,
        created_at=to_timestamp(job.created_at),
        finished_at=to_timestamp(job.finished_at),
    )


def problems_csv(problems: Iterable[FieldViolation]) -> bytes:
    """An order file's problems, one row each (`line;column;problem`)."""
    return to_csv(PROBLEM_HEADER, (problem_row(p) for p in problems))


def problems_body(problems: Iterable[FieldViolation]) -> httpbody_pb2.HttpBody:
    return httpbody_pb2.HttpBody(content_type=CSV_TYPE, data=problems_csv(problems))


def card_usage_month(month: ImportedMonth) -> pb.CardUsageMonth:
    return pb.CardUsageMonth(
        entity_id=month.entity_id,
        month=month.month,
        beneficiaries=month.beneficiaries,
        spent_cents=month.spent_cents,
        replaced=month.replaced,
    )


def load_statistics(stats: LoadStatistics) -> pb.LoadStatistics:
    """`spent_cents` stays unset (absent from the JSON) where no usage was imported."""
    return pb.LoadStatistics(
        months=[
            pb.MonthlyLoad(
                month=month, amount_cents=t.amount_cents, loads=t.loads, spent_cents=t.spent_cents
            )
            for month, t in sorted(stats.months.items())
        ],
        beneficiaries=[
            pb.BeneficiaryLoad(
                beneficiary_id=beneficiary_id,
                employee_number=t.employee_number,
                name=t.name,
                amount_cents=t.amount_cents,
                loads=t.loads,
                spent_cents=t.spent_cents,
            )
            for beneficiary_id, t in sorted(
                stats.beneficiaries.items(), key=lambda item: (item[1].employee_number, item[0])
            )
        ],
    )


def load_statistics_body(stats: LoadStatistics, accept: str) -> tuple[str, bytes]:
    """(content type, body): CSV when `accept` asks for text/csv, else JSON."""
    message = load_statistics(stats)
    if "text/csv" not in accept.lower():
        # As the gateway renders answers: every field, but spentCents only where known.
        text = json_format.MessageToJson(message, always_print_fields_with_no_presence=True)
        return JSON_TYPE, text.encode()
    rows: list[list[object]] = [
        ["month", m.month, "", "", format_amount(m.amount_cents), m.loads, _spent(m)]
        for m in message.months
    ]
    rows += [
        ["beneficiary", "", b.employee_number, b.name, format_amount(b.amount_cents), b.loads,
         _spent(b)]
        for b in message.beneficiaries
    ]  # fmt: skip
    header = ["Kind", "Month", "Employee number", "Name", "Amount (EUR)", "Loads", "Spent (EUR)"]
    return CSV_TYPE, to_csv(header, rows)


def _spent(totals: pb.MonthlyLoad | pb.BeneficiaryLoad) -> str:
    """What the cards spent; empty where no usage was imported (not 0,00)."""
    return format_amount(totals.spent_cents) if totals.HasField("spent_cents") else ""
