"""Mandates and claims of the caller's entity (and claims for operators)."""

from __future__ import annotations

import re

from sqlalchemy import Row

from portal.billing.v1 import events_pb2
from portal_runtime.auth import customer_entity
from portal_runtime.clock import aware
from portal_runtime.db import new_id
from portal_runtime.errors import InvalidArgument, NotFound
from portal_runtime.outbox import add_event, new_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.billing.domain.claims import (
    Claim,
    ClaimReason,
    ClaimStatus,
    answer_claim,
    validate_claim,
)
from services.billing.domain.documents import DocumentType
from services.billing.domain.mandates import (
    Mandate,
    MandateStatus,
    mandate_reference,
    revoke,
    validate_mandate,
)
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import document_not_found


def mandate_not_found() -> NotFound:
    return NotFound("MANDATE_NOT_FOUND", "no such mandate for this account")


def claim_not_found() -> NotFound:
    return NotFound("CLAIM_NOT_FOUND", "no such claim")


def mandate_of(row: Row) -> Mandate:
    return Mandate(
        id=row.id,
        entity_id=row.entity_id,
        reference=row.reference,
        holder=row.holder,
        iban_masked=row.iban_masked,
        bic=row.bic,
        status=MandateStatus(row.status),
        created_at=aware(row.created_at),
        revoked_at=aware(row.revoked_at),
    )


def claim_of(row: Row) -> Claim:
    return Claim(
        id=row.id,
        entity_id=row.entity_id,
        document_id=row.document_id,
        document_number=row.document_number,
        reason=ClaimReason(row.reason),
        message=row.message,
        status=ClaimStatus(row.status),
        answer=row.answer,
        created_at=aware(row.created_at),
        answered_at=aware(row.answered_at),
    )


def _short_id(entity_id: str) -> str:
    return (re.sub(r"[^A-Za-z0-9]", "", entity_id)[:16] or "X").upper()


# ---- mandates -------------------------------------------------------------------------
async def create_mandate(
    deps: Deps, principal: Principal | None, *, iban: str, bic: str, holder: str
) -> Mandate:
    """The IBAN (and BIC) checked; only the masked IBAN is kept."""
    entity_id = customer_entity(principal)
    fields = validate_mandate(holder=holder, iban=iban, bic=bic, check=deps.check_account)
    async with deps.db.transaction() as s:
        sequence = await deps.repo.count_mandates(s, entity_id) + 1
        mandate = Mandate(
            id=new_id(),
            entity_id=entity_id,
            reference=mandate_reference(_short_id(entity_id), sequence),
            holder=fields.holder,
            iban_masked=fields.iban_masked,
            bic=fields.bic,
            created_at=deps.clock(),
        )
        await deps.repo.add_mandate(
            s,
            id=mandate.id,
            entity_id=entity_id,
            reference=mandate.reference,
            holder=mandate.holder,
            iban_masked=mandate.iban_masked,
            bic=mandate.bic,
            status=mandate.status.value,
            created_at=mandate.created_at,
        )
    return mandate


async def revoke_mandate(deps: Deps, principal: Principal | None, mandate_id: str) -> Mandate:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.mandate(s, mandate_id, entity_id) if mandate_id else None
        if row is None:
            raise mandate_not_found()
        revoked = revoke(mandate_of(row), at=deps.clock())
        await deps.repo.update_mandate(
            s, row.id, status=revoked.status.value, revoked_at=revoked.revoked_at
        )
    return revoked


async def list_mandates(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[Mandate], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_mandates(s, entity_id, offset=page.offset, limit=page.limit + 1)
    return [mandate_of(r) for r in rows[: page.limit]], page.next_token(len(rows) > page.limit)


# ---- claims ---------------------------------------------------------------------------
async def create_claim(
    deps: Deps, principal: Principal | None, *, document_id: str, reason: str, message: str
) -> Claim:
    """One open claim per invoice (ALREADY_EXISTS otherwise); ClaimOpened."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.document(s, document_id, entity_id) if document_id else None
        if row is None:
            raise document_not_found()
        fields = validate_claim(
            reason=reason,
            message=message,
            document_type=DocumentType(row.type),
            open_claim_exists=await deps.repo.open_claim_exists(s, row.id),
        )
        claim = Claim(
            id=new_id(),
            entity_id=entity_id,
            document_id=row.id,
            document_number=row.number,
            reason=fields.reason,
            message=fields.message,
            created_at=deps.clock(),
        )
        await deps.repo.add_claim(
            s,
            id=claim.id,
            entity_id=entity_id,
            document_id=claim.document_id,
            document_number=claim.document_number,
            reason=claim.reason.value,
            message=claim.message,
            status=claim.status.value,
            created_at=claim.created_at,
        )
        await add_event(
            s,
            new_event(
                events_pb2.ClaimOpened,
                entity_id=entity_id,
                claim_id=claim.id,
                document_id=claim.document_id,
                document_number=claim.document_number,
                reason=claim.reason.value,
                message=claim.message,
            ),
        )
    return claim


async def answer(
    deps: Deps, claim_id: str, *, status: ClaimStatus | None, answer_text: str
) -> Claim:
    """An operator answers a claim and moves it; ClaimAnswered."""
    if status is None or status is ClaimStatus.OPEN:
        raise InvalidArgument.for_field("status", "must be IN_PROGRESS, ACCEPTED or REJECTED")
    async with deps.db.transaction() as s:
        row = await deps.repo.claim(s, claim_id) if claim_id else None
        if row is None:
            raise claim_not_found()
        claim = answer_claim(claim_of(row), status=status, answer=answer_text, at=deps.clock())
        await deps.repo.update_claim(
            s,
            claim.id,
            status=claim.status.value,
            answer=claim.answer,
            answered_at=claim.answered_at,
        )
        await add_event(
            s,
            new_event(
                events_pb2.ClaimAnswered,
                entity_id=claim.entity_id,
                claim_id=claim.id,
                document_number=claim.document_number,
                status=claim.status.value,
                answer=claim.answer,
            ),
        )
    return claim


async def list_claims(
    deps: Deps,
    principal: Principal | None,
    page_size: int,
    page_token: str,
    *,
    every_entity: bool = False,
    status: ClaimStatus | None = None,
) -> tuple[list[Claim], str]:
    """The caller's entity's claims, or (operators) every entity's."""
    entity_id = None if every_entity else customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_claims(
            s,
            entity_id=entity_id,
            status=status.value if status else "",
            offset=page.offset,
            limit=page.limit + 1,
        )
    return [claim_of(r) for r in rows[: page.limit]], page.next_token(len(rows) > page.limit)
