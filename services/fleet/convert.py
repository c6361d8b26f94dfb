"""Domain objects -> protobuf messages, and the proto's enums -> the domain's."""

from __future__ import annotations

from portal.common.v1.types_pb2 import Address
from portal.fleet.v1 import fleet_pb2 as pb
from portal_runtime.protos import money, set_timestamp, to_timestamp
from services.fleet.domain.catalogue import CatalogueOption, OptionType, Plan, PriceKind
from services.fleet.domain.history import HistoryEntry
from services.fleet.domain.lines import Line, LineStatus
from services.fleet.domain.requests import FleetRequest, ItemState, RequestKind, RequestState
from services.fleet.domain.sims import DeliveryAddress, SimOrder, SimOrderStatus
from services.fleet.domain.usage import Usage
from services.fleet.usecases.catalogue import OptionForLine
from services.fleet.usecases.requests import Preview

_PREFIX = "LINE_STATUS_"


def status_from_proto(value: int) -> LineStatus | None:
    """None for LINE_STATUS_UNSPECIFIED (no filter)."""
    if not value:
        return None
    return LineStatus(pb.LineStatus.Name(value).removeprefix(_PREFIX))


def line(found: Line) -> pb.Line:
    message = pb.Line()
    fill_line(message, found)
    return message


def fill_line(message: pb.Line, found: Line) -> None:
    """Writes the line into `message` (e.g. a list's `lines.add()`: no copy)."""
    message.id = found.id
    message.number = found.number.e164
    message.national_number = found.number.national
    message.iccid = found.iccid
    message.user_name = found.user_name
    message.customer_number = found.customer_number
    message.product = found.product
    message.plan = found.plan
    message.status = pb.LineStatus.Value(_PREFIX + found.status.value)
    message.options.extend(found.options)
    set_timestamp(message.created_at, found.created_at)
    set_timestamp(message.updated_at, found.updated_at)
    message.suspension_reason = pb.SuspensionReason.Value(
        "SUSPENSION_REASON_" + (found.suspension_reason or "UNSPECIFIED")
    )
    message.pending_request_id = found.pending_request_id


def _enum_name(value: int, enum, prefix: str) -> str | None:
    return enum.Name(value).removeprefix(prefix) if value else None


def option_type_from_proto(value: int) -> OptionType | None:
    name = _enum_name(value, pb.OptionType, "OPTION_TYPE_")
    return OptionType(name) if name else None


def price_kind_from_proto(value: int) -> PriceKind | None:
    name = _enum_name(value, pb.PriceKind, "PRICE_KIND_")
    return PriceKind(name) if name else None


def kind_from_proto(value: int) -> RequestKind | None:
    name = _enum_name(value, pb.RequestKind, "REQUEST_KIND_")
    return RequestKind(name) if name else None


def request_state_from_proto(value: int) -> RequestState | None:
    name = _enum_name(value, pb.RequestState, "REQUEST_STATE_")
    return RequestState(name) if name else None


def reason_from_proto(value: int) -> str:
    return _enum_name(value, pb.SuspensionReason, "SUSPENSION_REASON_") or ""


def sim_status_from_proto(value: int) -> SimOrderStatus | None:
    name = _enum_name(value, pb.SimOrderStatus, "SIM_ORDER_STATUS_")
    return SimOrderStatus(name) if name else None


def plan(found: Plan) -> pb.Plan:
    return pb.Plan(
        code=found.code,
        name=found.name,
        product=found.product,
        monthly_cents=found.monthly_cents,
        vat_bp=found.vat_bp,
    )


def option(found: CatalogueOption, for_line: OptionForLine | None = None) -> pb.Option:
    message = pb.Option(
        code=found.code,
        type=pb.OptionType.Value("OPTION_TYPE_" + found.type.value),
        name=found.name,
        description=found.description,
        price_cents=found.price_cents,
        price_kind=pb.PriceKind.Value("PRICE_KIND_" + found.price_kind.value),
        vat_bp=found.vat_bp,
        plans=sorted(found.plans),
        excludes=sorted(found.excludes),
        requires_one_of=sorted(found.requires_one_of),
        available=True,
    )
    if for_line is not None:
        message.available = for_line.available
        message.unavailable_reason = for_line.unavailable_reason
        message.active_on_line = for_line.active_on_line
    return message


def preview(found: Preview) -> pb.OptionChangePreview:
    return pb.OptionChangePreview(
        lines=[
            pb.LineChangePreview(
                line_id=p.line.id,
                number=p.line.number.e164,
                user_name=p.line.user_name,
                activate=list(p.activate),
                deactivate=list(p.deactivate),
                monthly_difference_cents=p.monthly_difference_cents,
                one_off_cents=p.one_off_cents,
            )
            for p in found.lines
        ],
        changes=found.changes,
        monthly_difference=money(found.monthly_difference_cents),
        one_off_total=money(found.one_off_total_cents),
    )


def request(found: FleetRequest, *, with_lines: bool = True) -> pb.FleetRequest:
    message = pb.FleetRequest(
        id=found.id,
        kind=pb.RequestKind.Value("REQUEST_KIND_" + found.kind.value),
        state=pb.RequestState.Value("REQUEST_STATE_" + found.state.value),
        activate=list(found.activate),
        deactivate=list(found.deactivate),
        plan=found.plan,
        iccid=found.iccid,
        lines_total=found.lines_total,
        lines_done=found.lines_done,
        lines_failed=found.lines_failed,
        requested_by=found.user_id,
        created_at=to_timestamp(found.created_at),
    )
    if found.suspension_reason:
        message.suspension_reason = pb.SuspensionReason.Value(
            "SUSPENSION_REASON_" + found.suspension_reason.value
        )
    if found.completed_at:
        message.completed_at.CopyFrom(to_timestamp(found.completed_at))
    if with_lines:
        message.lines.extend(
            pb.RequestLine(
                line_id=item.line_id,
                number=item.number,
                state=pb.LineChangeState.Value("LINE_CHANGE_STATE_" + item.state.value),
                attempts=item.attempts,
                failure_reason=item.failure_reason if item.state is not ItemState.DONE else "",
                updated_at=to_timestamp(item.updated_at),
            )
            for item in found.items
        )
    return message


def history_entry(entry: HistoryEntry) -> pb.LineHistoryEntry:
    return pb.LineHistoryEntry(
        at=to_timestamp(entry.at),
        kind=entry.kind,
        description=entry.description,
        succeeded=entry.succeeded,
        failure_reason=entry.failure_reason,
        request_id=entry.request_id,
    )


def sim_order(found: SimOrder, *, with_entity: bool = False) -> pb.SimOrder:
    message = pb.SimOrder(
        id=found.id,
        reference=found.reference,
        quantity=found.quantity,
        esim=found.esim,
        recipient=found.recipient,
        delivery_address=Address(
            line1=found.address.line1,
            line2=found.address.line2,
            postal_code=found.address.postal_code,
            city=found.address.city,
            country=found.address.country,
        ),
        status=pb.SimOrderStatus.Value("SIM_ORDER_STATUS_" + found.status.value),
        cards=[pb.SimCard(iccid=c.iccid, line_id=c.line_id) for c in found.cards],
        carrier=found.carrier,
        tracking_url=found.tracking_url,
        created_at=to_timestamp(found.created_at),
        entity_id=found.entity_id if with_entity else "",
    )
    if found.shipped_at:
        message.shipped_at.CopyFrom(to_timestamp(found.shipped_at))
    return message


def address_from_proto(address: Address) -> DeliveryAddress:
    return DeliveryAddress(
        address.line1, address.line2, address.postal_code, address.city, address.country
    )


def usage(found: Usage) -> pb.Usage:
    return pb.Usage(
        line_id=found.line_id,
        number=found.number,
        national_number=found.national_number,
        user_name=found.user_name,
        month=found.month,
        voice_minutes=found.voice_minutes,
        sms=found.sms,
        data_mb=found.data_mb,
        out_of_bundle_cents=found.out_of_bundle_cents,
    )
