"""Domain objects -> protobuf messages, and the proto's enums -> the domain's."""

from __future__ import annotations

from portal.fleet.v1 import fleet_pb2 as pb
from portal_runtime.protos import to_timestamp
from services.fleet.domain.lines import Line, LineStatus

_PREFIX = "LINE_STATUS_"


def status_from_proto(value: int) -> LineStatus | None:
    """None for LINE_STATUS_UNSPECIFIED (no filter)."""
    if not value:
        return None
    return LineStatus(pb.LineStatus.Name(value).removeprefix(_PREFIX))


def line(found: Line) -> pb.Line:
    return pb.Line(
        id=found.id,
        number=found.number.e164,
        national_number=found.number.national,
        iccid=found.iccid,
        user_name=found.user_name,
        customer_number=found.customer_number,
        product=found.product,
        plan=found.plan,
        status=pb.LineStatus.Value(_PREFIX + found.status.value),
        options=list(found.options),
        created_at=to_timestamp(found.created_at),
        updated_at=to_timestamp(found.updated_at),
    )
