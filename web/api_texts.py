"""The API describes field problems in English: the descriptions several
areas meet, said in the user's language. An area adds only its own (a
reason, a pattern of its routes); anything unknown is shown as the API
wrote it."""

from __future__ import annotations

from web.i18n import N_, _

KNOWN = frozenset(
    {
        N_("is required"),
        N_("is not a valid e-mail address"),
        N_("must be at least 12 characters"),
        N_("must be at most 128 characters"),
        N_("must be at most 64 characters"),
        N_("must be at most 100 characters"),
        N_("must be at most 200 characters"),
        N_("must be at most 254 characters"),
        N_("is too common; choose a less predictable password"),
        N_("must not contain your e-mail address"),
        N_("must differ from the current password"),
        N_("must differ from the primary e-mail"),
        N_("is already used by another user"),
        N_("is incorrect"),
        N_("is not a valid phone number (E.164, e.g. +33612345678)"),
        N_("is the name of a built-in profile"),
        N_("at least one permission is required"),
        N_("must be 'fr' or 'en'"),
        N_("must be 1 to 32 letters, digits or '-'"),
    }
)


def in_words(description: str) -> str:
    """An API description in the user's language when it is a known one."""
    return _(description) if description in KNOWN else description
