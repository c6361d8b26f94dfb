"""Beneficiaries: every query filters on the caller's entity and ignores
soft-deleted rows, so another entity's ids are not found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from portal_runtime.passes import collect
from portal_runtime.records import records
from services.ordering.domain.beneficiaries import Beneficiary, BeneficiaryRef, full_name
from services.ordering.domain.orders import OrderStatus
from services.ordering.store.bulk import insert_rows
from services.ordering.store.tables import beneficiaries, order_lines, orders
from services.ordering.store.tracking import remember_row, save_row, tracked

b = beneficiaries.c
_IDS_PER_QUERY = 5_000


def _live(entity_id: str):
    return (b.entity_id == entity_id) & b.deleted_at.is_(None)


# The list and the search, built once (a customer's most frequent reads): building
# and keying these statements cost more than running them.
_LIVE = (b.entity_id == bindparam("entity_id")) & b.deleted_at.is_(None)
_ORDER = (b.last_name, b.first_name, b.id)
_PAGE = (
    select(beneficiaries)
    .where(_LIVE)
    .order_by(*_ORDER)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_PATTERN = bindparam("pattern")
_SEARCH_PAGE = (
    select(beneficiaries)
    .where(
        _LIVE,
        # Both name orders hold every part of a first or last name: the two
        # names need no test of their own (a search runs these on every row).
        or_(
            *(
                func.lower(text).like(_PATTERN, escape="\\")
                for text in (
                    b.last_name + " " + b.first_name,
                    b.first_name + " " + b.last_name,
                    b.employee_number,
                    b.email,
                )
            )
        ),
    )
    .order_by(*_ORDER)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)


def _to_row(person: Beneficiary) -> dict[str, Any]:
    return {
        "id": person.id,
        "entity_id": person.entity_id,
        "employee_number": person.employee_number,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "birth_date": person.birth_date,
        "hire_date": person.hire_date,
        "default_delivery_point_id": person.default_delivery_point_id,
        "has_card": person.has_card,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        "deleted_at": person.deleted_at,
    }


def _from_row(s: AsyncSession, row: Row) -> Beneficiary:
    person = Beneficiary(
        id=row.id,
        entity_id=row.entity_id,
        employee_number=row.employee_number,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        birth_date=row.birth_date,
        hire_date=row.hire_date,
        default_delivery_point_id=row.default_delivery_point_id,
        has_card=bool(row.has_card),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        deleted_at=aware(row.deleted_at),
    )
    if tracked(s):  # a list read in Database.read() is never saved
        remember_row(s, beneficiaries, _to_row(person))
    return person


async def _refs(s: AsyncSession, *where: Any) -> list[BeneficiaryRef]:
    """Up to 100,000 (an entity's whole list, for a file): read as tuples, a
    chunk at a time (on SQLite the rows are read on the loop's thread)."""
    query = select(b.id, b.employee_number, b.first_name, b.last_name).where(*where)
    rows = await s.execute(query)
    return await collect(
        BeneficiaryRef(beneficiary_id, number, full_name(first_name, last_name))
        for beneficiary_id, number, first_name, last_name in rows
    )


class BeneficiariesRepository:
    async def add(self, s: AsyncSession, person: Beneficiary) -> None:
        row = _to_row(person)
        await s.execute(insert(beneficiaries), [row])
        remember_row(s, beneficiaries, row)

    async def add_all(self, s: AsyncSession, people: Sequence[Beneficiary]) -> None:
        """One insert (executemany) for any number: a file brings up to 100,000,
        their rows made a chunk at a time (`insert_rows`). Not remembered for a
        `save` in the transaction (`add` is): a file's beneficiaries are only
        created."""
        await insert_rows(s, beneficiaries, map(_to_row, people))

    async def get(self, s: AsyncSession, beneficiary_id: str, entity_id: str) -> Beneficiary | None:
        row = (
            await s.execute(select(beneficiaries).where(_live(entity_id), b.id == beneficiary_id))
        ).first()
        return _from_row(s, row) if row else None

    async def save(self, s: AsyncSession, person: Beneficiary) -> None:
        """Writes what changed since `get`."""
        await save_row(s, beneficiaries, _to_row(person))

    async def number_taken(
        self, s: AsyncSession, entity_id: str, number: str, *, other_than: str = ""
    ) -> bool:
        query = select(b.id).where(_live(entity_id), b.employee_number == number)
        if other_than:
            query = query.where(b.id != other_than)
        return await s.scalar(query) is not None

    async def refs_by_ids(
        self, s: AsyncSession, entity_id: str, ids: Sequence[str]
    ) -> dict[str, BeneficiaryRef]:
        """The entity's live beneficiaries among `ids` (asked in chunks: a
        duplicated order names up to 100,000)."""
        found: dict[str, BeneficiaryRef] = {}
        ids = list(ids)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            found.update((ref.id, ref) for ref in await _refs(s, _live(entity_id), b.id.in_(chunk)))
        return found

    async def owned_refs(
        self, s: AsyncSession, ids: Sequence[str]
    ) -> dict[str, tuple[str, BeneficiaryRef]]:
        """Any entity's beneficiaries by id, deleted ones too, with their entity
        (for operators: an id names its entity). Asked in chunks: a file names
        up to 100,000 and a statement takes fewer parameters."""
        found: dict[str, tuple[str, BeneficiaryRef]] = {}
        ids = list(ids)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            query = select(b.entity_id, b.id, b.employee_number, b.first_name, b.last_name).where(
                b.id.in_(ids[start : start + _IDS_PER_QUERY])
            )
            for entity_id, beneficiary_id, number, first, last in await s.execute(query):
                ref = BeneficiaryRef(beneficiary_id, number, full_name(first, last))
                found[beneficiary_id] = (entity_id, ref)
        return found

    async def refs_by_number(self, s: AsyncSession, entity_id: str) -> dict[str, BeneficiaryRef]:
        """Every live beneficiary of the entity by employee number (one query)."""
        return {ref.employee_number: ref for ref in await _refs(s, _live(entity_id))}

    async def list(
        self, s: AsyncSession, entity_id: str, *, q: str, page: Page
    ) -> tuple[list[Beneficiary], bool]:
        """A page by name, `q` found in a number, a name (either order) or an
        e-mail; whether more follow."""
        params: dict[str, Any] = {
            "entity_id": entity_id,
            "offset": page.offset,
            "limit": page.limit + 1,
        }
        if q.strip():
            pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%")
            params["pattern"] = pattern.replace("_", "\\_") + "%"
            query = _SEARCH_PAGE
        else:
            query = _PAGE
        rows = records(await s.execute(query, params))
        return [_from_row(s, row) for row in rows[: page.limit]], len(rows) > page.limit

    async def mark_card_holders(self, s: AsyncSession, beneficiary_ids: Sequence[str]) -> None:
        """They hold a card: their new card was loaded (`CardsLoaded`)."""
        if beneficiary_ids:
            await s.execute(
                update(beneficiaries).where(b.id.in_(list(beneficiary_ids))).values(has_card=True)
            )

    async def card_in_production(self, s: AsyncSession, beneficiary_id: str) -> bool:
        query = select(
            exists().where(
                order_lines.c.beneficiary_id == beneficiary_id,
                order_lines.c.order_id == orders.c.id,
                orders.c.status == OrderStatus.IN_PRODUCTION.value,
            )
        )
        return bool(await s.scalar(query))
