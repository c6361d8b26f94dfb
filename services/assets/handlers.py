"""Event consumers of assets: identity's AccountUpdated (the account projection
printed on quotes and statements)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2 as identity_events
from services.assets.domain.accounts import Account
from services.assets.usecases.accounts import DEFAULT_LANGUAGE, keep_account
from services.assets.usecases.common import Deps

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


def _occurred(event: Any, fallback: datetime) -> datetime:
    if event.HasField("occurred_at"):
        return event.occurred_at.ToDatetime(tzinfo=UTC)
    return fallback


def account_updated_handler(deps: Deps) -> Handler:
    async def on_account_updated(
        session: AsyncSession, event: identity_events.AccountUpdated
    ) -> None:
        """Keeps the newest snapshot (by occurred_at) of the account."""
        await keep_account(
            deps,
            session,
            Account(
                entity_id=event.entity_id,
                name=event.name,
                client_number=event.client_number,
                language=event.language or DEFAULT_LANGUAGE,
                address_lines=tuple(event.billing_address_lines),
                updated_at=_occurred(event, deps.clock()),
            ),
        )

    return on_account_updated


def subscriptions(deps: Deps) -> dict[type, Handler]:
    return {identity_events.AccountUpdated: account_updated_handler(deps)}
