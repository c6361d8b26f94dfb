"""Mandates (and their IBANs, encrypted) and claims of customer accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.claims import OPEN_STATUSES, Claim, ClaimReason, ClaimStatus
from services.billing.domain.mandates import Mandate, MandateStatus
from services.billing.store.rows import from_row, to_row
from services.billing.store.tables import bank_account_secrets, claims, mandates


def _mandate(row: Row) -> Mandate:
    return from_row(Mandate, row, status=MandateStatus(row.status))


def _claim(row: Row) -> Claim:
    return from_row(Claim, row, reason=ClaimReason(row.reason), status=ClaimStatus(row.status))


class MandatesRepository:
    async def add(self, s: AsyncSession, mandate: Mandate) -> None:
        await s.execute(insert(mandates).values(**to_row(mandate, mandates)))

    async def save(self, s: AsyncSession, mandate: Mandate) -> None:
        """Writes its status (the rest of a mandate never changes)."""
        await s.execute(
            update(mandates)
            .where(mandates.c.id == mandate.id)
            .values(status=mandate.status.value, revoked_at=mandate.revoked_at)
        )

    async def get(self, s: AsyncSession, mandate_id: str, entity_id: str) -> Mandate | None:
        query = select(mandates).where(
            mandates.c.id == mandate_id, mandates.c.entity_id == entity_id
        )
        row = (await s.execute(query)).first()
        return _mandate(row) if row is not None else None

    async def count(self, s: AsyncSession, entity_id: str) -> int:
        query = select(func.count()).select_from(mandates).where(mandates.c.entity_id == entity_id)
        return int(await s.scalar(query) or 0)

    async def find(
        self,
        s: AsyncSession,
        entity_id: str | None,
        *,
        status: MandateStatus | None = None,
        offset: int,
        limit: int,
    ) -> list[Mandate]:
        """Newest first; every entity's when `entity_id` is None (operators)."""
        query = select(mandates)
        if entity_id is not None:
            query = query.where(mandates.c.entity_id == entity_id)
        if status is not None:
            query = query.where(mandates.c.status == status.value)
        query = query.order_by(mandates.c.created_at.desc(), mandates.c.id)
        return [_mandate(row) for row in (await s.execute(query.offset(offset).limit(limit))).all()]

    async def active(self, s: AsyncSession) -> list[Mandate]:
        """Every entity's active mandates (what a collection may debit)."""
        query = select(mandates).where(mandates.c.status == MandateStatus.ACTIVE.value)
        return [_mandate(row) for row in (await s.execute(query)).all()]

    async def by_ids(self, s: AsyncSession, ids: Sequence[str]) -> list[Mandate]:
        if not ids:
            return []
        query = select(mandates).where(mandates.c.id.in_(list(ids)))
        return [_mandate(row) for row in (await s.execute(query)).all()]


class BankAccountSecretsRepository:
    """Encrypted IBANs (opaque tokens here: the vault seals and opens them)."""

    async def add(self, s: AsyncSession, secret_id: str, ciphertext: str, *, at: datetime) -> None:
        await s.execute(
            insert(bank_account_secrets).values(id=secret_id, ciphertext=ciphertext, created_at=at)
        )

    async def get_many(self, s: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
        """Ciphertexts by id (missing ids left out)."""
        if not ids:
            return {}
        query = select(bank_account_secrets).where(bank_account_secrets.c.id.in_(list(ids)))
        return {row.id: row.ciphertext for row in (await s.execute(query)).all()}


class ClaimsRepository:
    async def add(self, s: AsyncSession, claim: Claim) -> None:
        await s.execute(insert(claims).values(**to_row(claim, claims)))

    async def save(self, s: AsyncSession, claim: Claim) -> None:
        """Writes where the claim stands and the operator's answer."""
        await s.execute(
            update(claims)
            .where(claims.c.id == claim.id)
            .values(status=claim.status.value, answer=claim.answer, answered_at=claim.answered_at)
        )

    async def get(self, s: AsyncSession, claim_id: str) -> Claim | None:
        row = (await s.execute(select(claims).where(claims.c.id == claim_id))).first()
        return _claim(row) if row is not None else None

    async def open_exists(self, s: AsyncSession, document_id: str) -> bool:
        """Whether a claim on the document is still open."""
        query = select(claims.c.id).where(
            claims.c.document_id == document_id,
            claims.c.status.in_([status.value for status in OPEN_STATUSES]),
        )
        return (await s.scalar(query.limit(1))) is not None

    async def find(
        self,
        s: AsyncSession,
        *,
        entity_id: str | None,
        status: ClaimStatus | None = None,
        offset: int,
        limit: int,
    ) -> list[Claim]:
        """Newest first; every entity's when `entity_id` is None (operators)."""
        query = select(claims)
        if entity_id is not None:
            query = query.where(claims.c.entity_id == entity_id)
        if status:
            query = query.where(claims.c.status == status.value)
        query = query.order_by(claims.c.created_at.desc(), claims.c.id)
        return [_claim(row) for row in (await s.execute(query.offset(offset).limit(limit))).all()]
