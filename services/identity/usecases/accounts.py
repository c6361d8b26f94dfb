"""The customer account (entity): reading it, its contacts, who am I; and the
operators' account management."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2
from portal_runtime.errors import AlreadyExists, NotFound, Violations
from portal_runtime.outbox import add_event, new_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.identity.domain import accounts as rules
from services.identity.domain.emails import parse_email
from services.identity.domain.profiles import ADMIN_PROFILE_ID
from services.identity.domain.users import MembershipStatus, person_name
from services.identity.usecases.account_events import publish_account_updated
from services.identity.usecases.common import Deps, caller, permissions_in, profile_name

log = logging.getLogger(__name__)

CLIENT_NUMBER_ATTEMPTS = 20


@dataclass(frozen=True)
class AccountData:
    entity: Row
    contracts: list[Row]


@dataclass(frozen=True)
class MemberData:
    """A user as seen from one entity."""

    user: Row
    profile_id: str
    profile_name: str
    status: str


@dataclass(frozen=True)
class MeData:
    user: Row
    current: MemberData | None
    current_entity: Row | None
    permissions: frozenset[str]
    entities: list[Row]


async def load_account(deps: Deps, s: AsyncSession, entity_id: str) -> AccountData:
    entity = await deps.repo.entity(s, entity_id) if entity_id else None
    if entity is None:
        raise NotFound("ACCOUNT_NOT_FOUND", "no such account")
    contracts = await deps.repo.contracts_of(s, [entity.id])
    return AccountData(entity, contracts[entity.id])


async def get_account(deps: Deps, principal: Principal | None) -> AccountData:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        return await load_account(deps, s, principal.entity_id)


async def update_contacts(
    deps: Deps, principal: Principal | None, given: dict[str, rules.Contact]
) -> AccountData:
    """Replaces only the contacts present in `given` (billing, delivery, manager)."""
    violations = Violations()
    cleaned = {
        kind: rules.validate_contact(kind, contact, violations, deps.normalise_phone)
        for kind, contact in given.items()
    }
    violations.raise_if_any("INVALID_CONTACTS")
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        account = await load_account(deps, s, principal.entity_id)
        contacts = dict(account.entity.contacts or {})
        contacts.update({kind: contact.as_dict() for kind, contact in cleaned.items()})
        await deps.repo.update_entity(s, account.entity.id, contacts=contacts)
        await publish_account_updated(deps, s, account.entity.id)
        return await load_account(deps, s, account.entity.id)


async def get_me(deps: Deps, principal: Principal | None) -> MeData:
    async with deps.db.transaction() as s:
        user = await caller(deps, s, principal)
        assert principal is not None
        memberships = await deps.repo.active_memberships_of_user(s, user.id)
        by_id = await deps.repo.entities_by_ids(s, [m.entity_id for m in memberships])
        entities = [by_id[m.entity_id] for m in memberships if m.entity_id in by_id]
        current = None
        current_entity = by_id.get(principal.entity_id)
        permissions: frozenset[str] = frozenset()
        membership = next((m for m in memberships if m.entity_id == principal.entity_id), None)
        if membership is not None:
            current = MemberData(
                user,
                membership.profile_id,
                await profile_name(deps, s, principal.entity_id, membership.profile_id),
                user.status,
            )
            permissions = await permissions_in(deps, s, principal.entity_id, user.id)
        return MeData(user, current, current_entity, permissions, entities)


# ---- operators ----------------------------------------------------------------
@dataclass(frozen=True)
class NewAccount:
    name: str
    client_number: str
    contract_number: str
    contract_label: str
    manager_email: str
    manager_first_name: str
    manager_last_name: str
    language: str


async def create_account(deps: Deps, principal: Principal | None, req: NewAccount) -> AccountData:
    name = rules.parse_account_name(req.name)
    contract = rules.parse_number(req.contract_number, "contractNumber")
    client_number = (
        rules.parse_number(req.client_number, "clientNumber") if req.client_number.strip() else ""
    )
    email = parse_email(req.manager_email, "manager.email")
    first = person_name(req.manager_first_name, "manager.firstName")
    last = person_name(req.manager_last_name, "manager.lastName")
    language = rules.parse_language(req.language)
    label = " ".join(req.contract_label.split())[:200]
    now = deps.clock()
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            if client_number:
                if await deps.repo.client_number_taken(s, client_number):
                    raise _client_number_taken()
            else:
                client_number = await _fresh_client_number(deps, s)
            entity_id = await deps.repo.add_entity(
                s,
                name=name,
                client_number=client_number,
                language=language,
                paperless_consent=False,
                delegation_unlocked=False,
                contacts={},
                created_at=now,
            )
            await deps.repo.add_contract(
                s, entity_id=entity_id, number=contract, label=label, started_at=now
            )
            manager = await deps.repo.user_by_email(s, email)
            if manager is None:
                manager_id = await deps.repo.add_user(
                    s,
                    email=email,
                    first_name=first,
                    last_name=last,
                    language=language,
                    created_at=now,
                )
            else:
                manager_id = manager.id
            await deps.repo.add_membership(
                s,
                user_id=manager_id,
                entity_id=entity_id,
                profile_id=ADMIN_PROFILE_ID,
                status=MembershipStatus.ACTIVE,
                created_at=now,
            )
            await deps.repo.update_entity(s, entity_id, manager_user_id=manager_id)
            await add_event(
                s,
                new_event(
                    events_pb2.AccountCreated,
                    entity_id=entity_id,
                    client_number=client_number,
                    name=name,
                    manager_user_id=manager_id,
                ),
            )
            await publish_account_updated(deps, s, entity_id)
            return await load_account(deps, s, entity_id)
    except IntegrityError as exc:  # a concurrent creation took the number
        raise _client_number_taken() from exc


def _client_number_taken() -> AlreadyExists:
    return AlreadyExists("CLIENT_NUMBER_TAKEN", "an account already has this client number")


async def _fresh_client_number(deps: Deps, s: AsyncSession) -> str:
    for _ in range(CLIENT_NUMBER_ATTEMPTS):
        candidate = rules.generate_client_number()
        if not await deps.repo.client_number_taken(s, candidate):
            return candidate
    raise RuntimeError("could not find a free client number")


async def list_accounts(
    deps: Deps, principal: Principal | None, q: str, page_size: int, page_token: str
) -> tuple[list[AccountData], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        rows = await deps.repo.list_entities(
            s, q=q.strip(), offset=page.offset, limit=page.limit + 1
        )
        has_more = len(rows) > page.limit
        rows = list(rows[: page.limit])
        contracts = await deps.repo.contracts_of(s, [r.id for r in rows])
        return [AccountData(r, contracts[r.id]) for r in rows], page.next_token(has_more)


async def admin_get_account(deps: Deps, principal: Principal | None, entity_id: str) -> AccountData:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        return await load_account(deps, s, entity_id)


async def unlock_delegation(deps: Deps, s: AsyncSession, entity: Row, reason: str) -> None:
    """Idempotent: publishes DelegationUnlocked only the first time."""
    if entity.delegation_unlocked:
        return
    await deps.repo.update_entity(
        s,
        entity.id,
        delegation_unlocked=True,
        delegation_unlocked_reason=reason,
        delegation_unlocked_at=deps.clock(),
    )
    await add_event(s, new_event(events_pb2.DelegationUnlocked, entity_id=entity.id, reason=reason))


async def operator_unlock_delegation(
    deps: Deps, principal: Principal | None, entity_id: str
) -> AccountData:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        account = await load_account(deps, s, entity_id)
        await unlock_delegation(deps, s, account.entity, rules.UNLOCKED_BY_OPERATOR)
        return await load_account(deps, s, entity_id)
