"""What every use case shares: the dependencies and configuration."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from portal_runtime.auth import authenticated
from portal_runtime.clock import utcnow
from portal_runtime.db import Database, new_id
from portal_runtime.errors import PermissionDenied
from portal_runtime.passes import collect
from portal_runtime.tokens import Principal
from services.ordering.domain.orders import (
    DEFAULT_CARD_FEE_CENTS,
    DEFAULT_CARD_FEE_VAT_BP,
    LoadBounds,
    TransferAccount,
)
from services.ordering.store import Repository

Input = TypeVar("Input")
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}

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


async def sorted_ids(count: int) -> list[str]:
    """`count` new ids in ascending order, for rows written together (a file's
    beneficiaries and lines): inserted in this order, they append to the
    primary key's index instead of landing on pages all over it, several times
    faster for 100,000 rows. Ids as `new_id` makes them (uuid4 in hex), from
    one read of the system's random source rather than one each; made a chunk
    at a time, the loop given back in between (the sort is one call: 30 ms for
    100,000)."""
    if count <= 1:
        return [new_id() for _ in range(count)]
    ids = await collect(_random_ids(count))
    ids.sort()
    return ids


def _random_ids(count: int) -> Iterator[str]:
    pool = os.urandom(16 * count).hex()
    for start in range(0, len(pool), 32):
        hex_ = pool[start : start + 32]
        # uuid4's fixed bits: version 4, variant 10xx.
        yield f"{hex_[:12]}4{hex_[13:16]}{_VARIANT[hex_[16]]}{hex_[17:]}"


@dataclass
class _Pauses:
    depth: int = 0
    resume: bool = False


_PAUSES = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a bulk step (a file's 100,000
    beneficiaries and lines): it would scan the objects the step keeps again and
    again as they pile up, a fifth of the step's time. Reference counting still
    frees what the step drops. Steps may overlap (they await): the collector
    resumes, if it ran before, when the last one ends.

    A step that runs in another thread (the parser) pauses it too: a full
    collection there stops the loop's thread as well (80 ms for a file's
    lines). What a step made is young to the collector, and its first
    collection after the pause would scan it all in one go (0.1 s on the
    loop): it joins the oldest generation instead (freeze then unfreeze: two
    list splices), seen at the next full collection, by which time the step's
    objects are mostly gone."""
    if _PAUSES.depth == 0:
        _PAUSES.resume = gc.isenabled()
        gc.disable()
    _PAUSES.depth += 1
    try:
        yield
    finally:
        _PAUSES.depth -= 1
        if _PAUSES.depth == 0 and _PAUSES.resume:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def given_over(current: Input, given: Input) -> Input:
    """`current` with the fields `given` fills (not blank): an update leaves the
    other fields as they are. Both are dataclasses of strings."""
    return replace(current, **{k: v for k, v in asdict(given).items() if v.strip()})


def require_operator(principal: Principal | None) -> None:
    """Operators only (the interceptor checks it too, from the method's policy)."""
    if not authenticated(principal).operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")
