"""The idempotency key store: claim, complete, release, leases and retention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal_runtime.db import RUNTIME_METADATA, Database
from portal_runtime.errors import Aborted, InvalidArgument
from portal_runtime.idempotency import IN_FLIGHT_LEASE, RETENTION, IdempotencyKeys


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def keys(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path}/keys.db")
    async with db.engine.begin() as conn:
        await conn.run_sync(RUNTIME_METADATA.create_all)
    clock = Clock()
    yield IdempotencyKeys(db, clock), clock
    await db.dispose()


async def test_a_new_key_is_claimed_then_answers_with_the_stored_response(keys) -> None:
    store, _ = keys
    assert await store.claim("pay", "k1", "digest") is None
    await store.complete("pay", "k1", b"answer")
    assert await store.claim("pay", "k1", "digest") == b"answer"


async def test_the_same_key_in_another_scope_is_another_key(keys) -> None:
    store, _ = keys
    assert await store.claim("pay", "k1", "digest") is None
    assert await store.claim("submit", "k1", "other") is None


async def test_a_key_with_another_body_is_refused(keys) -> None:
    store, _ = keys
    await store.claim("pay", "k1", "digest")
    await store.complete("pay", "k1", b"answer")
    with pytest.raises(InvalidArgument) as caught:
        await store.claim("pay", "k1", "another digest")
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_a_key_in_flight_is_a_conflict_until_its_lease_runs_out(keys) -> None:
    store, clock = keys
    await store.claim("pay", "k1", "digest")
    with pytest.raises(Aborted) as caught:
        await store.claim("pay", "k1", "digest")
    assert caught.value.reason == "IDEMPOTENCY_KEY_IN_FLIGHT"
    clock.now += IN_FLIGHT_LEASE + timedelta(seconds=1)
    assert await store.claim("pay", "k1", "digest") is None  # taken over
    with pytest.raises(Aborted):
        await store.claim("pay", "k1", "digest")  # and held again


async def test_a_released_key_may_be_used_again(keys) -> None:
    store, _ = keys
    await store.claim("pay", "k1", "digest")
    await store.release("pay", "k1")
    assert await store.claim("pay", "k1", "another digest") is None


async def test_keys_are_forgotten_after_the_retention(keys) -> None:
    store, clock = keys
    await store.claim("pay", "old", "digest")
    await store.complete("pay", "old", b"answer")
    clock.now += RETENTION + timedelta(minutes=1)
    await store.claim("pay", "fresh", "digest")
    assert await store.purge_expired() == 1
    assert await store.claim("pay", "old", "another digest") is None
