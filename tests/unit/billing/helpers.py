"""Builders for billing's unit tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from portal_runtime.db import Database
from portal_runtime.migrations import alembic_config
from services.billing.__main__ import MIGRATIONS
from services.billing.domain.documents import Document, DocumentType, Line, due_date


def invoice(
    number: str = "FAC-2026-000001",
    *,
    issued: date = date(2026, 1, 15),
    lines: tuple[Line, ...] = (Line("Cartes", 1, 10_000, 2000),),
    paid_cents: int = 0,
    doc_id: str = "",
    doc_type: DocumentType = DocumentType.INVOICE,
) -> Document:
    return Document(
        id=doc_id or f"id-{number}",
        entity_id="ent-1",
        type=doc_type,
        number=number,
        issue_date=issued,
        due_date=due_date(issued),
        lines=lines,
        contract_number="CTR-42",
        paid_cents=paid_cents,
    )


async def upgraded_database(path: Path, revision: str, statement: str) -> Database:
    """A billing database at `revision` holding what `statement` writes, then
    migrated to the newest revision as billing does at start-up."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(MIGRATIONS, connection), revision)
        connection.execute(text(statement))
    engine.dispose()
    db = Database(f"sqlite:///{path}")
    await db.migrate(MIGRATIONS)
    return db
