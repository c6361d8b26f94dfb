"""Adapter: argon2id password hashing (argon2-cffi), at least OWASP's minimum
(19 MiB, t=2, p=1). Hashing is CPU-heavy, so the async use cases call these
through `asyncio.to_thread`."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MEMORY_COST_KIB = 19_456
TIME_COST = 2
PARALLELISM = 1


class PasswordHasher:
    def __init__(
        self,
        *,
        memory_cost: int = MEMORY_COST_KIB,
        time_cost: int = TIME_COST,
        parallelism: int = PARALLELISM,
    ) -> None:
        self._argon = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
        )
        # Verified when the login is unknown, so that answering takes as long
        # as for a real user (no timing-based enumeration).
        self._dummy_hash = self._argon.hash("portail-dummy-password-for-timing")

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """False on mismatch or on a missing/corrupt hash (then a dummy
        verification keeps the timing the same)."""
        try:
            return self._argon.verify(password_hash or self._dummy_hash, password) and bool(
                password_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon.check_needs_rehash(password_hash)

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self.verify, password_hash, password)
