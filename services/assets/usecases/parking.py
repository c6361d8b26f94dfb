"""Parking: operators put contracts and import a month's exits (which closes
the month: low-usage statements); customers read their contracts and
statements, and download a statement as PDF."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import Aborted, InvalidArgument, NotFound, require_field
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.assets.domain.contracts_file import parse_contracts_file, plan_contracts
from services.assets.domain.exits_file import assign_exits, read_exits_file
from services.assets.domain.parking import (
    MONTH_PROBLEM,
    ContractTerms,
    ParkingContract,
    ParkingStatement,
    check_badges_free,
    check_number,
    check_terms,
    close_month,
    month_of,
    new_contract,
    parse_month,
)
from services.assets.events import parking as events
from services.assets.statement_pdf import StatementParty, render_statement
from services.assets.usecases.common import Deps, require_operator


def _car_park_zone() -> tzinfo:
    # The tzdata package (a dependency) provides it even without a system database.
    return ZoneInfo("Europe/Paris")


# The car parks' time: exits files give local times, and a month is the car
# parks' calendar month.
CAR_PARK_ZONE = _car_park_zone()


@dataclass(frozen=True)
class ExitsImport:
    exits: int
    statements: int
    already_closed: bool


@dataclass(frozen=True)
class ContractsImport:
    lines: int
    created: int
    updated: int


def _contract_not_found() -> NotFound:
    return NotFound("PARKING_CONTRACT_NOT_FOUND", "no such parking contract")


def _statement_not_found() -> NotFound:
    return NotFound("PARKING_STATEMENT_NOT_FOUND", "no such parking statement")


# ---- operators ---------------------------------------------------------------------


async def put_contract(
    deps: Deps, principal: Principal | None, number: str, terms: ContractTerms
) -> ParkingContract:
    """Creates or replaces the contract with this number; its badges must be on
    no other contract."""
    require_operator(principal)
    number = check_number(number)
    terms = check_terms(terms, number)
    now = deps.clock()
    try:
        async with deps.db.transaction() as s:
            contract = await deps.repo.parking.contract_by_number(s, number, for_update=True)
            holders = await deps.repo.parking.contracts_by_badges(s, terms.badges)
            check_badges_free(terms.badges, holders, number)
            if contract is None:
                contract = new_contract(new_id(), number, terms, now)
                await deps.repo.parking.add_contract(s, contract)
            else:
                contract.apply(terms, now)
                await deps.repo.parking.save_contract(s, contract)
    except IntegrityError as exc:
        # Another contract took one of the badges (or this number) meanwhile.
        async with deps.db.transaction() as s:
            holders = await deps.repo.parking.contracts_by_badges(s, terms.badges)
        check_badges_free(terms.badges, holders, number)
        raise Aborted(
            "CONCURRENT_CHANGE", f"contract {number} was written at the same time: try again"
        ) from exc
    return contract


async def import_contracts(
    deps: Deps, principal: Principal | None, data: bytes, entity_id: str
) -> ContractsImport:
    """The entity's contracts file whole or nothing, each line under
    PutParkingContract's rules; a known number replaces its contract."""
    require_operator(principal)
    entity_id = require_field(entity_id, "entityId")
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    lines = await asyncio.to_thread(parse_contracts_file, data, entity_id)

    async def attempt() -> ContractsImport:
        now = deps.clock()
        async with deps.db.transaction() as s:
            stored = await deps.repo.parking.contracts_by_numbers(
                s, [line.number for line in lines], for_update=True
            )
            holders = await deps.repo.parking.contracts_by_badges(
                s, [badge for line in lines for badge in line.terms.badges]
            )
            plan = plan_contracts(lines, stored, holders, new_id, now)
            await deps.repo.parking.write_contracts(s, plan.new_contracts, plan.updated_contracts)
        return ContractsImport(len(lines), len(plan.new_contracts), len(plan.updated_contracts))

    try:
        return await attempt()
    except IntegrityError:
        # Another writer took one of the numbers or badges meanwhile: once more,
        # so that the file is checked against what it wrote.
        try:
            return await attempt()
        except IntegrityError as exc:
            raise Aborted(
                "CONCURRENT_CHANGE", "the contracts changed meanwhile: try again"
            ) from exc


async def import_exits(
    deps: Deps, principal: Principal | None, data: bytes, month: str
) -> ExitsImport:
    """Stores the month's exits and closes the month (every low-usage contract
    active in it gets its statement, ParkingMonthClosed tells billing), all in
    one transaction; the whole file or nothing. A closed month stays closed:
    importing it again changes nothing."""
    require_operator(principal)
    raw_month = require_field(month, "month")
    month = parse_month(raw_month) or ""
    if not month:
        raise InvalidArgument.for_field("month", MONTH_PROBLEM)
    now_local = deps.clock().astimezone(CAR_PARK_ZONE).replace(tzinfo=None)
    if month > month_of(now_local):
        raise InvalidArgument.for_field("month", "must not be in the future")
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    async with deps.db.transaction() as s:
        if await deps.repo.parking.closed_month(s, month) is not None:
            return ExitsImport(0, 0, already_closed=True)
    read = await asyncio.to_thread(read_exits_file, data, month, now_local, CAR_PARK_ZONE)
    try:
        async with deps.db.transaction() as s:
            contracts = await deps.repo.parking.contracts_by_badges(s, read.badges)
            exits = await asyncio.to_thread(assign_exits, read, contracts)
            closing = close_month(
                month,
                await deps.repo.parking.closed_month(s, month),
                exits,
                await deps.repo.parking.low_usage_contracts(s),
                deps.clock(),
                new_id,
            )
            if closing is None:
                return ExitsImport(0, 0, already_closed=True)
            await deps.repo.parking.add_closing(s, closing)
            for event in events.parking_month_closed(closing):
                await add_event(s, event)
    except IntegrityError:
        # Another import closed the month meanwhile: its row came first.
        async with deps.db.transaction() as s:
            if await deps.repo.parking.closed_month(s, month) is not None:
                return ExitsImport(0, 0, already_closed=True)
        raise
    return ExitsImport(len(closing.exits), len(closing.statements), already_closed=False)


# ---- customers ---------------------------------------------------------------------


async def list_contracts(deps: Deps, principal: Principal | None) -> list[ParkingContract]:
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        return await deps.repo.parking.list_contracts(s, entity_id)


async def get_contract(
    deps: Deps, principal: Principal | None, contract_id: str
) -> ParkingContract:
    entity_id = customer_entity(principal)
    contract_id = require_field(contract_id, "id")
    async with deps.db.read() as s:
        contract = await deps.repo.parking.get_contract(s, contract_id, entity_id)
    if contract is None:
        raise _contract_not_found()
    return contract


async def list_statements(
    deps: Deps,
    principal: Principal | None,
    month: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[ParkingStatement], str]:
    """The entity's statements, newest month first."""
    entity_id = customer_entity(principal)
    wanted = ""
    if month.strip():
        wanted = parse_month(month) or ""
        if not wanted:
            raise InvalidArgument.for_field("month", MONTH_PROBLEM)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.parking.list_statements(s, entity_id, wanted, page)
    return found, page.next_token(more)


async def get_statement(
    deps: Deps, principal: Principal | None, statement_id: str
) -> ParkingStatement:
    entity_id = customer_entity(principal)
    statement_id = require_field(statement_id, "id")
    async with deps.db.read() as s:
        statement = await deps.repo.parking.get_statement(s, statement_id, entity_id)
    if statement is None:
        raise _statement_not_found()
    return statement


async def statement_pdf(deps: Deps, principal: Principal | None, statement_id: str) -> bytes:
    """The statement with its exits as PDF, in the account's language (French
    when it is not known yet)."""
    entity_id = customer_entity(principal)
    statement_id = require_field(statement_id, "id")
    async with deps.db.transaction() as s:
        statement = await deps.repo.parking.get_statement(s, statement_id, entity_id)
        if statement is None:
            raise _statement_not_found()
        exits = await deps.repo.parking.exits_of(
            s, entity_id, statement.contract_id, statement.month
        )
        account = await deps.repo.accounts.get(s, entity_id)
    party = StatementParty()
    language = "fr"
    if account is not None:
        party = StatementParty(account.name, account.client_number, account.address_lines)
        language = account.language or language
    return await asyncio.to_thread(render_statement, statement, exits, party, language=language)
