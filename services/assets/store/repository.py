"""assets' repository: one per aggregate, each taking the caller's AsyncSession
and speaking the domain (rows never leave `store/`)."""

from __future__ import annotations

from services.assets.store.common import (
    AccountsRepository,
    AttachmentsRepository,
    CountersRepository,
)
from services.assets.store.contact_requests import ContactRequestsRepository
from services.assets.store.equipment import (
    EquipmentRepository,
    ModelsRepository,
    SitesRepository,
)
from services.assets.store.parking import ParkingRepository
from services.assets.store.quotes import QuotesRepository
from services.assets.store.service_requests import ServiceRequestsRepository


class Repository:
    def __init__(self) -> None:
        self.attachments = AttachmentsRepository()
        self.counters = CountersRepository()
        self.accounts = AccountsRepository()
        self.models = ModelsRepository()
        self.sites = SitesRepository()
        self.equipment = EquipmentRepository()
        self.service_requests = ServiceRequestsRepository()
        self.quotes = QuotesRepository()
        self.parking = ParkingRepository()
        self.contact_requests = ContactRequestsRepository()
