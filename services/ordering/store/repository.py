"""Ordering's repository: every query, taking the caller's AsyncSession."""

from __future__ import annotations

from services.ordering.store.catalog import CatalogRepository
from services.ordering.store.orders import OrdersRepository


class Repository(CatalogRepository, OrdersRepository):
    """Beneficiaries and delivery points (entity-scoped), orders and imports."""
