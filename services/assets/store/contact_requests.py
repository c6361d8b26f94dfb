"""Change requests: customers' reads filter on their entity; operators list
every entity's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from services.assets.domain.contact_requests import (
    ContactRequest,
    ContactStatus,
    ContactTopic,
    PostalAddress,
)
from services.assets.store.contact_tables import contact_requests

r = contact_requests.c


def _from_row(row: Row) -> ContactRequest:
    address = PostalAddress(
        line1=row.address_line1,
        line2=row.address_line2,
        postal_code=row.address_postal_code,
        city=row.address_city,
        country=row.address_country,
    )
    return ContactRequest(
        id=row.id,
        entity_id=row.entity_id,
        user_id=row.user_id,
        reference=row.reference,
        topic=ContactTopic(row.topic),
        message=row.message,
        created_at=aware(row.created_at),
        status=ContactStatus(row.status),
        contract_id=row.contract_id,
        old_plate=row.old_plate,
        new_plate=row.new_plate,
        new_address=address if address.given else None,
        new_phone=row.new_phone,
        new_iban_masked=row.new_iban_masked,
        answer=row.answer,
        answered_at=aware(row.answered_at),
    )


def _values(request: ContactRequest) -> dict[str, Any]:
    address = request.new_address or PostalAddress("", "", "", "", "")
    return {
        "id": request.id,
        "entity_id": request.entity_id,
        "user_id": request.user_id,
        "reference": request.reference,
        "topic": request.topic.value,
        "status": request.status.value,
        "message": request.message,
        "contract_id": request.contract_id,
        "old_plate": request.old_plate,
        "new_plate": request.new_plate,
        "address_line1": address.line1,
        "address_line2": address.line2,
        "address_postal_code": address.postal_code,
        "address_city": address.city,
        "address_country": address.country,
        "new_phone": request.new_phone,
        "new_iban_masked": request.new_iban_masked,
        "answer": request.answer,
        "created_at": request.created_at,
        "answered_at": request.answered_at,
    }


class ContactRequestsRepository:
    async def add(self, s: AsyncSession, request: ContactRequest) -> None:
        await s.execute(insert(contact_requests).values(**_values(request)))

    async def get(
        self,
        s: AsyncSession,
        request_id: str,
        entity_id: str | None,
        *,
        for_update: bool = False,
    ) -> ContactRequest | None:
        """The request; `entity_id` None: operators (any entity's)."""
        query = select(contact_requests).where(r.id == request_id)
        if entity_id is not None:
            query = query.where(r.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        return _from_row(row) if row else None

    async def save_answer(self, s: AsyncSession, request: ContactRequest) -> None:
        await s.execute(
            update(contact_requests)
            .where(r.id == request.id)
            .values(
                status=request.status.value,
                answer=request.answer,
                answered_at=request.answered_at,
            )
        )

    async def list(
        self,
        s: AsyncSession,
        page: Page,
        *,
        entity_id: str | None,
        status: ContactStatus | None = None,
        open_first: bool = False,
    ) -> tuple[list[ContactRequest], bool]:
        """A page and whether more follow: a customer's newest first; operators'
        (`open_first`) open ones first, oldest first, then the answered ones,
        newest first."""
        query = select(contact_requests)
        if entity_id is not None:
            query = query.where(r.entity_id == entity_id)
        if status is not None:
            query = query.where(r.status == status.value)
        if open_first:
            is_open = case((r.status == ContactStatus.OPEN.value, 0), else_=1)
            # Open ones by creation (oldest first), the others by creation (newest first).
            oldest_open = case((r.status == ContactStatus.OPEN.value, r.created_at), else_=None)
            query = query.order_by(
                is_open, oldest_open.asc(), r.created_at.desc(), r.reference.desc()
            )
        else:
            query = query.order_by(r.created_at.desc(), r.reference.desc())
        rows = (await s.execute(query.offset(page.offset).limit(page.limit + 1))).all()
        return [_from_row(row) for row in rows[: page.limit]], len(rows) > page.limit
