"""Fleet's repository: one per aggregate, each taking the caller's AsyncSession
and speaking the domain (rows never leave `store/`)."""

from __future__ import annotations

from services.fleet.store.catalogue import CatalogueRepository
from services.fleet.store.history import HistoryRepository
from services.fleet.store.lines import LinesRepository
from services.fleet.store.requests import RequestsRepository
from services.fleet.store.sims import SimOrdersRepository
from services.fleet.store.usage import UsageRepository


class Repository:
    def __init__(self) -> None:
        self.lines = LinesRepository()
        self.catalogue = CatalogueRepository()
        self.requests = RequestsRepository()
        self.history = HistoryRepository()
        self.sims = SimOrdersRepository()
        self.usage = UsageRepository()
