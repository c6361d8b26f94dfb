"""A customer's service request on one or several machines of its park: spare
parts, an intervention (a breakdown, with its urgency, or a preventive visit on
wished dates), an expertise, or the removal of machines from the park.

The operator moves it through its statuses, each move recorded with the
comment the customer reads:

    RECEIVED    -> PLANNED (a date) | IN_PROGRESS | CANCELLED
    PLANNED     -> PLANNED (another date) | IN_PROGRESS | CANCELLED
    IN_PROGRESS -> DONE | CANCELLED

The customer may withdraw it while RECEIVED or PLANNED. Moves change the
machines too: an intervention in progress puts them under maintenance (back in
service when it ends), a removal done takes them out of the park."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations

MAX_MESSAGE = 4_000
MAX_COMMENT = 4_000


class RequestKind(StrEnum):
    PARTS = "PARTS"
    INTERVENTION = "INTERVENTION"
    EXPERTISE = "EXPERTISE"
    REMOVAL = "REMOVAL"


class RequestStatus(StrEnum):
    RECEIVED = "RECEIVED"
    PLANNED = "PLANNED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class InterventionType(StrEnum):
    BREAKDOWN = "BREAKDOWN"
    PREVENTIVE = "PREVENTIVE"


class Urgency(StrEnum):
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


OPEN_STATUSES = frozenset(
    {RequestStatus.RECEIVED, RequestStatus.PLANNED, RequestStatus.IN_PROGRESS}
)
ALLOWED_MOVES: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.RECEIVED: frozenset(
        {RequestStatus.PLANNED, RequestStatus.IN_PROGRESS, RequestStatus.CANCELLED}
    ),
    RequestStatus.PLANNED: frozenset(
        {RequestStatus.PLANNED, RequestStatus.IN_PROGRESS, RequestStatus.CANCELLED}
    ),
    RequestStatus.IN_PROGRESS: frozenset({RequestStatus.DONE, RequestStatus.CANCELLED}),
}
# Once the operator has started, the customer can no longer withdraw it alone.
CUSTOMER_CANCELLABLE = frozenset({RequestStatus.RECEIVED, RequestStatus.PLANNED})

KIND_WORDS = {
    RequestKind.PARTS: "Spare parts request",
    RequestKind.INTERVENTION: "Intervention request",
    RequestKind.EXPERTISE: "Expertise request",
    RequestKind.REMOVAL: "Removal request",
}
STATUS_WORDS = {
    RequestStatus.RECEIVED: "received",
    RequestStatus.PLANNED: "planned",
    RequestStatus.IN_PROGRESS: "in progress",
    RequestStatus.DONE: "done",
    RequestStatus.CANCELLED: "cancelled",
}


class MachineEffect(StrEnum):
    """What a move does to the request's machines."""

    START_MAINTENANCE = "START_MAINTENANCE"
    END_MAINTENANCE = "END_MAINTENANCE"
    REMOVE = "REMOVE"


@dataclass(frozen=True)
class PartLine:
    part_code: str
    quantity: int
    # Copied from the model's parts list when asked.
    label: str = ""
    equipment_id: str = ""

    def describe(self) -> str:
        """How the parts department reads it: `<quantity> x <label> (<code>)`."""
        return f"{self.quantity} x {self.label} ({self.part_code})"


@dataclass(frozen=True)
class StatusChange:
    status: RequestStatus
    at: datetime
    comment: str = ""
    planned_for: date | None = None


@dataclass(frozen=True)
class StatusMoved:
    """A request changed status (the customer is told)."""

    request_id: str
    entity_id: str
    reference: str
    kind: RequestKind
    previous: RequestStatus
    status: RequestStatus
    comment: str
    planned_for: date | None
    equipment_ids: tuple[str, ...]
    effect: MachineEffect | None


@dataclass
class ServiceRequest:
    id: str
    entity_id: str
    user_id: str
    reference: str
    kind: RequestKind
    status: RequestStatus
    equipment_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    message: str = ""
    intervention_type: InterventionType | None = None
    urgency: Urgency | None = None
    wished_dates: tuple[date, ...] = ()
    parts: tuple[PartLine, ...] = ()
    # The latest comment and planned date.
    comment: str = ""
    planned_for: date | None = None
    history: list[StatusChange] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    def move(
        self,
        status: RequestStatus,
        comment: str,
        planned_for: date | None,
        now: datetime,
    ) -> StatusMoved:
        """The operator's move, refused (naming both statuses) when the
        workflow does not allow it."""
        if status not in ALLOWED_MOVES.get(self.status, frozenset()):
            raise FailedPrecondition(
                "STATUS_MOVE_REFUSED",
                f"a request {self.status.value} cannot go {status.value}",
                metadata={"status": self.status.value, "requested": status.value},
            )
        if status is RequestStatus.PLANNED and planned_for == self.planned_for:
            raise InvalidArgument.for_field(
                "plannedFor", f"is already the planned date ({planned_for})", reason="SAME_DATE"
            )
        return self._record(status, comment, planned_for, now)

    def cancel_by_customer(self, reason: str, now: datetime) -> StatusMoved:
        if self.status not in CUSTOMER_CANCELLABLE:
            raise FailedPrecondition(
                "NOT_CANCELLABLE",
                f"a request {self.status.value} can no longer be cancelled: "
                "only RECEIVED or PLANNED ones",
                metadata={"status": self.status.value},
            )
        return self._record(RequestStatus.CANCELLED, reason, None, now)

    def require_open_for_attachments(self) -> None:
        if not self.open:
            raise FailedPrecondition(
                "SERVICE_REQUEST_CLOSED",
                f"request {self.reference} is {self.status.value}: it takes no more attachments",
                metadata={"status": self.status.value},
            )

    def _record(
        self, status: RequestStatus, comment: str, planned_for: date | None, now: datetime
    ) -> StatusMoved:
        previous = self.status
        self.status = status
        if comment:
            self.comment = comment
        if planned_for is not None:
            self.planned_for = planned_for
        self.updated_at = now
        self.history.append(StatusChange(status, now, comment, planned_for))
        return StatusMoved(
            request_id=self.id,
            entity_id=self.entity_id,
            reference=self.reference,
            kind=self.kind,
            previous=previous,
            status=status,
            comment=comment,
            planned_for=planned_for,
            equipment_ids=self.equipment_ids,
            effect=machine_effect(self.kind, previous, status),
        )

    def describe(self) -> str:
        """The request's kind and status in words (a machine's history)."""
        kind = KIND_WORDS[self.kind]
        if self.intervention_type is not None:
            kind += f" ({self.intervention_type.value.lower()})"
        status = STATUS_WORDS[self.status]
        if self.status is RequestStatus.PLANNED and self.planned_for is not None:
            status += f" for {self.planned_for.isoformat()}"
        return f"{kind} {self.reference}: {status}"


def machine_effect(
    kind: RequestKind, previous: RequestStatus, status: RequestStatus
) -> MachineEffect | None:
    if kind is RequestKind.INTERVENTION:
        if status is RequestStatus.IN_PROGRESS:
            return MachineEffect.START_MAINTENANCE
        if previous is RequestStatus.IN_PROGRESS and status in (
            RequestStatus.DONE,
            RequestStatus.CANCELLED,
        ):
            return MachineEffect.END_MAINTENANCE
    if kind is RequestKind.REMOVAL and status is RequestStatus.DONE:
        return MachineEffect.REMOVE
    return None


def reference_of(year: int, number: int) -> str:
    return f"SR-{year}-{number:06d}"


# ---- the operator's moves -----------------------------------------------------------------


def check_move(
    status: RequestStatus | None, comment: str, planned_for: str, today: date
) -> tuple[RequestStatus, str, date | None]:
    """The operator's move, checked on its own: a target status, a comment of
    bounded length, a planned date (not past) for PLANNED and only then."""
    violations = Violations()
    if status is None:
        violations.add("status", "is required")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        violations.add("comment", f"must be at most {MAX_COMMENT} characters")
    day = None
    if status is RequestStatus.PLANNED:
        if not planned_for.strip():
            violations.add("plannedFor", "is required for PLANNED: the visit's date YYYY-MM-DD")
        else:
            day = parse_iso_date(planned_for.strip())
            if day is None:
                violations.add("plannedFor", "must be a date YYYY-MM-DD")
            elif day < today:
                violations.add("plannedFor", "must not be in the past")
    elif planned_for.strip():
        violations.add("plannedFor", "is only for PLANNED")
    violations.raise_if_any("INVALID_STATUS_CHANGE")
    assert status is not None
    return status, comment, day


def check_cancel_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_COMMENT:
        raise InvalidArgument.for_field("reason", f"must be at most {MAX_COMMENT} characters")
    return reason
