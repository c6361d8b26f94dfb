"""Migration 0004 upgrades a database in use: mandates recorded before it keep
their masked IBAN and get no secret (they cannot be collected), the new tables
appear, and billing runs on it."""

from __future__ import annotations

from pathlib import Path

from services.billing.domain.direct_debits import collecting_mandates
from services.billing.store import Repository

from .helpers import upgraded_database


async def test_an_existing_database_upgrades(tmp_path: Path) -> None:
    db = await upgraded_database(
        tmp_path / "billing.db",
        "0003",
        "INSERT INTO mandates (id, entity_id, reference, holder, iban_masked, bic, "
        "status, created_at) VALUES ('m-old', 'ent-1', 'PTL-ENT1-000001', 'ACME', "
        "'FR76 **** **** **** **** ***0 189', '', 'ACTIVE', '2026-01-05 10:00:00')",
    )
    try:
        repo = Repository()
        async with db.transaction() as s:
            [old] = await repo.mandates.active(s)
            assert old.id == "m-old" and old.iban_masked.endswith("0 189")
            assert old.iban_secret_id == ""
            assert collecting_mandates([old]) == {}
            assert await repo.direct_debits.find(s, offset=0, limit=10) == []
            assert await repo.direct_debits.pending_document_ids(s) == set()
            assert await repo.iban_secrets.get_many(s, ["anything"]) == {}
    finally:
        await db.dispose()
