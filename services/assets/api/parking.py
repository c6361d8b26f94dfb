"""Parking RPCs: contracts, exits imports, low-usage statements and their PDF."""

from __future__ import annotations

from google.api import httpbody_pb2

from portal.assets.v1 import assets_pb2 as pb
from portal_runtime.auth import current_principal
from portal_runtime.protos import money, to_timestamp
from services.assets.domain.parking import (
    ContractTerms,
    ContractType,
    ParkingContract,
    ParkingStatement,
)
from services.assets.usecases import parking
from services.assets.usecases.common import Deps

PDF_TYPE = "application/pdf"
_TYPE_PREFIX = "PARKING_CONTRACT_TYPE_"


def contract_type_from_proto(value: int) -> ContractType | None:
    """None for UNSPECIFIED."""
    if not value:
        return None
    return ContractType(pb.ParkingContractType.Name(value).removeprefix(_TYPE_PREFIX))


def contract_message(contract: ParkingContract) -> pb.ParkingContract:
    return pb.ParkingContract(
        id=contract.id,
        number=contract.number,
        car_park=contract.car_park,
        type=pb.ParkingContractType.Value(_TYPE_PREFIX + contract.type.value),
        start_date=contract.start_date.isoformat(),
        plates=list(contract.plates),
        badges=list(contract.badges),
        monthly_price=money(contract.monthly_price_cents),
        included_exits=contract.included_exits,
        extra_exit_price=money(contract.extra_exit_price_cents),
        vat_rate_bp=contract.vat_rate_bp,
        entity_id=contract.entity_id,
    )


def statement_message(statement: ParkingStatement) -> pb.ParkingStatement:
    return pb.ParkingStatement(
        id=statement.id,
        contract_id=statement.contract_id,
        contract_number=statement.contract_number,
        car_park=statement.car_park,
        month=statement.month,
        exits=statement.exits,
        included_exits=statement.included_exits,
        extra_exits=statement.extra_exits,
        extra_exit_price=money(statement.extra_exit_price_cents),
        amount_excl_tax=money(statement.amount_excl_cents),
        vat_rate_bp=statement.vat_rate_bp,
        created_at=to_timestamp(statement.created_at),
    )


def terms_from_proto(given: pb.ParkingContract) -> ContractTerms:
    return ContractTerms(
        entity_id=given.entity_id,
        car_park=given.car_park,
        type=contract_type_from_proto(given.type),
        start_date=given.start_date,
        plates=list(given.plates),
        badges=list(given.badges),
        monthly_price_cents=given.monthly_price.amount_cents,
        monthly_price_currency=given.monthly_price.currency,
        included_exits=given.included_exits,
        extra_exit_price_cents=given.extra_exit_price.amount_cents,
        extra_exit_price_currency=given.extra_exit_price.currency,
        vat_rate_bp=given.vat_rate_bp,
        number=given.number,
    )


class ParkingRpcs:
    deps: Deps

    async def ListParkingContracts(self, request: pb.ListParkingContractsRequest, context):
        found = await parking.list_contracts(self.deps, current_principal())
        return pb.ListParkingContractsResponse(contracts=[contract_message(c) for c in found])

    async def GetParkingContract(self, request: pb.GetParkingContractRequest, context):
        found = await parking.get_contract(self.deps, current_principal(), request.id)
        return contract_message(found)

    async def ListParkingStatements(self, request: pb.ListParkingStatementsRequest, context):
        found, token = await parking.list_statements(
            self.deps, current_principal(), request.month, request.page_size, request.page_token
        )
        return pb.ListParkingStatementsResponse(
            statements=[statement_message(st) for st in found], next_page_token=token
        )

    async def GetParkingStatement(self, request: pb.GetParkingStatementRequest, context):
        found = await parking.get_statement(self.deps, current_principal(), request.id)
        return statement_message(found)

    async def GetParkingStatementPdf(self, request: pb.GetParkingStatementRequest, context):
        data = await parking.statement_pdf(self.deps, current_principal(), request.id)
        return httpbody_pb2.HttpBody(content_type=PDF_TYPE, data=data)


class ParkingAdminRpcs:
    deps: Deps

    async def PutParkingContract(self, request: pb.PutParkingContractRequest, context):
        saved = await parking.put_contract(
            self.deps, current_principal(), request.number, terms_from_proto(request.contract)
        )
        return contract_message(saved)

    async def ImportParkingContracts(self, request: pb.ImportParkingContractsRequest, context):
        done = await parking.import_contracts(
            self.deps, current_principal(), request.file.data, request.entity_id
        )
        return pb.ImportResponse(lines=done.lines, created=done.created, updated=done.updated)

    async def ImportParkingExits(self, request: pb.ImportParkingExitsRequest, context):
        done = await parking.import_exits(
            self.deps, current_principal(), request.file.data, request.month
        )
        return pb.ImportParkingExitsResponse(
            exits=done.exits, statements=done.statements, already_closed=done.already_closed
        )
