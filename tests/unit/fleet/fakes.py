"""Test doubles and shortcuts for the fleet's request tests: an in-memory
provisioning system, a clock the test moves, the test catalogue as domain
objects, and lines imported through the operator's use case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.fleet.v1 import events_pb2
from portal_runtime.tokens import Principal
from services.fleet.domain.catalogue import (
    Catalogue,
    OptionType,
    PriceKind,
    new_option,
    new_plan,
)
from services.fleet.domain.lines import Line, LineStatus, PhoneNumber
from services.fleet.domain.requests import FleetRequest, RequestItem
from services.fleet.domain.sims import DeliveryAddress
from services.fleet.provisioning.base import Operation, Outcome, ProvisioningUnavailable
from services.fleet.usecases import lines as line_usecases
from services.fleet.usecases import sims
from tests.support.outbox import outbox_events

from .conftest import World
from .helpers import OPTIONS, PLANS, iccid, line_file, line_row


class Clock:
    """`deps.clock` that stays put until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class FakeProvisioning:
    """The operator's provisioning system as the fleet service sees it: it
    applies a key once and answers a key it has seen with the outcome it
    recorded; it refuses the numbers in `refuse` (number -> reason) and is
    unreachable while `unavailable` is set."""

    refuse: dict[str, str] = field(default_factory=dict)
    unavailable: bool = False
    # key -> the outcome recorded (preset: what a dead worker's calls did).
    known: dict[str, Outcome] = field(default_factory=dict)
    # Called inside `apply` once the outcome is recorded (to stage a race).
    on_apply: Callable[[Operation], Awaitable[None]] | None = None
    applied: list[Operation] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    # How many times each key changed a line in the system (must stay 1).
    effects: Counter[str] = field(default_factory=Counter)
    closed: bool = False

    async def apply(self, operation: Operation) -> Outcome:
        self.applied.append(operation)
        if self.unavailable:
            raise ProvisioningUnavailable("connection refused")
        outcome = self.known.get(operation.key)
        if outcome is None:
            reason = self.refuse.get(operation.number)
            outcome = Outcome(False, reason) if reason is not None else Outcome(True)
            self.known[operation.key] = outcome
            if outcome.applied:
                self.effects[operation.key] += 1
        if self.on_apply is not None:
            await self.on_apply(operation)
        return outcome

    async def lookup(self, key: str) -> Outcome | None:
        self.lookups.append(key)
        if self.unavailable:
            raise ProvisioningUnavailable("connection refused")
        return self.known.get(key)

    async def aclose(self) -> None:
        self.closed = True

    @property
    def applied_keys(self) -> list[str]:
        return [operation.key for operation in self.applied]


def sample_catalogue() -> Catalogue:
    """The catalogue of `helpers.PLANS`/`OPTIONS`, built by the admin rules."""
    plans = {
        p["code"]: new_plan(p["code"], p["name"], p["product"], p["monthlyCents"], p["vatBp"])
        for p in PLANS
    }
    options = {}
    for o in OPTIONS:
        options[o["code"]] = new_option(
            code=o["code"],
            type=OptionType(o["type"].removeprefix("OPTION_TYPE_")),
            name=o["name"],
            description="",
            price_cents=o["priceCents"],
            price_kind=PriceKind(o["priceKind"].removeprefix("PRICE_KIND_")),
            vat_bp=o["vatBp"],
            plans=o.get("plans", []),
            excludes=o.get("excludes", []),
            requires_one_of=o.get("requiresOneOf", []),
            known_plans=plans,
            known_options=options,
        )
    return Catalogue(plans, options)


def a_line(
    *,
    plan: str = "BUS_M",
    status: LineStatus = LineStatus.ACTIVE,
    options: Sequence[str] = (),
    iccid: str = "8932040000000000018",
    line_id: str = "line-1",
) -> Line:
    """A line in memory (domain tests)."""
    product = "Data SIM" if plan == "DATA_ONLY" else "Mobile"
    return Line(
        id=line_id,
        entity_id="ent-acme",
        number=PhoneNumber("+32470123456", "0470 12 34 56"),
        iccid=iccid,
        user_name="Ada Lovelace",
        customer_number="C-100",
        product=product,
        plan=plan,
        status=status,
        options=tuple(options),
    )


def rows(count: int, first: int = 1, **fields: str) -> list[list[str]]:
    """`count` line rows numbered +32470 000 001 + first..., one SIM each."""
    return [
        line_row(f"+3247{first + n:07d}", first + n, f"User {first + n}", **fields)
        for n in range(count)
    ]


async def import_lines(
    world: World, line_rows: list[list[str]], principal: Principal | None = None
) -> list[Line]:
    """The rows imported for `principal`'s entity (acme by default); its
    lines in the rows' order."""
    principal = principal or world.acme
    await line_usecases.import_lines(
        world.deps, world.operator, line_file(line_rows), principal.entity_id
    )
    found = (await line_usecases.list_lines(world.deps, principal, page_size=500)).lines
    by_number = {line.number.e164: line for line in found}
    numbers = [world.deps.parse_number(row[0]) for row in line_rows]
    return [by_number[number.e164] for number in numbers if number is not None]


async def line_of(world: World, line: Line) -> Line:
    """The line as stored now."""
    principal = world.acme if line.entity_id == world.acme.entity_id else world.globex
    return await line_usecases.get_line(world.deps, principal, line.id)


async def stored_request(world: World, request_id: str) -> FleetRequest:
    """The request and its items as stored now (any entity's)."""
    async with world.db.transaction() as s:
        request = await world.deps.repo.requests.get(s, request_id, None)
    assert request is not None
    return request


async def items_by_line(world: World, request_id: str) -> dict[str, RequestItem]:
    request = await stored_request(world, request_id)
    return {item.line_id: item for item in request.items}


async def events(world: World, name: str) -> list:
    """The fleet events of type `name` in the outbox, oldest first."""
    return await outbox_events(world.db, events_pb2, name)


async def shipped_sims(world: World, count: int = 2) -> list[str]:
    """The ICCIDs of `count` cards acme ordered and the operator shipped."""
    order = await sims.create_sim_order(
        world.deps,
        world.acme,
        quantity=count,
        esim=False,
        recipient="Ada Lovelace",
        address=DeliveryAddress("Rue de la Loi 16", "", "1000", "Bruxelles", "BE"),
    )
    cards = [iccid(f"89320477770000{n:04d}") for n in range(count)]
    await sims.ship_sim_order(world.deps, world.operator, order.id, cards)
    return cards
