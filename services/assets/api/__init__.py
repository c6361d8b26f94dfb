"""gRPC servicers of the assets service, one mixin per area (protobuf -> use
case -> protobuf), composed here."""

from __future__ import annotations

from portal.assets.v1 import assets_pb2_grpc
from services.assets.api.contact_requests import ContactRequestAdminRpcs, ContactRequestRpcs
from services.assets.api.equipment import EquipmentAdminRpcs, EquipmentRpcs
from services.assets.api.parking import ParkingAdminRpcs, ParkingRpcs
from services.assets.api.quotes import QuoteAdminRpcs, QuoteRpcs
from services.assets.api.service_requests import ServiceRequestAdminRpcs, ServiceRequestRpcs
from services.assets.usecases.common import Deps


class AssetsApi(
    EquipmentRpcs,
    ServiceRequestRpcs,
    QuoteRpcs,
    ParkingRpcs,
    ContactRequestRpcs,
    assets_pb2_grpc.AssetsServiceServicer,
):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps


class AssetsAdminApi(
    EquipmentAdminRpcs,
    ServiceRequestAdminRpcs,
    QuoteAdminRpcs,
    ParkingAdminRpcs,
    ContactRequestAdminRpcs,
    assets_pb2_grpc.AssetsAdminServiceServicer,
):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
