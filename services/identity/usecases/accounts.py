"""The customer account (entity): reading it, its contacts and paperless
consent, who am I; and the operators' account management (opening, settings,
the delegation unlock)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import authenticated
from portal_runtime.db import new_id
from portal_runtime.errors import AlreadyExists, NotFound, Violations
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.identity import events
from services.identity.domain import accounts as rules
from services.identity.domain import profiles as profile_rules
from services.identity.domain.accounts import Account, DelegationUnlocked, Entity, UnlockRule
from services.identity.domain.contracts import Contract, contract_label
from services.identity.domain.emails import parse_email
from services.identity.domain.profiles import ADMIN_PROFILE_ID
from services.identity.domain.refresh import ensure_session_alive, session_state
from services.identity.domain.users import Membership, User, person_name
from services.identity.usecases.account_events import publish_account_updated
from services.identity.usecases.common import (
    Deps,
    caller,
)
from services.identity.usecases.links import send_activation

log = logging.getLogger(__name__)

CLIENT_NUMBER_ATTEMPTS = 20


@dataclass(frozen=True)
class MemberData:
    """A user as seen from one entity, with their profile's name."""

    user: User
    profile_id: str
    profile_name: str
    status: str


@dataclass(frozen=True)
class MeData:
    user: User
    current: MemberData | None
    current_entity: Entity | None
    permissions: frozenset[str]
    entities: list[Entity]


async def load_account(deps: Deps, s: AsyncSession, entity_id: str) -> Account:
    account = await deps.repo.accounts.get(s, entity_id) if entity_id else None
    if account is None:
        raise NotFound("ACCOUNT_NOT_FOUND", "no such account")
    return account


async def get_account(deps: Deps, principal: Principal | None) -> Account:
    async with deps.db.read() as s:
        await caller(deps, s, principal)
        assert principal is not None
        return await load_account(deps, s, principal.entity_id)


async def update_contacts(
    deps: Deps, principal: Principal | None, given: dict[str, rules.Contact]
) -> Account:
    """Replaces only the contacts present in `given` (billing, delivery, manager)."""
    violations = Violations()
    cleaned = {
        kind: rules.validate_contact(kind, contact, violations, deps.normalise_phone)
        for kind, contact in given.items()
    }
    violations.raise_if_any("INVALID_CONTACTS")
    return await _change_own_account(
        deps,
        principal,
        lambda entity: entity.replace_contacts(cleaned),
        deps.repo.accounts.save_contacts,
    )


async def update_paperless_consent(
    deps: Deps, principal: Principal | None, consent: bool
) -> Account:
    """Given or withdrawn from the account page (first given at first login)."""
    return await _change_own_account(
        deps,
        principal,
        lambda entity: entity.record_paperless_consent(consent),
        deps.repo.accounts.save_paperless_consent,
    )


async def _change_own_account(
    deps: Deps,
    principal: Principal | None,
    change: Callable[[Entity], None],
    save: Callable[[AsyncSession, Entity], Awaitable[None]],
) -> Account:
    """The caller's account changed by `change`, saved by `save` (its narrow
    save), and its new snapshot published."""
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        assert principal is not None
        account = await load_account(deps, s, principal.entity_id)
        change(account.entity)
        await save(s, account.entity)
        await publish_account_updated(deps, s, account.id)
        return account


async def get_me(deps: Deps, principal: Principal | None) -> MeData:
    principal = authenticated(principal)
    async with deps.db.read() as s:
        # One statement (the call every page makes); the same rules as `caller`
        # and `resolve_profile`, applied to what it read.
        rows = await deps.repo.me.load(
            s, principal.user_id, principal.session_id, principal.entity_id
        )
    user = rows.user if rows is not None else None
    family = rows.family if rows is not None and principal.session_id else None
    ensure_session_alive(session_state(family, user), principal.issued_at)
    assert rows is not None and user is not None
    entities = [entity for _, entity in rows.memberships if entity is not None]
    current_entity = next((e for e in entities if e.id == principal.entity_id), None)
    current = None
    permissions: frozenset[str] = frozenset()
    membership = next((m for m, _ in rows.memberships if m.entity_id == principal.entity_id), None)
    if membership is not None:
        profile = profile_rules.built_in(membership.profile_id) or rows.custom_profile
        current = MemberData(
            user, membership.profile_id, profile.name if profile else "", user.status
        )
        permissions = profile.permissions if profile else frozenset()
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
    # None: the deployment's default (PORTAL_IDENTITY_DEFAULT_UNLOCK_RULE).
    unlock_rule: UnlockRule | None = None
    paperless_consent_required: bool = False


async def create_account(deps: Deps, principal: Principal | None, req: NewAccount) -> Account:
    """The account, its first contract and first manager; the manager is
    e-mailed their activation link (with the client and contract numbers the
    activation form asks for) unless they already have a password."""
    name = rules.parse_account_name(req.name)
    contract = rules.parse_number(req.contract_number, "contractNumber")
    client_number = (
        rules.parse_number(req.client_number, "clientNumber") if req.client_number.strip() else ""
    )
    email = parse_email(req.manager_email, "manager.email")
    first = person_name(req.manager_first_name, "manager.firstName")
    last = person_name(req.manager_last_name, "manager.lastName")
    language = rules.parse_language(req.language)
    label = contract_label(req.contract_label)
    now = deps.clock()
    try:
        async with deps.db.transaction() as s:
            await caller(deps, s, principal)
            if client_number:
                if await deps.repo.accounts.client_number_taken(s, client_number):
                    raise _client_number_taken()
            else:
                client_number = await _fresh_client_number(deps, s)
            manager = await deps.repo.users.by_email(s, email)
            if manager is None:
                manager = User(new_id(), email, language, now, first_name=first, last_name=last)
                await deps.repo.users.add(s, manager)
            account, created = rules.open_account(
                new_id(),
                name=name,
                client_number=client_number,
                language=language,
                contract=Contract(contract, label, now),
                manager_user_id=manager.id,
                now=now,
                paperless_consent_required=req.paperless_consent_required,
            )
            unlocked = account.entity.set_unlock_rule(
                req.unlock_rule or deps.default_unlock_rule, now
            )
            await deps.repo.accounts.add(s, account)
            await deps.repo.memberships.add(
                s, Membership(manager.id, account.id, ADMIN_PROFILE_ID, now)
            )
            await add_event(s, events.account_created(created))
            await _record_unlock(s, unlocked)
            await publish_account_updated(deps, s, account.id)
            await send_activation(deps, s, account, manager, contract, account_opened=True)
            return account
    except IntegrityError as exc:  # a concurrent creation took the number
        raise _client_number_taken() from exc


def _client_number_taken() -> AlreadyExists:
    return AlreadyExists("CLIENT_NUMBER_TAKEN", "an account already has this client number")


async def _fresh_client_number(deps: Deps, s: AsyncSession) -> str:
    for _ in range(CLIENT_NUMBER_ATTEMPTS):
        candidate = rules.generate_client_number()
        if not await deps.repo.accounts.client_number_taken(s, candidate):
            return candidate
    raise RuntimeError("could not find a free client number")


async def list_accounts(
    deps: Deps, principal: Principal | None, q: str, page_size: int, page_token: str
) -> tuple[list[Account], str]:
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        await caller(deps, s, principal)
        found = await deps.repo.accounts.search(
            s, q=q.strip(), offset=page.offset, limit=page.limit + 1
        )
        return found[: page.limit], page.next_token(len(found) > page.limit)


async def admin_get_account(deps: Deps, principal: Principal | None, entity_id: str) -> Account:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        return await load_account(deps, s, entity_id)


async def _record_unlock(s: AsyncSession, unlocked: DelegationUnlocked | None) -> None:
    if unlocked is not None:
        await add_event(s, events.delegation_unlocked(unlocked))


async def _save_unlock(
    deps: Deps, s: AsyncSession, entity: Entity, unlocked: DelegationUnlocked | None
) -> bool:
    """Idempotent: saved and published only the first time (`unlocked` set)."""
    if unlocked is None:
        return False
    await deps.repo.accounts.save_delegation(s, entity)
    await _record_unlock(s, unlocked)
    return True


async def unlock_by_order(deps: Deps, s: AsyncSession, entity_id: str) -> bool:
    """An order of the account was submitted (or paid): unlocks delegation
    when the account's rule is FIRST_ORDER. True when it did."""
    account = await deps.repo.accounts.get(s, entity_id) if entity_id else None
    if account is None:
        log.warning("order event for unknown entity %s ignored", entity_id)
        return False
    return await _save_unlock(deps, s, account.entity, account.entity.unlock_by_order(deps.clock()))


async def operator_unlock_delegation(
    deps: Deps, principal: Principal | None, entity_id: str
) -> Account:
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        account = await load_account(deps, s, entity_id)
        entity = account.entity
        unlocked = entity.unlock_delegation(rules.UNLOCKED_BY_OPERATOR, deps.clock())
        await _save_unlock(deps, s, entity, unlocked)
        return account


async def update_settings(
    deps: Deps,
    principal: Principal | None,
    entity_id: str,
    *,
    unlock_rule: UnlockRule | None,
    paperless_consent_required: bool | None,
) -> Account:
    """The operator's settings of an account (None: unchanged)."""
    async with deps.db.transaction() as s:
        await caller(deps, s, principal)
        account = await load_account(deps, s, entity_id)
        entity = account.entity
        unlocked = None
        if unlock_rule is not None:
            unlocked = entity.set_unlock_rule(unlock_rule, deps.clock())
        if paperless_consent_required is not None:
            entity.require_paperless_consent(paperless_consent_required)
        await deps.repo.accounts.save_settings(s, entity)
        await _save_unlock(deps, s, entity, unlocked)
        await publish_account_updated(deps, s, account.id)
        return account
