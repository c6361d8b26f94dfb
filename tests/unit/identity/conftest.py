"""Use-case fixtures: a real SQLite file migrated with identity's migrations, a
cheap argon2 hasher, a fresh key pair and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from portal.identity.v1 import events_pb2
from portal_runtime.config import load_settings
from portal_runtime.db import Database
from portal_runtime.tokens import ALGORITHM, AUDIENCE, Principal, TokenIssuer, generate_keypair
from services.identity.__main__ import MIGRATIONS, build_deps
from services.identity.passwords import PasswordHasher
from services.identity.usecases.common import Deps
from tests.support.outbox import outbox_events


@dataclass
class Clock:
    # In the past, so that tokens issued "later" are still not in the future.
    now: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=2))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class World:
    deps: Deps
    clock: Clock
    db: Database
    public_key: bytes

    def principal(self, access_token: str) -> Principal:
        """Decodes like the runtime's verifier, ignoring expiry (the test clock
        lives in the past)."""
        claims = jwt.decode(
            access_token,
            self.public_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False},
        )
        return Principal(
            user_id=claims["sub"],
            entity_id=claims["ent"],
            permissions=frozenset(claims["perms"]),
            operator=claims["op"],
            session_id=claims["sid"],
            kind=claims["typ"],
            token_id=claims["jti"],
            issued_at=claims["iat"],
            expires_at=claims["exp"],
        )

    async def events(self, name: str) -> list:
        return await outbox_events(self.db, events_pb2, name)


@pytest.fixture
async def world(tmp_path: Path) -> World:
    settings = load_settings("identity", {"PORTAL_VAR_DIR": str(tmp_path)})
    private, public = tmp_path / "keys" / "private.pem", tmp_path / "keys" / "public.pem"
    generate_keypair(private, public)
    db = Database(f"sqlite:///{tmp_path}/identity.db")
    await db.migrate(MIGRATIONS)
    clock = Clock()
    deps = build_deps(
        settings,
        db,
        hasher=PasswordHasher(memory_cost=1024, time_cost=1),
        issuer=TokenIssuer(private.read_bytes(), ttl_seconds=900),
        clock=clock,
    )
    yield World(deps, clock, db, public.read_bytes())
    await db.dispose()
