"""Fleet's repository: one per aggregate, each taking the caller's AsyncSession
and speaking the domain (rows never leave `store/`)."""

from __future__ import annotations

from services.fleet.store.lines import LinesRepository


class Repository:
    def __init__(self) -> None:
        self.lines = LinesRepository()
