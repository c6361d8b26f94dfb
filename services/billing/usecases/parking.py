"""Assets' closed parking months: the statements of the contracts' extra exits,
each issued once (`parking-statement:<statement id>`, looked up before issuing
and unique in the store), all in the consumer's transaction: an event with one
statement that cannot be issued issues none."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.errors import InvalidArgument
from services.billing.domain.documents import Document, DocumentType
from services.billing.domain.parking_statements import StatementExits, parking_statements
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import issue

log = logging.getLogger(__name__)


async def issue_parking_statements(
    deps: Deps, s: AsyncSession, *, month: str, statements: Sequence[StatementExits]
) -> list[Document]:
    """The statements issued now (those issued before are left as they are)."""
    try:
        to_issue = parking_statements(month, statements)
    except InvalidArgument as err:
        log.error("parking month %s refused: %s", month, err.message)
        raise
    issued: list[Document] = []
    for statement in to_issue:
        known = await deps.repo.documents.of_source(s, statement.source_key, DocumentType.STATEMENT)
        if known is not None:
            log.info("%s is already issued (%s)", statement.source_key, known.number)
            continue
        document = await issue(
            deps,
            s,
            entity_id=statement.entity_id,
            doc_type=DocumentType.STATEMENT,
            lines=statement.lines,
            contract_number=statement.contract_number,
            period_start=statement.period_start,
            period_end=statement.period_end,
            source_key=statement.source_key,
        )
        issued.append(document)
    log.info("parking month %s: %d statement(s) issued", month, len(issued))
    return issued
