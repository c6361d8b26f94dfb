"""Mandates and claims of the caller's entity (and claims for operators)."""

from __future__ import annotations

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import InvalidArgument, NotFound
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.billing import events
from services.billing.domain.claims import Claim, ClaimStatus, answer_claim, open_claim
from services.billing.domain.mandates import (
    Mandate,
    new_mandate,
    revoke,
    status_filter,
    validate_mandate,
)
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import document_not_found


def mandate_not_found() -> NotFound:
    return NotFound("MANDATE_NOT_FOUND", "no such mandate for this account")


def claim_not_found() -> NotFound:
    return NotFound("CLAIM_NOT_FOUND", "no such claim")


# ---- mandates -------------------------------------------------------------------------
async def create_mandate(
    deps: Deps, principal: Principal | None, *, iban: str, bic: str, holder: str
) -> Mandate:
    """The IBAN (and BIC) checked; the full IBAN is kept encrypted, the mandate
    shows it masked."""
    entity_id = customer_entity(principal)
    fields = validate_mandate(holder=holder, iban=iban, bic=bic, check=deps.check_account)
    sealed = deps.ibans.seal(fields.iban)
    now = deps.clock()
    async with deps.db.transaction() as s:
        mandate = new_mandate(
            fields,
            mandate_id=new_id(),
            entity_id=entity_id,
            sequence=await deps.repo.mandates.count(s, entity_id) + 1,
            iban_secret_id=new_id(),
            at=now,
        )
        await deps.repo.iban_secrets.add(s, mandate.iban_secret_id, sealed, at=now)
        await deps.repo.mandates.add(s, mandate)
    return mandate


async def revoke_mandate(deps: Deps, principal: Principal | None, mandate_id: str) -> Mandate:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        mandate = await deps.repo.mandates.get(s, mandate_id, entity_id) if mandate_id else None
        if mandate is None:
            raise mandate_not_found()
        revoked = revoke(mandate, at=deps.clock())
        await deps.repo.mandates.save(s, revoked)
    return revoked


async def list_mandates(
    deps: Deps,
    principal: Principal | None,
    page_size: int,
    page_token: str,
    *,
    every_entity: bool = False,
    entity_id: str = "",
    status: str = "",
) -> tuple[list[Mandate], str]:
    """The caller's entity's mandates, or (operators) every entity's, filtered by
    entity and status."""
    wanted = (entity_id.strip() or None) if every_entity else customer_entity(principal)
    status_wanted = status_filter(status)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found = await deps.repo.mandates.find(
            s, wanted, status=status_wanted, offset=page.offset, limit=page.limit + 1
        )
    return found[: page.limit], page.next_token(len(found) > page.limit)


# ---- claims ---------------------------------------------------------------------------
async def create_claim(
    deps: Deps, principal: Principal | None, *, document_id: str, reason: str, message: str
) -> Claim:
    """One open claim per invoice (ALREADY_EXISTS otherwise); ClaimOpened."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        doc = await deps.repo.documents.get(s, document_id, entity_id) if document_id else None
        if doc is None:
            raise document_not_found()
        claim, opened = open_claim(
            doc,
            reason=reason,
            message=message,
            open_claim_exists=await deps.repo.claims.open_exists(s, doc.id),
            claim_id=new_id(),
            at=deps.clock(),
        )
        await deps.repo.claims.add(s, claim)
        await add_event(s, events.claim_opened(opened))
    return claim


async def answer(
    deps: Deps, claim_id: str, *, status: ClaimStatus | None, answer_text: str
) -> Claim:
    """An operator answers a claim and moves it; ClaimAnswered."""
    if status is None or status is ClaimStatus.OPEN:
        raise InvalidArgument.for_field("status", "must be IN_PROGRESS, ACCEPTED or REJECTED")
    async with deps.db.transaction() as s:
        claim = await deps.repo.claims.get(s, claim_id) if claim_id else None
        if claim is None:
            raise claim_not_found()
        answered, fact = answer_claim(claim, status=status, answer=answer_text, at=deps.clock())
        await deps.repo.claims.save(s, answered)
        await add_event(s, events.claim_answered(fact))
    return answered


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
        found = await deps.repo.claims.find(
            s, entity_id=entity_id, status=status, offset=page.offset, limit=page.limit + 1
        )
    return found[: page.limit], page.next_token(len(found) > page.limit)
