"""Ordering's repository: one per aggregate, each taking the caller's
AsyncSession and speaking the domain (rows never leave `store/`)."""

from __future__ import annotations

from services.ordering.store.accounts import AccountsRepository
from services.ordering.store.beneficiaries import BeneficiariesRepository
from services.ordering.store.card_usage import CardUsageRepository
from services.ordering.store.delivery_points import DeliveryPointsRepository
from services.ordering.store.imports import ImportsRepository
from services.ordering.store.order_views import OrderViewsRepository
from services.ordering.store.orders import OrdersRepository


class Repository:
    def __init__(self) -> None:
        self.beneficiaries = BeneficiariesRepository()
        self.delivery_points = DeliveryPointsRepository()
        self.orders = OrdersRepository()
        self.order_views = OrderViewsRepository()
        self.imports = ImportsRepository()
        self.accounts = AccountsRepository()
        self.card_usage = CardUsageRepository()
