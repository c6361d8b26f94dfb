"""The park: the catalogue of models, the customers' sites and machines. Every
query on sites and machines filters on the entity, so another entity's ids are
not found."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from portal_runtime.records import records, stream_records
from services.assets.domain.equipment import (
    Equipment,
    EquipmentFilter,
    EquipmentModel,
    EquipmentStatus,
    Part,
    Site,
    SiteAddress,
    normalise_code,
)
from services.assets.store.equipment_tables import (
    equipment,
    equipment_model_parts,
    equipment_models,
    sites,
)

m = equipment_models.c
p = equipment_model_parts.c
st = sites.c
e = equipment.c
_PER_QUERY = 1_000


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---- models ------------------------------------------------------------------------------


def _model(row: Row, parts: Sequence[Part] = ()) -> EquipmentModel:
    return EquipmentModel(row.code, row.brand, row.name, tuple(parts), aware(row.updated_at))


class ModelsRepository:
    async def get(self, s: AsyncSession, code: str) -> EquipmentModel | None:
        found = await self.by_codes(s, [code])
        return found.get(normalise_code(code))

    async def by_codes(
        self, s: AsyncSession, codes: Sequence[str], *, with_parts: bool = True
    ) -> dict[str, EquipmentModel]:
        """The catalogue's models among these codes (unknown ones absent)."""
        wanted = sorted({normalise_code(code) for code in codes})
        rows: list[Row] = []
        for start in range(0, len(wanted), _PER_QUERY):
            chunk = wanted[start : start + _PER_QUERY]
            rows.extend(await s.execute(select(equipment_models).where(m.code.in_(chunk))))
        parts: dict[str, list[Part]] = {row.code: [] for row in rows}
        if with_parts and parts:
            found = list(parts)
            for start in range(0, len(found), _PER_QUERY):
                query = (
                    select(equipment_model_parts)
                    .where(p.model_code.in_(found[start : start + _PER_QUERY]))
                    .order_by(p.model_code, p.position)
                )
                for part in await s.execute(query):
                    parts[part.model_code].append(Part(part.code, part.label))
        return {row.code: _model(row, parts[row.code]) for row in rows}

    async def list(self, s: AsyncSession, brand: str = "", q: str = "") -> list[EquipmentModel]:
        """The catalogue by brand and name, without the parts lists."""
        query = select(equipment_models)
        if brand:
            query = query.where(func.lower(m.brand) == brand.lower())
        if q:
            text = _like(q)
            query = query.where(
                or_(
                    func.lower(m.code).like(text, escape="\\"),
                    func.lower(m.brand).like(text, escape="\\"),
                    func.lower(m.name).like(text, escape="\\"),
                )
            )
        query = query.order_by(func.lower(m.brand), func.lower(m.name), m.code)
        return [_model(row) for row in await s.execute(query)]

    async def put(self, s: AsyncSession, model: EquipmentModel) -> None:
        """Creates or replaces the model, its parts list whole."""
        values = {"brand": model.brand, "name": model.name, "updated_at": model.updated_at}
        done = await s.execute(update(equipment_models).where(m.code == model.code).values(values))
        if not done.rowcount:
            await s.execute(insert(equipment_models).values(code=model.code, **values))
        await s.execute(delete(equipment_model_parts).where(p.model_code == model.code))
        if model.parts:
            await s.execute(
                insert(equipment_model_parts),
                [
                    {
                        "model_code": model.code,
                        "code": part.code,
                        "position": i,
                        "label": part.label,
                    }
                    for i, part in enumerate(model.parts)
                ],
            )

    async def put_all(self, s: AsyncSession, models: Sequence[EquipmentModel]) -> int:
        """Creates or replaces these models, each one's parts list whole (an
        import); how many were new."""
        codes = [model.code for model in models]
        known: set[str] = set()
        for start in range(0, len(codes), _PER_QUERY):
            chunk = codes[start : start + _PER_QUERY]
            known.update(await s.scalars(select(m.code).where(m.code.in_(chunk))))
        # Bound names differ from the columns': SQLAlchemy reserves those for SET.
        changed = [
            {"b_code": x.code, "b_brand": x.brand, "b_name": x.name, "b_at": x.updated_at}
            for x in models
            if x.code in known
        ]
        if changed:
            await s.execute(
                update(equipment_models)
                .where(m.code == bindparam("b_code"))
                .values(
                    brand=bindparam("b_brand"),
                    name=bindparam("b_name"),
                    updated_at=bindparam("b_at"),
                ),
                changed,
                execution_options={"synchronize_session": False},
            )
        new = [
            {"code": x.code, "brand": x.brand, "name": x.name, "updated_at": x.updated_at}
            for x in models
            if x.code not in known
        ]
        if new:
            await s.execute(insert(equipment_models), new)
        for start in range(0, len(codes), _PER_QUERY):
            chunk = codes[start : start + _PER_QUERY]
            await s.execute(delete(equipment_model_parts).where(p.model_code.in_(chunk)))
        parts = [
            {"model_code": x.code, "code": part.code, "position": i, "label": part.label}
            for x in models
            for i, part in enumerate(x.parts)
        ]
        if parts:
            await s.execute(insert(equipment_model_parts), parts)
        return len(new)


# ---- sites -------------------------------------------------------------------------------


def _site(row: Row) -> Site:
    return Site(
        id=row.id,
        entity_id=row.entity_id,
        name=row.name,
        address=SiteAddress(row.line1, row.line2, row.postal_code, row.city, row.country),
        created_at=aware(row.created_at),
    )


def _site_row(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "entity_id": site.entity_id,
        "name": site.name,
        "name_key": site.key,
        "line1": site.address.line1,
        "line2": site.address.line2,
        "postal_code": site.address.postal_code,
        "city": site.address.city,
        "country": site.address.country,
        "created_at": site.created_at,
    }


class SitesRepository:
    async def get(self, s: AsyncSession, site_id: str, entity_id: str) -> Site | None:
        query = select(sites).where(st.entity_id == entity_id, st.id == site_id)
        row = (await s.execute(query)).first()
        return _site(row) if row else None

    async def list(self, s: AsyncSession, entity_id: str) -> list[Site]:
        query = select(sites).where(st.entity_id == entity_id).order_by(st.name_key, st.id)
        return [_site(row) for row in await s.execute(query)]

    async def by_keys(
        self, s: AsyncSession, entity_id: str, *, for_update: bool = False
    ) -> dict[str, Site]:
        """The entity's sites by name key."""
        query = select(sites).where(st.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        return {row.name_key: _site(row) for row in await s.execute(query)}

    async def add_all(self, s: AsyncSession, new: Sequence[Site]) -> None:
        if new:
            await s.execute(insert(sites), [_site_row(site) for site in new])

    async def save_addresses(self, s: AsyncSession, changed: Sequence[Site]) -> None:
        for site in changed:
            row = _site_row(site)
            await s.execute(
                update(sites)
                .where(st.id == site.id)
                .values({k: row[k] for k in ("line1", "line2", "postal_code", "city", "country")})
            )


# ---- machines ------------------------------------------------------------------------------

_SITE_COLUMNS = ("name", "line1", "line2", "postal_code", "city", "country")
_READ = select(
    equipment,
    m.brand.label("model_brand"),
    m.name.label("model_name"),
    *[st[name].label(f"site_{name}") for name in _SITE_COLUMNS],
).select_from(
    equipment.outerjoin(equipment_models, m.code == e.model_code).outerjoin(
        sites, st.id == e.site_id
    )
)


def _equipment(row: Row) -> Equipment:
    site = None
    if row.site_id and row.site_name is not None:
        site = Site(
            id=row.site_id,
            entity_id=row.entity_id,
            name=row.site_name,
            address=SiteAddress(
                row.site_line1,
                row.site_line2,
                row.site_postal_code,
                row.site_city,
                row.site_country,
            ),
        )
    return Equipment(
        id=row.id,
        entity_id=row.entity_id,
        model_code=row.model_code,
        reference=row.reference,
        name=row.name,
        status=EquipmentStatus(row.status),
        site_id=row.site_id or "",
        commissioned_on=row.commissioned_on,
        contract=row.contract,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        removed_at=aware(row.removed_at),
        brand=row.model_brand or "",
        model_name=row.model_name or "",
        site=site,
    )


def _equipment_row(machine: Equipment) -> dict[str, Any]:
    return {
        "id": machine.id,
        "entity_id": machine.entity_id,
        "model_code": machine.model_code,
        "reference": machine.reference,
        "reference_key": machine.reference_key,
        "name": machine.name,
        "site_id": machine.site_id or None,
        "commissioned_on": machine.commissioned_on,
        "contract": machine.contract,
        "status": machine.status.value,
        "created_at": machine.created_at,
        "updated_at": machine.updated_at,
        "removed_at": machine.removed_at,
    }


def _shape(criteria: EquipmentFilter) -> tuple[bool, bool, bool, bool, bool, bool]:
    return (
        criteria.include_removed,
        bool(criteria.q),
        bool(criteria.q and criteria.q_key),
        bool(criteria.brand),
        bool(criteria.model),
        bool(criteria.site_id),
    )


def _params(entity_id: str, criteria: EquipmentFilter) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "removed": EquipmentStatus.REMOVED.value,
        "text": _like(criteria.q),
        "key": _like(criteria.q_key).upper(),
        "brand": criteria.brand.lower(),
        "model_code": normalise_code(criteria.model) if criteria.model else "",
        "model_name": criteria.model.lower(),
        "site_id": criteria.site_id,
    }


def _conditions(
    include_removed: bool, text: bool, key: bool, brand: bool, model: bool, site: bool
) -> list[Any]:
    where: list[Any] = [e.entity_id == bindparam("entity_id")]
    if not include_removed:
        where.append(e.status != bindparam("removed"))
    if text:
        pattern = bindparam("text")
        matches = [
            func.lower(e.name).like(pattern, escape="\\"),
            func.lower(e.reference).like(pattern, escape="\\"),
        ]
        if key:
            matches.append(e.reference_key.like(bindparam("key"), escape="\\"))
        where.append(or_(*matches))
    if brand:
        where.append(func.lower(m.brand) == bindparam("brand"))
    if model:
        where.append(
            or_(m.code == bindparam("model_code"), func.lower(m.name) == bindparam("model_name"))
        )
    if site:
        where.append(e.site_id == bindparam("site_id"))
    return where


_ORDER = (func.lower(e.name), e.reference, e.id)


@functools.cache
def _matching(*shape: bool) -> Select[Any]:
    """The machines matching criteria of this shape, by name: built once per
    combination (building and keying it cost more than running it)."""
    return _READ.where(*_conditions(*shape)).order_by(*_ORDER)


@functools.cache
def _page_statement(*shape: bool) -> Select[Any]:
    return _matching(*shape).offset(bindparam("offset")).limit(bindparam("limit"))


class EquipmentRepository:
    async def get(
        self, s: AsyncSession, equipment_id: str, entity_id: str, *, for_update: bool = False
    ) -> Equipment | None:
        found = await self.by_ids(s, entity_id, [equipment_id], for_update=for_update)
        return found.get(equipment_id)

    async def by_ids(
        self,
        s: AsyncSession,
        entity_id: str,
        equipment_ids: Sequence[str],
        *,
        for_update: bool = False,
    ) -> dict[str, Equipment]:
        """The entity's machines among these ids (others, and other entities', absent)."""
        found: dict[str, Equipment] = {}
        ids = list(dict.fromkeys(equipment_ids))
        for start in range(0, len(ids), _PER_QUERY):
            query = _READ.where(e.entity_id == entity_id, e.id.in_(ids[start : start + _PER_QUERY]))
            if for_update:
                query = query.with_for_update(of=equipment)
            for row in await s.execute(query):
                found[row.id] = _equipment(row)
        return found

    async def in_park_by_references(
        self, s: AsyncSession, entity_id: str, keys: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Equipment]:
        """The entity's machines still in the park with these reference keys."""
        found: dict[str, Equipment] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), _PER_QUERY):
            query = _READ.where(
                e.entity_id == entity_id,
                e.status != EquipmentStatus.REMOVED.value,
                e.reference_key.in_(keys[start : start + _PER_QUERY]),
            )
            if for_update:
                query = query.with_for_update(of=equipment)
            for row in await s.execute(query):
                found[row.reference_key] = _equipment(row)
        return found

    async def list(
        self, s: AsyncSession, entity_id: str, criteria: EquipmentFilter, page: Page
    ) -> tuple[list[Equipment], bool]:
        """A page by name; whether more follow."""
        params = {**_params(entity_id, criteria), "offset": page.offset, "limit": page.limit + 1}
        rows = records(await s.execute(_page_statement(*_shape(criteria)), params))
        return [_equipment(row) for row in rows[: page.limit]], len(rows) > page.limit

    async def all_matching(
        self, s: AsyncSession, entity_id: str, criteria: EquipmentFilter
    ) -> AsyncIterator[Equipment]:
        """Every machine the criteria match, by name, read in chunks (exports)."""
        query = _matching(*_shape(criteria)).execution_options(yield_per=_PER_QUERY)
        result = await s.stream(query, _params(entity_id, criteria))
        async for row in stream_records(result):
            yield _equipment(row)

    async def add(self, s: AsyncSession, machine: Equipment) -> None:
        await self.add_all(s, [machine])

    async def add_all(self, s: AsyncSession, new: Sequence[Equipment]) -> None:
        if new:
            await s.execute(insert(equipment), [_equipment_row(machine) for machine in new])

    async def save_all(self, s: AsyncSession, changed: Sequence[Equipment]) -> None:
        """Saves machines whole, in one executemany."""
        if not changed:
            return
        # Bound names differ from the columns': SQLAlchemy reserves those for SET.
        rows = []
        for machine in changed:
            row = _equipment_row(machine)
            del row["entity_id"], row["created_at"]
            rows.append({f"b_{name}": value for name, value in row.items()})
        values = {name[2:]: bindparam(name) for name in rows[0] if name != "b_id"}
        await s.execute(
            update(equipment).where(e.id == bindparam("b_id")).values(**values),
            rows,
            execution_options={"synchronize_session": False},
        )
