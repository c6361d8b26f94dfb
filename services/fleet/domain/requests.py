"""A customer's request on lines (option change or line action) and its lines'
progress: accepted at once, then each line is sent to the operator's
provisioning system in the background and its outcome recorded; when every
line is done or failed the request completes.

The rules deciding whether a request may be made live here: which status each
action needs, the grouping rule for several lines, and what a processed line
becomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, Violations

from .catalogue import Catalogue, change_problems
from .lines import Line, LineStatus

MAX_LINES_PER_REQUEST = 10_000
# The completion event lists this many line outcomes (failed first); counts are whole.
MAX_LISTED_OUTCOMES = 1_000


class RequestKind(StrEnum):
    OPTIONS = "OPTIONS"
    SUSPEND = "SUSPEND"
    REACTIVATE = "REACTIVATE"
    SWITCH_TO_PREPAID = "SWITCH_TO_PREPAID"
    CHANGE_PLAN = "CHANGE_PLAN"
    ACTIVATE_SIM = "ACTIVATE_SIM"


class RequestState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class ItemState(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DONE = "DONE"
    FAILED = "FAILED"


class SuspensionReason(StrEnum):
    LOSS = "LOSS"
    THEFT = "THEFT"
    TEMPORARY = "TEMPORARY"


# The statuses a line must have for each kind of request.
_OPTION_STATUSES = frozenset({LineStatus.ACTIVE, LineStatus.PREPAID})
REQUIRED_STATUSES: dict[RequestKind, frozenset[LineStatus]] = {
    RequestKind.OPTIONS: _OPTION_STATUSES,
    RequestKind.SUSPEND: _OPTION_STATUSES,
    RequestKind.REACTIVATE: frozenset({LineStatus.SUSPENDED}),
    RequestKind.SWITCH_TO_PREPAID: frozenset({LineStatus.ACTIVE}),
    RequestKind.CHANGE_PLAN: _OPTION_STATUSES,
    RequestKind.ACTIVATE_SIM: frozenset(
        {LineStatus.ACTIVE, LineStatus.PREPAID, LineStatus.SUSPENDED, LineStatus.PENDING_ACTIVATION}
    ),
}


@dataclass(frozen=True)
class RequestItem:
    """One line of a request and where it stands."""

    request_id: str
    line_id: str
    position: int
    number: str
    national_number: str = ""
    user_name: str = ""
    state: ItemState = ItemState.PENDING
    attempts: int = 0
    failure_reason: str = ""
    next_attempt_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def operation_key(self) -> str:
        """The provisioning operation's idempotency key: the same line of the
        same request is always the same operation, however often it is sent."""
        return f"{self.request_id}:{self.line_id}"

    @property
    def finished(self) -> bool:
        return self.state in (ItemState.DONE, ItemState.FAILED)


@dataclass(frozen=True)
class OneOffPrice:
    """A one-off option's price as the customer was shown it when asking: what
    each line it is activated on owes, whatever the catalogue says later."""

    option_code: str
    option_name: str
    unit_cents: int
    vat_bp: int


@dataclass(frozen=True)
class Charge:
    price: OneOffPrice
    quantity: int


@dataclass
class FleetRequest:
    id: str
    entity_id: str
    user_id: str
    kind: RequestKind
    created_at: datetime
    activate: tuple[str, ...] = ()
    deactivate: tuple[str, ...] = ()
    suspension_reason: SuspensionReason | None = None
    plan: str = ""
    iccid: str = ""
    lines_total: int = 0
    lines_done: int = 0
    lines_failed: int = 0
    state: RequestState = RequestState.IN_PROGRESS
    completed_at: datetime | None = None
    items: list[RequestItem] = field(default_factory=list)
    one_off_prices: tuple[OneOffPrice, ...] = ()

    def charges(self) -> list[Charge]:
        """What the request owes once complete: each one-off option on every
        line where it was done."""
        if self.state is not RequestState.COMPLETED or not self.lines_done:
            return []
        return [Charge(price, self.lines_done) for price in self.one_off_prices]

    def record(self, done: int, failed: int, now: datetime) -> bool:
        """Counts lines finished; True when this completes the request."""
        self.lines_done += done
        self.lines_failed += failed
        if self.state is RequestState.IN_PROGRESS and (
            self.lines_done + self.lines_failed >= self.lines_total
        ):
            self.state = RequestState.COMPLETED
            self.completed_at = now
            return True
        return False


@dataclass(frozen=True)
class Change:
    """What a request asks, whatever the lines: the kind and its parameters."""

    kind: RequestKind
    activate: tuple[str, ...] = ()
    deactivate: tuple[str, ...] = ()
    suspension_reason: SuspensionReason | None = None
    plan: str = ""
    iccid: str = ""


def require_line_ids(line_ids: Sequence[str]) -> list[str]:
    """The ids as given: at least one, none blank, none twice (so that every
    error names a line by its index in the request)."""
    ids = [i.strip() for i in line_ids]
    violations = Violations()
    if not ids:
        violations.add("lineIds", "select at least one line")
    if len(ids) > MAX_LINES_PER_REQUEST:
        violations.add("lineIds", f"at most {MAX_LINES_PER_REQUEST} lines per request")
    first_at: dict[str, int] = {}
    for index, line_id in enumerate(ids):
        if not line_id:
            violations.add(f"lineIds[{index}]", "is empty")
        elif first_at.setdefault(line_id, index) != index:
            violations.add(
                f"lineIds[{index}]", f"is already selected (lineIds[{first_at[line_id]}])"
            )
    violations.raise_if_any("LINES_REQUIRED")
    return ids


def require_found(line_ids: Sequence[str], found: dict[str, Line]) -> list[Line]:
    """The lines in the order asked; NotFound naming those the entity lacks
    (another entity's lines are not found either)."""
    missing = [line_id for line_id in line_ids if line_id not in found]
    if missing:
        shown = ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
        raise NotFound("LINE_NOT_FOUND", f"no such line: {shown}")
    return [found[line_id] for line_id in line_ids]


def check_same_group(lines: Sequence[Line]) -> None:
    """Several lines only when they share plan and status: the first selected
    line is the reference, every other that differs is named with how."""
    if len(lines) < 2:
        return
    first = lines[0]
    violations = Violations()
    for index, line in enumerate(lines[1:], start=1):
        differences = []
        if line.plan != first.plan:
            differences.append(f"plan {line.plan} (the first line's: {first.plan})")
        if line.status is not first.status:
            differences.append(f"status {line.status} (the first line's: {first.status})")
        if differences:
            violations.add(
                f"lineIds[{index}]",
                f"line {line.number.national} has {' and '.join(differences)}: "
                "select lines of the same plan and status",
            )
    violations.raise_if_any("LINES_NOT_ALIKE")


def check_not_busy(lines: Sequence[Line]) -> None:
    violations = Violations()
    for index, line in enumerate(lines):
        if line.pending_request_id:
            violations.add(
                f"lineIds[{index}]",
                f"line {line.number.national} already has a change in progress "
                f"(request {line.pending_request_id})",
            )
    if violations:
        raise FailedPrecondition(
            "LINE_CHANGE_IN_PROGRESS",
            "a line takes one change at a time: wait for the one in progress",
            violations=violations.items,
        )


def line_problems(catalogue: Catalogue, line: Line, change: Change) -> list[str]:
    """Why `change` cannot be made on `line`, in words ([] when it can)."""
    allowed = REQUIRED_STATUSES[change.kind]
    if line.status not in allowed:
        wanted = " or ".join(sorted(s.value for s in allowed))
        return [f"the line is {line.status.value}; this needs {wanted}"]
    if change.kind is RequestKind.OPTIONS:
        return change_problems(
            catalogue, line.plan, frozenset(line.options), change.activate, change.deactivate
        )
    if change.kind is RequestKind.CHANGE_PLAN:
        return plan_move_problems(catalogue, line, change.plan)
    if change.kind is RequestKind.ACTIVATE_SIM and line.iccid == change.iccid:
        return ["this SIM is already the line's"]
    return []


def plan_move_problems(catalogue: Catalogue, line: Line, plan_code: str) -> list[str]:
    target = catalogue.plans.get(plan_code)
    if target is None:
        return [f"no plan {plan_code!r} in the catalogue"]
    if plan_code == line.plan:
        return [f"the line is already on plan {plan_code}"]
    current = catalogue.plans.get(line.plan)
    product = current.product if current else ""
    if target.product != product:
        allowed = ", ".join(p.code for p in catalogue.plans_of_product(product)) or "none"
        return [
            f"plan {plan_code} is not a plan of the line's product {product or '(unknown)'} "
            f"(its plans: {allowed})"
        ]
    misfits = sorted(
        code
        for code in line.options
        if code in catalogue.options and not catalogue.options[code].fits(plan_code)
    )
    if misfits:
        return [f"plan {plan_code} does not take {', '.join(misfits)}: remove it first"]
    return []


def check_lines(catalogue: Catalogue, lines: Sequence[Line], change: Change) -> None:
    """Every line's problems, named by its position and number, or nothing."""
    violations = Violations()
    for index, line in enumerate(lines):
        for problem in line_problems(catalogue, line, change):
            violations.add(f"lineIds[{index}]", f"line {line.number.national}: {problem}")
    violations.raise_if_any("LINE_CHANGE_REFUSED")


def one_off_prices(catalogue: Catalogue, change: Change) -> tuple[OneOffPrice, ...]:
    if change.kind is not RequestKind.OPTIONS:
        return ()
    prices = []
    for code in change.activate:
        option = catalogue.options[code]
        if option.one_off_cents:
            prices.append(OneOffPrice(code, option.name, option.one_off_cents, option.vat_bp))
    return tuple(prices)


def new_request(
    request_id: str,
    entity_id: str,
    user_id: str,
    change: Change,
    lines: Sequence[Line],
    now: datetime,
    prices: tuple[OneOffPrice, ...] = (),
) -> FleetRequest:
    """The accepted request, its lines PENDING and marked busy with it."""
    items = [
        RequestItem(
            request_id=request_id,
            line_id=line.id,
            position=position,
            number=line.number.e164,
            national_number=line.number.national,
            user_name=line.user_name,
            next_attempt_at=now,
            updated_at=now,
        )
        for position, line in enumerate(lines)
    ]
    for line in lines:
        line.pending_request_id = request_id
    return FleetRequest(
        id=request_id,
        entity_id=entity_id,
        user_id=user_id,
        kind=change.kind,
        created_at=now,
        activate=change.activate,
        deactivate=change.deactivate,
        suspension_reason=change.suspension_reason,
        plan=change.plan,
        iccid=change.iccid,
        lines_total=len(items),
        items=items,
        one_off_prices=prices,
    )


def change_of(request: FleetRequest) -> Change:
    return Change(
        kind=request.kind,
        activate=request.activate,
        deactivate=request.deactivate,
        suspension_reason=request.suspension_reason,
        plan=request.plan,
        iccid=request.iccid,
    )


# ---- what a processed line becomes ------------------------------------------------


@dataclass(frozen=True)
class StatusChanged:
    line: Line
    previous: LineStatus
    reason: str
    request_id: str


@dataclass(frozen=True)
class SimSwapped:
    line: Line
    iccid: str
    previous_iccid: str
    request_id: str


def describe(change: Change, line_before: Line | None = None) -> str:
    """The change in words, for the line's history."""
    if change.kind is RequestKind.OPTIONS:
        parts = [f"+{c}" for c in change.activate] + [f"-{c}" for c in change.deactivate]
        return " ".join(parts)
    if change.kind is RequestKind.SUSPEND:
        reason = change.suspension_reason.value if change.suspension_reason else ""
        return f"suspended ({reason})" if reason else "suspended"
    if change.kind is RequestKind.REACTIVATE:
        return "reactivated"
    if change.kind is RequestKind.SWITCH_TO_PREPAID:
        return "switched to prepaid"
    if change.kind is RequestKind.CHANGE_PLAN:
        before = f"{line_before.plan} -> " if line_before else ""
        return f"plan {before}{change.plan}"
    return f"SIM {line_before.iccid if line_before else ''} -> {change.iccid}".replace("  ", " ")


def apply_change(
    line: Line, change: Change, request_id: str, now: datetime
) -> list[StatusChanged | SimSwapped]:
    """The line as the provisioning system now has it; the facts other services
    hear of. Frees the line for its next request."""
    facts: list[StatusChanged | SimSwapped] = []
    previous = line.status
    if change.kind is RequestKind.OPTIONS:
        kept = [o for o in line.options if o not in change.deactivate]
        line.options = tuple(kept + [o for o in change.activate if o not in kept])
    elif change.kind is RequestKind.SUSPEND:
        line.status_before_suspension = line.status
        line.status = LineStatus.SUSPENDED
        line.suspension_reason = change.suspension_reason.value if change.suspension_reason else ""
    elif change.kind is RequestKind.REACTIVATE:
        line.status = line.status_before_suspension or LineStatus.ACTIVE
        line.status_before_suspension = None
        line.suspension_reason = ""
    elif change.kind is RequestKind.SWITCH_TO_PREPAID:
        line.status = LineStatus.PREPAID
    elif change.kind is RequestKind.CHANGE_PLAN:
        line.plan = change.plan
    elif change.kind is RequestKind.ACTIVATE_SIM:
        old = line.iccid
        line.iccid = change.iccid
        if line.status is LineStatus.PENDING_ACTIVATION:
            line.status = LineStatus.ACTIVE
        facts.append(SimSwapped(line, change.iccid, old, request_id))
    if line.status is not previous:
        facts.append(StatusChanged(line, previous, line.suspension_reason, request_id))
    line.pending_request_id = ""
    line.updated_at = now
    return facts


def release_line(line: Line, now: datetime) -> None:
    """A failed line stays as it was, free for another request."""
    line.pending_request_id = ""
    line.updated_at = now


# ---- retries ----------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How long a line waits after the provisioning system could not be reached:
    doubling from `first` up to `longest`, and failed for good (with the reason)
    after `give_up_after` since the request was made."""

    first: timedelta = timedelta(seconds=2)
    longest: timedelta = timedelta(minutes=5)
    give_up_after: timedelta = timedelta(hours=24)

    def next_attempt(self, attempts: int, now: datetime) -> datetime:
        wait = self.first * (2 ** max(attempts - 1, 0))
        return now + min(wait, self.longest)

    def gives_up(self, created_at: datetime, now: datetime) -> bool:
        return now - created_at >= self.give_up_after


def outcomes_listed(items: Iterable[RequestItem]) -> list[RequestItem]:
    """What the completion event lists: failed lines first, then the others, by
    position, at most MAX_LISTED_OUTCOMES."""
    ordered = sorted(items, key=lambda i: (i.state is not ItemState.FAILED, i.position))
    return ordered[:MAX_LISTED_OUTCOMES]


def parse_reason(raw: str) -> SuspensionReason:
    name = raw.strip().upper().removeprefix("SUSPENSION_REASON_")
    try:
        return SuspensionReason(name)
    except ValueError:
        raise InvalidArgument.for_field(
            "reason", "is required: LOSS, THEFT or TEMPORARY", reason="SUSPENSION_REASON_REQUIRED"
        ) from None


def with_state(item: RequestItem, state: ItemState, now: datetime, **changes) -> RequestItem:
    return replace(item, state=state, updated_at=now, **changes)
