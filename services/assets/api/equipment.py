"""The park's RPCs (protobuf -> use case -> protobuf) and their conversions."""

from __future__ import annotations

from google.api import httpbody_pb2

from portal.assets.v1 import assets_pb2 as pb
from portal_runtime.auth import current_principal
from portal_runtime.protos import set_timestamp, to_timestamp
from services.assets.api.service_requests import service_request
from services.assets.domain.equipment import Equipment, EquipmentModel, Site
from services.assets.usecases import equipment as usecases
from services.assets.usecases.common import Deps

_STATUS = "EQUIPMENT_STATUS_"
HISTORY_SERVICE_REQUEST = "SERVICE_REQUEST"
HISTORY_QUOTE = "QUOTE"


def site(found: Site) -> pb.Site:
    message = pb.Site()
    fill_site(message, found)
    return message


def fill_site(message: pb.Site, found: Site) -> None:
    address = found.address
    message.id = found.id
    message.name = found.name
    out = message.address
    out.line1 = address.line1
    out.line2 = address.line2
    out.postal_code = address.postal_code
    out.city = address.city
    out.country = address.country


def model(found: EquipmentModel) -> pb.EquipmentModel:
    return pb.EquipmentModel(
        id=found.code,
        brand=found.brand,
        name=found.name,
        parts=[pb.Part(code=part.code, label=part.label) for part in found.parts],
    )


def equipment(found: Equipment) -> pb.Equipment:
    message = pb.Equipment()
    fill_equipment(message, found)
    return message


def fill_equipment(message: pb.Equipment, found: Equipment) -> None:
    """Writes the machine into `message` (e.g. a page's `equipment.add()`: no copy)."""
    message.id = found.id
    message.name = found.name
    message.reference = found.reference
    message.model_id = found.model_code
    message.brand = found.brand
    message.model = found.model_name
    if found.site:
        fill_site(message.site, found.site)
    message.commissioned_on = found.commissioned_on.isoformat() if found.commissioned_on else ""
    message.contract = found.contract
    message.status = pb.EquipmentStatus.Value(_STATUS + found.status.value)
    set_timestamp(message.created_at, found.created_at)


def equipment_detail(detail: usecases.EquipmentDetail) -> pb.Equipment:
    """The machine with its service requests and quotes, newest first."""
    answer = equipment(detail.equipment)
    entries = [
        pb.HistoryEntry(
            at=to_timestamp(request.created_at),
            kind=HISTORY_SERVICE_REQUEST,
            id=request.id,
            description=request.describe(),
        )
        for request in detail.history
    ]
    today = detail.today
    entries += [
        pb.HistoryEntry(
            at=to_timestamp(quote.issued_at),
            kind=HISTORY_QUOTE,
            id=quote.id,
            description=f"quote {quote.number}: {quote.title} "
            f"({(quote.status_on(today) if today else quote.status).value})",
        )
        for quote in detail.quotes
    ]
    entries.sort(key=lambda e: (e.at.seconds, e.at.nanos), reverse=True)
    answer.history.extend(entries)
    return answer


class EquipmentRpcs:
    deps: Deps

    async def ListEquipment(self, request: pb.ListEquipmentRequest, context):
        found, token = await usecases.list_equipment(
            self.deps,
            current_principal(),
            q=request.q,
            brand=request.brand,
            model=request.model,
            site_id=request.site_id,
            include_removed=request.include_removed,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        answer = pb.ListEquipmentResponse(next_page_token=token)
        for machine in found:
            fill_equipment(answer.equipment.add(), machine)
        return answer

    async def ExportEquipment(self, request: pb.ExportEquipmentRequest, context):
        data = await usecases.export_equipment(
            self.deps,
            current_principal(),
            q=request.q,
            brand=request.brand,
            model=request.model,
            site_id=request.site_id,
        )
        return httpbody_pb2.HttpBody(content_type=usecases.CSV_TYPE, data=data)

    async def GetEquipment(self, request: pb.GetEquipmentRequest, context):
        return equipment_detail(
            await usecases.get_equipment(self.deps, current_principal(), request.id)
        )

    async def CreateEquipment(self, request: pb.CreateEquipmentRequest, context):
        created = await usecases.create_equipment(
            self.deps,
            current_principal(),
            model_id=request.model_id,
            reference=request.reference,
            name=request.name,
            site_id=request.site_id,
            commissioned_on=request.commissioned_on,
        )
        return equipment(created)

    async def DeleteEquipment(self, request: pb.DeleteEquipmentRequest, context):
        asked = await usecases.delete_equipment(
            self.deps, current_principal(), request.id, request.reason
        )
        return service_request(asked)

    async def ListModels(self, request: pb.ListModelsRequest, context):
        found = await usecases.list_models(
            self.deps, current_principal(), brand=request.brand, q=request.q
        )
        return pb.ListModelsResponse(models=[model(m) for m in found])

    async def GetModel(self, request: pb.GetModelRequest, context):
        return model(await usecases.get_model(self.deps, current_principal(), request.id))

    async def ListSites(self, request: pb.ListSitesRequest, context):
        found = await usecases.list_sites(self.deps, current_principal())
        return pb.ListSitesResponse(sites=[site(s) for s in found])


class EquipmentAdminRpcs:
    deps: Deps

    async def PutModel(self, request: pb.PutModelRequest, context):
        given = request.model
        saved = await usecases.put_model(
            self.deps,
            current_principal(),
            request.code,
            brand=given.brand,
            name=given.name,
            parts=[(part.code, part.label) for part in given.parts],
            given_id=given.id,
        )
        return model(saved)

    async def ImportModels(self, request: pb.ImportModelsRequest, context):
        result = await usecases.import_models(self.deps, current_principal(), request.file.data)
        return pb.ImportResponse(lines=result.lines, created=result.created, updated=result.updated)

    async def ImportEquipment(self, request: pb.ImportEquipmentRequest, context):
        result = await usecases.import_equipment(
            self.deps, current_principal(), request.file.data, request.entity_id
        )
        return pb.ImportResponse(lines=result.lines, created=result.created, updated=result.updated)
