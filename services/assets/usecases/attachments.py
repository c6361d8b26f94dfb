"""Attachments of service and change requests: the area use cases check that
the caller's entity owns the request, then call these."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from portal_runtime.errors import NotFound
from services.assets.domain.attachments import Attachment, check_attachment
from services.assets.usecases.common import Deps


async def add_attachment(
    deps: Deps,
    s: AsyncSession,
    *,
    entity_id: str,
    parent_kind: str,
    parent_id: str,
    data: bytes,
    filename: str,
) -> Attachment:
    """Stores the file once its type (by content), size and the request's
    count allow it."""
    count = await deps.repo.attachments.count(s, parent_kind, parent_id)
    content_type, stored_name = check_attachment(data, filename, count)
    attachment = Attachment(
        id=new_id(),
        entity_id=entity_id,
        parent_kind=parent_kind,
        parent_id=parent_id,
        filename=stored_name,
        content_type=content_type,
        size=len(data),
        created_at=deps.clock(),
    )
    await deps.repo.attachments.add(s, attachment, data)
    return attachment


async def read_attachment(
    deps: Deps,
    s: AsyncSession,
    *,
    entity_id: str,
    parent_kind: str,
    parent_id: str,
    attachment_id: str,
) -> tuple[Attachment, bytes]:
    found = await deps.repo.attachments.get(s, entity_id, parent_kind, parent_id, attachment_id)
    if found is None:
        raise NotFound("ATTACHMENT_NOT_FOUND", "no such attachment")
    return found
