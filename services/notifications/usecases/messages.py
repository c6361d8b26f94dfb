"""Messages: queue one for delivery, list a recipient's for operators."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.errors import InvalidArgument
from portal_runtime.pagination import parse_page
from services.notifications.delivery import wake_after_commit
from services.notifications.domain.contacts import Contact
from services.notifications.domain.messages import Message, Template, normalise_email
from services.notifications.usecases.common import Deps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    """One e-mail an event asks for, before rendering: the template's values
    (`context`, besides the recipient's `name`) and the links it carries."""

    event_id: str
    occurred_at: datetime | None
    template: Template
    to: Contact
    language: str  # as asked; the template's own languages decide (else French)
    links: Sequence[str]
    context: Mapping[str, Any]


async def queue_message(deps: Deps, s: AsyncSession, draft: Draft) -> Message | None:
    """Renders the draft in the recipient's language and stores it PENDING in
    the caller's transaction; the delivery loop wakes once it commits. None
    when this event already has its message from this template (redelivery)."""
    language = deps.renderer.language_for(draft.template, draft.language)
    values = {"name": draft.to.name.strip(), **draft.context}
    message = Message.new(
        event_id=draft.event_id,
        recipient=draft.to.email,
        recipient_name=draft.to.name,
        template=draft.template,
        language=language,
        content=deps.renderer.render(draft.template, language, values),
        links=draft.links,
        now=deps.clock(),
        occurred_at=draft.occurred_at,
    )
    if not await deps.repo.messages.add(s, message):
        log.info("event %s already has its %s message", draft.event_id, draft.template)
        return None
    wake_after_commit(s)
    log.info("%s message %s queued for event %s", draft.template, message.id, draft.event_id)
    return message


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    next_page_token: str


async def list_messages(deps: Deps, recipient: str, page_size: int, page_token: str) -> MessagePage:
    """What was sent (or is being sent) to an address, newest event first."""
    address = normalise_email(recipient)
    if not address:
        raise InvalidArgument.for_field("recipient", "is required", reason="RECIPIENT_REQUIRED")
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found = await deps.repo.messages.list_for_recipient(
            s, address, offset=page.offset, limit=page.limit + 1
        )
    has_more = len(found) > page.limit
    return MessagePage(found[: page.limit], page.next_token(has_more))
