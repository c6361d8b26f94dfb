"""What ordering knows of a customer account: its language (for the order file
template), from identity's AccountUpdated snapshots. Events may arrive out of
order: the newest snapshot wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .order_template import DEFAULT_LANGUAGE, LANGUAGES


@dataclass(frozen=True)
class AccountLanguage:
    entity_id: str
    language: str
    updated_at: datetime

    def supersedes(self, known: AccountLanguage | None) -> bool:
        """Whether this snapshot replaces `known` (it is not older)."""
        return known is None or not known.updated_at > self.updated_at


def account_language(entity_id: str, language: str, updated_at: datetime) -> AccountLanguage:
    """The snapshot's language, French when it names none ordering writes."""
    language = language.strip().lower()
    return AccountLanguage(
        entity_id, language if language in LANGUAGES else DEFAULT_LANGUAGE, updated_at
    )
