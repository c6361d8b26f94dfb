"""What every use case shares: the dependencies and configuration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from portal_runtime.auth import authenticated
from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from portal_runtime.errors import PermissionDenied
from portal_runtime.tokens import Principal
from services.ordering.domain.orders import (
    DEFAULT_CARD_FEE_CENTS,
    DEFAULT_CARD_FEE_VAT_BP,
    LoadBounds,
    TransferAccount,
)
from services.ordering.store import Repository

Input = TypeVar("Input")

DEFAULT_SYNC_IMPORT_MAX_LINES = 10_000
DEMO_TRANSFER_ACCOUNT = TransferAccount(
    iban="FR7630006000011234567890189", bic="AGRIFRPP", holder="Portail Demo"
)


@dataclass
class Deps:
    db: Database
    repo: Repository
    bounds: LoadBounds = field(default_factory=LoadBounds)
    card_fee_cents: int = DEFAULT_CARD_FEE_CENTS
    card_fee_vat_bp: int = DEFAULT_CARD_FEE_VAT_BP
    transfer: TransferAccount = DEMO_TRANSFER_ACCOUNT
    # Files with more order lines are imported in the background.
    sync_import_max_lines: int = DEFAULT_SYNC_IMPORT_MAX_LINES
    # Background imports record their progress every `import_chunk_lines` lines.
    import_chunk_lines: int = 5_000
    # How long a finished background import keeps its file (0: not at all).
    import_file_retention: timedelta = timedelta(0)
    clock: Callable[[], datetime] = field(default=utcnow)
    # Set when a background import is stored, to wake the import task at once.
    imports_waiting: asyncio.Event = field(default_factory=asyncio.Event)


def given_over(current: Input, given: Input) -> Input:
    """`current` with the fields `given` fills (not blank): an update leaves the
    other fields as they are. Both are dataclasses of strings."""
    return replace(current, **{k: v for k, v in asdict(given).items() if v.strip()})


def require_operator(principal: Principal | None) -> None:
    """Operators only (the interceptor checks it too, from the method's policy)."""
    if not authenticated(principal).operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")
