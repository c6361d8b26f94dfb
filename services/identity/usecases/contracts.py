"""An account's contracts: operators add and end them; customers read them on
the contract pages (behind paperless consent where the operator requires it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from portal_runtime.errors import AlreadyExists, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.identity.domain.accounts import parse_number
from services.identity.domain.contracts import Contract, contract_label
from services.identity.usecases.account_events import publish_account_updated
from services.identity.usecases.accounts import load_account
from services.identity.usecases.common import Deps, caller


async def add_contract(
    deps: Deps,
    principal: Principal | None,
    entity_id: str,
    number: str,
    label: str,
    started_at: datetime | None,
) -> Contract:
    require_field(entity_id, "id")
    contract = Contract(
        parse_number(number, "number"), contract_label(label), started_at or deps.clock()
    )
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            account = await load_account(deps, s, entity_id)
            account.add_contract(contract)
            await deps.repo.accounts.add_contract(s, account.id, contract)
            await publish_account_updated(deps, s, account.id)
            return contract
    except IntegrityError as exc:  # added concurrently
        raise AlreadyExists(
            "CONTRACT_EXISTS", "this account already has a contract with this number"
        ) from exc


async def end_contract(
    deps: Deps, principal: Principal | None, entity_id: str, number: str
) -> Contract:
    require_field(entity_id, "id")
    wanted = parse_number(number, "number")
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        account = await load_account(deps, s, entity_id)
        ended = account.end_contract(wanted, deps.clock())
        await deps.repo.accounts.save_contract_end(s, account.id, ended)
        await publish_account_updated(deps, s, account.id)
        return ended


async def list_contracts(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[Contract], str]:
    """The contract pages: FAILED_PRECONDITION (PAPERLESS_CONSENT_REQUIRED)
    while a paperless consent the operator requires is missing."""
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        await caller(deps, s, principal)
        assert principal is not None
        account = await load_account(deps, s, principal.entity_id)
    account.entity.ensure_contracts_visible()
    chunk = account.contracts[page.offset : page.offset + page.limit]
    return chunk, page.next_token(page.offset + page.limit < len(account.contracts))
