"""The repositories save what the domain changed since they read it in the
same transaction, and only that."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.ordering.domain.beneficiaries import validate_beneficiary
from services.ordering.store.tables import beneficiaries

from .conftest import World
from .helpers import person


async def test_a_save_keeps_what_another_write_changed_meanwhile(world: World) -> None:
    ada = await person(world, "E-1")
    repo = world.deps.repo.beneficiaries
    async with world.db.transaction() as s:
        read = await repo.get(s, ada.id, "ent-acme")
        await repo.mark_card_holders(s, [ada.id])  # e.g. production, meanwhile
        fields = validate_beneficiary(
            employee_number="E-1", first_name="Ada", last_name="King", today=world.clock().date()
        )
        read.change(fields, "", world.clock())
        await repo.save(s, read)
    async with world.db.transaction() as s:
        row = (await s.execute(select(beneficiaries).where(beneficiaries.c.id == ada.id))).one()
    assert (row.last_name, row.has_card) == ("King", True)


async def test_saving_what_was_not_read_in_the_transaction_is_refused(world: World) -> None:
    ada = await person(world, "E-1")
    async with world.db.transaction() as s:
        with pytest.raises(LookupError):
            await world.deps.repo.beneficiaries.save(s, ada)
