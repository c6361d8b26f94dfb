"""Use-case fixtures: a real SQLite file migrated with billing's migrations, a
fake payment provider (real signature scheme), callers for two entities and an
operator, a clock the test moves."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.billing.v1 import events_pb2
from portal.common.v1 import types_pb2
from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.config import load_settings
from portal_runtime.db import Database
from portal_runtime.errors import DomainError
from portal_runtime.tokens import Principal
from services.billing.__main__ import MIGRATIONS, build_deps
from services.billing.handlers import order_submitted_handler
from services.billing.providers import (
    SIGNATURE_HEADER,
    Checkout,
    build_notification_body,
    header_value,
    parse_notification,
    sign,
    verify_signature,
)
from services.billing.usecases.common import Deps
from tests.support.outbox import outbox_events

PERMISSIONS = frozenset({"billing.read", "billing.pay"})
SECRET = "whsec_test"
# A fixed Fernet key for mandates' IBANs (PORTAL_BILLING_IBAN_KEYS).
IBAN_KEY = "3Dq4a6m0xVn0Q6xqU1y6mS0Z0u3Jc4yX5k2mQJb8b9E="


class FakeProvider:
    """Checkouts in memory; notifications signed and verified for real."""

    name = "fake"

    def __init__(self) -> None:
        self.checkouts: dict[str, dict] = {}
        self.fail_with: DomainError | None = None
        self.closed = False

    async def create_checkout(self, *, payment_id, amount_cents, currency, description, return_url):
        if self.fail_with is not None:
            raise self.fail_with
        ref = f"ref_{payment_id}"
        self.checkouts[ref] = {
            "payment_id": payment_id,
            "amount": amount_cents,
            "return": return_url,
        }
        return Checkout(provider_ref=ref, redirect_url=f"http://provider.test/pay/{ref}")

    def verify_notification(self, body, headers, now):
        verify_signature(body, header_value(headers), [SECRET], now)
        return parse_notification(body)

    async def aclose(self) -> None:
        self.closed = True

    def notification(
        self, ref: str, status: str, event_id: str, *, amount: int | None = None,
        reason: str = "", secret: str = SECRET,
    ) -> tuple[bytes, dict[str, str]]:  # fmt: skip
        checkout = self.checkouts[ref]
        now = int(time.time())
        body = build_notification_body(
            event_id=event_id,
            status=status,
            created=now,
            provider_ref=ref,
            payment_id=checkout["payment_id"],
            amount_cents=checkout["amount"] if amount is None else amount,
            currency="EUR",
            failure_reason=reason,
        )
        return body, {SIGNATURE_HEADER.lower(): sign(body, secret, now)}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 10, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    deps: Deps
    clock: Clock
    db: Database
    provider: FakeProvider
    acme: Principal = field(default_factory=lambda: Principal("u-acme", "ent-acme", PERMISSIONS))
    globex: Principal = field(
        default_factory=lambda: Principal("u-globex", "ent-globex", PERMISSIONS)
    )

    async def events(self, name: str) -> list:
        return await outbox_events(self.db, events_pb2, name)

    async def handle(self, handler, event) -> None:
        async with self.db.transaction() as s:
            await handler(self.deps)(s, event)

    async def submit(
        self, order_id: str = "o-1", *, method: str = "CARD", entity: str = "ent-acme",
        reference: str = "", loads: int = 10_000, cards: int = 1,
    ) -> None:  # fmt: skip
        event = ordering_events.OrderSubmitted(
            event_id=f"ev-{order_id}",
            entity_id=entity,
            order_id=order_id,
            order_number=f"CMD-{order_id}",
            amount=types_pb2.Money(amount_cents=loads + cards * 600, currency="EUR"),
            payment_method=method,
            transfer_reference=reference,
            loads_cents=loads,
            new_cards=cards,
            card_fee_cents=500,
            card_fee_vat_bp=2000,
        )
        await self.handle(order_submitted_handler, event)


@pytest.fixture
async def world(tmp_path: Path) -> World:
    db = Database(f"sqlite:///{tmp_path}/billing.db")
    await db.migrate(MIGRATIONS)
    clock = Clock()
    provider = FakeProvider()
    settings = load_settings(
        "billing", {"PORTAL_VAR_DIR": str(tmp_path), "PORTAL_BILLING_IBAN_KEYS": IBAN_KEY}
    )
    deps = build_deps(settings, db, provider, clock=clock)
    yield World(deps, clock, db, provider)
    await db.dispose()
